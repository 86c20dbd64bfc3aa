/**
 * The other process in shared-memory and DLL-section tests. Commands arrive as JSON messages over
 * a named-pipe control channel (`CTL`), answers go back the same way.
 *   shm_peer.ts echo ADDRESS            connect to a shm:/dll: channel, echo until it closes
 *   shm_peer.ts stream ADDRESS SIZE     connect and send SIZE-byte messages until killed
 *   shm_peer.ts raw CTL                 serve raw-memory commands:
 *       {open: "shm"|"dll", name, size}  {write: offset, data: [bytes]}  {read: offset, length}
 *       {corrupt: name, writes: [[offset, [bytes]]...]}  connect as a client to shm:NAME, then
 *                                        overwrite header bytes (the test's reader must cope)
 *   shm_peer.ts hold-mutex NAME CTL     take the named mutex, say so, wait to be killed
 */
import { connect } from "../../mod.ts";
import { DllSharedMemory } from "../../src/mechanisms/dll/mod.ts";
import { connectNamedPipe } from "../../src/mechanisms/pipe/mod.ts";
import { connectShm, SharedMemory, type SharedRegion } from "../../src/mechanisms/shm/mod.ts";
import { Mutex } from "../../src/sync.ts";
import process from "node:process";

const [role, ...args] = process.argv.slice(2);
const keepAlive = () => setInterval(() => {}, 1 << 30);
const enc = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));

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
        const ch = connectShm(cmd.corrupt);
        held.push(ch); // keep our end open: the reader must see corruption, not a close
        const mem = SharedMemory.open(cmd.corrupt);
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
} else {
  throw new Error(`unknown role ${role}`);
}
