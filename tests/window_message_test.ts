/**
 * Window messages across processes: WM_COPYDATA channels between message-only windows, hung
 * receivers, registered-message notifications.
 */
import {
  AddressInUseError,
  type Channel,
  ChannelClosedError,
  listen,
  MessageTooLargeError,
  NotFoundError,
  TimeoutError,
} from "../mod.ts";
import { connectCopyData, CopyDataServer, registerWindowMessage } from "../src/mechanisms/window/mod.ts";
import { KernelEvent, Mutex } from "../src/sync.ts";
import {
  assert,
  bytesEqual,
  fc,
  fcParams,
  patternBytes,
  type Peer,
  runtime,
  spawnPeer,
  test,
  uniqueName,
  within,
} from "./_support/harness.ts";

const text = (m: Uint8Array) => new TextDecoder().decode(m);

/** `p`, or a rejection as soon as the peer exits first (a peer that died must not cost a long timeout). */
function unlessPeerExits<T>(peer: Peer, p: Promise<T>): Promise<T> {
  return Promise.race([
    p,
    peer.exited.then((code) => Promise.reject(new Error(`the peer exited (code ${code})`))),
  ]);
}

/** Kills `peer` while `ch` waits in receive(): the wait must end with ChannelClosedError within 1 s. */
async function killWhileReceiving(ch: Channel, peer: Peer): Promise<void> {
  const receiving = ch.receive();
  receiving.catch(() => {});
  await new Promise((r) => setTimeout(r, 100)); // the receive is waiting
  const killedAt = performance.now();
  peer.kill();
  const err = await within(5000, receiving, "receive() after the peer was killed").then(
    (m) => new Error(`a message of ${m.length} bytes`),
    (e) => e,
  );
  const ms = performance.now() - killedAt;
  assert(err instanceof ChannelClosedError, `expected ChannelClosedError, got ${err}`);
  assert(ms < 1000, `ChannelClosedError after ${ms.toFixed(0)} ms`);
}

test("WM_COPYDATA: payloads from 0 bytes to over 1 MiB round-trip between two processes", async () => {
  const name = uniqueName("copydata");
  await using server = await listen(`copydata:${name}`);
  await using peer = spawnPeer("window_peer.ts", ["echo", name]);
  await using ch = await server.accept({ timeout: 30_000 });
  await fc.assert(
    fc.asyncProperty(
      fc.array(
        fc.oneof(
          fc.uint8Array({ maxLength: 100 }),
          fc.record({
            size: fc.oneof(fc.integer({ min: 0, max: 300_000 }), fc.constantFrom(1 << 20, (1 << 20) + 1)),
            seed: fc.integer(),
          }).map((r) => patternBytes(r.size, r.seed)),
        ),
        { maxLength: 5 },
      ),
      async (messages) => {
        for (const m of messages) {
          await ch.send(m);
          const back = await ch.receive({ timeout: 30_000 });
          if (!bytesEqual(back, m)) {
            throw new Error(`a ${m.length}-byte payload came back as ${back.length} bytes / different`);
          }
        }
      },
    ),
    fcParams(),
  );
  await ch.close();
  assert((await within(10_000, peer.exited, "peer exit")) === 0, "peer exited cleanly");
});

test("WM_COPYDATA: a receiver that stops pumping does not hang the sender past its timeout", async () => {
  const name = uniqueName("hung");
  await using server = await CopyDataServer.listen(name);
  await using client = await connectCopyData(name, { sendTimeout: 300 });
  await using ch = await server.accept({ timeout: 10_000 });
  await server.stall(3000); // the server's thread stops processing messages
  const started = performance.now();
  let err: unknown;
  await client.send(new Uint8Array(10)).catch((e) => err = e);
  const ms = performance.now() - started;
  assert(err instanceof TimeoutError, `expected TimeoutError, got ${err}`);
  assert(ms < 2000, `the send gave up after ${ms.toFixed(0)} ms (timeout 300 ms)`);
  void ch;
});

test("WM_COPYDATA: typed errors for a missing server, a taken name, and an oversized payload", async () => {
  let err: unknown;
  await connectCopyData(uniqueName("none")).catch((e) => err = e);
  assert(err instanceof NotFoundError, `missing: ${err}`);
  const name = uniqueName("taken");
  await using server = await CopyDataServer.listen(name, { maxMessageSize: 1000 });
  err = undefined;
  await CopyDataServer.listen(name).catch((e) => err = e);
  assert(err instanceof AddressInUseError, `taken: ${err}`);
  await using client = await connectCopyData(name, { maxMessageSize: 5000 });
  await using _ch = await server.accept({ timeout: 10_000 });
  err = undefined;
  await client.send(new Uint8Array(1001)).catch((e) => err = e);
  assert(err instanceof MessageTooLargeError, `oversized: ${err}`);
});

test("registered window messages: a notification posted by another process arrives", async () => {
  const name = uniqueName("notify");
  await using server = await CopyDataServer.listen(name);
  const msgName = `winipc-test-notify-${name}`;
  const msg = registerWindowMessage(msgName);
  const got = new Promise<[bigint, bigint]>((resolve) => {
    server.host.onMessage = (m, w, l) => {
      if (m === msg) resolve([w, l]);
    };
  });
  await using peer = spawnPeer("window_peer.ts", ["notify", name, msgName]);
  const [w, l] = await within(30_000, got, "notification");
  assert(w === 7n && l === 42n, `wParam/lParam ${w}/${l}`);
  assert((await peer.exited) === 0, "peer exit");
});

test("WM_COPYDATA: killing the client process ends the server's pending receive() within 1 s", async () => {
  const name = uniqueName("kill-client");
  await using server = await CopyDataServer.listen(name);
  await using peer = spawnPeer("window_peer.ts", ["hold", name]);
  await using ch = await unlessPeerExits(peer, server.accept({ timeout: 30_000 }));
  assert(text(await ch.receive({ timeout: 30_000 })) === "hello", "the client said hello");
  await killWhileReceiving(ch, peer);
});

test("WM_COPYDATA: killing the server process ends the client's pending receive() within 1 s", async () => {
  const name = uniqueName("kill-server");
  using ready = KernelEvent.create(`${name}-ready`, { manualReset: true });
  await using peer = spawnPeer("window_peer.ts", ["serve", name, `${name}-ready`]);
  await unlessPeerExits(peer, ready.wait({ timeout: 30_000 }));
  await using ch = await connectCopyData(name);
  assert(text(await ch.receive({ timeout: 30_000 })) === "hello", "the server said hello");
  await killWhileReceiving(ch, peer);
});

test("permissions: a peer with only the documented flags uses copydata:, Clipboard, WindowHost and a contended Mutex", async () => {
  const name = uniqueName("entries");
  await using server = await listen(`copydata:${name}`);
  using mutex = Mutex.create(`${name}-mutex`);
  await mutex.acquire(); // held here, so the peer's acquire() has to wait (on its worker)
  await using peer = spawnPeer("window_peer.ts", ["entries", name, `${name}-mutex`]); // LIBRARY_DENO_FLAGS
  await using ch = await unlessPeerExits(peer, server.accept({ timeout: 30_000 }));
  assert(text(await unlessPeerExits(peer, ch.receive({ timeout: 30_000 }))) === "waiting", "peer waits");
  await new Promise((r) => setTimeout(r, 300)); // the peer is in acquire() by now
  mutex.release();
  assert(text(await unlessPeerExits(peer, ch.receive({ timeout: 30_000 }))) === "done", "peer got the mutex");
  assert((await within(10_000, peer.exited, "peer exit")) === 0, "peer exited cleanly");
});

/**
 * A peer whose workers cannot start (MODE: see window_peer.ts worker-failures) must see every
 * worker-based entry reject with a WinipcError, and live on to exit 0.
 */
async function workerFailuresInPeer(mode: "revoke" | "hook"): Promise<void> {
  const name = uniqueName(`no-worker-${mode}`);
  using mutex = Mutex.create(`${name}-mutex`);
  await mutex.acquire(); // held here: the peer's acquire() needs its worker
  await using peer = spawnPeer("window_peer.ts", ["worker-failures", name, `${name}-mutex`, mode]);
  assert((await within(30_000, peer.exited, "peer exit")) === 0, "every entry rejected with a WinipcError");
  mutex.release();
}

test(
  "permissions (Deno): workers without FFI permission reject each entry with a WinipcError; the process lives on",
  () => workerFailuresInPeer("revoke"),
  {
    skip: runtime === "bun"
      ? "Bun has no permission model to take FFI away from a worker"
      : runtime === "node"
      ? "Node's permission model cannot take koffi (a native addon) away from one worker"
      : undefined,
  },
);

test(
  "workers that cannot start (simulated) reject each entry with a WinipcError; the process lives on",
  () => workerFailuresInPeer("hook"),
);
