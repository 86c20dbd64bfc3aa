/**
 * Peer death, for every two-way mechanism of the shared channel API: a peer process
 * (tests/peers/fault_peer.ts) is killed at points fast-check chooses (during accept, between
 * messages, in the middle of a message it is sending, while this side's send is waiting on it).
 * Each time the survivor, this process, must get ChannelClosedError within 1 s of the peer's end,
 * must be back at its handle and native-memory baseline once the channel is closed, and the same
 * listener must then serve the next peer. A last, well-behaved peer echoes and leaves cleanly.
 * Serial ports are not here: a serial line has no connection to lose, so a dead peer is silence.
 */
import { type Channel, ChannelClosedError, listen, type Listener } from "../mod.ts";
import { openHandleCount } from "../src/ffi/handle.ts";
import { nativeBlockCount } from "../src/ffi/memory.ts";
import { waitPoolHandleCount } from "../src/kernel/wait.ts";
import {
  assert,
  echoMessages,
  fc,
  fcParams,
  type Peer,
  spawnPeer,
  test,
  uniqueName,
  within,
} from "./_support/harness.ts";

/** A two-way mechanism as the test drives it. */
interface Mechanism {
  name: string;
  /** The address to listen on. */
  listen(): string;
  /** The address the peer connects to, from the listen address, when the listener's is not it. */
  connectTo?(listenAddress: string): string;
  /** The largest message the mid-message and long-send kills use (slow toy channels use less). */
  bigMax: number;
  /** Why the mid-message kill cannot be tested here, when it cannot. */
  midMessageSkip?: string;
  /** One message in flight, both ways together (the clipboard's one slot): echo in turns. */
  halfDuplex?: boolean;
}

const MiB = 1024 * 1024;

const mechanisms: Mechanism[] = [
  { name: "pipe (message mode)", listen: () => `pipe:${uniqueName("fault")}`, bigMax: 2 * MiB },
  { name: "pipe (byte mode)", listen: () => `pipe:${uniqueName("fault")}?mode=byte`, bigMax: 2 * MiB },
  {
    name: "tcp",
    listen: () => "tcp:127.0.0.1:0",
    bigMax: 2 * MiB,
    // Measured (ss: the dead peer's socket stays ESTABLISHED, held by wineserver alone): Wine
    // answers a short non-blocking send with success and queues the rest as an async that the
    // sending process runs. Killed with that async queued, the process's socket is never closed,
    // so no FIN or RST reaches the survivor. Windows closes a dead process's sockets.
    midMessageSkip: "under Wine a process killed while its socket send was queued keeps the " +
      "connection open (no FIN or RST), so the survivor cannot see the death; Windows closes it",
  },
  { name: "shm", listen: () => `shm:${uniqueName("fault")}`, bigMax: 2 * MiB },
  {
    name: "dll",
    listen: () => `dll:${uniqueName("fault")}?size=64KiB`,
    connectTo: (a) => a,
    bigMax: 2 * MiB,
  },
  { name: "copydata", listen: () => `copydata:${uniqueName("fault")}`, bigMax: 2 * MiB },
  { name: "dde", listen: () => `dde:${uniqueName("fault")}/fault`, bigMax: MiB },
  { name: "com", listen: () => `com:${uniqueName("fault")}`, bigMax: MiB },
  { name: "rpc", listen: () => `rpc:${uniqueName("fault")}`, bigMax: MiB },
  {
    name: "clipboard",
    listen: () => `clipboard:${uniqueName("fault")}`,
    bigMax: 64 * 1024,
    halfDuplex: true,
  },
];

const text = (s: string) => new TextEncoder().encode(s);
const decode = (m: Uint8Array) => new TextDecoder().decode(m);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The library's own accounting: open handles and live native blocks. The wait pool's handles
 * are discounted: it keeps a wake event per group for the life of the process, and grows (to a
 * few groups) with the most waits ever in flight at once, not with channels.
 */
function counts(): { handles: number; blocks: number } {
  return { handles: openHandleCount() - waitPoolHandleCount(), blocks: nativeBlockCount() };
}

/**
 * Waits (up to 5 s: closes finish asynchronously) for the counts to be back at `base` or below
 * (a block the warm-up still held may be freed since: fewer is not a leak).
 */
async function backToBaseline(base: { handles: number; blocks: number }, what: string): Promise<void> {
  const deadline = performance.now() + 5_000;
  const over = (now: { handles: number; blocks: number }) =>
    now.handles > base.handles || now.blocks > base.blocks;
  let now = counts();
  while (over(now) && performance.now() < deadline) {
    await sleep(50);
    now = counts();
  }
  assert(
    !over(now),
    `${what}: ${now.handles} handles and ${now.blocks} native blocks, baseline ${base.handles} and ${base.blocks}`,
  );
}

/** Kills `peer` and resolves the moment its process has ended. */
async function killed(peer: Peer): Promise<number> {
  peer.kill();
  await within(10_000, peer.exited, "the killed peer's exit");
  return performance.now();
}

/** Resolves when `p` rejects with ChannelClosedError (the time), and fails on anything else. */
async function closedAt(p: Promise<unknown>, what: string): Promise<number> {
  try {
    await p;
  } catch (e) {
    assert(e instanceof ChannelClosedError, `${what} ended with ${e}`);
    return performance.now();
  }
  throw new Error(`${what} did not end`);
}

/** Asserts that the survivor saw the end within 1 s of the peer's exit. */
function promptly(endedAt: number, exitedAt: number, what: string): void {
  const ms = endedAt - exitedAt;
  assert(ms < 1000, `${what}: ChannelClosedError came ${ms.toFixed(0)} ms after the peer's exit`);
}

/**
 * The channel of the peer tagged `tag`. A channel left over from an earlier peer killed during
 * accept (its connection completed, or its hello arrived, before it died) comes first: it must end
 * with ChannelClosedError within 1 s, and is closed.
 */
async function acceptFrom(server: Listener, tag: string): Promise<Channel> {
  while (true) {
    const ch = await server.accept({ timeout: 60_000 });
    const acceptedAt = performance.now();
    let first: Uint8Array | undefined;
    let end: unknown;
    // A stale channel's peer is already dead: its end is due within 1 s; a live peer says hello.
    try {
      first = await ch.receive({ timeout: 60_000 });
    } catch (e) {
      end = e;
    }
    if (first && decode(first) === `hello:${tag}`) return ch;
    if (first) {
      assert(decode(first).startsWith("hello:"), `a first message '${decode(first).slice(0, 40)}'`);
      end = await ch.receive({ timeout: 10_000 }).then(() => "a message", (e) => e);
    }
    assert(end instanceof ChannelClosedError, `a dead peer's channel ended with ${end}`);
    promptly(performance.now(), acceptedAt, "a channel left by a peer killed during accept");
    await ch.close();
  }
}

/** What fast-check chooses: one kill point of each kind. */
interface KillPlan {
  /** ms after the peer's start: before, during or after its connect. */
  acceptDelay: number;
  /** Messages echoed before the peer parks and is killed. */
  between: Uint8Array[];
  /** Size of the peer's endless messages, and ms of them before it is killed. */
  midSize: number;
  midDelay: number;
  /** Size of this side's messages to a peer that does not read, and ms before it is killed. */
  longSize: number;
  longDelay: number;
}

function killPlan(bigMax: number): fc.Arbitrary<KillPlan> {
  return fc.record({
    acceptDelay: fc.integer({ min: 0, max: 2_500 }),
    between: fc.array(fc.uint8Array({ maxLength: 70_000 }), { maxLength: 6 }),
    midSize: fc.integer({ min: 1, max: bigMax }),
    midDelay: fc.integer({ min: 0, max: 300 }),
    longSize: fc.integer({ min: 1, max: bigMax }),
    longDelay: fc.integer({ min: 0, max: 300 }),
  });
}

/** The run of peers against one listener. */
class Scenario {
  #n = 0;
  readonly server: Listener;
  readonly address: string;
  readonly halfDuplex: boolean;
  constructor(server: Listener, address: string, halfDuplex = false) {
    this.server = server;
    this.address = address;
    this.halfDuplex = halfDuplex;
  }

  /** Sends `messages` and checks their echoes: all in flight at once, or in turns. */
  async #echo(ch: Channel, messages: Uint8Array[]): Promise<void> {
    if (!this.halfDuplex) return await echoMessages(ch, messages);
    for (const m of messages) {
      await ch.send(m, { timeout: 30_000 });
      const back = await ch.receive({ timeout: 30_000 });
      assert(back.length === m.length && back.every((b, i) => b === m[i]), "an echo in turn");
    }
  }

  spawn(plan: string, arg = ""): { peer: Peer; tag: string } {
    const tag = `peer${this.#n++}`;
    return { peer: spawnPeer("fault_peer.ts", [this.address, tag, plan, arg]), tag };
  }

  /** A well-behaved peer: fast-check-free fixed messages echoed, then a clean end. */
  async echo(): Promise<void> {
    const { peer, tag } = this.spawn("echo");
    await using _ = peer;
    await using ch = await acceptFrom(this.server, tag);
    await this.#echo(ch, [text("one"), new Uint8Array(0), new Uint8Array(100_000).fill(7)]);
    await ch.close();
    assert((await within(30_000, peer.exited, "the echo peer")) === 0, "the echo peer exits 0");
  }

  /** Killed at `delay` ms from its start, wherever its connect is by then. */
  async duringAccept(delay: number): Promise<void> {
    const { peer } = this.spawn("accept");
    await using _ = peer;
    await sleep(delay);
    await killed(peer);
  }

  /** Echoes `messages`, parks, and is killed while this side waits in receive(). */
  async between(messages: Uint8Array[]): Promise<void> {
    const { peer, tag } = this.spawn("between", String(messages.length));
    await using _ = peer;
    await using ch = await acceptFrom(this.server, tag);
    await this.#echo(ch, messages);
    assert(decode(await ch.receive({ timeout: 30_000 })) === "parked", "the peer parks");
    const end = closedAt(ch.receive({ timeout: 30_000 }), "a receive waiting when the peer died");
    const exitedAt = await killed(peer);
    promptly(await end, exitedAt, "between messages");
  }

  /** Sends `size`-byte messages without end and is killed after `delay` ms of them. */
  async midMessage(size: number, delay: number): Promise<void> {
    const { peer, tag } = this.spawn("mid-message", String(size));
    await using _ = peer;
    await using ch = await acceptFrom(this.server, tag);
    assert(decode(await ch.receive({ timeout: 30_000 })) === "sending", "the peer starts sending");
    // Whole messages may still arrive after the kill; a piece of one never does.
    const end = closedAt(
      (async () => {
        while (true) {
          const m = await ch.receive({ timeout: 30_000 });
          assert(m.length === size && m[0] === 0x5a && m[size - 1] === 0x5a, `a ${m.length}-byte message`);
        }
      })(),
      "receiving from a peer killed mid-message",
    );
    await sleep(delay);
    const exitedAt = await killed(peer);
    promptly(await end, exitedAt, "mid-message");
  }

  /** Does not read; this side sends `size`-byte messages until it is killed after `delay` ms. */
  async longSend(size: number, delay: number): Promise<void> {
    const { peer, tag } = this.spawn("long-send");
    await using _ = peer;
    await using ch = await acceptFrom(this.server, tag);
    assert(decode(await ch.receive({ timeout: 30_000 })) === "parked", "the peer parks");
    const big = new Uint8Array(size).fill(0xa5);
    const sends = closedAt(
      (async () => {
        while (true) await ch.send(big, { timeout: 30_000 });
      })(),
      "a send to a peer that died",
    );
    const receive = closedAt(ch.receive({ timeout: 30_000 }), "a receive waiting when the peer died");
    await sleep(delay);
    const exitedAt = await killed(peer);
    promptly(await sends, exitedAt, "a send waiting on the peer");
    promptly(await receive, exitedAt, "a receive beside the send");
  }
}

for (const m of mechanisms) {
  test(`${m.name}: a peer killed during accept, between messages, mid-message or during a long send`, async () => {
    const address = m.listen();
    await using server = await listen(address);
    const scenario = new Scenario(server, m.connectTo?.(address) ?? server.address, m.halfDuplex);
    await scenario.echo(); // warm-up: the listener's own lazily made resources exist from here
    const base = counts();
    await fc.assert(
      fc.asyncProperty(killPlan(m.bigMax), async (plan) => {
        await scenario.duringAccept(plan.acceptDelay);
        await backToBaseline(base, "after a peer killed during accept");
        await scenario.between(plan.between);
        await backToBaseline(base, "after a peer killed between messages");
        if (!m.midMessageSkip) {
          await scenario.midMessage(plan.midSize, plan.midDelay);
          await backToBaseline(base, "after a peer killed mid-message");
        }
        await scenario.longSend(plan.longSize, plan.longDelay);
        await backToBaseline(base, "after a peer killed during a long send");
      }),
      fcParams(1),
    );
    await scenario.echo(); // and the same listener still serves a new peer
    await backToBaseline(base, "after the last peer");
  });
}

for (const m of mechanisms) {
  if (m.midMessageSkip) test(`${m.name}: a peer killed mid-message`, () => {}, { skip: m.midMessageSkip });
}
