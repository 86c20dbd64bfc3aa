/**
 * Length-prefixed framing for byte-stream transports: each message is a 4-byte little-endian
 * length followed by that many bytes. The length is untrusted: a header above the receiver's
 * limit is refused before anything is allocated.
 * @module
 */
import { MessageTooLargeError } from "./errors.ts";

/** Bytes before each message: its length, u32 little-endian. */
export const FRAME_HEADER_SIZE = 4;

/**
 * The frame for one message: header and payload in one buffer (one write).
 *
 * @example
 * ```ts
 * import { encodeFrame, FrameDecoder } from "@winipc/winipc/framing";
 *
 * const frame = encodeFrame(new TextEncoder().encode("hi")); // 02 00 00 00 68 69
 * const decoder = new FrameDecoder(1024);
 * decoder.push(frame.subarray(0, 3)); // bytes arrive in any pieces
 * decoder.push(frame.subarray(3));
 * console.log(new TextDecoder().decode(decoder.next())); // "hi"
 * ```
 */
export function encodeFrame(message: Uint8Array): Uint8Array {
  const out = new Uint8Array(FRAME_HEADER_SIZE + message.byteLength);
  new DataView(out.buffer).setUint32(0, message.byteLength, true);
  out.set(message, FRAME_HEADER_SIZE);
  return out;
}

/**
 * Reassembles messages from arbitrarily chunked stream bytes (see {@link encodeFrame} for an
 * example). {@link FrameDecoder.next} throws MessageTooLargeError for a header above
 * `maxMessageSize`, then skips that frame's payload as it arrives (never holding it) and goes on
 * with the frame after it.
 */
export class FrameDecoder {
  #chunks: Uint8Array[] = [];
  #buffered = 0;
  #need = -1; // payload length of the frame in progress, -1 while its header is incomplete
  #skip = 0; // payload bytes of a refused frame still to discard

  /** The largest message accepted, in bytes. */
  readonly maxMessageSize: number;
  /** A decoder that refuses messages over `maxMessageSize` bytes. */
  constructor(
    maxMessageSize: number,
  ) {
    this.maxMessageSize = maxMessageSize;
  }

  /** Bytes held that do not yet form a whole message. */
  get buffered(): number {
    return this.#buffered;
  }

  /** True between frames: no bytes held and no frame begun (its header not yet taken). */
  get atFrameStart(): boolean {
    return this.#buffered === 0 && this.#need < 0 && this.#skip === 0;
  }

  /** Adds bytes read from the stream (the decoder keeps a copy). */
  push(chunk: Uint8Array): void {
    if (chunk.byteLength === 0) return;
    this.#chunks.push(chunk.slice());
    this.#buffered += chunk.byteLength;
  }

  /**
   * The next whole message, or undefined if more bytes are needed.
   * @throws {MessageTooLargeError} when a header announces more than `maxMessageSize` bytes
   *   (once per such frame; the next call goes on after it).
   */
  next(): Uint8Array | undefined {
    if (this.#skip > 0) {
      const n = Math.min(this.#skip, this.#buffered);
      this.#drop(n);
      this.#skip -= n;
      if (this.#skip > 0) return undefined;
    }
    if (this.#need < 0) {
      if (this.#buffered < FRAME_HEADER_SIZE) return undefined;
      const header = this.#take(FRAME_HEADER_SIZE);
      const length = new DataView(header.buffer, header.byteOffset, 4).getUint32(0, true);
      if (length > this.maxMessageSize) {
        // Refused; its payload is discarded as it arrives (never held whole), and the next frame
        // after it is decoded as usual: one oversized message does not end the stream.
        this.#skip = length;
        throw new MessageTooLargeError(length, this.maxMessageSize);
      }
      this.#need = length;
    }
    if (this.#buffered < this.#need) return undefined;
    const message = this.#take(this.#need);
    this.#need = -1;
    return message;
  }

  /** Discards `n` held bytes (n <= buffered). */
  #drop(n: number): void {
    let left = n;
    while (left > 0) {
      const head = this.#chunks[0];
      if (head.byteLength <= left) {
        left -= head.byteLength;
        this.#chunks.shift();
      } else {
        this.#chunks[0] = head.subarray(left);
        left = 0;
      }
    }
    this.#buffered -= n;
  }

  #take(n: number): Uint8Array {
    const out = new Uint8Array(n);
    let filled = 0;
    while (filled < n) {
      const head = this.#chunks[0];
      const part = Math.min(head.byteLength, n - filled);
      out.set(head.subarray(0, part), filled);
      filled += part;
      if (part === head.byteLength) this.#chunks.shift();
      else this.#chunks[0] = head.subarray(part);
    }
    this.#buffered -= n;
    return out;
  }
}
