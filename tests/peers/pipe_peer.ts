/**
 * The other process in named-pipe tests (run by the same runtime as the test).
 *   pipe_peer.ts echo NAME           connect, echo every message back until the server closes
 *   pipe_peer.ts partial-frame NAME  connect (byte mode), write half a frame, then wait to be killed
 *   pipe_peer.ts send NAME N SIZE    connect, send N messages of SIZE bytes (byte i = (seq+i)&255)
 */
import { connectNamedPipe, pipePath } from "../../mod.ts";
import { kernel32 } from "../../src/ffi/kernel32.ts";
import { backend } from "../../src/ffi/runtime.ts";
import { isInvalidHandle } from "../../src/ffi/handle.ts";
import { wstr } from "../../src/ffi/wstr.ts";
import { GENERIC_READ, GENERIC_WRITE, OPEN_EXISTING } from "../../src/ffi/constants.ts";

const [role, name, ...rest] = (globalThis as { Deno?: { args: string[] } }).Deno?.args ??
  (globalThis as unknown as { process: { argv: string[] } }).process.argv.slice(2);

if (role === "partial-frame") {
  // Raw synchronous client: a frame header announcing 1000 bytes, then only 10 of them.
  const h = kernel32.sync.CreateFileW(wstr(pipePath(name)), (GENERIC_READ | GENERIC_WRITE) >>> 0, 0, 0n, OPEN_EXISTING, 0, 0n);
  if (isInvalidHandle(h)) throw new Error(`CreateFileW failed: ${kernel32.sync.GetLastError()}`);
  const bytes = new Uint8Array(14);
  new DataView(bytes.buffer).setUint32(0, 1000, true);
  const written = new Uint32Array(1);
  if (!kernel32.sync.WriteFile(h, backend.addressOf(bytes), bytes.length, written, 0n)) throw new Error("WriteFile");
  console.log("partial-frame written");
  await new Promise(() => {}); // wait to be killed
}

const channel = await connectNamedPipe(name, { waitForServer: true, timeout: 30_000 });
if (role === "echo") {
  for await (const m of channel) await channel.send(m);
} else if (role === "send") {
  const [n, size] = rest.map(Number);
  for (let seq = 0; seq < n; seq++) {
    const m = new Uint8Array(size);
    for (let i = 0; i < size; i++) m[i] = (seq + i) & 255;
    await channel.send(m);
  }
  await channel.receive().catch(() => {}); // wait for the server to close
}
await channel.close();
