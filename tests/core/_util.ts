/** Small pure helpers for the Linux test tier (tests/core). @module */
import { fc } from "../_support/harness.ts";

/** Chunk sizes for {@link cutInto}: some may be 0 (an empty read), never all. */
export const cutsArb = (max = 97): fc.Arbitrary<number[]> =>
  fc.array(fc.integer({ min: 0, max }), { minLength: 1, maxLength: 30 }).filter((cs) =>
    cs.some((c) => c > 0)
  );

/** The chunks of `bytes` cut at sizes taken in turn from `cuts` (a 0 yields an empty chunk). */
export function* cutInto(bytes: Uint8Array, cuts: number[]): Generator<Uint8Array> {
  if (!cuts.some((c) => c > 0)) throw new RangeError("cutInto needs a chunk size above 0");
  let pos = 0;
  for (let i = 0; pos < bytes.length; i++) {
    const n = cuts[i % cuts.length];
    yield bytes.subarray(pos, pos + n);
    pos += n;
  }
}

/** One buffer holding `parts` in order. */
export function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** The error `fn` throws (or the rejection of the promise it returns); fails if there is none. */
export async function caught(fn: () => unknown): Promise<unknown> {
  try {
    await fn();
  } catch (e) {
    return e;
  }
  throw new Error("expected an error, none was thrown");
}

/** The error `fn` throws synchronously; fails if there is none. */
export function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  throw new Error("expected an error, none was thrown");
}

/**
 * Well-formed Unicode strings of any code points (astral ones included, no lone surrogates);
 * `noNul` leaves out U+0000. Faster than fast-check's `unit: "binary"` strings.
 */
export const unicodeString = (
  opts: { minLength?: number; maxLength?: number; noNul?: boolean } = {},
): fc.Arbitrary<string> =>
  fc.array(
    fc.oneof(
      fc.integer({ min: opts.noNul ? 1 : 0, max: 0x7f }),
      fc.integer({ min: opts.noNul ? 1 : 0, max: 0x10ffff - 0x800 }).map((c) => c >= 0xd800 ? c + 0x800 : c),
    ),
    { minLength: opts.minLength, maxLength: opts.maxLength ?? 40 },
  ).map((cps) => String.fromCodePoint(...cps));
