/**
 * The PDUs of connection-oriented DCE/RPC (C706 chapter 12; MS-RPCE 2.2.2): the 16-byte common
 * header, bind / bind_ack / bind_nak / alter_context / alter_context_resp, request, response,
 * fault, shutdown, co_cancel and orphaned (pdu_stream.ts cuts streams and calls into them). Only the
 * little-endian, ASCII, IEEE data representation is spoken (Windows and Wine use nothing else).
 * PDUs come from peers: every decoder checks sizes first and throws only ProtocolError. Pure.
 * @module
 */
import { ProtocolError } from "../../core/errors.ts";
import { NdrReader, NdrWriter } from "./ndr.ts";

// ---------------------------------------------------------------------------------------------
// Constants

/** PDU type (PTYPE, C706 12.6.4): request. */
export const PTYPE_REQUEST = 0;
/** PDU type: response. */
export const PTYPE_RESPONSE = 2;
/** PDU type: fault. */
export const PTYPE_FAULT = 3;
/** PDU type: bind. */
export const PTYPE_BIND = 11;
/** PDU type: bind_ack. */
export const PTYPE_BIND_ACK = 12;
/** PDU type: bind_nak. */
export const PTYPE_BIND_NAK = 13;
/** PDU type: alter_context. */
export const PTYPE_ALTER_CONTEXT = 14;
/** PDU type: alter_context_resp. */
export const PTYPE_ALTER_CONTEXT_RESP = 15;
/** PDU type: shutdown (server to client). */
export const PTYPE_SHUTDOWN = 17;
/** PDU type: co_cancel. */
export const PTYPE_CO_CANCEL = 18;
/** PDU type: orphaned. */
export const PTYPE_ORPHANED = 19;

/** pfc_flags (C706 12.6.3.1): the first fragment of a call. */
export const PFC_FIRST_FRAG = 0x01;
/** pfc_flags: the last fragment of a call. */
export const PFC_LAST_FRAG = 0x02;
/** pfc_flags: a cancel was pending at the sender. In bind PDUs MS-RPCE reuses it as PFC_SUPPORT_HEADER_SIGN. */
export const PFC_PENDING_CANCEL = 0x04;
/** pfc_flags: the sender supports concurrent multiplexing (bind only). */
export const PFC_CONC_MPX = 0x10;
/** pfc_flags: in a fault, the call did not execute. */
export const PFC_DID_NOT_EXECUTE = 0x20;
/** pfc_flags: a `maybe` call. */
export const PFC_MAYBE = 0x40;
/** pfc_flags: a request carries an object UUID after its fixed fields. */
export const PFC_OBJECT_UUID = 0x80;

/** The data representation this module speaks: little-endian integers, ASCII, IEEE (C706 14.1). */
export const DREP_LE: readonly number[] = Object.freeze([0x10, 0, 0, 0]);

/** The size of the common header. */
export const HEADER_SIZE = 16;
/** The size of a request's header and fixed fields (without an object UUID). */
export const REQUEST_HEADER_SIZE = 24;
/** The size of a response's header and fixed fields. */
export const RESPONSE_HEADER_SIZE = 24;
/** The size of a fault's header and fixed fields. */
export const FAULT_HEADER_SIZE = 32;
/** The size of the sec_trailer before an auth value (C706 13.2.6.1). */
export const SEC_TRAILER_SIZE = 8;

/** An interface or transfer syntax: a UUID and a version (p_syntax_id_t; MS-RPCE RPC_SYNTAX_IDENTIFIER). */
export interface SyntaxId {
  /** The syntax's UUID, lowercase, without braces. */
  uuid: string;
  /** Major version (the low 16 bits of the wire's u32 version). */
  major: number;
  /** Minor version (the high 16 bits). */
  minor: number;
}

/** The NDR 2.0 transfer syntax, the one Wine accepts (WINE.md). */
export const NDR_SYNTAX: SyntaxId = Object.freeze({
  uuid: "8a885d04-1ceb-11c9-9fe8-08002b104860",
  major: 2,
  minor: 0,
});
/** The NDR64 transfer syntax (MS-RPCE 2.2.5); Wine's servers refuse it (WINE.md). */
export const NDR64_SYNTAX: SyntaxId = Object.freeze({
  uuid: "71710533-beba-4937-8319-b5dbef9ccc36",
  major: 1,
  minor: 0,
});

/** p_cont_def_result_t (C706 12.6.3.1): the presentation context was accepted. */
export const RESULT_ACCEPTANCE = 0;
/** p_cont_def_result_t: rejected by the user (server application). */
export const RESULT_USER_REJECTION = 1;
/** p_cont_def_result_t: rejected by the RPC runtime. */
export const RESULT_PROVIDER_REJECTION = 2;
/** p_cont_def_result_t: the answer to a bind-time feature negotiation context (MS-RPCE 2.2.2.4). */
export const RESULT_NEGOTIATE_ACK = 3;

/** p_provider_reason_t (C706 12.6.3.1): no reason given. */
export const REASON_NOT_SPECIFIED = 0;
/** p_provider_reason_t: the abstract syntax (interface) is not supported. */
export const REASON_ABSTRACT_SYNTAX_NOT_SUPPORTED = 1;
/** p_provider_reason_t: none of the proposed transfer syntaxes is supported. */
export const REASON_TRANSFER_SYNTAXES_NOT_SUPPORTED = 2;
/** p_provider_reason_t: a local limit was exceeded. */
export const REASON_LOCAL_LIMIT_EXCEEDED = 3;

/** bind_nak's p_reject_reason_t (C706 12.6.3.1): no reason given. */
export const REJECT_REASON_NOT_SPECIFIED = 0;
/** p_reject_reason_t: temporary congestion. */
export const REJECT_TEMPORARY_CONGESTION = 1;
/** p_reject_reason_t: a local limit was exceeded. */
export const REJECT_LOCAL_LIMIT_EXCEEDED = 2;
/** p_reject_reason_t: the called presentation address is unknown. */
export const REJECT_CALLED_PADDR_UNKNOWN = 3;
/** p_reject_reason_t: the protocol version is not supported. */
export const REJECT_PROTOCOL_VERSION_NOT_SUPPORTED = 4;
/** p_reject_reason_t: the default context is not supported. */
export const REJECT_DEFAULT_CONTEXT_NOT_SUPPORTED = 5;
/** p_reject_reason_t: user data not readable. */
export const REJECT_USER_DATA_NOT_READABLE = 6;
/** p_reject_reason_t: no presentation service access point available. */
export const REJECT_NO_PSAP_AVAILABLE = 7;

// Fault and reject status codes, nca_s_*: C706 appendix E (table E-3 and the reject codes) and
// MS-RPCE 3.1.1.5.5, which maps them to Win32 errors; the last three are Windows' own (Win32 codes).

/** Communications failure. */
export const NCA_S_COMM_FAILURE = 0x1c010001;
/** The opnum is out of range for the interface (RPC_S_PROCNUM_OUT_OF_RANGE). */
export const NCA_S_OP_RNG_ERROR = 0x1c010002;
/** Unknown interface (RPC_S_UNKNOWN_IF). */
export const NCA_S_UNK_IF = 0x1c010003;
/** Wrong server boot time. */
export const NCA_S_WRONG_BOOT_TIME = 0x1c010006;
/** The client crashed (RPC_S_CALL_FAILED). */
export const NCA_S_YOU_CRASHED = 0x1c010009;
/** Protocol error (RPC_S_PROTOCOL_ERROR). */
export const NCA_S_PROTO_ERROR = 0x1c01000b;
/** Output arguments too big (RPC_S_SERVER_OUT_OF_MEMORY). */
export const NCA_S_OUT_ARGS_TOO_BIG = 0x1c010013;
/** Server too busy (RPC_S_SERVER_TOO_BUSY). */
export const NCA_S_SERVER_TOO_BUSY = 0x1c010014;
/** Unsupported type (RPC_S_UNSUPPORTED_TYPE). */
export const NCA_S_UNSUPPORTED_TYPE = 0x1c010017;
/** Integer division by zero in the server. */
export const NCA_S_FAULT_INT_DIV_BY_ZERO = 0x1c000001;
/** Address error (access violation) in the server. */
export const NCA_S_FAULT_ADDR_ERROR = 0x1c000002;
/** Invalid union tag (RPC_S_INVALID_TAG). */
export const NCA_S_FAULT_INVALID_TAG = 0x1c000006;
/** Array bound error (RPC_S_INVALID_BOUND). */
export const NCA_S_FAULT_INVALID_BOUND = 0x1c000007;
/** RPC protocol version mismatch. */
export const NCA_S_RPC_VERSION_MISMATCH = 0x1c000008;
/** Unspecified rejection. */
export const NCA_S_UNSPEC_REJECT = 0x1c000009;
/** The manager routine was not entered. */
export const NCA_S_MANAGER_NOT_ENTERED = 0x1c00000c;
/** The call was cancelled. */
export const NCA_S_FAULT_CANCEL = 0x1c00000d;
/** Unspecified fault. */
export const NCA_S_FAULT_UNSPEC = 0x1c000012;
/** Context handle mismatch (RPC_X_SS_CONTEXT_MISMATCH). */
export const NCA_S_FAULT_CONTEXT_MISMATCH = 0x1c00001a;
/** The server ran out of memory. */
export const NCA_S_FAULT_REMOTE_NO_MEMORY = 0x1c00001b;
/** The presentation context id is not known. */
export const NCA_S_INVALID_PRES_CONTEXT_ID = 0x1c00001c;
/** Unsupported authentication level. */
export const NCA_S_UNSUPPORTED_AUTHN_LEVEL = 0x1c00001d;
/** Access denied (MS-RPCE 3.1.1.5.5: ERROR_ACCESS_DENIED). */
export const NCA_S_FAULT_ACCESS_DENIED = 0x00000005;
/** The stub data could not be unmarshalled (MS-RPCE: RPC_X_BAD_STUB_DATA, nca_s_fault_ndr). */
export const NCA_S_FAULT_NDR = 0x000006f7;
/** The operation cannot be performed (MS-RPCE: EPT_S_CANT_PERFORM_OP). */
export const NCA_S_FAULT_CANT_PERFORM = 0x000006d8;

// ---------------------------------------------------------------------------------------------
// PDU shapes

/** An auth verifier (C706 13.2.6.1): the sec_trailer fields and the auth value. */
export interface AuthVerifier {
  /** auth_type (e.g. 10 for NTLMSSP, 9 for SPNEGO). */
  authType: number;
  /** auth_level. */
  authLevel: number;
  /** auth_pad_length: padding between the body and the sec_trailer (written as zeros). */
  padLength: number;
  /** auth_context_id. */
  contextId: number;
  /** The auth value (auth_length bytes). */
  value: Uint8Array;
}

/** Fields every PDU has. */
export interface PduBase {
  /** call_id. */
  callId: number;
  /** pfc_flags; encoders default to FIRST_FRAG | LAST_FRAG (and add OBJECT_UUID when needed). */
  flags?: number;
  /** The auth verifier, if auth_length is not 0. */
  auth?: AuthVerifier | null;
}

/** A presentation context element of a bind or alter_context (p_cont_elem_t). */
export interface PresentationContext {
  /** p_cont_id: the id the requests for this context use. */
  contextId: number;
  /** The interface. */
  abstractSyntax: SyntaxId;
  /** The transfer syntaxes proposed, in order of preference. */
  transferSyntaxes: SyntaxId[];
}

/** One answer of a bind_ack or alter_context_resp (p_result_t). */
export interface ContextResult {
  /** RESULT_ACCEPTANCE, RESULT_USER_REJECTION, RESULT_PROVIDER_REJECTION or RESULT_NEGOTIATE_ACK. */
  result: number;
  /** A REASON_* (or the bind-time feature bits of a negotiate_ack). */
  reason: number;
  /** The transfer syntax accepted (nil UUID, version 0 when rejected). */
  transferSyntax: SyntaxId;
}

/** A bind or alter_context PDU. */
export interface BindPdu extends PduBase {
  /** "bind" or "alter_context". */
  type: "bind" | "alter_context";
  /** max_xmit_frag: the largest fragment the client will send. */
  maxXmitFrag: number;
  /** max_recv_frag: the largest fragment the client accepts. */
  maxRecvFrag: number;
  /** assoc_group_id (0 for a new association group). */
  assocGroupId: number;
  /** The presentation contexts proposed. */
  contexts: PresentationContext[];
}

/** A bind_ack or alter_context_resp PDU. */
export interface BindAckPdu extends PduBase {
  /** "bind_ack" or "alter_context_resp". */
  type: "bind_ack" | "alter_context_resp";
  /** max_xmit_frag: the largest fragment the server will send. */
  maxXmitFrag: number;
  /** max_recv_frag: the largest fragment the server accepts. */
  maxRecvFrag: number;
  /** assoc_group_id. */
  assocGroupId: number;
  /** The secondary address (port_spec, e.g. "\\PIPE\\epmapper" or "135"; "" when empty). */
  secondaryAddress: string;
  /** One result per proposed context, in order. */
  results: ContextResult[];
}

/** A bind_nak PDU. */
export interface BindNakPdu extends PduBase {
  /** "bind_nak". */
  type: "bind_nak";
  /** provider_reject_reason: a REJECT_*. */
  rejectReason: number;
  /** The protocol versions the server supports (empty when the PDU lists none). */
  versions: { major: number; minor: number }[];
}

/** A request PDU. */
export interface RequestPdu extends PduBase {
  /** "request". */
  type: "request";
  /** alloc_hint: the stub bytes from this fragment to the end of the call (0: unknown). */
  allocHint?: number;
  /** p_cont_id. */
  contextId: number;
  /** The operation number. */
  opnum: number;
  /** The object UUID (sent with PFC_OBJECT_UUID), or null. */
  object?: string | null;
  /** The stub data (NDR). */
  stub: Uint8Array;
}

/** A response PDU. */
export interface ResponsePdu extends PduBase {
  /** "response". */
  type: "response";
  /** alloc_hint. */
  allocHint?: number;
  /** p_cont_id. */
  contextId: number;
  /** cancel_count. */
  cancelCount?: number;
  /** The stub data (NDR). */
  stub: Uint8Array;
}

/** A fault PDU. */
export interface FaultPdu extends PduBase {
  /** "fault". */
  type: "fault";
  /** alloc_hint. */
  allocHint?: number;
  /** p_cont_id. */
  contextId: number;
  /** cancel_count. */
  cancelCount?: number;
  /** The status: an NCA_S_* code or a Win32 error. */
  status: number;
  /** Stub data after the fixed fields (extended error information; usually empty). */
  stub?: Uint8Array;
}

/** A shutdown, co_cancel or orphaned PDU: the header (and an optional auth verifier) only. */
export interface ControlPdu extends PduBase {
  /** "shutdown", "co_cancel" or "orphaned". */
  type: "shutdown" | "co_cancel" | "orphaned";
}

/** Any connection-oriented PDU this module knows. */
export type Pdu = BindPdu | BindAckPdu | BindNakPdu | RequestPdu | ResponsePdu | FaultPdu | ControlPdu;

const PTYPES: Record<Pdu["type"], number> = {
  request: PTYPE_REQUEST,
  response: PTYPE_RESPONSE,
  fault: PTYPE_FAULT,
  bind: PTYPE_BIND,
  bind_ack: PTYPE_BIND_ACK,
  bind_nak: PTYPE_BIND_NAK,
  alter_context: PTYPE_ALTER_CONTEXT,
  alter_context_resp: PTYPE_ALTER_CONTEXT_RESP,
  shutdown: PTYPE_SHUTDOWN,
  co_cancel: PTYPE_CO_CANCEL,
  orphaned: PTYPE_ORPHANED,
};
const TYPES = new Map(Object.entries(PTYPES).map(([k, v]) => [v, k as Pdu["type"]]));

// ---------------------------------------------------------------------------------------------
// Encoding

function writeSyntax(w: NdrWriter, s: SyntaxId): void {
  w.uuid(s.uuid);
  w.u16(s.major);
  w.u16(s.minor);
}

/** The body (after the common header) of `pdu`, written at offset 16 of `w`. */
function writeBody(w: NdrWriter, pdu: Pdu): void {
  switch (pdu.type) {
    case "bind":
    case "alter_context":
      w.u16(pdu.maxXmitFrag);
      w.u16(pdu.maxRecvFrag);
      w.u32(pdu.assocGroupId);
      w.u8(pdu.contexts.length);
      w.u8(0);
      w.u16(0);
      for (const c of pdu.contexts) {
        w.u16(c.contextId);
        w.u8(c.transferSyntaxes.length);
        w.u8(0);
        writeSyntax(w, c.abstractSyntax);
        for (const t of c.transferSyntaxes) writeSyntax(w, t);
      }
      return;
    case "bind_ack":
    case "alter_context_resp": {
      w.u16(pdu.maxXmitFrag);
      w.u16(pdu.maxRecvFrag);
      w.u32(pdu.assocGroupId);
      const addr = pdu.secondaryAddress;
      // port_spec: its length counts the NUL; an empty address is length 0 (C706 12.6.4.4).
      w.u16(addr === "" ? 0 : addr.length + 1);
      for (let i = 0; i < addr.length; i++) w.u8(addr.charCodeAt(i));
      if (addr !== "") w.u8(0);
      w.align(4); // from the start of the PDU, which is offset 0 of the writer
      w.u8(pdu.results.length);
      w.u8(0);
      w.u16(0);
      for (const r of pdu.results) {
        w.u16(r.result);
        w.u16(r.reason);
        writeSyntax(w, r.transferSyntax);
      }
      return;
    }
    case "bind_nak":
      w.u16(pdu.rejectReason);
      w.u8(pdu.versions.length);
      for (const v of pdu.versions) {
        w.u8(v.major);
        w.u8(v.minor);
      }
      return;
    case "request":
      w.u32(pdu.allocHint ?? pdu.stub.length);
      w.u16(pdu.contextId);
      w.u16(pdu.opnum);
      if (pdu.object) w.uuid(pdu.object);
      w.bytes(pdu.stub);
      return;
    case "response":
      w.u32(pdu.allocHint ?? pdu.stub.length);
      w.u16(pdu.contextId);
      w.u8(pdu.cancelCount ?? 0);
      w.u8(0);
      w.bytes(pdu.stub);
      return;
    case "fault":
      w.u32(pdu.allocHint ?? 0);
      w.u16(pdu.contextId);
      w.u8(pdu.cancelCount ?? 0);
      w.u8(0);
      w.u32(pdu.status);
      w.u32(0);
      w.bytes(pdu.stub ?? new Uint8Array(0));
      return;
    case "shutdown":
    case "co_cancel":
    case "orphaned":
      return;
  }
}

/**
 * The bytes of `pdu`: the common header (version 5.0, little-endian data representation,
 * frag_length and auth_length filled in), its fields, and its auth verifier if it has one.
 * @throws {TypeError | RangeError} a field is missing or out of range (a programming error).
 */
export function encodePdu(pdu: Pdu): Uint8Array {
  const ptype = PTYPES[pdu.type];
  if (ptype === undefined) throw new TypeError(`DCE/RPC: unknown PDU type ${JSON.stringify(pdu.type)}`);
  let flags = pdu.flags ?? (PFC_FIRST_FRAG | PFC_LAST_FRAG);
  if (pdu.type === "request") flags = pdu.object ? flags | PFC_OBJECT_UUID : flags & ~PFC_OBJECT_UUID;
  const w = new NdrWriter();
  w.u8(5); // rpc_vers
  w.u8(0); // rpc_vers_minor: Wine does not answer 5.1 (WINE.md)
  w.u8(ptype);
  w.u8(flags);
  w.bytes(Uint8Array.from(DREP_LE));
  w.u16(0); // frag_length, set below
  w.u16(pdu.auth ? pdu.auth.value.length : 0);
  w.u32(pdu.callId);
  writeBody(w, pdu);
  if (pdu.auth) {
    const a = pdu.auth;
    // The caller's padLength places the sec_trailer; it is written as is, never realigned here.
    const trailer = new Uint8Array(a.padLength + SEC_TRAILER_SIZE);
    const v = new DataView(trailer.buffer);
    v.setUint8(a.padLength, a.authType);
    v.setUint8(a.padLength + 1, a.authLevel);
    v.setUint8(a.padLength + 2, a.padLength);
    v.setUint32(a.padLength + 4, a.contextId, true);
    w.bytes(trailer);
    w.bytes(a.value);
  }
  const out = w.finish();
  if (out.length > 0xffff) throw new RangeError(`DCE/RPC: a PDU of ${out.length} bytes exceeds 65535`);
  new DataView(out.buffer).setUint16(8, out.length, true);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Decoding

/** The common header's fields. */
export interface PduHeader {
  /** rpc_vers_minor (0 or 1). */
  minorVersion: number;
  /** PTYPE. */
  ptype: number;
  /** pfc_flags. */
  flags: number;
  /** frag_length. */
  fragLength: number;
  /** auth_length. */
  authLength: number;
  /** call_id. */
  callId: number;
}

/**
 * The common header at the start of `bytes` (at least 16 bytes).
 * @throws {ProtocolError} too short, not version 5.0/5.1, a data representation other than
 * little-endian ASCII IEEE, or frag_length below 16.
 */
export function decodeHeader(bytes: Uint8Array): PduHeader {
  if (bytes.length < HEADER_SIZE) {
    throw new ProtocolError(`DCE/RPC: ${bytes.length} bytes are shorter than the 16-byte header`);
  }
  const v = new DataView(bytes.buffer, bytes.byteOffset, HEADER_SIZE);
  if (bytes[0] !== 5 || bytes[1] > 1) {
    throw new ProtocolError(`DCE/RPC: version ${bytes[0]}.${bytes[1]} is not 5.0 or 5.1`);
  }
  // Integer representation: the high nibble of drep[0] (1 = little-endian), character set the low
  // nibble (0 = ASCII), floating point drep[1] (0 = IEEE): C706 14.1.
  if ((bytes[4] & 0xf0) !== 0x10 || (bytes[4] & 0x0f) !== 0 || bytes[5] !== 0) {
    throw new ProtocolError(
      `DCE/RPC: data representation ${bytes[4].toString(16)}/${
        bytes[5].toString(16)
      } is not little-endian ASCII IEEE`,
    );
  }
  const fragLength = v.getUint16(8, true);
  if (fragLength < HEADER_SIZE) throw new ProtocolError(`DCE/RPC: frag_length ${fragLength} is below 16`);
  return {
    minorVersion: bytes[1],
    ptype: bytes[2],
    flags: bytes[3],
    fragLength,
    authLength: v.getUint16(10, true),
    callId: v.getUint32(12, true),
  };
}

function readSyntax(r: NdrReader): SyntaxId {
  const uuid = r.uuid();
  const major = r.u16();
  return { uuid, major, minor: r.u16() };
}

/** Size of a p_syntax_id_t on the wire. */
const SYNTAX_SIZE = 20;

/** Checks that `count` items of `size` bytes fit in what `r` has left, before reading them. */
function fits(r: NdrReader, count: number, size: number, what: string): void {
  if (count * size > r.remaining) {
    throw new ProtocolError(`DCE/RPC: ${count} ${what} cannot fit in the ${r.remaining} bytes left`);
  }
}

/** Reads the auth verifier at the end of the PDU; returns it and where the body ends. */
function readAuth(
  bytes: Uint8Array,
  h: PduHeader,
  fixedEnd: number,
): { auth: AuthVerifier | null; end: number } {
  if (h.authLength === 0) return { auth: null, end: bytes.length };
  const trailer = bytes.length - h.authLength - SEC_TRAILER_SIZE;
  if (trailer < fixedEnd) {
    throw new ProtocolError(
      `DCE/RPC: auth_length ${h.authLength} does not fit in a ${bytes.length}-byte PDU`,
    );
  }
  const padLength = bytes[trailer + 2];
  const end = trailer - padLength;
  if (end < fixedEnd) {
    throw new ProtocolError(`DCE/RPC: auth_pad_length ${padLength} reaches into the header`);
  }
  const v = new DataView(bytes.buffer, bytes.byteOffset + trailer, SEC_TRAILER_SIZE);
  return {
    auth: {
      authType: bytes[trailer],
      authLevel: bytes[trailer + 1],
      padLength,
      contextId: v.getUint32(4, true),
      value: bytes.slice(trailer + SEC_TRAILER_SIZE),
    },
    end,
  };
}

/** The size of each PDU type's header and fixed fields (the least its frag_length can be). */
function fixedSize(type: Pdu["type"], flags: number): number {
  switch (type) {
    case "request":
      return REQUEST_HEADER_SIZE + (flags & PFC_OBJECT_UUID ? 16 : 0);
    case "response":
      return RESPONSE_HEADER_SIZE;
    case "fault":
      return FAULT_HEADER_SIZE;
    case "bind":
    case "alter_context":
      return HEADER_SIZE + 12;
    case "bind_ack":
    case "alter_context_resp":
      return HEADER_SIZE + 10;
    case "bind_nak":
      return HEADER_SIZE + 2;
    default:
      return HEADER_SIZE;
  }
}

/**
 * The PDU in `bytes`, which must be exactly one PDU (frag_length bytes). Bytes after the fields a
 * bind, bind_ack or bind_nak defines are ignored (MS-RPCE appends optional fields to bind_nak).
 * @throws {ProtocolError} the header is bad (see {@link decodeHeader}), frag_length is not the
 * length of `bytes`, the PTYPE is unknown, or a count or length does not fit.
 */
export function decodePdu(bytes: Uint8Array): Pdu {
  const h = decodeHeader(bytes);
  if (h.fragLength !== bytes.length) {
    throw new ProtocolError(`DCE/RPC: frag_length ${h.fragLength} but ${bytes.length} bytes`);
  }
  const type = TYPES.get(h.ptype);
  if (type === undefined) throw new ProtocolError(`DCE/RPC: unknown PTYPE ${h.ptype}`);
  const fixedEnd = fixedSize(type, h.flags);
  if (bytes.length < fixedEnd) {
    throw new ProtocolError(
      `DCE/RPC: a ${bytes.length}-byte ${type} is shorter than its ${fixedEnd}-byte header`,
    );
  }
  const { auth, end } = readAuth(bytes, h, fixedEnd);
  // The reader sees the PDU from its first byte, so its alignment counts from the PDU start.
  const r = new NdrReader(bytes.subarray(0, end));
  r.bytes(HEADER_SIZE);
  const base = { callId: h.callId, flags: h.flags, auth };
  switch (type) {
    case "bind":
    case "alter_context": {
      const maxXmitFrag = r.u16();
      const maxRecvFrag = r.u16();
      const assocGroupId = r.u32();
      const n = r.u8();
      r.u8();
      r.u16();
      fits(r, n, 4 + SYNTAX_SIZE, "presentation contexts");
      const contexts: PresentationContext[] = [];
      for (let i = 0; i < n; i++) {
        const contextId = r.u16();
        const nt = r.u8();
        r.u8();
        const abstractSyntax = readSyntax(r);
        fits(r, nt, SYNTAX_SIZE, "transfer syntaxes");
        const transferSyntaxes: SyntaxId[] = [];
        for (let j = 0; j < nt; j++) transferSyntaxes.push(readSyntax(r));
        contexts.push({ contextId, abstractSyntax, transferSyntaxes });
      }
      return { ...base, type, maxXmitFrag, maxRecvFrag, assocGroupId, contexts };
    }
    case "bind_ack":
    case "alter_context_resp": {
      const maxXmitFrag = r.u16();
      const maxRecvFrag = r.u16();
      const assocGroupId = r.u32();
      const len = r.u16();
      const port = r.bytes(len);
      if (len > 0 && port[len - 1] !== 0) {
        throw new ProtocolError("DCE/RPC: the secondary address has no NUL");
      }
      let secondaryAddress = "";
      for (let i = 0; i < len - 1; i++) secondaryAddress += String.fromCharCode(port[i]);
      r.align(4);
      const n = r.u8();
      r.u8();
      r.u16();
      fits(r, n, 4 + SYNTAX_SIZE, "context results");
      const results: ContextResult[] = [];
      for (let i = 0; i < n; i++) {
        const result = r.u16();
        const reason = r.u16();
        results.push({ result, reason, transferSyntax: readSyntax(r) });
      }
      return { ...base, type, maxXmitFrag, maxRecvFrag, assocGroupId, secondaryAddress, results };
    }
    case "bind_nak": {
      const rejectReason = r.u16();
      const versions: { major: number; minor: number }[] = [];
      // The versions list is optional in practice: take it when present.
      if (r.remaining > 0) {
        const n = r.u8();
        fits(r, n, 2, "protocol versions");
        for (let i = 0; i < n; i++) versions.push({ major: r.u8(), minor: r.u8() });
      }
      return { ...base, type, rejectReason, versions };
    }
    case "request": {
      const allocHint = r.u32();
      const contextId = r.u16();
      const opnum = r.u16();
      const object = h.flags & PFC_OBJECT_UUID ? r.uuid() : null;
      return { ...base, type, allocHint, contextId, opnum, object, stub: r.bytes(r.remaining) };
    }
    case "response": {
      const allocHint = r.u32();
      const contextId = r.u16();
      const cancelCount = r.u8();
      r.u8();
      return { ...base, type, allocHint, contextId, cancelCount, stub: r.bytes(r.remaining) };
    }
    case "fault": {
      const allocHint = r.u32();
      const contextId = r.u16();
      const cancelCount = r.u8();
      r.u8();
      const status = r.u32();
      r.u32();
      return { ...base, type, allocHint, contextId, cancelCount, status, stub: r.bytes(r.remaining) };
    }
    default:
      return { ...base, type };
  }
}
