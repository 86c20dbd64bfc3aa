/**
 * Shared memory across two processes: raw mapped memory, the ring channel, hostile headers,
 * abandoned mutexes and peer death. The peer runs in the same runtime as the test.
 */
import { AddressInUseError, ChannelClosedError, NotFoundError, TimeoutError, WinipcError } from "../mod.ts";
import { NamedPipeServer } from "../src/mechanisms/pipe/mod.ts";
import { connectShm, SharedMemory, ShmServer } from "../src/mechanisms/shm/mod.ts";
import { openRegionCount } from "../src/kernel/shared_memory.ts";
import { openHandleCount } from "../src/ffi/handle.ts";
import { nativeBlockCount } from "../src/ffi/memory.ts";
import { KernelEvent, Mutex, Semaphore, waitForAny } from "../src/sync.ts";
import process from "node:process";
import { SHM_LAYOUT } from "../src/mechanisms/shm/shm_channel.ts";
import { RENDEZVOUS_LAYOUT } from "../src/mechanisms/shm/ring_space.ts";
import { assert, bytesEqual, fc, fcParams, spawnPeer, test, uniqueName, within } from "./_support/harness.ts";
import {
  crossProcessWritesProperty,
  droppedRegionSurvivesGc,
  echoIdiomServesClientsAtOnce,
  openControl,
  ringEchoProperty,
} from "./_support/shm_support.ts";

test("raw shared memory: writes at any offset and length are seen by the other process, both ways", async () => {
  const name = uniqueName("raw");
  const size = 200_000; // not a multiple of the page or granularity
  using mem = SharedMemory.create(name, { size });
  assert(mem.created, "the first create creates");
  using again = SharedMemory.create(name, { size });
  assert(!again.created, "a second create opens the same mapping (peer-to-peer mode)");
  await using ctl = await openControl("raw");
  await ctl.call({ open: "shm", name, size });
  await crossProcessWritesProperty(mem, ctl, 2000);
  // Views at unaligned offsets see the same bytes; reads outside the mapping are RangeErrors.
  using view = mem.view(70_001, 100);
  assert(bytesEqual(view.read(0, 10), mem.read(70_001, 10)), "unaligned view");
  let err: unknown;
  try {
    mem.read(size - 1, 2);
  } catch (e) {
    err = e;
  }
  assert(err instanceof RangeError, `out-of-range read: ${err}`);
});

test("shared memory: create-only mode, open of a missing name, read-only views", () => {
  const name = uniqueName("modes");
  using mem = SharedMemory.create(name, { size: 4096, mode: "create" });
  let err: unknown;
  try {
    SharedMemory.create(name, { size: 4096, mode: "create" });
  } catch (e) {
    err = e;
  }
  assert(err instanceof AddressInUseError, `create-only twice: ${err}`);
  err = undefined;
  try {
    SharedMemory.open(uniqueName("missing"));
  } catch (e) {
    err = e;
  }
  assert(err instanceof NotFoundError, `open missing: ${err}`);
  mem.write(10, new Uint8Array([5]));
  using ro = SharedMemory.open(name, { readOnly: true });
  assert(ro.read(10, 1)[0] === 5, "read-only open reads");
  err = undefined;
  try {
    ro.bytes.fill(1); // must be refused before any write to read-only pages
  } catch (e) {
    err = e;
  }
  assert(err instanceof TypeError, `writing a read-only view: ${err}`);
});

test("shm ring channel: any message sequence (empty, larger than the ring) round-trips across processes", () =>
  ringEchoProperty("shm", uniqueName("ring")));

test("shm: the README echo idiom serves 3 client processes at once", () => {
  const name = uniqueName("idiom");
  return echoIdiomServesClientsAtOnce(`shm:${name}?size=4096`, `shm:${name}`);
});

test("shm: clients served at once leave no handle, region or native block behind once closed", async () => {
  const counts = () => [openHandleCount(), openRegionCount(), nativeBlockCount()].join("/");
  const before = counts();
  const name = uniqueName("leaks");
  {
    await using server = ShmServer.listen(name, { capacity: 1024 });
    // One ring is on offer at a time, so clients after the first wait for accepts: run them together.
    const accepting = Promise.all([1, 2, 3].map(() => server.accept({ timeout: 5_000 })));
    const clients = await Promise.all([1, 2, 3].map(() => connectShm(name, { timeout: 5_000 })));
    const served = await accepting;
    await Promise.all(clients.map((c, i) => c.send(new Uint8Array([i]))));
    const got = await Promise.all(served.map((c) => c.receive({ timeout: 5_000 })));
    assert(got.map((m) => m[0]).sort().join() === "0,1,2", `each client on its own ring: ${got.join(" ")}`);
    for (const c of [...clients, ...served]) await c.close();
  }
  assert(counts() === before, `handles/regions/blocks went from ${before} to ${counts()}`);
});

test("a mapping held only by a dead const in another process survives a forced GC there", () =>
  droppedRegionSurvivesGc("shm", uniqueName("gc")));

test("a corrupted ring header from the peer side is a typed error, never a crash or a hang", async () => {
  await using ctl = await openControl("fuzz");
  const headerEnd = SHM_LAYOUT.data;
  await fc.assert(
    fc.asyncProperty(
      fc.array(
        fc.tuple(fc.integer({ min: 0, max: headerEnd - 1 }), fc.uint8Array({ minLength: 1, maxLength: 16 })),
        {
          minLength: 1,
          maxLength: 6,
        },
      ),
      async (writes) => {
        const name = uniqueName("fuzz");
        await using server = ShmServer.listen(name, { capacity: 1024, maxMessageSize: 4096 });
        const accepting = server.accept({ timeout: 30_000 });
        accepting.catch(() => {}); // awaited below, after the peer has done its damage
        const clipped = writes.map(([o, b]) => [o, [...b.subarray(0, headerEnd - o)]]);
        await ctl.call({ corrupt: name, writes: clipped });
        let ch;
        try {
          ch = await accepting;
        } catch (e) {
          if (e instanceof WinipcError) return; // refused at accept: a typed error
          throw new Error(`accept after corruption: untyped ${e}`);
        }
        await using _ch = ch;
        // The reader either gets a typed error, or (when the garbage happens to look valid) a
        // message within the limit; what it must never do is crash the process or hang.
        for (let i = 0; i < 3; i++) {
          try {
            const m = await ch.receive({ timeout: 150 });
            assert(m.length <= 4096, "message within maxMessageSize");
          } catch (e) {
            if (!(e instanceof WinipcError)) throw new Error(`untyped error: ${e}`);
            if (e instanceof TimeoutError || e instanceof ChannelClosedError) break;
          }
        }
      },
    ),
    fcParams(100),
  );
});

test("a corrupted rendezvous block is refused with typed errors or outlived, never a crash or a hang", async () => {
  await using ctl = await openControl("fuzz-rv");
  const size = RENDEZVOUS_LAYOUT.size;
  const writes = fc.array(
    fc.tuple(fc.integer({ min: 0, max: size - 1 }), fc.uint8Array({ minLength: 1, maxLength: 8 })),
    {
      minLength: 1,
      maxLength: 4,
    },
  );
  const typed = (what: string) => (e: unknown) => {
    if (!(e instanceof WinipcError)) throw new Error(`${what}: untyped ${e}`);
  };
  await fc.assert(
    fc.asyncProperty(writes, async (writes) => {
      const name = uniqueName("fuzz-rv");
      await using server = ShmServer.listen(name, { capacity: 1024 });
      const accepting = server.accept({ timeout: 10_000 });
      accepting.catch(() => {}); // awaited below, after the peer has done its damage
      await ctl.call({
        corrupt: name,
        target: "rendezvous",
        writes: writes.map(([o, b]) => [o, [...b.subarray(0, size - o)]]),
      });
      // The corrupting client had connected first: its channel is handed out (or refused, typed).
      await accepting.then((ch) => ch.close(), typed("accept"));
      // The next client is served, or refused with a typed error within its timeout.
      const started = performance.now();
      const next = server.accept({ timeout: 2_000 });
      next.then((ch) => ch.close(), () => {});
      await connectShm(name, { timeout: 1_000 }).then((ch) => ch.close(), typed("connect"));
      const ms = performance.now() - started;
      assert(ms < 3_000, `the next client took ${ms.toFixed(0)} ms`);
      await next.catch(() => {});
    }),
    fcParams(40),
  );
});

test("killing the peer mid-stream gives ChannelClosedError within 1 s", async () => {
  const name = uniqueName("kill");
  await using server = ShmServer.listen(name, { capacity: 64 * 1024 });
  await using peer = spawnPeer("shm_peer.ts", ["stream", `shm:${name}`, String(1 << 20)]);
  await using ch = await server.accept({ timeout: 30_000 });
  const first = await ch.receive({ timeout: 30_000 });
  assert(first.length === 1 << 20, "a streamed 1 MiB message");
  const receiving = ch.receive();
  receiving.catch(() => {});
  await new Promise((r) => setTimeout(r, 100));
  const killedAt = performance.now();
  peer.kill();
  let err: unknown;
  // Messages already complete may still arrive; the end must come within 1 s of the kill.
  try {
    while (true) await within(5000, ch.receive(), "receive after kill");
  } catch (e) {
    err = e;
  }
  await receiving.catch(() => {});
  const ms = performance.now() - killedAt;
  assert(err instanceof ChannelClosedError, `expected ChannelClosedError, got ${err}`);
  assert(ms < 1000, `ChannelClosedError after ${ms.toFixed(0)} ms`);
});

test("a mutex abandoned by a killed process is reported as abandoned", async () => {
  const name = uniqueName("mutex");
  using mutex = Mutex.create(name);
  await using ctl = await NamedPipeServer.listen(`${name}-ctl`);
  await using peer = spawnPeer("shm_peer.ts", ["hold-mutex", name, `${name}-ctl`]);
  await using c = await ctl.accept({ timeout: 30_000 });
  assert(new TextDecoder().decode(await c.receive({ timeout: 30_000 })) === '"held"', "peer holds the mutex");
  let err: unknown;
  await mutex.acquire({ timeout: 200 }).catch((e) => err = e);
  assert(err instanceof TimeoutError, `held mutex times out: ${err}`);
  const waiting = mutex.acquire({ timeout: 10_000 });
  peer.kill();
  const got = await waiting;
  assert(got.abandoned, "abandoned is reported");
  mutex.release();
  const again = await mutex.acquire({ timeout: 1000 });
  assert(!again.abandoned, "after release it is an ordinary mutex again");
  mutex.release();
});

test("events and semaphores: waits wake, time out, and abort", async () => {
  using ev = KernelEvent.create(uniqueName("ev"));
  setTimeout(() => ev.set(), 50);
  await ev.wait({ timeout: 5000 });
  let err: unknown;
  await ev.wait({ timeout: 50 }).catch((e) => err = e);
  assert(err instanceof TimeoutError, `auto-reset event was reset by the wait: ${err}`);
  using sem = Semaphore.create(undefined, { initialCount: 1, maximumCount: 2 });
  await sem.acquire({ timeout: 100 });
  const ac = new AbortController();
  setTimeout(() => ac.abort(new Error("stop")), 50);
  err = undefined;
  await sem.acquire({ signal: ac.signal }).catch((e) => err = e);
  assert((err as Error)?.message === "stop", `abort: ${err}`);
  assert(sem.release(2) === 0, "release returns the previous count");
});

test("file-backed mappings persist to the file; waitForAny reports which object was signalled", async () => {
  const dir = windowsTempDir();
  const file = `${dir}winipc-test-${uniqueName("file")}.bin`;
  {
    using mem = SharedMemory.create(undefined, { size: 10_000, file });
    mem.write(9_000, new Uint8Array([1, 2, 3, 4]));
    mem.flush();
  }
  {
    using again = SharedMemory.create(undefined, { size: 10_000, file });
    assert(bytesEqual(again.read(9_000, 4), new Uint8Array([1, 2, 3, 4])), "data read back from the file");
  }
  using a = KernelEvent.create();
  using b = KernelEvent.create();
  setTimeout(() => b.set(), 30);
  const r = await waitForAny([a, b], { timeout: 5000 });
  assert(r.index === 1 && !r.abandoned, `waitForAny: ${JSON.stringify(r)}`);
});

/** The Windows temp directory (with a trailing backslash). */
function windowsTempDir(): string {
  const t = process.env.TEMP ?? process.env.TMP ?? "C:\\Windows\\Temp";
  return t.endsWith("\\") ? t : `${t}\\`;
}
