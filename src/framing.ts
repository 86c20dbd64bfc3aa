/**
 * The framings winipc puts on byte streams, for peers that are not winipc: a 4-byte
 * little-endian length prefix ({@link encodeFrame}, {@link FrameDecoder}: pipes in byte mode,
 * sockets, child pipes), and CRC-checked frames that resynchronise after noise
 * ({@link encodeCheckedFrame}, {@link CheckedFrameDecoder}: serial lines).
 *
 * ```ts
 * import { encodeFrame, FrameDecoder } from "@winipc/winipc/framing";
 *
 * const decoder = new FrameDecoder(1024);
 * decoder.push(encodeFrame(new Uint8Array([1, 2, 3])));
 * console.log(decoder.next()); // Uint8Array [1, 2, 3]
 * ```
 * @module
 */
export { encodeFrame, FRAME_HEADER_SIZE, FrameDecoder } from "./core/framing.ts";
export {
  CHECKED_HEADER,
  CHECKED_TRAILER,
  CheckedFrameDecoder,
  encodeCheckedFrame,
} from "./core/checked_framing.ts";
export { crc32 } from "./core/crc32.ts";
