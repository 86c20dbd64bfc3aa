/**
 * dde.h: the WM_DDE_* messages, with the flag bits of the DDEACK, DDEADVISE, DDEDATA and DDEPOKE
 * words under the names ddeml.h gives them (DDE_F*; dde.h declares them only as bit fields).
 * @module
 */

/** The first DDE message number. */
export const WM_DDE_FIRST = 0x03e0;
/** Client to all (sent): looking for a server; lParam MAKELPARAM(aApp, aTopic), unpacked. */
export const WM_DDE_INITIATE = 0x03e0;
/** Either side: ends the conversation; lParam 0. */
export const WM_DDE_TERMINATE = 0x03e1;
/** Client to server: start a hot or warm link; lParam packed (hOptions: DDEADVISE, aItem). */
export const WM_DDE_ADVISE = 0x03e2;
/** Client to server: end a link; lParam MAKELPARAM(cfFormat, aItem), unpacked (aItem 0: every link). */
export const WM_DDE_UNADVISE = 0x03e3;
/** Either side: the answer to a message; lParam packed (wStatus: DDEACK, aItem or hCommands). */
export const WM_DDE_ACK = 0x03e4;
/** Server to client: a value; lParam packed (hData: DDEDATA, aItem); hData 0 on a warm link. */
export const WM_DDE_DATA = 0x03e5;
/** Client to server: ask for a value once; lParam MAKELPARAM(cfFormat, aItem), unpacked. */
export const WM_DDE_REQUEST = 0x03e6;
/** Client to server: send a value; lParam packed (hData: DDEPOKE, aItem). */
export const WM_DDE_POKE = 0x03e7;
/** Client to server: run commands; lParam packed (reserved, hCommands: the command text). */
export const WM_DDE_EXECUTE = 0x03e8;
/** The last DDE message number. */
export const WM_DDE_LAST = 0x03e8;

// DDEACK's wStatus: bAppReturnCode:8, reserved:6, fBusy:1, fAck:1.
/** DDEACK: the message was accepted. */
export const DDE_FACK = 0x8000;
/** DDEACK: the receiver was busy and did not process the message (with fAck clear). */
export const DDE_FBUSY = 0x4000;
/** DDEACK: the application's own return code, the low byte. */
export const DDE_FAPPSTATUS = 0x00ff;

// DDEDATA (and DDEPOKE's fRelease): unused:12, fResponse:1, fRelease:1, reserved:1, fAckReq:1.
/** DDEDATA fResponse: the data answers a WM_DDE_REQUEST (clear: an advise-link update). */
export const DDE_FREQUESTED = 0x1000;
/** DDEDATA/DDEPOKE fRelease: the receiver frees the block. */
export const DDE_FRELEASE = 0x2000;
/** DDEADVISE fDeferUpd: a warm link (DATA without a value, the client then requests it). */
export const DDE_FDEFERUPD = 0x4000;
/** DDEDATA/DDEADVISE fAckReq: the receiver (DATA) / the server's updates (ADVISE) want an ACK. */
export const DDE_FACKREQ = 0x8000;
