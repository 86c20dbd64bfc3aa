/**
 * The framings winipc puts on byte streams, for peers that are not winipc: a 4-byte
 * little-endian length prefix, and CRC-checked frames that resynchronise after noise.
 * @module
 */
export { encodeFrame, FrameDecoder } from "./core/framing.ts";
export { CheckedFrameDecoder, encodeCheckedFrame } from "./core/checked_framing.ts";
export { crc32 } from "./core/crc32.ts";
