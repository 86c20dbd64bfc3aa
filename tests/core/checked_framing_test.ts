/**
 * Checked frames for noisy links (src/core/checked_framing.ts): round trip under any chunking,
 * resynchronisation after noise and damage, and corrupted headers that never make the decoder
 * wait for (or allocate) more than its limit.
 */
import {
  CHECKED_HEADER,
  CHECKED_TRAILER,
  CheckedFrameDecoder,
  encodeCheckedFrame,
} from "../../src/core/checked_framing.ts";
import { assert, bytesEqual, fc, fcParams, test } from "../_support/harness.ts";
import { concat, cutInto, cutsArb } from "./_util.ts";

const MAX = 1024;

/** Feeds `stream` in `cuts`-sized chunks and collects every message. */
function decodeAll(decoder: CheckedFrameDecoder, stream: Uint8Array, cuts: number[]): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const chunk of cutInto(stream, cuts)) {
    decoder.push(chunk);
    for (let m = decoder.next(); m; m = decoder.next()) out.push(m);
  }
  return out;
}

/** True if `noise` holds a sync pattern followed by a header that would pass the length checks. */
function holdsPlausibleHeader(noise: Uint8Array, max: number): boolean {
  const v = new DataView(noise.buffer, noise.byteOffset, noise.byteLength);
  for (let i = 0; i + CHECKED_HEADER <= noise.length; i++) {
    if (noise[i] !== 0xa5 || noise[i + 1] !== 0x5a) continue;
    const len = v.getUint32(i + 2, true);
    if (len <= max && (~len >>> 0) === v.getUint32(i + 6, true)) return true;
  }
  return false;
}

/** True if `needle` occurs in `hay`. */
function includesBytes(hay: Uint8Array, needle: Uint8Array): boolean {
  outer: for (let i = 0; i + needle.length <= hay.length; i++) {
    for (let j = 0; j < needle.length; j++) if (hay[i + j] !== needle[j]) continue outer;
    return true;
  }
  return false;
}

/** Noise that could contain sync bytes, but no header a decoder would believe. */
const noiseArb = fc.oneof(
  fc.uint8Array({ maxLength: 64 }),
  // Sync patterns and their halves, mixed with anything: the decoder must skip them too.
  fc.array(
    fc.oneof(fc.constant([0xa5]), fc.constant([0x5a]), fc.constant([0xa5, 0x5a]), fc.array(fc.nat(255))),
    { maxLength: 12 },
  ).map((parts) => new Uint8Array(parts.flat())),
).filter((n) => !holdsPlausibleHeader(n, MAX));

test("encodeCheckedFrame: A5 5A, length, inverted length, payload, CRC-32 little-endian", () => {
  const payload = new TextEncoder().encode("123456789");
  const frame = encodeCheckedFrame(payload);
  assert(CHECKED_HEADER === 10 && CHECKED_TRAILER === 4, "sizes");
  assert(frame.length === 10 + 9 + 4, `length ${frame.length}`);
  assert(
    bytesEqual(frame.subarray(0, 10), new Uint8Array([0xa5, 0x5a, 9, 0, 0, 0, 0xf6, 0xff, 0xff, 0xff])),
    `header ${frame.subarray(0, 10)}`,
  );
  assert(bytesEqual(frame.subarray(10, 19), payload), "payload");
  assert(bytesEqual(frame.subarray(19), new Uint8Array([0x26, 0x39, 0xf4, 0xcb])), "crc32 0xcbf43926 LE");
  const empty = encodeCheckedFrame(new Uint8Array(0));
  assert(
    bytesEqual(empty, new Uint8Array([0xa5, 0x5a, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0])),
    `empty frame ${empty}`,
  );
});

test("checked frames: any messages, cut into any chunks, decode to the same messages, nothing skipped", () => {
  fc.assert(
    fc.property(
      fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 20 }),
      cutsArb(),
      (messages, cuts) => {
        const decoder = new CheckedFrameDecoder(MAX);
        const out = decodeAll(decoder, concat(messages.map(encodeCheckedFrame)), cuts);
        assert(out.length === messages.length, `${out.length} of ${messages.length} messages`);
        messages.forEach((m, i) => assert(bytesEqual(m, out[i]), `message ${i} differs`));
        assert(decoder.skipped === 0, `${decoder.skipped} bytes skipped on a clean stream`);
      },
    ),
    fcParams(),
  );
});

test("checked frames: noise between frames is skipped and counted; every frame still arrives", () => {
  fc.assert(
    fc.property(
      fc.array(fc.tuple(noiseArb, fc.uint8Array({ maxLength: 200 })), { maxLength: 12 }),
      cutsArb(),
      (pairs, cuts) => {
        const stream = concat(pairs.flatMap(([noise, m]) => [noise, encodeCheckedFrame(m)]));
        const decoder = new CheckedFrameDecoder(MAX);
        const out = decodeAll(decoder, stream, cuts);
        assert(out.length === pairs.length, `${out.length} of ${pairs.length} messages`);
        pairs.forEach(([, m], i) => assert(bytesEqual(m, out[i]), `message ${i} differs`));
        const noise = pairs.reduce((n, [x]) => n + x.length, 0);
        assert(decoder.skipped === noise, `skipped ${decoder.skipped}, noise was ${noise}`);
      },
    ),
    fcParams(),
  );
});

test("checked frames: a damaged frame is dropped, and the decoder resynchronises on the next one", () => {
  fc.assert(
    fc.property(
      fc.uint8Array({ maxLength: 200 }),
      fc.uint8Array({ maxLength: 200 }),
      fc.nat(),
      fc.integer({ min: 1, max: 255 }),
      cutsArb(),
      (first, second, at, flip, cuts) => {
        const damaged = encodeCheckedFrame(first);
        const i = at % damaged.length;
        damaged[i] ^= flip; // any byte: sync, length, inverted length, payload or CRC
        // Random payload bytes could hold a header of their own that claims the frames after it.
        fc.pre(!holdsPlausibleHeader(first, MAX));
        const decoder = new CheckedFrameDecoder(MAX);
        const goods = Array.from({ length: 10 }, () => encodeCheckedFrame(second));
        const out = decodeAll(decoder, concat([damaged, ...goods]), cuts);
        assert(
          out.length === goods.length,
          `${out.length} of ${goods.length} good frames after the damaged one`,
        );
        for (const m of out) assert(bytesEqual(m, second), "only the good frames' payload comes out");
        assert(decoder.skipped >= 1, "the damage is counted");
      },
    ),
    fcParams(),
  );
});

test("checked frames: a corrupted header claiming more than the limit is skipped at once", () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: 1 << 16 }),
      fc.integer({ min: 1, max: 0xffffffff }),
      fc.uint8Array({ maxLength: 100 }),
      (limit, excess, payload) => {
        const claimed = Math.min(0xffffffff, limit + excess);
        const bogus = new Uint8Array(CHECKED_HEADER);
        const v = new DataView(bogus.buffer);
        bogus.set([0xa5, 0x5a]);
        v.setUint32(2, claimed, true);
        v.setUint32(6, ~claimed >>> 0, true); // consistent, so only the limit can refuse it
        const decoder = new CheckedFrameDecoder(limit);
        decoder.push(bogus);
        assert(decoder.next() === undefined, "no message from a bare header");
        // A frame right after it arrives without waiting for `claimed` bytes.
        const m = payload.subarray(0, Math.min(payload.length, limit));
        decoder.push(encodeCheckedFrame(m));
        const got = decoder.next();
        assert(got !== undefined && bytesEqual(got, m), "the next frame is found at once");
        // The header's 10 bytes are dropped as noise (bytes inside it that look like a sync pattern
        // can only be checked once the next bytes arrive), and nothing of the frame.
        assert(
          decoder.skipped === CHECKED_HEADER,
          `skipped ${decoder.skipped}, expected the 10 header bytes`,
        );
      },
    ),
    fcParams(),
  );
});

test("checked frames: garbage never throws, never yields more than the limit, only CRC-valid payloads", () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: 64 }),
      fc.array(
        fc.oneof(
          fc.uint8Array({ maxLength: 80 }),
          // Plausible headers with any length, and real frames with damaged CRCs.
          fc.nat().map((len) => {
            const h = new Uint8Array(CHECKED_HEADER);
            h.set([0xa5, 0x5a]);
            new DataView(h.buffer).setUint32(2, len, true);
            new DataView(h.buffer).setUint32(6, ~len >>> 0, true);
            return h;
          }),
          fc.uint8Array({ maxLength: 64 }).map((p) => {
            const f = encodeCheckedFrame(p);
            f[f.length - 1] ^= 0x80;
            return f;
          }),
        ),
        { maxLength: 30 },
      ),
      (limit, parts) => {
        const decoder = new CheckedFrameDecoder(limit);
        const stream = concat(parts);
        for (const part of parts) {
          decoder.push(part);
          for (let m = decoder.next(); m; m = decoder.next()) {
            assert(m.length <= limit, `a ${m.length}-byte message over the limit ${limit}`);
            // Garbage can hold a valid frame by chance; what comes out must be one, whole and checked.
            assert(includesBytes(stream, encodeCheckedFrame(m)), "a message that was not a valid frame");
          }
        }
      },
    ),
    fcParams(),
  );
});

test("checked frames: a lone sync byte at the end of a chunk is kept until the next chunk", () => {
  const frame = encodeCheckedFrame(new Uint8Array([1, 2, 3]));
  const decoder = new CheckedFrameDecoder(MAX);
  decoder.push(new Uint8Array([0x00, 0x11, frame[0]]));
  assert(decoder.next() === undefined && decoder.skipped === 2, `skipped ${decoder.skipped}`);
  decoder.push(frame.subarray(1));
  const m = decoder.next();
  assert(m !== undefined && bytesEqual(m, new Uint8Array([1, 2, 3])), "frame split after its first byte");
  assert(decoder.skipped === 2, "nothing more skipped");
});
