/**
 * Leaks: thousands of open/use/close cycles per mechanism must leave this process where it was,
 * counted six ways: the library's own accounting (open OwnedHandles, live native blocks, global
 * memory blocks held), and the system's (this process's entries in the system handle table, its
 * windows, the global atom table). Wine's GetProcessHandleCount does not move, so the system count comes from
 * NtQuerySystemInformation (tests/_support/resources.ts). The first test is the negative control:
 * a deliberate leak of each kind must show in the measure, or the measure proves nothing.
 */
import { type Channel, connect, listen, type Listener } from "../mod.ts";
import { kernel32 } from "../src/ffi/kernel32.ts";
import { user32 } from "../src/ffi/user32.ts";
import { OwnedHandle } from "../src/ffi/handle.ts";
import { nativeBlockCount, NativeMemory } from "../src/ffi/memory.ts";
import { wstr } from "../src/ffi/wstr.ts";
import { SharedMemory } from "../src/kernel/shared_memory.ts";
import { WindowHost } from "../src/kernel/window_host.ts";
import { MailslotClient, MailslotServer } from "../src/mechanisms/mailslot/mod.ts";
import { ddeHeld, ddeLeakForTest } from "../src/mechanisms/dde/dde_memory.ts";
import { KernelEvent, Mutex, Semaphore } from "../src/sync.ts";
import { assert, runtime, test, uniqueName } from "./_support/harness.ts";
import { globalAtomCount, libraryHandleCount, systemHandleCount, windowCount } from "./_support/resources.ts";

/** What the process holds. */
interface Measure {
  libraryHandles: number;
  nativeBlocks: number;
  systemHandles: number;
  windows: number;
  globalAtoms: number;
  /**
   * Global memory blocks the library holds: DDE's (the clipboard's belong to the system once
   * set). No system-side count of them exists, under Wine or Windows.
   */
  globalBlocks: number;
}

function measure(): Measure {
  return {
    libraryHandles: libraryHandleCount(),
    nativeBlocks: nativeBlockCount(),
    systemHandles: systemHandleCount(),
    windows: windowCount(),
    globalAtoms: globalAtomCount(),
    globalBlocks: ddeHeld().blocks,
  };
}

/**
 * How far the system's handle count may drift without a leak: the runtime opens and closes
 * handles of its own (thread pool threads, timers). A leak of one handle per cycle shows as
 * thousands; the negative control leaks far fewer than the cycles run and must still show.
 */
const SYSTEM_HANDLE_DRIFT = 24;

/** The dimensions where `now` is above `base` by more than noise, as text ("" when none). */
function grown(base: Measure, now: Measure): string {
  const over: string[] = [];
  for (const key of Object.keys(base) as (keyof Measure)[]) {
    const allowed = key === "systemHandles" ? SYSTEM_HANDLE_DRIFT : 0;
    if (now[key] - base[key] > allowed) over.push(`${key} ${base[key]} -> ${now[key]}`);
  }
  return over.join(", ");
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Waits (up to 10 s: closes finish asynchronously) until nothing has grown past `base`. */
async function settled(base: Measure): Promise<string> {
  const deadline = performance.now() + 10_000;
  let growth = grown(base, measure());
  while (growth && performance.now() < deadline) {
    await sleep(100);
    growth = grown(base, measure());
  }
  return growth;
}

/**
 * Cycles per mechanism: the 10,000 in one of the two runtimes (each mechanism names its
 * `full` runtime; the two halves take about as long) and 1,000 in the other, where a leak of one
 * object per cycle still shows as a thousand. Both runtimes at 10,000 would add some 12 minutes to
 * the suite. WINIPC_LEAK_CYCLES sets every count, in both runtimes, for a longer soak.
 *
 * Copydata, DDE and the clipboard also run with no other window alive: each connection then
 * starts the shared window thread anew (it ends with its last window), some 100-300 ms under Wine,
 * so those run a twentieth.
 */
const SOAK = Number(process.env.WINIPC_LEAK_CYCLES) || undefined;
const FULL = 10_000;
const QUICK = 1_000;
const cyclesFor = (full: typeof runtime) => SOAK ?? (runtime === full ? FULL : QUICK);
const THREAD_STARTING_CYCLES = Math.ceil((SOAK ?? QUICK) / 20);

/**
 * Runs `cycle` `cycles` times after a warm-up (the lazily made process-wide resources: wait
 * threads, apartments, window threads), then checks that every count is back at its baseline.
 */
async function noLeaks(cycles: number, cycle: (i: number) => Promise<void> | void): Promise<void> {
  for (let i = 0; i < 20; i++) await cycle(i);
  const base = measure();
  const t0 = performance.now();
  for (let i = 0; i < cycles; i++) await cycle(i);
  const seconds = (performance.now() - t0) / 1000;
  console.log(`  ${cycles} cycles in ${seconds.toFixed(1)} s; baseline ${JSON.stringify(base)}`);
  const growth = await settled(base);
  assert(growth === "", `after ${cycles} cycles: ${growth}`);
}

test("leak measure: a deliberate leak of each kind is caught (negative control)", async () => {
  const base = measure();
  const leaked = { owned: [] as OwnedHandle[], raw: [] as bigint[], blocks: [] as NativeMemory[] };
  const windows: bigint[] = [];
  const atoms: number[] = [];
  const n = 100;
  const cls = wstr("STATIC");
  for (let i = 0; i < n; i++) {
    leaked.owned.push(new OwnedHandle(kernel32.sync.CreateEventW(null, 1, 0, null)));
    leaked.raw.push(kernel32.sync.CreateEventW(null, 1, 0, null));
    leaked.blocks.push(new NativeMemory(16));
    windows.push(
      user32().sync.CreateWindowExW(0, cls, null, 0, 0, 0, 0, 0, 0xfffffffffffffffdn, 0n, 0n, 0n) as bigint,
    );
    atoms.push(kernel32.sync.GlobalAddAtomW(wstr(uniqueName(`atom${i}`))));
  }
  ddeLeakForTest(n); // counted as held, as a block nobody freed would be
  const now = measure();
  try {
    assert(
      now.libraryHandles - base.libraryHandles === n,
      `library handles ${base.libraryHandles} -> ${now.libraryHandles}`,
    );
    assert(
      now.nativeBlocks - base.nativeBlocks === n,
      `native blocks ${base.nativeBlocks} -> ${now.nativeBlocks}`,
    );
    assert(
      now.systemHandles - base.systemHandles >= 2 * n - SYSTEM_HANDLE_DRIFT,
      `system handles ${base.systemHandles} -> ${now.systemHandles} after ${2 * n} leaked`,
    );
    assert(now.windows - base.windows === n, `windows ${base.windows} -> ${now.windows}`);
    assert(
      now.globalAtoms - base.globalAtoms === n,
      `global atoms ${base.globalAtoms} -> ${now.globalAtoms}`,
    );
    assert(
      now.globalBlocks - base.globalBlocks === n,
      `global blocks ${base.globalBlocks} -> ${now.globalBlocks}`,
    );
    assert(grown(base, now) !== "", "the leak check reports the growth");
  } finally {
    ddeLeakForTest(-n);
    for (const h of leaked.owned) h.close();
    for (const h of leaked.raw) kernel32.sync.CloseHandle(h);
    for (const b of leaked.blocks) b[Symbol.dispose]();
    for (const w of windows) user32().sync.DestroyWindow(w);
    for (const a of atoms) kernel32.sync.GlobalDeleteAtom(a);
  }
  assert((await settled(base)) === "", "the controls' own cleanup brings every count back");
});

/** One connection's worth of use on a channel listener: connect, a message each way, close. */
async function channelCycle(listener: Listener, address: string): Promise<void> {
  const connecting = connect(address, { timeout: 30_000 });
  const accepted: Channel = await listener.accept({ timeout: 30_000 });
  const client = await connecting;
  const m = Uint8Array.of(1, 2, 3);
  // The receive waits before the send: a clipboard send resolves only once it is acknowledged.
  const arriving = accepted.receive({ timeout: 30_000 });
  await client.send(m);
  const replying = client.receive({ timeout: 30_000 });
  await accepted.send(await arriving);
  await replying;
  await client.close();
  await accepted.close();
}

/** A channel mechanism's leak test. */
interface ChannelCase {
  name: string;
  /** The listen address (a new name each time). */
  address: () => string;
  cycles: number;
  /**
   * Keep another window on the shared window thread meanwhile, so the thread stays: each cycle
   * then only makes and destroys its windows there.
   */
  keepThread?: boolean;
}

const channels: ChannelCase[] = [
  { name: "pipe (message mode)", address: () => `pipe:${uniqueName("leak")}`, cycles: cyclesFor("deno") },
  {
    name: "pipe (byte mode)",
    address: () => `pipe:${uniqueName("leak")}?mode=byte`,
    cycles: cyclesFor("deno"),
  },
  { name: "tcp", address: () => "tcp:127.0.0.1:0", cycles: cyclesFor("bun") },
  { name: "shm", address: () => `shm:${uniqueName("leak")}`, cycles: cyclesFor("deno") },
  { name: "dll", address: () => `dll:${uniqueName("leak")}?size=64KiB`, cycles: cyclesFor("deno") },
  { name: "copydata", address: () => `copydata:${uniqueName("leak")}`, cycles: THREAD_STARTING_CYCLES },
  { name: "dde", address: () => `dde:${uniqueName("leak")}/leak`, cycles: THREAD_STARTING_CYCLES },
  { name: "clipboard", address: () => `clipboard:${uniqueName("leak")}`, cycles: THREAD_STARTING_CYCLES },
  {
    name: "copydata (thread kept)",
    address: () => `copydata:${uniqueName("leak")}`,
    cycles: cyclesFor("bun"),
    keepThread: true,
  },
  {
    name: "dde (thread kept)",
    address: () => `dde:${uniqueName("leak")}/leak`,
    cycles: cyclesFor("bun"),
    keepThread: true,
  },
  {
    name: "clipboard (thread kept)",
    address: () => `clipboard:${uniqueName("leak")}`,
    cycles: cyclesFor("bun"),
    keepThread: true,
  },
  { name: "com", address: () => `com:${uniqueName("leak")}`, cycles: cyclesFor("bun") },
  { name: "rpc", address: () => `rpc:${uniqueName("leak")}`, cycles: cyclesFor("deno") },
];

for (const { name, address, cycles, keepThread } of channels) {
  test(`leaks: ${name}: ${cycles} connect/send/receive/close cycles leave every count at baseline`, async () => {
    const at = address();
    await using listener = await listen(at);
    const to = at.startsWith("dll:") ? at : listener.address; // a dll: client repeats the size
    await using _keeper = keepThread
      ? await WindowHost.create({
        className: "winipc-leak-keeper",
        title: uniqueName("keeper"),
        sharedThread: true,
      })
      : undefined;
    await noLeaks(cycles, () => channelCycle(listener, to));
  });
}

const MAILSLOT_CYCLES = cyclesFor("deno");
test(`leaks: mailslot: ${MAILSLOT_CYCLES} create/open/send/receive/close cycles leave every count at baseline`, async () => {
  const name = uniqueName("leak-slot");
  await noLeaks(MAILSLOT_CYCLES, async () => {
    await using server = MailslotServer.create(name);
    await using client = MailslotClient.open(server.path);
    await client.send(Uint8Array.of(1));
    await server.receive({ timeout: 30_000 });
  });
});

const KERNEL_CYCLES = cyclesFor("deno");
test(`leaks: kernel objects: ${KERNEL_CYCLES} mapping/event/mutex/semaphore cycles leave every count at baseline`, async () => {
  const name = uniqueName("leak-sync");
  await noLeaks(KERNEL_CYCLES, async () => {
    using memory = SharedMemory.create(name, { size: 4096, mode: "create" });
    memory.bytes[0] = 1;
    using event = KernelEvent.create(`${name}-event`);
    event.set();
    await event.wait({ timeout: 1_000 });
    using mutex = Mutex.create(`${name}-mutex`);
    await mutex.acquire({ timeout: 1_000 });
    mutex.release();
    using semaphore = Semaphore.create(`${name}-semaphore`, { initialCount: 1 });
    await semaphore.acquire({ timeout: 1_000 });
  });
});
