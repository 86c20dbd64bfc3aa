/** CRC-32 (src/core/crc32.ts): the IEEE 802.3 / zlib checksum. */
import { crc32 } from "../../src/core/crc32.ts";
import { assert, fc, fcParams, test } from "../_support/harness.ts";
import { concat } from "./_util.ts";

const ascii = (s: string) => new TextEncoder().encode(s);
const hex = (n: number) => `0x${n.toString(16).padStart(8, "0")}`;

/** Bit-at-a-time reference: the polynomial division itself, no table. */
function crc32Reference(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xedb88320 & -(c & 1));
  }
  return (c ^ 0xffffffff) >>> 0;
}

test("crc32: known vectors", () => {
  const vectors: [Uint8Array, number][] = [
    [ascii("123456789"), 0xcbf43926], // the standard check value
    [new Uint8Array(0), 0],
    [ascii("a"), 0xe8b7be43],
    [ascii("abc"), 0x352441c2],
    [ascii("The quick brown fox jumps over the lazy dog"), 0x414fa339],
    [new Uint8Array(32), 0x190a55ad],
    [new Uint8Array(32).fill(0xff), 0xff6cab0b],
  ];
  for (const [bytes, want] of vectors) {
    const got = crc32(bytes);
    assert(got === want, `crc32 of ${bytes.length} bytes: ${hex(got)}, expected ${hex(want)}`);
  }
});

test("crc32: equals the bitwise reference on any bytes, as an unsigned 32-bit integer", () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 2000 }), (bytes) => {
      const got = crc32(bytes);
      assert(Number.isInteger(got) && got >= 0 && got <= 0xffffffff, `not a u32: ${got}`);
      assert(got === crc32Reference(bytes), `${hex(got)} vs reference ${hex(crc32Reference(bytes))}`);
    }),
    fcParams(),
  );
});

test("crc32: data followed by its CRC (little-endian) always leaves the residue 0x2144df1c", () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 500 }), (bytes) => {
      const trailer = new Uint8Array(4);
      new DataView(trailer.buffer).setUint32(0, crc32(bytes), true);
      const residue = crc32(concat([bytes, trailer]));
      assert(residue === 0x2144df1c, `residue ${hex(residue)}`);
    }),
    fcParams(),
  );
});

test("crc32: any single-bit error is detected", () => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 1, maxLength: 500 }), fc.nat(), (bytes, at) => {
      const bit = at % (bytes.length * 8);
      const damaged = bytes.slice();
      damaged[bit >> 3] ^= 1 << (bit & 7);
      assert(crc32(damaged) !== crc32(bytes), `flipping bit ${bit} went unnoticed`);
    }),
    fcParams(),
  );
});

test("crc32: reads only the view's bytes of a larger buffer", () => {
  const backing = ascii("xx123456789yy");
  assert(crc32(backing.subarray(2, 11)) === 0xcbf43926, "subarray");
});
