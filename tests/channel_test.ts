/**
 * The shared channel machinery: framing under arbitrary chunking, addresses, streams and
 * iteration, and handle accounting. Runs in one process (the transports are tested across
 * processes in their own files).
 */
import {
  AddressError,
  ChannelClosedError,
  connect,
  listen,
  MessageTooLargeError,
  parseAddress,
} from "../mod.ts";
import { encodeFrame, FrameDecoder } from "../src/framing.ts";
import { connectNamedPipe, NamedPipeServer } from "../src/mechanisms/pipe/mod.ts";
import { kernel32 } from "../src/ffi/kernel32.ts";
import { openHandleCount } from "../src/ffi/handle.ts";
import { createEvent, waitAny } from "../src/kernel/wait.ts";
import { nativeBlockCount } from "../src/ffi/memory.ts";
import { assert, bytesEqual, fc, fcParams, test, uniqueName } from "./_support/harness.ts";

test("framing: any messages, cut into any chunks, decode to the same messages", () => {
  fc.assert(
    fc.property(
      fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 20 }),
      fc.array(fc.integer({ min: 1, max: 97 }), { minLength: 1, maxLength: 30 }),
      (messages, cuts) => {
        const stream = new Uint8Array(messages.reduce((n, m) => n + 4 + m.length, 0));
        let at = 0;
        for (const m of messages) {
          stream.set(encodeFrame(m), at);
          at += 4 + m.length;
        }
        const decoder = new FrameDecoder(1024);
        const out: Uint8Array[] = [];
        for (let pos = 0, i = 0; pos < stream.length; i++) {
          const n = cuts[i % cuts.length];
          decoder.push(stream.subarray(pos, pos + n));
          pos += n;
          for (let m = decoder.next(); m; m = decoder.next()) out.push(m);
        }
        assert(out.length === messages.length, `${out.length} of ${messages.length} messages`);
        messages.forEach((m, i) => assert(bytesEqual(m, out[i]), `message ${i}`));
        assert(decoder.buffered === 0, "nothing left over");
      },
    ),
    fcParams(),
  );
});

test("framing: a header over the limit is refused before any allocation", () => {
  const decoder = new FrameDecoder(100);
  decoder.push(new Uint8Array([0xff, 0xff, 0xff, 0x7f]));
  let err: unknown;
  try {
    decoder.next();
  } catch (e) {
    err = e;
  }
  assert(err instanceof MessageTooLargeError && err.size === 0x7fffffff, `got ${err}`);
});

test("addresses: parsed or refused with AddressError", async () => {
  const a = parseAddress("pipe:orders?mode=byte&bufferSize=4KiB");
  assert(a.scheme === "pipe" && a.path === "orders" && a.params.get("mode") === "byte", "parsed");
  for (const bad of ["", "pipe:", "no-scheme", "1pipe:x"]) {
    let err: unknown;
    try {
      parseAddress(bad);
    } catch (e) {
      err = e;
    }
    assert(err instanceof AddressError, `'${bad}' gave ${err}`);
  }
  // A nested pipe name (`lrpc\\epmapper`) is a name; an empty part between backslashes is not.
  for (const bad of ["nosuch:x", "pipe:a\\\\b", "pipe:a\\", "pipe:x?mode=sideways", "pipe:x?bufferSize=-1"]) {
    let err: unknown;
    await listen(bad).catch((e) => err = e);
    assert(err instanceof AddressError, `listen('${bad}') gave ${err}`);
  }
  {
    const nested = `pipe:${uniqueName("nested")}\\inner`;
    await using server = await listen(nested);
    await using client = await connect(nested, { timeout: 5_000 });
    await using channel = await server.accept({ timeout: 5_000 });
    await client.send(Uint8Array.of(7));
    assert((await channel.receive({ timeout: 5_000 }))[0] === 7, "a message over a nested pipe name");
  }
  let err: unknown;
  await connect("pipe:" + "x".repeat(300)).catch((e) => err = e);
  assert(err instanceof AddressError, `long name gave ${err}`);
});

test("streams and iteration: writable chunks arrive as messages on readable; iteration ends on close", async () => {
  const name = uniqueName("streams");
  await using server = await listen(`pipe:${name}?mode=byte`);
  await using client = await connect(`pipe:${name}`);
  await using ch = await server.accept({ timeout: 10_000 });
  const writer = client.writable.getWriter();
  const sent = [new Uint8Array([1]), new Uint8Array(0), new Uint8Array(70_000).fill(9)];
  // Write while reading: the 70 000-byte message is larger than the pipe buffer.
  const writing = (async () => {
    for (const m of sent) await writer.write(m);
  })();
  const reader = ch.readable.getReader();
  for (const m of sent) {
    const { value } = await reader.read();
    assert(value && bytesEqual(value, m), "stream message");
  }
  reader.releaseLock();
  await writing;
  await writer.close(); // closes the client channel
  const rest = [];
  for await (const m of ch) rest.push(m);
  assert(rest.length === 0, "iteration ended at the peer's close");
  let err: unknown;
  await client.send(new Uint8Array(1)).catch((e) => err = e);
  assert(err instanceof ChannelClosedError, `send after close: ${err}`);
});

/** Whether the kernel still knows this handle value. */
function handleIsOpen(h: bigint): boolean {
  return kernel32.sync.GetHandleInformation(h, new Uint32Array(1)) !== 0;
}

test("no leaked handles or memory: 50 connect/accept/close cycles return every count to where it was", async () => {
  const name = uniqueName("leak");
  const closedPipes: bigint[] = [];
  const cycle = async () => {
    await using server = NamedPipeServer.listen(name);
    for (let i = 0; i < 10; i++) {
      await using client = await connectNamedPipe(name);
      await using ch = await server.accept({ timeout: 10_000 });
      await client.send(new Uint8Array([i]));
      await ch.receive({ timeout: 10_000 });
      const pending = ch.receive().catch(() => {}); // closed while a read is pending
      closedPipes.push(ch.handle, client.handle);
      await ch.close();
      await pending;
    }
  };
  // The kernel-side probe must be able to fail: it sees a handle open, then closed.
  const probe = createEvent(true);
  const probeValue = probe.value;
  assert(handleIsOpen(probeValue), "GetHandleInformation sees an open handle");
  probe.close();
  assert(!handleIsOpen(probeValue), "GetHandleInformation sees a closed handle");
  await cycle(); // warm-up: the pooled wait thread and its wake event are created once
  const handles = openHandleCount();
  const blocks = nativeBlockCount();
  for (let i = 0; i < 5; i++) await cycle();
  assert(openHandleCount() === handles, `open handles went from ${handles} to ${openHandleCount()}`);
  assert(nativeBlockCount() === blocks, `native blocks went from ${blocks} to ${nativeBlockCount()}`);
  // And the kernel agrees that the channels' pipe handles are gone (values may be reused later,
  // so check the last cycle's, which nothing has reopened yet).
  const last = closedPipes.slice(-20);
  const stillOpen = last.filter(handleIsOpen);
  assert(stillOpen.length === 0, `${stillOpen.length} closed pipe handles are still open`);
});

test("waitAny: many concurrent waits, signalled in any order, some aborted: each settles once, correctly", async () => {
  // Exercises the multiplexer across groups (63 waits each, several groups in parallel), a
  // group's own removals and wake-ups from abort, and the already-signalled fast path.
  await fc.assert(
    fc.asyncProperty(
      fc.integer({ min: 1, max: 300 }).chain((n) =>
        fc.tuple(
          fc.constant(n),
          fc.shuffledSubarray([...Array(n).keys()], { minLength: n, maxLength: n }),
          fc.array(fc.boolean(), { minLength: n, maxLength: n }),
        )
      ),
      async ([n, order, aborted]) => {
        const events = Array.from({ length: n }, () => createEvent(true));
        try {
          const controllers = events.map(() => new AbortController());
          const outcomes = events.map((e, i) =>
            waitAny([e.value], { signal: controllers[i].signal, timeout: 30_000 }).then(
              (r) => `ok:${r.index}`,
              (err) => `err:${(err as Error).message}`,
            )
          );
          for (const i of order) {
            if (aborted[i]) controllers[i].abort(new Error("aborted"));
            else kernel32.sync.SetEvent(events[i].value);
            if (i % 7 === 0) await new Promise((r) => setTimeout(r, 0)); // let some settle mid-way
          }
          const got = await Promise.all(outcomes);
          got.forEach((g, i) => {
            const want = aborted[i] ? "err:aborted" : "ok:0";
            assert(g === want, `wait ${i} of ${n}: ${g}, wanted ${want}`);
          });
        } finally {
          for (const e of events) e.close();
        }
      },
    ),
    fcParams(30),
  );
});
