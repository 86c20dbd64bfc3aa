/** Byte helpers and vectors shared by the RPC codec tests (tests/core/rpc_*_test.ts). @module */

/** Bytes as hex pairs, for failure messages. */
export const hex = (b: Uint8Array): string => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join(" ");
/** A 16-bit value's little-endian bytes. */
export const le16 = (v: number): number[] => [v & 255, v >> 8];
/** A 32-bit value's little-endian bytes. */
export const le32 = (v: number): number[] => [v & 255, (v >>> 8) & 255, (v >>> 16) & 255, v >>> 24];
/** The NDR transfer syntax UUID 8a885d04-1ceb-11c9-9fe8-08002b104860 as it travels (Windows GUID layout). */
export const NDR_UUID_BYTES: number[] = [
  0x04,
  0x5d,
  0x88,
  0x8a,
  0xeb,
  0x1c,
  0xc9,
  0x11,
  0x9f,
  0xe8,
  0x08,
  0x00,
  0x2b,
  0x10,
  0x48,
  0x60,
];

/** Deep equality that tells NaN, -0 and bigints apart. */
export function same(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => same(x, b[i]));
  if (a && b && typeof a === "object" && typeof b === "object" && !Array.isArray(a) && !Array.isArray(b)) {
    const ka = Object.keys(a), kb = Object.keys(b);
    const ra = a as Record<string, unknown>, rb = b as Record<string, unknown>;
    return ka.length === kb.length && ka.every((k) => same(ra[k], rb[k]));
  }
  return false;
}
