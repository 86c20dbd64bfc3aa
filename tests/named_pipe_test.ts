/**
 * Named pipes across two processes (the peer runs in the same runtime as the test).
 */
import {
  AddressInUseError,
  ChannelClosedError,
  connect,
  listen,
  MessageTooLargeError,
  NotFoundError,
  Win32Error,
} from "../mod.ts";
import { connectNamedPipe, NamedPipeServer, type PipeMode } from "../src/mechanisms/pipe/mod.ts";
import {
  assert,
  bytesEqual,
  cpuTimeMs,
  echoMessages,
  fc,
  fcParams,
  patternBytes,
  serveNumberedEchoes,
  spawnPeer,
  test,
  uniqueName,
  within,
} from "./_support/harness.ts";

const BUFFER = 64 * 1024;

/** Message sizes weighted toward the edges: empty, tiny, around the pipe buffer, up to 1 MiB + 1. */
const sizeArb = fc.oneof(
  { weight: 4, arbitrary: fc.integer({ min: 0, max: 300 }) },
  { weight: 3, arbitrary: fc.integer({ min: BUFFER - 8, max: BUFFER + 8 }) },
  { weight: 2, arbitrary: fc.integer({ min: 0, max: 256 * 1024 }) },
  { weight: 1, arbitrary: fc.constantFrom(0, 1 << 20, (1 << 20) + 1, 2 * BUFFER, 2 * BUFFER + 1) },
);
const messagesArb = fc.array(
  fc.oneof(
    {
      weight: 3,
      arbitrary: fc.record({ size: sizeArb, seed: fc.integer() }).map((r) => patternBytes(r.size, r.seed)),
    },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 600 }) },
  ),
  { maxLength: 6 },
);

async function echoProperty(mode: PipeMode) {
  const name = uniqueName(`echo-${mode}`);
  await using server = NamedPipeServer.listen(name, { mode, bufferSize: BUFFER });
  await using peer = spawnPeer("pipe_peer.ts", ["echo", name]);
  await using channel = await server.accept({ timeout: 30_000 });
  assert(channel.mode === mode, "server channel mode");
  await fc.assert(
    fc.asyncProperty(messagesArb, (messages) => echoMessages(channel, messages)),
    fcParams(),
  );
  await channel.close();
  assert((await within(10_000, peer.exited, "peer exit")) === 0, "peer exited cleanly");
}

test("10 channels waiting in receive() do not block the event loop; an idle listener uses < 1% CPU", async () => {
  const name = uniqueName("idle");
  await using server = NamedPipeServer.listen(name);
  await using peer = spawnPeer("pipe_peer.ts", ["hold", name, "10"]);
  const channels = [];
  for (let i = 0; i < 10; i++) channels.push(await server.accept({ timeout: 30_000 }));
  const pending = channels.map((c) => c.receive().catch((e) => e));
  let ticks = 0;
  const timer = setInterval(() => ticks++, 10);
  await new Promise((r) => setTimeout(r, 1000));
  clearInterval(timer);
  // A blocked loop would give ~0 ticks; timers under Wine are coarse, so ask for half.
  assert(ticks >= 50, `only ${ticks} ticks of a 10 ms timer in 1 s`);
  // The listener now waits in accept(), the ten channels in receive(): measure CPU over 5 s.
  const accepting = server.accept().catch((e) => e);
  // Measure idleness, not the clean-up of the work above: let it settle and collect garbage first.
  // (This test runs first in the file: after the property tests, the JS engine's background JIT
  // and GC threads can still be busy for a while, and they count as process CPU time.)
  await new Promise((r) => setTimeout(r, 1500));
  (globalThis as { Bun?: { gc(force: boolean): void } }).Bun?.gc(true);
  const cpu0 = cpuTimeMs();
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, 5000));
  const cpu = cpuTimeMs() - cpu0;
  const wall = performance.now() - t0;
  console.log(`idle: ${cpu.toFixed(1)} ms CPU in ${wall.toFixed(0)} ms`);
  assert(cpu < wall * 0.01, `idle process used ${cpu.toFixed(1)} ms CPU in ${wall.toFixed(0)} ms`);
  for (const c of channels) await c.close();
  for (const p of pending) assert((await p) instanceof ChannelClosedError, "pending receive ends on close");
  await server.close();
  assert((await accepting) instanceof ChannelClosedError, "pending accept ends on close");
  peer.kill();
});

test("named pipe, message mode: any message sequence round-trips intact across processes", () =>
  echoProperty("message"));
test("named pipe, byte mode with framing: any message sequence round-trips intact across processes", () =>
  echoProperty("byte"));

test("a second server on a served name fails with AddressInUseError", async () => {
  const name = uniqueName("dup");
  await using _server = NamedPipeServer.listen(name);
  let err: unknown;
  try {
    NamedPipeServer.listen(name);
  } catch (e) {
    err = e;
  }
  assert(err instanceof AddressInUseError, `expected AddressInUseError, got ${err}`);
  let viaAddress: unknown;
  await listen(`pipe:${name}`).catch((e) => viaAddress = e);
  assert(viaAddress instanceof AddressInUseError, `listen(): expected AddressInUseError, got ${viaAddress}`);
});

test("connecting to a missing pipe fails fast with NotFoundError", async () => {
  const started = performance.now();
  let err: unknown;
  await connectNamedPipe(uniqueName("missing")).catch((e) => err = e);
  assert(err instanceof NotFoundError, `expected NotFoundError, got ${err}`);
  await connect(`pipe:${uniqueName("missing")}`).catch((e) => err = e);
  assert(err instanceof NotFoundError, `connect(): expected NotFoundError, got ${err}`);
  const ms = performance.now() - started;
  assert(ms < 1000, `took ${ms.toFixed(0)} ms`);
});

for (const mode of ["byte", "message"] as const) {
  test(`killing the peer mid-message gives ChannelClosedError within 1 s (${mode} mode)`, async () => {
    const name = uniqueName(`kill-${mode}`);
    await using server = NamedPipeServer.listen(name, { mode });
    // Byte mode: the peer writes half a frame. Message mode: the peer echoes and never answers.
    await using peer = spawnPeer("pipe_peer.ts", [mode === "byte" ? "partial-frame" : "hold", name, "1"]);
    await using channel = await server.accept({ timeout: 30_000 });
    const receiving = channel.receive();
    receiving.catch(() => {});
    await new Promise((r) => setTimeout(r, 500)); // let the partial frame arrive
    const killedAt = performance.now();
    peer.kill();
    let err: unknown;
    await within(5000, receiving.catch((e) => err = e), "receive after kill");
    const ms = performance.now() - killedAt;
    assert(err instanceof ChannelClosedError, `expected ChannelClosedError, got ${err}`);
    assert(ms < 1000, `ChannelClosedError after ${ms.toFixed(0)} ms`);
    let again: unknown;
    await channel.send(new Uint8Array(1)).catch((e) => again = e);
    assert(again instanceof ChannelClosedError, `send after peer death: ${again}`);
  });
}

test("10 concurrent clients x 1000 messages: nothing lost, nothing reordered", async () => {
  const name = uniqueName("stress");
  const clients = 10;
  const count = 1000;
  await using server = NamedPipeServer.listen(name);
  await using peer = spawnPeer("pipe_peer.ts", ["stress", name, String(clients), String(count)]);
  const serve = () => serveNumberedEchoes(() => server.accept({ timeout: 30_000 }), count, 60_000);
  const served = await Promise.all(Array.from({ length: clients }, serve));
  assert(new Set(served).size === clients, "every client served once");
  assert((await within(60_000, peer.exited, "stress peer")) === 0, "peer saw every echo in order");
});

test("the server keeps accepting after clients disconnect", async () => {
  const name = uniqueName("reaccept");
  await using server = NamedPipeServer.listen(name);
  for (let i = 0; i < 3; i++) {
    await using client = await connectNamedPipe(name);
    await using ch = await server.accept({ timeout: 10_000 });
    await client.send(new Uint8Array([i]));
    assert((await ch.receive({ timeout: 10_000 }))[0] === i, "message through a reused name");
  }
});

test("size limits: send over maxMessageSize is refused; an oversized incoming frame is a typed error", async () => {
  const name = uniqueName("limits");
  await using server = NamedPipeServer.listen(name, { mode: "byte", maxMessageSize: 1024 });
  await using client = await connectNamedPipe(name, { maxMessageSize: 4096 });
  await using ch = await server.accept({ timeout: 10_000 });
  let err: unknown;
  await ch.send(new Uint8Array(1025)).catch((e) => err = e);
  assert(err instanceof MessageTooLargeError, `send: ${err}`);
  await client.send(new Uint8Array(2048));
  err = undefined;
  await ch.receive({ timeout: 10_000 }).catch((e) => err = e);
  assert(err instanceof MessageTooLargeError, `receive: ${err}`);
});

test("timeouts and aborts reject receive() without losing the next message", async () => {
  const name = uniqueName("timeout");
  await using server = NamedPipeServer.listen(name);
  await using client = await connectNamedPipe(name);
  await using ch = await server.accept({ timeout: 10_000 });
  let err: unknown;
  await ch.receive({ timeout: 100 }).catch((e) => err = e);
  assert((err as Error)?.name === "TimeoutError", `timeout: ${err}`);
  const ac = new AbortController();
  setTimeout(() => ac.abort(new Error("stop")), 50);
  await ch.receive({ signal: ac.signal }).catch((e) => err = e);
  assert((err as Error)?.message === "stop", `abort: ${err}`);
  await client.send(new Uint8Array([7, 8, 9]));
  assert(
    bytesEqual(await ch.receive({ timeout: 10_000 }), new Uint8Array([7, 8, 9])),
    "message after aborts",
  );
});

test("security: a caller-supplied SDDL is applied; a malformed one is a typed Win32Error", async () => {
  const name = uniqueName("sddl");
  await using server = NamedPipeServer.listen(name, { sddl: "D:P(A;;GA;;;WD)" }); // Everyone
  await using client = await connectNamedPipe(name);
  await using ch = await server.accept({ timeout: 10_000 });
  await client.send(new Uint8Array([42]));
  assert((await ch.receive({ timeout: 10_000 }))[0] === 42, "message through a custom-SDDL pipe");
  let err: unknown;
  try {
    NamedPipeServer.listen(uniqueName("badsddl"), { sddl: "not sddl" });
  } catch (e) {
    err = e;
  }
  assert(err instanceof Win32Error && err.api.startsWith("ConvertStringSecurityDescriptor"), `got ${err}`);
});
