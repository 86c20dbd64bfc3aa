/**
 * The pure building blocks of the DDE protocol: the DDEDATA, DDEPOKE and DDEADVISE blocks and the
 * DDEACK status word, the unpacked lParams, CF_TEXT and CF_UNICODETEXT values, and the
 * `dde:SERVICE/TOPIC` address. Bytes from a peer are untrusted: every decoder checks sizes first.
 * @module
 */
import { AddressError, ProtocolError } from "../../core/errors.ts";
import { fromWstr, wstr } from "../../core/utf16.ts";
import {
  DDE_FACK,
  DDE_FACKREQ,
  DDE_FAPPSTATUS,
  DDE_FBUSY,
  DDE_FDEFERUPD,
  DDE_FRELEASE,
  DDE_FREQUESTED,
} from "../../ffi/headers/dde.ts";
import { CF_UNICODETEXT } from "../../ffi/headers/winuser.ts";

export {
  DDE_FACK,
  DDE_FACKREQ,
  DDE_FAPPSTATUS,
  DDE_FBUSY,
  DDE_FDEFERUPD,
  DDE_FRELEASE,
  DDE_FREQUESTED,
  WM_DDE_ACK,
  WM_DDE_ADVISE,
  WM_DDE_DATA,
  WM_DDE_EXECUTE,
  WM_DDE_FIRST,
  WM_DDE_INITIATE,
  WM_DDE_LAST,
  WM_DDE_POKE,
  WM_DDE_REQUEST,
  WM_DDE_TERMINATE,
  WM_DDE_UNADVISE,
} from "../../ffi/headers/dde.ts";
export { CF_UNICODETEXT };

/** Clipboard format: text in the ANSI code page ending in a NUL byte (winuser.h). */
export const CF_TEXT = 1;

/** The two text formats {@link encodeTextValue} and {@link decodeTextValue} know. */
export type TextFormat = typeof CF_TEXT | typeof CF_UNICODETEXT;

/** Size of the flags word and cfFormat that start DDEDATA and DDEPOKE; all of DDEADVISE. */
export const DDE_HEADER_SIZE = 4;

/** A WM_DDE_DATA block (DDEDATA), decoded. */
export interface DdeData {
  /** The clipboard format of `value`, 0..0xFFFF. */
  format: number;
  /** The value's bytes (for text formats, up to and including the NUL terminator). */
  value: Uint8Array;
  /** fResponse: answers a WM_DDE_REQUEST; clear for an advise-link update. */
  response: boolean;
  /** fRelease: the receiver frees the block. */
  release: boolean;
  /** fAckReq: the receiver must answer with WM_DDE_ACK. */
  ackReq: boolean;
}

/** A WM_DDE_POKE block (DDEPOKE), decoded. */
export interface DdePoke {
  /** The clipboard format of `value`, 0..0xFFFF. */
  format: number;
  /** The value's bytes. */
  value: Uint8Array;
  /** fRelease: the receiver frees the block. */
  release: boolean;
}

/** A WM_DDE_ADVISE block (DDEADVISE), decoded. */
export interface DdeAdvise {
  /** The clipboard format the client wants updates in, 0..0xFFFF. */
  format: number;
  /** fDeferUpd: a warm link (updates say only that the item changed). */
  deferUpd: boolean;
  /** fAckReq: the server sends each update with fAckReq and waits for its ACK (flow control). */
  ackReq: boolean;
}

/** The wStatus word of a WM_DDE_ACK (DDEACK), decoded. */
export interface DdeAckStatus {
  /** fAck: the message was accepted. */
  ack: boolean;
  /** fBusy: the receiver was busy (with `ack` false). */
  busy: boolean;
  /** bAppReturnCode: the application's own code, 0..255. */
  appCode: number;
}

/**
 * A clipboard format as a 16-bit number. Wine's DDEML keeps cfFormat as a signed short and
 * sign-extends registered formats (>= 0xC000; WINE.md, DDE bug 1): this takes back 0..0xFFFF, and
 * the sign-extended forms of 0x8000..0xFFFF as a negative number or as a 32- or 64-bit unsigned
 * value (0xFFFFC024 is 0xC024).
 * @throws {RangeError} anything else (a non-integer, or a value that no 16-bit format widens to).
 */
export function normalizeFormat(format: number | bigint): number {
  if (typeof format === "number" && !Number.isInteger(format)) {
    throw new RangeError(`clipboard format ${format} is not an integer`);
  }
  const v = BigInt(format);
  const low = v & 0xffffn;
  if (v === low) return Number(low);
  const widened = low >= 0x8000n &&
    (v === low - 0x10000n || v === (low | 0xffff0000n) || v === (low | 0xffffffffffff0000n));
  if (!widened) throw new RangeError(`clipboard format ${format} is not a 16-bit format`);
  return Number(low);
}

/** A checked format for an encoder: an integer 0..0xFFFF. */
function format16(format: number): number {
  if (!Number.isInteger(format) || format < 0 || format > 0xffff) {
    throw new RangeError(`clipboard format ${format} is not an integer from 0 to 0xFFFF`);
  }
  return format;
}

/** The header (flags word, cfFormat) followed by `value`. */
function block(flags: number, format: number, value: Uint8Array | null): Uint8Array {
  const out = new Uint8Array(DDE_HEADER_SIZE + (value?.length ?? 0));
  const view = new DataView(out.buffer);
  view.setUint16(0, flags, true);
  view.setUint16(2, format16(format), true);
  if (value) out.set(value, DDE_HEADER_SIZE);
  return out;
}

/** The flags word and cfFormat (as unsigned: see {@link normalizeFormat}) of a block from a peer. */
function header(bytes: Uint8Array, what: string): { flags: number; format: number } {
  if (bytes.length < DDE_HEADER_SIZE) {
    throw new ProtocolError(`${what} block of ${bytes.length} bytes: shorter than its 4-byte header`);
  }
  return { flags: bytes[0] | bytes[1] << 8, format: bytes[2] | bytes[3] << 8 };
}

/** The bytes of a DDEDATA block: the flags word, cfFormat, then `value` from offset 4. */
export function encodeDdeData(data: {
  format: number;
  value: Uint8Array;
  response?: boolean;
  release?: boolean;
  ackReq?: boolean;
}): Uint8Array {
  const flags = (data.response ? DDE_FREQUESTED : 0) | (data.release ? DDE_FRELEASE : 0) |
    (data.ackReq ? DDE_FACKREQ : 0);
  return block(flags, data.format, data.value);
}

/**
 * A DDEDATA block read from a peer; `value` is a copy of every byte after the header (the block
 * may be freed once this returns). Reserved bits are ignored.
 * @throws {ProtocolError} the block is shorter than its 4-byte header.
 */
export function decodeDdeData(bytes: Uint8Array): DdeData {
  const { flags, format } = header(bytes, "DDEDATA");
  return {
    format,
    value: bytes.slice(DDE_HEADER_SIZE),
    response: (flags & DDE_FREQUESTED) !== 0,
    release: (flags & DDE_FRELEASE) !== 0,
    ackReq: (flags & DDE_FACKREQ) !== 0,
  };
}

/** The bytes of a DDEPOKE block: the flags word (fRelease only), cfFormat, then `value`. */
export function encodeDdePoke(poke: { format: number; value: Uint8Array; release?: boolean }): Uint8Array {
  return block(poke.release ? DDE_FRELEASE : 0, poke.format, poke.value);
}

/**
 * A DDEPOKE block read from a peer; `value` is a copy of every byte after the header.
 * @throws {ProtocolError} the block is shorter than its 4-byte header.
 */
export function decodeDdePoke(bytes: Uint8Array): DdePoke {
  const { flags, format } = header(bytes, "DDEPOKE");
  return { format, value: bytes.slice(DDE_HEADER_SIZE), release: (flags & DDE_FRELEASE) !== 0 };
}

/** The 4 bytes of a DDEADVISE block: the flags word and cfFormat. */
export function encodeDdeAdvise(
  advise: { format: number; deferUpd?: boolean; ackReq?: boolean },
): Uint8Array {
  const flags = (advise.deferUpd ? DDE_FDEFERUPD : 0) | (advise.ackReq ? DDE_FACKREQ : 0);
  return block(flags, advise.format, null);
}

/**
 * A DDEADVISE block read from a peer (bytes past the first 4, such as allocation slack, are
 * ignored).
 * @throws {ProtocolError} the block is shorter than 4 bytes.
 */
export function decodeDdeAdvise(bytes: Uint8Array): DdeAdvise {
  const { flags, format } = header(bytes, "DDEADVISE");
  return { format, deferUpd: (flags & DDE_FDEFERUPD) !== 0, ackReq: (flags & DDE_FACKREQ) !== 0 };
}

/**
 * The wStatus word of a WM_DDE_ACK.
 * @throws {RangeError} `appCode` is not an integer from 0 to 255.
 */
export function encodeAckStatus(status: { ack: boolean; busy?: boolean; appCode?: number }): number {
  const appCode = status.appCode ?? 0;
  if (!Number.isInteger(appCode) || appCode < 0 || appCode > DDE_FAPPSTATUS) {
    throw new RangeError(`DDE application return code ${appCode} is not an integer from 0 to 255`);
  }
  return (status.ack ? DDE_FACK : 0) | (status.busy ? DDE_FBUSY : 0) | appCode;
}

/**
 * The wStatus of a WM_DDE_ACK, from the low word of `status` (UnpackDDElParam gives a UINT_PTR);
 * reserved bits are ignored.
 * @throws {RangeError} `status` is not an integer.
 */
export function decodeAckStatus(status: number | bigint): DdeAckStatus {
  const w = loWord(status);
  return { ack: (w & DDE_FACK) !== 0, busy: (w & DDE_FBUSY) !== 0, appCode: w & DDE_FAPPSTATUS };
}

/** A checked 16-bit word for {@link makeLParam}. */
function word(n: number, what: string): number {
  if (!Number.isInteger(n) || n < 0 || n > 0xffff) {
    throw new RangeError(`${what} ${n} is not an integer from 0 to 0xFFFF`);
  }
  return n;
}

/**
 * MAKELPARAM(lo, hi): the unpacked lParam of WM_DDE_INITIATE (aApp, aTopic), WM_DDE_REQUEST and
 * WM_DDE_UNADVISE (cfFormat, aItem), and the INITIATE reply's WM_DDE_ACK (aApp, aTopic).
 * @throws {RangeError} `lo` or `hi` is not an integer from 0 to 0xFFFF.
 */
export function makeLParam(lo: number, hi: number): bigint {
  return BigInt(word(lo, "low word")) | BigInt(word(hi, "high word")) << 16n;
}

/**
 * LOWORD of an lParam (or any integer; a negative one is read in two's complement, as a signed
 * LPARAM arrives from some FFI reads).
 * @throws {RangeError} `lParam` is not an integer.
 */
export function loWord(lParam: number | bigint): number {
  return Number(BigInt(lParam) & 0xffffn);
}

/**
 * HIWORD of an lParam: bits 16..31 (two's complement for a negative one, as {@link loWord}).
 * @throws {RangeError} `lParam` is not an integer.
 */
export function hiWord(lParam: number | bigint): number {
  return Number(BigInt(lParam) >> 16n & 0xffffn);
}

/**
 * Windows-1252's 0x80..0x9F. The five bytes the code page leaves undefined (0x81, 0x8D, 0x8F,
 * 0x90, 0x9D) map to the C1 controls of the same number, as Windows' and Wine's conversion tables
 * and the WHATWG decoder do, so every byte decodes and re-encodes to itself.
 */
// deno-fmt-ignore
const CP1252_80_9F = [
  0x20ac, 0x81, 0x201a, 0x0192, 0x201e, 0x2026, 0x2020, 0x2021,
  0x02c6, 0x2030, 0x0160, 0x2039, 0x0152, 0x8d, 0x017d, 0x8f,
  0x90, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014,
  0x02dc, 0x2122, 0x0161, 0x203a, 0x0153, 0x9d, 0x017e, 0x0178,
];

/** The Windows-1252 byte of each UTF-16 code unit U+0080..U+FFFF the code page holds. */
const CP1252_BYTES = new Map<number, number>([
  ...CP1252_80_9F.map((unit, i) => [unit, 0x80 + i] as [number, number]),
  ...Array.from({ length: 0x60 }, (_, i) => [0xa0 + i, 0xa0 + i] as [number, number]),
]);

/**
 * The bytes of a text value, with its NUL terminator: UTF-16LE for CF_UNICODETEXT (code unit for
 * code unit, so lone surrogates pass through as Win32 strings may hold them); Windows-1252 for
 * CF_TEXT. CF_TEXT is in the ANSI code page of the two processes: winipc assumes 1252, the
 * usual Western default and the one Wine's prefix here uses.
 * @throws {RangeError} `format` is not CF_TEXT or CF_UNICODETEXT; `text` holds a U+0000 (the
 * value would end there); for CF_TEXT, a character Windows-1252 cannot represent (named).
 */
export function encodeTextValue(text: string, format: TextFormat): Uint8Array {
  const nul = text.indexOf("\0");
  if (nul >= 0) throw new RangeError(`a DDE text value ends at its first NUL: U+0000 at index ${nul}`);
  if (format === CF_UNICODETEXT) {
    // UTF-16 code units in host order: little-endian on every Windows machine.
    const units = wstr(text);
    return new Uint8Array(units.buffer, units.byteOffset, units.byteLength);
  }
  if (format !== CF_TEXT) throw new RangeError(`${format} is not a text format (CF_TEXT or CF_UNICODETEXT)`);
  const out = new Uint8Array(text.length + 1);
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    const byte = unit < 0x80 ? unit : CP1252_BYTES.get(unit);
    if (byte === undefined) {
      const cp = text.codePointAt(i)!;
      const ch = String.fromCodePoint(cp);
      const name = `U+${cp.toString(16).toUpperCase().padStart(4, "0")}`;
      throw new RangeError(
        `CF_TEXT (Windows-1252) cannot represent ${name} ${JSON.stringify(ch)} at index ${i}; ` +
          `send CF_UNICODETEXT`,
      );
    }
    out[i] = byte;
  }
  return out;
}

/**
 * The text of a value from a peer, up to its first NUL (CF_TEXT: a NUL byte; CF_UNICODETEXT: a
 * NUL code unit, an odd trailing byte ignored), or all of it when there is none. CF_TEXT is read
 * as Windows-1252 (see {@link encodeTextValue}), where every byte is a character.
 * @throws {RangeError} `format` is not CF_TEXT or CF_UNICODETEXT.
 */
export function decodeTextValue(bytes: Uint8Array, format: TextFormat): string {
  if (format === CF_UNICODETEXT) {
    // A copy: the value may start at an odd offset, where a Uint16Array view cannot.
    return fromWstr(new Uint16Array(bytes.slice(0, bytes.length & ~1).buffer));
  }
  if (format !== CF_TEXT) throw new RangeError(`${format} is not a text format (CF_TEXT or CF_UNICODETEXT)`);
  let end = bytes.indexOf(0);
  if (end < 0) end = bytes.length;
  const units = new Uint16Array(end);
  for (let i = 0; i < end; i++) {
    const b = bytes[i];
    units[i] = b >= 0x80 && b < 0xa0 ? CP1252_80_9F[b - 0x80] : b;
  }
  return fromWstr(units);
}

/** The two names a DDE conversation is opened with. */
export interface DdeAddress {
  /** The service (application) name, the server's. */
  service: string;
  /** The topic within the service; it may contain '/'. */
  topic: string;
}

/** The longest atom name, in UTF-16 code units: service, topic and item names are global atoms. */
export const MAX_ATOM_NAME = 255;

/**
 * The service and topic of a `dde:SERVICE/TOPIC` address path: split at the first '/', both
 * non-empty, at most 255 code units each (the global atom limit), no U+0000.
 * @throws {AddressError} any other path.
 */
export function parseDdeAddress(path: string): DdeAddress {
  if (typeof path !== "string") throw new AddressError("a DDE address is a string like 'dde:SERVICE/TOPIC'");
  const slash = path.indexOf("/");
  const service = slash < 0 ? path : path.slice(0, slash);
  const topic = slash < 0 ? "" : path.slice(slash + 1);
  if (service === "" || topic === "") {
    throw new AddressError(`bad DDE address 'dde:${path}': expected 'dde:SERVICE/TOPIC', both non-empty`);
  }
  for (const [what, name] of [["service", service], ["topic", topic]]) {
    if (name.length > MAX_ATOM_NAME) {
      throw new AddressError(
        `bad DDE address 'dde:${path}': the ${what} has ${name.length} characters, the limit is ` +
          `${MAX_ATOM_NAME} (a global atom)`,
      );
    }
    if (name.includes("\0")) throw new AddressError(`bad DDE address: the ${what} contains a NUL`);
  }
  return { service, topic };
}
