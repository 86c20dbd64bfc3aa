/**
 * Values as DDE carries them: bytes in a clipboard format. Strings go as CF_TEXT (the classic
 * DDE text, Windows-1252 here) or CF_UNICODETEXT; bytes as they are, in the format given
 * (default {@link ddeBytesFormat}, a registered format of winipc's own).
 * @module
 */
import { user32 } from "../../ffi/user32.ts";
import { wstr } from "../../ffi/wstr.ts";
import { ProtocolError, WinipcError } from "../../core/errors.ts";
import { CF_TEXT, CF_UNICODETEXT, decodeTextValue, encodeTextValue, type TextFormat } from "./dde_format.ts";

/** A value given to DDE: text (encoded in a text format) or bytes (sent as they are). */
export type DdeValue = string | Uint8Array;

/** The registered format name winipc uses for bytes when no format is given. */
export const DDE_BYTES_FORMAT_NAME = "winipc-bytes";

let bytesFormat: number | undefined;
/** The clipboard format number of {@link DDE_BYTES_FORMAT_NAME} (registered once, system-wide). */
export function ddeBytesFormat(): number {
  if (bytesFormat !== undefined) return bytesFormat;
  const f = user32().sync.RegisterClipboardFormatW(wstr(DDE_BYTES_FORMAT_NAME));
  if (f === 0) throw new WinipcError(`RegisterClipboardFormatW(${DDE_BYTES_FORMAT_NAME}) failed`);
  return bytesFormat = f;
}

/** Whether `format` is CF_TEXT or CF_UNICODETEXT. */
export function isTextFormat(format: number): format is TextFormat {
  return format === CF_TEXT || format === CF_UNICODETEXT;
}

/** The format a value goes in when none is given: CF_TEXT for text, winipc's own for bytes. */
export function defaultFormat(value: DdeValue): number {
  return typeof value === "string" ? CF_TEXT : ddeBytesFormat();
}

/**
 * The bytes of `value` in `format`.
 * @throws {RangeError} text in a format that is not a text format, or that cannot hold it.
 */
export function encodeValue(value: DdeValue, format: number): Uint8Array {
  if (typeof value !== "string") {
    if (format !== ddeBytesFormat()) return value;
    // winipc's own format carries its length: a block may be larger than what was put in it.
    const out = new Uint8Array(4 + value.length);
    new DataView(out.buffer).setUint32(0, value.length, true);
    out.set(value, 4);
    return out;
  }
  if (!isTextFormat(format)) {
    throw new RangeError(`text needs CF_TEXT (1) or CF_UNICODETEXT (13), not format ${format}`);
  }
  return encodeTextValue(value, format);
}

/**
 * A received value's bytes: in winipc's bytes format, the length-prefixed bytes (the length
 * checked against what arrived); in any other format, as they are.
 * @throws {ProtocolError} a winipc bytes value whose length does not fit.
 */
export function decodeBytesValue(bytes: Uint8Array, format: number): Uint8Array {
  if (format !== ddeBytesFormat()) return bytes;
  if (bytes.length < 4) throw new ProtocolError(`a ${DDE_BYTES_FORMAT_NAME} value of ${bytes.length} bytes`);
  const n = new DataView(bytes.buffer, bytes.byteOffset, 4).getUint32(0, true);
  if (n > bytes.length - 4) {
    throw new ProtocolError(`a ${DDE_BYTES_FORMAT_NAME} value claims ${n} bytes of ${bytes.length - 4}`);
  }
  return bytes.subarray(4, 4 + n);
}

/**
 * The text of a value received in CF_TEXT (the default) or CF_UNICODETEXT, up to its NUL.
 * @throws {RangeError} `format` is not a text format.
 */
export function ddeText(bytes: Uint8Array, format: number = CF_TEXT): string {
  return decodeText(bytes, format);
}

/** The text of a value received in a text format. */
export function decodeText(bytes: Uint8Array, format: number): string {
  if (!isTextFormat(format)) {
    throw new RangeError(`format ${format} is not a text format: read the value as bytes`);
  }
  return decodeTextValue(bytes, format);
}
