/**
 * Frames for noisy byte links (serial lines): a sync pattern, the length twice (plain and
 * inverted, so random noise is not taken for a header), the payload, and a CRC-32 of the payload.
 * The decoder skips anything that is not a valid frame, counts the bytes it skipped, and finds
 * the next frame; a corrupted header can never make it allocate or wait for more than
 * `maxMessageSize` bytes.
 *
 *   A5 5A | length u32 LE | ~length u32 LE | payload | crc32(payload) u32 LE
 * @module
 */
import { crc32 } from "./crc32.ts";

const SYNC0 = 0xa5;
const SYNC1 = 0x5a;
/** Bytes before a checked frame's payload: the sync pattern and the length twice. */
export const CHECKED_HEADER = 10;
/** Bytes after a checked frame's payload: its CRC-32. */
export const CHECKED_TRAILER = 4;

/** One message as a checked frame. */
export function encodeCheckedFrame(payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(CHECKED_HEADER + payload.length + CHECKED_TRAILER);
  const v = new DataView(out.buffer);
  out[0] = SYNC0;
  out[1] = SYNC1;
  v.setUint32(2, payload.length, true);
  v.setUint32(6, ~payload.length >>> 0, true);
  out.set(payload, CHECKED_HEADER);
  v.setUint32(CHECKED_HEADER + payload.length, crc32(payload), true);
  return out;
}

/**
 * Finds checked frames in a byte stream, skipping noise.
 *
 * @example
 * ```ts
 * import { CheckedFrameDecoder, encodeCheckedFrame } from "@winipc/winipc/framing";
 *
 * const decoder = new CheckedFrameDecoder(1024);
 * decoder.push(new Uint8Array([0x00, 0xff])); // line noise
 * decoder.push(encodeCheckedFrame(new Uint8Array([1, 2, 3])));
 * console.log(decoder.next(), decoder.skipped); // Uint8Array [1, 2, 3], 2
 * ```
 */
export class CheckedFrameDecoder {
  #buf = new Uint8Array(0);
  /** Bytes skipped as not belonging to a valid frame, in total. */
  skipped = 0;

  /** The largest payload accepted, in bytes. */
  readonly maxMessageSize: number;
  /** A decoder that takes a header claiming more than `maxMessageSize` bytes for noise. */
  constructor(
    maxMessageSize: number,
  ) {
    this.maxMessageSize = maxMessageSize;
  }

  /** Adds bytes read from the stream. */
  push(chunk: Uint8Array): void {
    const next = new Uint8Array(this.#buf.length + chunk.length);
    next.set(this.#buf);
    next.set(chunk, this.#buf.length);
    this.#buf = next;
  }

  #drop(n: number): void {
    this.skipped += n;
    this.#buf = this.#buf.subarray(n);
  }

  /** The next valid message, or undefined until more bytes arrive. */
  next(): Uint8Array | undefined {
    while (true) {
      // Skip to a sync pattern (or a lone first sync byte at the very end).
      const b = this.#buf;
      let i = 0;
      while (i < b.length && !(b[i] === SYNC0 && (i + 1 === b.length || b[i + 1] === SYNC1))) i++;
      if (i > 0) this.#drop(i);
      const f = this.#buf;
      if (f.length < CHECKED_HEADER) return undefined;
      const v = new DataView(f.buffer, f.byteOffset, f.byteLength);
      const len = v.getUint32(2, true);
      if ((~len >>> 0) !== v.getUint32(6, true) || len > this.maxMessageSize) {
        this.#drop(1); // not a header: look for the next sync
        continue;
      }
      const total = CHECKED_HEADER + len + CHECKED_TRAILER;
      if (f.length < total) return undefined;
      const payload = f.slice(CHECKED_HEADER, CHECKED_HEADER + len);
      if (crc32(payload) !== v.getUint32(CHECKED_HEADER + len, true)) {
        this.#drop(1); // damaged: resynchronise from the next byte
        continue;
      }
      this.#buf = f.subarray(total);
      return payload;
    }
  }
}
