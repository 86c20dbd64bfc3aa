/**
 * Length-prefixed framing (src/core/framing.ts): messages survive any chunking of the stream, and
 * an untrusted header above the limit is refused as soon as the header is read.
 */
import { MessageTooLargeError } from "../../src/core/errors.ts";
import { encodeFrame, FRAME_HEADER_SIZE, FrameDecoder } from "../../src/core/framing.ts";
import { assert, bytesEqual, fc, fcParams, test } from "../_support/harness.ts";
import { concat, cutInto, cutsArb } from "./_util.ts";

test("encodeFrame: a 4-byte little-endian length, then the payload", () => {
  const frame = encodeFrame(new Uint8Array([1, 2, 3]));
  assert(FRAME_HEADER_SIZE === 4, "header size");
  assert(bytesEqual(frame, new Uint8Array([3, 0, 0, 0, 1, 2, 3])), `got ${frame}`);
  assert(bytesEqual(encodeFrame(new Uint8Array(0)), new Uint8Array(4)), "empty message");
  const big = encodeFrame(new Uint8Array(0x10203));
  assert(bytesEqual(big.subarray(0, 4), new Uint8Array([3, 2, 1, 0])), "length byte order");
});

test("encodeFrame: a view into a larger buffer frames only the view's bytes", () => {
  const backing = new Uint8Array([9, 9, 5, 6, 9]);
  const frame = encodeFrame(backing.subarray(2, 4));
  assert(bytesEqual(frame, new Uint8Array([2, 0, 0, 0, 5, 6])), `got ${frame}`);
});

test("FrameDecoder: any messages, cut into any chunks, decode to the same messages", () => {
  fc.assert(
    fc.property(
      fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 20 }),
      cutsArb(),
      (messages, cuts) => {
        const stream = concat(messages.map(encodeFrame));
        const decoder = new FrameDecoder(300);
        const out: Uint8Array[] = [];
        for (const chunk of cutInto(stream, cuts)) {
          decoder.push(chunk);
          for (let m = decoder.next(); m; m = decoder.next()) out.push(m);
        }
        assert(out.length === messages.length, `${out.length} of ${messages.length} messages`);
        messages.forEach((m, i) => assert(bytesEqual(m, out[i]), `message ${i} differs`));
        assert(decoder.buffered === 0, `${decoder.buffered} bytes left over`);
        assert(decoder.next() === undefined, "no message after the last");
      },
    ),
    fcParams(),
  );
});

test("FrameDecoder: buffered counts the bytes of the incomplete frame", () => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 1, maxLength: 200 }), fc.nat(), (message, at) => {
      const frame = encodeFrame(message);
      const cut = at % frame.length; // strictly inside the frame
      const decoder = new FrameDecoder(1000);
      decoder.push(frame.subarray(0, cut));
      assert(decoder.next() === undefined, "no message from part of a frame");
      const held = cut < FRAME_HEADER_SIZE ? cut : cut - FRAME_HEADER_SIZE;
      assert(decoder.buffered === held, `buffered ${decoder.buffered}, expected ${held}`);
      decoder.push(frame.subarray(cut));
      const m = decoder.next();
      assert(m !== undefined && bytesEqual(m, message), "the whole message once the rest arrives");
    }),
    fcParams(),
  );
});

test("FrameDecoder: atFrameStart only between frames, also once a header is taken and no payload is held", () => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 1, maxLength: 200 }), fc.nat(), (message, at) => {
      const frame = encodeFrame(message);
      const cut = 1 + (at % (frame.length - 1)); // inside the frame, at least one byte pushed
      const decoder = new FrameDecoder(1000);
      assert(decoder.atFrameStart, "a new decoder is at a frame start");
      decoder.push(frame.subarray(0, cut));
      assert(decoder.next() === undefined, "no message from part of a frame");
      assert(!decoder.atFrameStart, `not at a frame start after ${cut} of ${frame.length} bytes`);
      decoder.push(frame.subarray(cut));
      assert(decoder.next() !== undefined && decoder.atFrameStart, "at a frame start after the message");
    }),
    fcParams(),
  );
  const decoder = new FrameDecoder(1000);
  decoder.push(encodeFrame(new Uint8Array(10)).subarray(0, FRAME_HEADER_SIZE));
  assert(decoder.next() === undefined, "header alone: no message");
  assert(decoder.buffered === 0 && !decoder.atFrameStart, "header taken, nothing held: mid-frame");
});

test("FrameDecoder: the decoder copies pushed bytes (the caller may reuse its buffer)", () => {
  const decoder = new FrameDecoder(10);
  const buf = encodeFrame(new Uint8Array([7, 8]));
  decoder.push(buf);
  buf.fill(0);
  const m = decoder.next();
  assert(m !== undefined && bytesEqual(m, new Uint8Array([7, 8])), `got ${m}`);
});

test("FrameDecoder: a header over the limit throws MessageTooLargeError from the 4 header bytes alone", () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: 1 << 20 }),
      fc.integer({ min: 1, max: 0xffffffff }),
      (limit, excess) => {
        const length = Math.min(0xffffffff, limit + excess);
        const header = new Uint8Array(4);
        new DataView(header.buffer).setUint32(0, length, true);
        const decoder = new FrameDecoder(limit);
        decoder.push(header); // no payload at all: the decoder must not wait for (or allocate) it
        let err: unknown;
        try {
          decoder.next();
        } catch (e) {
          err = e;
        }
        assert(err instanceof MessageTooLargeError, `expected MessageTooLargeError, got ${err}`);
        assert(err.size === length && err.limit === limit, `size ${err.size} limit ${err.limit}`);
      },
    ),
    fcParams(),
  );
});

test("FrameDecoder: a message of exactly the limit is accepted, one byte more is refused", () => {
  const ok = new FrameDecoder(5);
  ok.push(encodeFrame(new Uint8Array(5)));
  assert(ok.next()?.length === 5, "a message at the limit");
  const over = new FrameDecoder(5);
  over.push(encodeFrame(new Uint8Array(6)));
  let err: unknown;
  try {
    over.next();
  } catch (e) {
    err = e;
  }
  assert(err instanceof MessageTooLargeError && err.size === 6 && err.limit === 5, `got ${err}`);
  const zero = new FrameDecoder(0);
  zero.push(new Uint8Array(8));
  assert(zero.next()?.length === 0 && zero.next()?.length === 0, "limit 0 still carries empty messages");
});

test("FrameDecoder: pushing an empty chunk changes nothing", () => {
  const decoder = new FrameDecoder(10);
  decoder.push(new Uint8Array(0));
  assert(decoder.buffered === 0 && decoder.next() === undefined, "still empty");
});

test("FrameDecoder: a refused frame's payload is skipped as it arrives; the frames after it decode (any chunking)", () => {
  const LIMIT = 64;
  fc.assert(
    fc.property(
      fc.array(
        fc.oneof(
          fc.uint8Array({ maxLength: LIMIT }).map((m) => ({ ok: true, m })),
          fc.integer({ min: LIMIT + 1, max: 300 }).map((n) => ({
            ok: false,
            m: new Uint8Array(n).fill(0xee),
          })),
        ),
        { maxLength: 12 },
      ),
      cutsArb(),
      (frames, cuts) => {
        const decoder = new FrameDecoder(LIMIT);
        const got: (Uint8Array | number)[] = [];
        for (const chunk of cutInto(concat(frames.map((f) => encodeFrame(f.m))), cuts)) {
          decoder.push(chunk);
          while (true) {
            try {
              const m = decoder.next();
              if (!m) break;
              got.push(m);
            } catch (e) {
              assert(e instanceof MessageTooLargeError, `got ${e}`);
              got.push(e.size);
            }
            assert(decoder.buffered <= 4 + LIMIT + chunk.length, "never more held than a chunk and a frame");
          }
        }
        assert(got.length === frames.length, `${got.length} outcomes for ${frames.length} frames`);
        frames.forEach((f, i) => {
          const g = got[i];
          if (f.ok) assert(g instanceof Uint8Array && bytesEqual(g, f.m), `frame ${i} decoded`);
          else assert(g === f.m.length, `frame ${i} refused with its size, got ${g}`);
        });
        assert(decoder.atFrameStart, "at a frame start after the last frame");
      },
    ),
    fcParams(),
  );
});
