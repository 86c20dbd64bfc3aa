/**
 * Pure codecs for clipboard formats whose bytes carry offsets: "HTML Format" and CF_HDROP
 * (DROPFILES). Every offset read from an entry is untrusted and checked before use.
 * @module
 */
import { WinipcError } from "../../core/errors.ts";
import { fromWstr } from "../../core/utf16.ts";

const pad10 = (n: number) => String(n).padStart(10, "0");

/** The "HTML Format" bytes for a fragment: a header of byte offsets, then the HTML (UTF-8). */
export function encodeHtmlFormat(fragment: string): Uint8Array {
  const enc = new TextEncoder();
  const pre = "<html><body>\r\n<!--StartFragment-->";
  const post = "<!--EndFragment-->\r\n</body></html>";
  const header = (a: number, b: number, c: number, d: number) =>
    `Version:0.9\r\nStartHTML:${pad10(a)}\r\nEndHTML:${pad10(b)}\r\nStartFragment:${
      pad10(c)
    }\r\nEndFragment:${pad10(d)}\r\n`;
  const headerLength = enc.encode(header(0, 0, 0, 0)).length;
  const frag = enc.encode(fragment);
  const startHtml = headerLength;
  const startFrag = startHtml + enc.encode(pre).length;
  const endFrag = startFrag + frag.length;
  const endHtml = endFrag + enc.encode(post).length;
  return enc.encode(header(startHtml, endHtml, startFrag, endFrag) + pre + fragment + post);
}

/** The fragment of "HTML Format" bytes; the offsets are untrusted and checked. */
export function decodeHtmlFormat(bytes: Uint8Array): string {
  const head = new TextDecoder().decode(bytes.subarray(0, Math.min(bytes.length, 1024)));
  const num = (key: string) => {
    const m = new RegExp(`${key}:(-?\\d+)`).exec(head);
    return m ? Number(m[1]) : NaN;
  };
  let end = bytes.indexOf(0);
  if (end < 0) end = bytes.length;
  const start = num("StartFragment");
  const stop = num("EndFragment");
  if (!(start >= 0 && stop >= start && stop <= end)) throw new WinipcError("malformed HTML Format header");
  return new TextDecoder().decode(bytes.subarray(start, stop));
}

/** The paths in a DROPFILES block; offsets untrusted and checked. */
export function decodeDropFiles(bytes: Uint8Array): string[] {
  if (bytes.length < 20) throw new WinipcError("CF_HDROP entry too short");
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const offset = v.getUint32(0, true); // DROPFILES.pFiles
  const wide = v.getInt32(16, true) !== 0; // DROPFILES.fWide
  if (offset < 20 || offset > bytes.length) throw new WinipcError("CF_HDROP file list offset out of range");
  const files: string[] = [];
  if (wide) {
    const units = new Uint16Array(bytes.slice(offset, offset + ((bytes.length - offset) & ~1)).buffer);
    let start = 0;
    for (let i = 0; i < units.length; i++) {
      if (units[i] !== 0) continue;
      if (i === start) break; // the empty string ends the list
      files.push(fromWstr(units.subarray(start, i)));
      start = i + 1;
    }
  } else {
    const text = new TextDecoder("latin1").decode(bytes.subarray(offset));
    for (const f of text.split("\0")) {
      if (!f) break;
      files.push(f);
    }
  }
  return files;
}
