/**
 * The other process in named-pipe tests (run by the same runtime as the test).
 *   pipe_peer.ts echo NAME               connect, echo every message back until the server closes
 *   pipe_peer.ts partial-frame NAME      raw client: write half a frame, then wait to be killed
 *   pipe_peer.ts hold NAME N             open N connections and wait (to be killed)
 *   pipe_peer.ts stress NAME CLIENTS N   CLIENTS connections at once, each sends N numbered
 *                                        messages and checks their echoes; exit code 0 if all good
 *   pipe_peer.ts queue NAME CLIENTS      CLIENTS clients at once (more than the server's instances):
 *                                        each sends its number, checks the echo and closes; exit
 *                                        code 0 once every client was served
 */
import { connectNamedPipe, pipePath } from "../../src/mechanisms/pipe/mod.ts";
import { kernel32 } from "../../src/ffi/kernel32.ts";
import { backend } from "../../src/ffi/runtime.ts";
import { isInvalidHandle } from "../../src/ffi/handle.ts";
import { wstr } from "../../src/ffi/wstr.ts";
import { OPEN_EXISTING } from "../../src/ffi/headers/winbase.ts";
import { GENERIC_READ, GENERIC_WRITE } from "../../src/ffi/headers/winnt.ts";
import process from "node:process";

const [role, name, ...rest] = process.argv.slice(2);
const connect = () => connectNamedPipe(name, { waitForServer: true, timeout: 30_000 });

if (role === "echo") {
  await using channel = await connect();
  for await (const m of channel) await channel.send(m);
} else if (role === "partial-frame") {
  // Synchronous raw client: a frame header announcing 1000 bytes, then only 10 of them.
  const access = (GENERIC_READ | GENERIC_WRITE) >>> 0;
  const h = kernel32.sync.CreateFileW(wstr(pipePath(name)), access, 0, 0n, OPEN_EXISTING, 0, 0n);
  if (isInvalidHandle(h)) throw new Error(`CreateFileW failed: ${kernel32.sync.GetLastError()}`);
  const bytes = new Uint8Array(14);
  new DataView(bytes.buffer).setUint32(0, 1000, true);
  const written = new Uint32Array(1);
  if (!kernel32.sync.WriteFile(h, backend.addressOf(bytes), bytes.length, written, 0n)) {
    throw new Error("WriteFile");
  }
  setInterval(() => {}, 1 << 30); // keep the process alive until killed
} else if (role === "hold") {
  const channels = [];
  for (let i = 0; i < Number(rest[0]); i++) channels.push(await connect());
  setInterval(() => {}, 1 << 30); // keep the process alive until killed
} else if (role === "stress") {
  const [clients, count] = rest.map(Number);
  const one = async (client: number) => {
    await using ch = await connect();
    const sending = (async () => {
      for (let seq = 0; seq < count; seq++) {
        const m = new Uint8Array(8 + (seq % 57));
        const v = new DataView(m.buffer);
        v.setUint32(0, client, true);
        v.setUint32(4, seq, true);
        await ch.send(m);
      }
    })();
    for (let seq = 0; seq < count; seq++) {
      const m = await ch.receive({ timeout: 60_000 });
      const v = new DataView(m.buffer, m.byteOffset);
      if (m.length !== 8 + (seq % 57) || v.getUint32(0, true) !== client || v.getUint32(4, true) !== seq) {
        throw new Error(`client ${client}: echo ${seq} wrong`);
      }
    }
    await sending;
  };
  await Promise.all(Array.from({ length: clients }, (_, i) => one(i)));
} else if (role === "queue") {
  const one = async (client: number) => {
    // Waits (WaitNamedPipeW) while every instance is taken, within the timeout.
    await using ch = await connect();
    await ch.send(new Uint8Array([client]));
    const back = await ch.receive({ timeout: 60_000 });
    if (back.length !== 1 || back[0] !== client) throw new Error(`client ${client}: wrong echo ${back}`);
  };
  await Promise.all(Array.from({ length: Number(rest[0]) }, (_, i) => one(i)));
} else {
  throw new Error(`unknown role ${role}`);
}
