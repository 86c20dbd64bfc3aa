/** GUIDs (UUIDs): text ("{00020400-0000-0000-C000-000000000046}") and the 16 bytes COM and RPC use. Pure. @module */

const pattern = /^\{?([0-9a-f]{8})-([0-9a-f]{4})-([0-9a-f]{4})-([0-9a-f]{4})-([0-9a-f]{12})\}?$/i;

/** Whether `s` is a GUID in text form (braces optional). */
export function isGuid(s: string): boolean {
  return pattern.test(s);
}

/**
 * The 16 bytes of GUID `s` as COM lays them out (Data1-3 little-endian, Data4 as written).
 * @throws {RangeError} `s` is not a GUID.
 */
export function parseGuid(s: string): Uint8Array {
  const m = pattern.exec(s);
  if (!m) throw new RangeError(`winipc: not a GUID: ${JSON.stringify(s)}`);
  const b = new Uint8Array(16);
  const v = new DataView(b.buffer);
  v.setUint32(0, parseInt(m[1], 16), true);
  v.setUint16(4, parseInt(m[2], 16), true);
  v.setUint16(6, parseInt(m[3], 16), true);
  const rest = m[4] + m[5];
  for (let i = 0; i < 8; i++) b[8 + i] = parseInt(rest.slice(2 * i, 2 * i + 2), 16);
  return b;
}

/** GUID bytes as text, upper case in braces (as the registry writes them). */
export function formatGuid(b: Uint8Array): string {
  if (b.length !== 16) throw new RangeError("winipc: a GUID is 16 bytes");
  const v = new DataView(b.buffer, b.byteOffset, 16);
  const h = (n: number, w: number) => n.toString(16).padStart(w, "0");
  const tail = Array.from(b.subarray(8), (x) => h(x, 2)).join("");
  return `{${h(v.getUint32(0, true), 8)}-${h(v.getUint16(4, true), 4)}-${h(v.getUint16(6, true), 4)}-${
    tail.slice(0, 4)
  }-${tail.slice(4)}}`.toUpperCase();
}

/** A new random (version 4) GUID, in text form. */
export function newGuid(): string {
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[7] = (b[7] & 0x0f) | 0x40; // version 4 (Data3's high nibble; Data3 is little-endian)
  b[8] = (b[8] & 0x3f) | 0x80; // variant 1
  return formatGuid(b);
}

/** IID_IUnknown. */
export const IID_IUnknown = "{00000000-0000-0000-C000-000000000046}";
/** IID_IDispatch. */
export const IID_IDispatch = "{00020400-0000-0000-C000-000000000046}";
