/** UTF-16 strings as the W (wide) Win32 functions take and return them; pure. @module */

/** A NUL-terminated UTF-16LE copy of `s`, to pass as LPCWSTR. */
export function wstr(s: string): Uint16Array {
  const out = new Uint16Array(s.length + 1);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

/** Decodes UTF-16 code units up to the first NUL (or the end). */
export function fromWstr(units: Uint16Array): string {
  let end = units.indexOf(0);
  if (end < 0) end = units.length;
  let s = "";
  for (let i = 0; i < end; i += 4096) {
    s += String.fromCharCode(...units.subarray(i, Math.min(end, i + 4096)));
  }
  return s;
}
