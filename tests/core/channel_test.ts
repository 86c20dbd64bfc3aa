/**
 * The shared channel machinery (src/core/channel.ts, framed_channel.ts, one_way.ts) over an
 * in-memory byte stream: message boundaries under any chunking, queued calls, close, timeouts,
 * aborts, size limits, peer close, streams and iteration, and other frame codecs.
 */
import { ChannelBase, DEFAULT_MAX_MESSAGE_SIZE } from "../../src/core/channel.ts";
import { CheckedFrameDecoder, encodeCheckedFrame } from "../../src/core/checked_framing.ts";
import { ChannelClosedError, MessageTooLargeError, TimeoutError } from "../../src/core/errors.ts";
import { type FrameCodec, FramedChannel } from "../../src/core/framed_channel.ts";
import { encodeFrame } from "../../src/core/framing.ts";
import { ReceiveOnlyChannel, SendOnlyChannel } from "../../src/core/one_way.ts";
import { assert, bytesEqual, fc, fcParams, test } from "../_support/harness.ts";
import { BytePipe, memoryStream, streamPair } from "./_memory_stream.ts";
import { caught, cutsArb, thrown } from "./_util.ts";

/** Two framed channels joined by an in-memory link. */
function channelPair(opts: { cutsAB?: number[]; cutsBA?: number[]; max?: number; codec?: FrameCodec } = {}) {
  const [sa, sb] = streamPair(opts.cutsAB, opts.cutsBA);
  const o = { maxMessageSize: opts.max, codec: opts.codec };
  return { a: new FramedChannel("mem:a", sa, o), b: new FramedChannel("mem:b", sb, o), sa, sb };
}

const bytes = (...b: number[]) => new Uint8Array(b);
const tick = () => new Promise((r) => setTimeout(r, 0));

test("FramedChannel: any messages both ways, any chunking: every message whole, in order", async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 15 }),
      fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 15 }),
      cutsArb(),
      cutsArb(),
      async (toB, toA, cutsAB, cutsBA) => {
        const { a, b, sa, sb } = channelPair({ cutsAB, cutsBA, max: 300 });
        // All sends issued at once: the queue keeps their order.
        const sending = Promise.all([...toB.map((m) => a.send(m)), ...toA.map((m) => b.send(m))]);
        const gotB: Uint8Array[] = [];
        const gotA: Uint8Array[] = [];
        for (let i = 0; i < toB.length; i++) gotB.push(await b.receive({ timeout: 5000 }));
        for (let i = 0; i < toA.length; i++) gotA.push(await a.receive({ timeout: 5000 }));
        await sending;
        toB.forEach((m, i) => assert(bytesEqual(m, gotB[i]), `a->b message ${i}`));
        toA.forEach((m, i) => assert(bytesEqual(m, gotA[i]), `b->a message ${i}`));
        assert(!sa.incoming.overlapped && !sb.incoming.overlapped, "reads overlapped");
        await a.close();
        await b.close();
      },
    ),
    fcParams(50),
  );
});

test("FramedChannel: concurrent receives queue and get consecutive messages", async () => {
  const { a, b, sb } = channelPair({ cutsAB: [1] });
  const receives = Array.from({ length: 10 }, () => b.receive());
  for (let i = 0; i < 10; i++) await a.send(bytes(i, i, i));
  const got = await Promise.all(receives);
  got.forEach((m, i) => assert(bytesEqual(m, bytes(i, i, i)), `receive ${i}`));
  assert(!sb.incoming.overlapped, "reads overlapped");
  await a.close();
  await b.close();
});

test("close: pending and queued receives reject with ChannelClosedError; the transport closes once", async () => {
  const { a, b, sa } = channelPair();
  const pending = [
    a.receive(),
    a.receive({ timeout: 60_000 }),
    a.receive({ signal: new AbortController().signal }),
  ];
  await tick();
  const c1 = a.close();
  const c2 = a.close();
  assert(a.closed, "closed at once");
  for (const p of pending) {
    const e = await caught(() => p);
    assert(e instanceof ChannelClosedError, `pending receive: ${e}`);
  }
  await Promise.all([c1, c2]);
  assert(sa.closes === 1, `stream closed ${sa.closes} times`);
  assert(await caught(() => a.receive()) instanceof ChannelClosedError, "receive after close");
  assert(await caught(() => a.send(bytes(1))) instanceof ChannelClosedError, "send after close");
  await a[Symbol.asyncDispose]();
  assert(sa.closes === 1, "dispose after close does not close again");
  // The peer sees end-of-stream.
  assert(
    await caught(() => b.receive({ timeout: 1000 })) instanceof ChannelClosedError,
    "peer: ChannelClosedError",
  );
  await b.close();
});

test("peer close: messages sent before it arrive, then ChannelClosedError for good, both directions", async () => {
  const { a, b } = channelPair({ cutsAB: [3] });
  await a.send(bytes(1));
  await a.send(bytes(2, 2));
  await a.close();
  assert(bytesEqual(await b.receive(), bytes(1)), "first");
  assert(bytesEqual(await b.receive(), bytes(2, 2)), "second");
  const e1 = await caught(() => b.receive());
  assert(e1 instanceof ChannelClosedError, `after the last: ${e1}`);
  const e2 = await caught(() => b.receive());
  assert(e2 instanceof ChannelClosedError, `again: ${e2}`);
  assert(!b.closed, "the peer's close does not close this side");
  const e3 = await caught(() => b.send(bytes(3)));
  assert(e3 instanceof ChannelClosedError, `send once the peer went away: ${e3}`);
  await b.close();
});

test("timeout: TimeoutError, and the next message is not lost (even if half of it had arrived)", async () => {
  const { a, b, sb } = channelPair();
  const e = await caught(() => b.receive({ timeout: 10 }));
  assert(e instanceof TimeoutError, `got ${e}`);
  const frame = encodeFrame(bytes(5, 6, 7, 8));
  sb.incoming.write(frame.subarray(0, 6)); // the header and half the payload
  const e2 = await caught(() => b.receive({ timeout: 10 }));
  assert(e2 instanceof TimeoutError, `half a frame: ${e2}`);
  sb.incoming.write(frame.subarray(6));
  assert(bytesEqual(await b.receive({ timeout: 1000 }), bytes(5, 6, 7, 8)), "the whole message after all");
  await a.send(bytes(9));
  assert(bytesEqual(await b.receive({ timeout: 1000 }), bytes(9)), "and the next");
  assert(!b.closed, "a timeout does not close the channel");
  await a.close();
  await b.close();
});

test("abort: the call rejects with the signal's reason; the channel stays usable", async () => {
  const { a, b } = channelPair();
  const ac = new AbortController();
  const reason = new Error("user cancelled");
  const p = b.receive({ signal: ac.signal });
  await tick();
  ac.abort(reason);
  assert(await caught(() => p) === reason, "the reason itself");
  assert(
    await caught(() => b.receive({ signal: AbortSignal.abort("pre") })) === "pre",
    "a pre-aborted signal",
  );
  const sendAbort = await caught(() => a.send(bytes(1), { signal: AbortSignal.abort("no send") }));
  assert(sendAbort === "no send", `send with an aborted signal: ${sendAbort}`);
  await a.send(bytes(4));
  assert(bytesEqual(await b.receive(), bytes(4)), "still usable");
  await a.close();
  await b.close();
});

test("size limits: sending over maxMessageSize is refused before any byte is written; so is receiving", async () => {
  const { a, b, sa, sb } = channelPair({ max: 8 });
  assert(a.maxMessageSize === 8, "maxMessageSize");
  const e = await caught(() => a.send(new Uint8Array(9)));
  assert(e instanceof MessageTooLargeError && e.size === 9 && e.limit === 8, `got ${e}`);
  assert(sa.outgoing.written === 0, "nothing written");
  await a.send(new Uint8Array(8)); // exactly the limit
  assert((await b.receive()).length === 8, "a message at the limit");
  sb.incoming.write(encodeFrame(new Uint8Array(100)));
  const e2 = await caught(() => b.receive());
  assert(e2 instanceof MessageTooLargeError && e2.size === 100 && e2.limit === 8, `incoming: ${e2}`);
  // The refused frame's payload is skipped, and the channel goes on with the next message.
  await a.send(bytes(5, 6));
  assert(bytesEqual(await b.receive({ timeout: 5000 }), bytes(5, 6)), "the message after a refused one");
  await a.close();
  await b.close();
});

test("maxMessageSize: default 64 MiB; integers from 0 to 2^32-1 only", async () => {
  const [s] = streamPair();
  const ch = new FramedChannel("mem:x", s);
  assert(
    ch.maxMessageSize === DEFAULT_MAX_MESSAGE_SIZE && DEFAULT_MAX_MESSAGE_SIZE === 64 * 1024 * 1024,
    "default",
  );
  for (const bad of [-1, 1.5, 2 ** 32, NaN, Infinity]) {
    const e = thrown(() => new FramedChannel("mem:x", s, { maxMessageSize: bad }));
    assert(e instanceof RangeError, `maxMessageSize ${bad}: ${e}`);
  }
  assert(new FramedChannel("mem:x", s, { maxMessageSize: 0 }).maxMessageSize === 0, "0 is allowed");
  assert(await caught(() => ch.send("text" as unknown as Uint8Array)) instanceof TypeError, "send(string)");
  await ch.close();
});

test("streams and iteration: writable chunks arrive as messages; readable and for-await end at peer close", async () => {
  const { a, b } = channelPair({ cutsAB: [2, 5] });
  const messages = [bytes(1), bytes(), bytes(2, 3), bytes(4, 5, 6)];
  const writer = a.writable.getWriter();
  for (const m of messages) await writer.write(m);
  await writer.close(); // closes the channel: b sees the end
  assert(a.closed, "closing the writable closes the channel");
  const got: Uint8Array[] = [];
  for await (const m of b.readable) got.push(m);
  assert(got.length === messages.length, `${got.length} messages from readable`);
  messages.forEach((m, i) => assert(bytesEqual(m, got[i]), `message ${i}`));
  await b.close();

  const { a: c, b: d } = channelPair();
  await c.send(bytes(7));
  await c.send(bytes(8));
  await c.close();
  const iterated: number[] = [];
  for await (const m of d) iterated.push(m[0]);
  assert(iterated.join(",") === "7,8", `iterated ${iterated}`);
  await d.close();
});

test("one-way channels: a receive-only and a send-only face over one-way streams", async () => {
  const pipe = new BytePipe([3]);
  const unused = new BytePipe();
  const [readEnd, writeEnd] = [memoryStream(pipe, unused), memoryStream(unused, pipe)];
  const rx = new ReceiveOnlyChannel(
    new FramedChannel("mem:rx", { read: readEnd.read, close: readEnd.close }),
  );
  const tx = new SendOnlyChannel(
    new FramedChannel("mem:tx", { write: writeEnd.write, close: writeEnd.close }),
  );
  assert(rx.address === "mem:rx" && tx.address === "mem:tx", "addresses");
  assert(tx.maxMessageSize === DEFAULT_MAX_MESSAGE_SIZE, "maxMessageSize");
  assert(!("send" in rx) && !("receive" in tx), "only one half each");
  await tx.send(bytes(1, 2, 3, 4, 5));
  await tx.send(bytes(6));
  assert(bytesEqual(await rx.receive(), bytes(1, 2, 3, 4, 5)), "first");
  await tx.close();
  assert(tx.closed, "tx closed");
  const rest: Uint8Array[] = [];
  for await (const m of rx) rest.push(m);
  assert(rest.length === 1 && bytesEqual(rest[0], bytes(6)), "iteration ends at end-of-stream");
  await rx[Symbol.asyncDispose]();
  assert(rx.closed, "rx closed");
  // A one-way stream refuses the missing direction with a TypeError.
  const readOnly = new FramedChannel("mem:ro", { read: readEnd.read, close: readEnd.close });
  assert(await caught(() => readOnly.send(bytes(1))) instanceof TypeError, "send on a read-only stream");
  await readOnly.close();
});

test("checked-frame codec: messages survive noise injected between frames and any chunking", async () => {
  const checked: FrameCodec = { encode: encodeCheckedFrame, decoder: (max) => new CheckedFrameDecoder(max) };
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.tuple(fc.uint8Array({ maxLength: 200 }), fc.uint8Array({ maxLength: 20 })), {
        maxLength: 10,
      }),
      cutsArb(),
      async (pairs, cuts) => {
        const [sa, sb] = streamPair(cuts);
        const a = new FramedChannel("serial:a", sa, { codec: checked, maxMessageSize: 200 });
        const b = new FramedChannel("serial:b", sb, { codec: checked, maxMessageSize: 200 });
        for (const [m, noise] of pairs) {
          // Noise without sync bytes: a noise header could legitimately claim the frames after it.
          sa.outgoing.write(noise.map((x) => (x === 0xa5 ? 0 : x)));
          await a.send(m);
        }
        for (const [m] of pairs) assert(bytesEqual(await b.receive({ timeout: 5000 }), m), "message");
        await a.close();
        await b.close();
      },
    ),
    fcParams(50),
  );
});

test("ChannelBase: a mechanism implementing the three methods gets the whole API", async () => {
  /** Messages straight through a JS array: no framing at all. */
  class ArrayChannel extends ChannelBase {
    sent: Uint8Array[] = [];
    inbox: (Uint8Array | null)[] = [];
    transportClosed = 0;
    protected sendMessage(message: Uint8Array): Promise<void> {
      this.sent.push(message);
      return Promise.resolve();
    }
    protected async receiveMessage(signal: AbortSignal): Promise<Uint8Array | null> {
      while (this.inbox.length === 0) {
        signal.throwIfAborted();
        await new Promise((r) => setTimeout(r, 1));
      }
      return this.inbox.shift()!;
    }
    protected closeTransport(): void {
      this.transportClosed++;
    }
  }
  const ch = new ArrayChannel("array:1", { maxMessageSize: 4 });
  await ch.send(bytes(1, 2));
  assert(ch.sent.length === 1 && bytesEqual(ch.sent[0], bytes(1, 2)), "sent");
  ch.inbox.push(bytes(9), null);
  assert(bytesEqual(await ch.receive(), bytes(9)), "received");
  assert(await caught(() => ch.receive()) instanceof ChannelClosedError, "null is the peer's close");
  assert(await caught(() => ch.receive({ timeout: 5 })) instanceof ChannelClosedError, "and stays closed");
  await ch.close();
  await ch.close();
  assert(ch.transportClosed === 1, `closeTransport ran ${ch.transportClosed} times`);
});

test("ChannelBase fast paths: taken only when nothing is queued, so order holds; their errors reject; bad options still fail", async () => {
  /** Messages ready in `ready` are taken synchronously; others arrive through `slow`, later. */
  class FastChannel extends ChannelBase {
    ready: Uint8Array[] = [];
    slow: Uint8Array[] = [];
    sentNow: Uint8Array[] = [];
    sentQueued: Uint8Array[] = [];
    failNow: Error | undefined;
    acceptNow = true;
    protected override sendNow(message: Uint8Array): boolean {
      if (this.failNow) throw this.failNow;
      if (this.acceptNow) this.sentNow.push(message);
      return this.acceptNow;
    }
    protected override receiveNow(): Uint8Array | undefined {
      if (this.failNow) throw this.failNow;
      return this.ready.shift();
    }
    protected async sendMessage(message: Uint8Array): Promise<void> {
      await tick();
      this.sentQueued.push(message);
    }
    protected async receiveMessage(signal: AbortSignal): Promise<Uint8Array | null> {
      signal.throwIfAborted();
      while (this.slow.length === 0 && this.ready.length === 0) {
        await tick();
        signal.throwIfAborted();
      }
      return this.ready.shift() ?? this.slow.shift()!;
    }
    protected closeTransport(): void {}
  }
  const ch = new FastChannel("fast:1");
  ch.ready.push(bytes(1));
  assert(bytesEqual(await ch.receive(), bytes(1)), "a ready message comes from the fast path");

  // A receive waits in the queue; a message then becomes ready: the queued receive gets it, and a
  // later receive does not jump ahead through the fast path.
  const first = ch.receive();
  await tick();
  ch.ready.push(bytes(2));
  const second = ch.receive();
  ch.slow.push(bytes(3));
  assert(bytesEqual(await first, bytes(2)) && bytesEqual(await second, bytes(3)), "queue order kept");

  // Sends: the fast path while idle; once a queued send runs, later sends queue behind it.
  ch.acceptNow = false;
  const queued = ch.send(bytes(4));
  ch.acceptNow = true;
  const after = ch.send(bytes(5));
  await Promise.all([queued, after]);
  const counts = () => [ch.sentQueued.length, ch.sentNow.length].join("/");
  assert(counts() === "2/0", "a send behind a queued one queues too");
  await ch.send(bytes(6));
  assert(counts() === "2/1", "an idle send takes the fast path");

  ch.failNow = new RangeError("broken ring");
  assert(await caught(() => ch.receive()) === ch.failNow, "a fast-path error rejects the receive");
  assert(await caught(() => ch.send(bytes(7))) === ch.failNow, "and the send");
  ch.failNow = undefined;

  ch.ready.push(bytes(8));
  assert(
    await caught(() => ch.receive({ timeout: -1 })) instanceof RangeError,
    "bad options are refused",
  );
  const aborted = AbortSignal.abort(new Error("stop"));
  assert(
    (await caught(() => ch.receive({ signal: aborted })) as Error).message === "stop",
    "an aborted signal wins",
  );
  assert(bytesEqual(await ch.receive(), bytes(8)), "and the ready message is still there");
  await ch.close();
  assert(await caught(() => ch.receive()) instanceof ChannelClosedError, "closed: no fast path");
});

test("ChannelBase fast paths yield to the event loop: endless ready messages and sends do not starve a timer", async () => {
  /** Every receive and send completes on the fast path, as over a ring a fast peer keeps full. */
  class EndlessChannel extends ChannelBase {
    queued = 0;
    protected override sendNow(): boolean {
      return true;
    }
    protected override receiveNow(): Uint8Array | undefined {
      return bytes(1);
    }
    protected sendMessage(): Promise<void> {
      this.queued++;
      return Promise.resolve();
    }
    protected receiveMessage(): Promise<Uint8Array | null> {
      this.queued++;
      return Promise.resolve(bytes(2));
    }
    protected closeTransport(): void {}
  }
  for (const direction of ["receive", "send"] as const) {
    const ch = new EndlessChannel("endless:1");
    let fired = false;
    const timer = setTimeout(() => fired = true, 20);
    let calls = 0;
    // Without a yield this loop would run forever: the timer could never fire.
    while (!fired) {
      if (direction === "receive") await ch.receive();
      else await ch.send(bytes(3));
      calls++;
    }
    clearTimeout(timer);
    assert(ch.queued > 0 && ch.queued < calls / 10, `${direction}: ${ch.queued} of ${calls} calls yielded`);
    await ch.close();
  }
});
