/**
 * The other process in shared-memory and DLL-section tests. Commands arrive as JSON messages over
 * a named-pipe control channel (`CTL`), answers go back the same way.
 *   shm_peer.ts echo ADDRESS            connect to a shm:/dll: channel, echo until it closes
 *   shm_peer.ts stream ADDRESS SIZE     connect and send SIZE-byte messages until killed
 *   shm_peer.ts raw CTL                 serve raw-memory commands:
 *       {open: "shm"|"dll", name, size}  {write: offset, data: [bytes]}  {read: offset, length}
 *       {corrupt: name, writes: [[offset, [bytes]]...], target?: "rendezvous"}  connect as a client
 *                                        to shm:NAME, then overwrite bytes of its ring's header (or of
 *                                        the listener's rendezvous block): the test's side must cope
 *   shm_peer.ts hold-mutex NAME CTL     take the named mutex, say so, wait to be killed
 *   shm_peer.ts client CTL              a client driven over CTL: {connect: address}, {echo: size, seed}
 *                                        (send a message, check its echo), {close: true}
 *   shm_peer.ts write-and-drop KIND NAME SIZE CTL
 *                                        create a region (KIND shm or dll) in a const, write MARKER at
 *                                        MARKER_OFFSET, never touch it again, force GC, then tell CTL
 *                                        and wait for its answer before exiting
 */
import { type Channel, connect } from "../../mod.ts";
import { DllSharedMemory } from "../../src/mechanisms/dll/mod.ts";
import { connectNamedPipe } from "../../src/mechanisms/pipe/mod.ts";
import { connectShm, SharedMemory, type SharedRegion } from "../../src/mechanisms/shm/mod.ts";
import { RENDEZVOUS_LAYOUT, shmRingName } from "../../src/mechanisms/shm/ring_space.ts";
import { Mutex } from "../../src/sync.ts";
import process from "node:process";

const [role, ...args] = process.argv.slice(2);
/** Where `write-and-drop` writes its marker, and how many bytes. */
const MARKER_OFFSET = 100;
const MARKER_LENGTH = 64;
const keepAlive = () => setInterval(() => {}, 1 << 30);
const enc = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));
/** Message bytes both ends can make from (size, seed) without sending them over the control pipe. */
const messageBytes = (size: number, seed: number) =>
  new Uint8Array(size).map((_, i) => (i * 31 + seed) & 255);

if (role === "echo") {
  await using ch = await connect(args[0], { timeout: 30_000 });
  for await (const m of ch) await ch.send(m);
} else if (role === "stream") {
  const ch = await connect(args[0], { timeout: 30_000 });
  const m = new Uint8Array(Number(args[1])).fill(7);
  keepAlive();
  while (true) await ch.send(m);
} else if (role === "raw") {
  await using ctl = await connectNamedPipe(args[0], { waitForServer: true, timeout: 30_000 });
  let region: SharedRegion | undefined;
  const held: unknown[] = [];
  for await (const raw of ctl) {
    const cmd = JSON.parse(new TextDecoder().decode(raw));
    let reply: unknown = "ok";
    try {
      if (cmd.open === "shm") region = SharedMemory.open(cmd.name, { size: cmd.size });
      else if (cmd.open === "dll") region = DllSharedMemory.load(cmd.name, cmd.size);
      else if (cmd.write !== undefined) region!.whole.write(cmd.write, new Uint8Array(cmd.data));
      else if (cmd.read !== undefined) reply = [...region!.whole.read(cmd.read, cmd.length)];
      else if (cmd.corrupt !== undefined) {
        const token = offeredRing(cmd.corrupt); // the ring this client gets: nobody else connects
        held.push(await connectShm(cmd.corrupt)); // keep our end open: the reader must see corruption, not a close
        const target = cmd.target === "rendezvous" ? cmd.corrupt : shmRingName(cmd.corrupt, token);
        const mem = SharedMemory.open(target);
        for (const [offset, bytes] of cmd.writes) mem.whole.write(offset, new Uint8Array(bytes));
        mem.close();
      }
    } catch (e) {
      reply = { error: String(e) };
    }
    await ctl.send(enc(reply));
  }
  region?.close();
} else if (role === "hold-mutex") {
  const m = Mutex.open(args[0]);
  await m.acquire({ timeout: 10_000 });
  const ctl = await connectNamedPipe(args[1], { waitForServer: true, timeout: 30_000 });
  await ctl.send(enc("held"));
  keepAlive();
} else if (role === "client") {
  await using ctl = await connectNamedPipe(args[0], { waitForServer: true, timeout: 30_000 });
  let ch: Channel | undefined;
  for await (const raw of ctl) {
    const cmd = JSON.parse(new TextDecoder().decode(raw));
    let reply: unknown = "ok";
    try {
      if (cmd.connect !== undefined) ch = await connect(cmd.connect, { timeout: 20_000 });
      else if (cmd.echo !== undefined) await echoOnce(ch!, messageBytes(cmd.echo, cmd.seed));
      else if (cmd.close) await ch!.close();
    } catch (e) {
      reply = { error: `${(e as Error)?.name}: ${(e as Error)?.message ?? e}` };
    }
    await ctl.send(enc(reply));
  }
  await ch?.close();
} else if (role === "write-and-drop") {
  // The region is held only by this const, which nothing reads after the write; this branch does not
  // await, so the module's evaluation ends here and the binding is dead, as in a script whose top
  // level writes once and then only runs callbacks. The garbage collector may take the object.
  const [kind, name, size, ctlName] = args;
  const region = kind === "dll"
    ? DllSharedMemory.load(name, Number(size))
    : SharedMemory.create(name, { size: Number(size) });
  region.write(MARKER_OFFSET, messageBytes(MARKER_LENGTH, 7));
  setTimeout(() => reportAfterGc(ctlName).catch((e) => (console.error(e), process.exit(1))), 0);
} else {
  throw new Error(`unknown role ${role}`);
}

/** The token of the ring the `shm:NAME` listener offers now. */
function offeredRing(name: string): number {
  using block = SharedMemory.open(name, { size: RENDEZVOUS_LAYOUT.size });
  return block.whole.int32(0, RENDEZVOUS_LAYOUT.size)[RENDEZVOUS_LAYOUT.offer / 4];
}

/** Sends `m` on `ch` and checks that the same bytes come back. */
async function echoOnce(ch: Channel, m: Uint8Array): Promise<void> {
  await ch.send(m);
  const back = await ch.receive({ timeout: 20_000 });
  if (back.length !== m.length || back.some((b, i) => b !== m[i])) {
    throw new Error(`a ${m.length}-byte message came back as ${back.length} different bytes`);
  }
}

/** Forces full collections (Bun.gc, or gc() when Deno or Node runs with --expose-gc), then reports to CTL. */
async function reportAfterGc(ctlName: string): Promise<void> {
  // deno-lint-ignore no-explicit-any
  const g = globalThis as any;
  const gc: (() => void) | undefined = g.Bun ? () => g.Bun.gc(true) : g.gc;
  for (let i = 0; i < 5; i++) {
    gc?.();
    await new Promise((r) => setTimeout(r, 20)); // finalizers run in a later task
  }
  await using ctl = await connectNamedPipe(ctlName, { waitForServer: true, timeout: 30_000 });
  await ctl.send(enc({ gc: gc !== undefined }));
  await ctl.receive({ timeout: 60_000 }); // the test has read the region
}
