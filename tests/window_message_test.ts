/**
 * Window messages across processes: WM_COPYDATA channels between message-only windows, hung
 * receivers, registered-message notifications.
 */
import { AddressInUseError, listen, MessageTooLargeError, NotFoundError, TimeoutError } from "../mod.ts";
import { connectCopyData, CopyDataServer, registerWindowMessage } from "../src/mechanisms/window/mod.ts";
import {
  assert,
  bytesEqual,
  fc,
  fcParams,
  patternBytes,
  spawnPeer,
  test,
  uniqueName,
  within,
} from "./_support/harness.ts";

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
