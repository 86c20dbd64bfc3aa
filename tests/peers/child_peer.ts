/**
 * A child started by the library's spawn() in anonymous-pipe tests. It talks through its
 * standard handles only (the runtime's own stdin/stdout).
 *   child_peer.ts echo     copy stdin to stdout until end-of-stream, then exit 0
 *   child_peer.ts adopt    read a handle value (decimal, one line) from stdin, adopt it, signal the
 *                          event it names, close it twice, check it is gone, print "closed-once"
 *   child_peer.ts hang     print "ready" and wait to be killed
 */
import { adoptHandle } from "../../src/mechanisms/process/mod.ts";
import { kernel32 } from "../../src/ffi/kernel32.ts";
import process from "node:process";

const [role] = process.argv.slice(2);
// deno-lint-ignore no-explicit-any
const g = globalThis as any;

async function* stdinChunks(): AsyncGenerator<Uint8Array> {
  if (g.Deno) {
    for await (const c of g.Deno.stdin.readable) yield c;
  } else if (g.Bun) {
    for await (const c of g.Bun.stdin.stream()) yield c;
  } else {
    for await (const c of process.stdin) yield c as Uint8Array;
  }
}
async function writeOut(bytes: Uint8Array) {
  if (g.Deno) {
    let done = 0;
    while (done < bytes.length) done += await g.Deno.stdout.write(bytes.subarray(done));
  } else if (g.Bun) {
    await g.Bun.write(g.Bun.stdout, bytes);
  } else {
    await new Promise<void>((resolve, reject) =>
      process.stdout.write(bytes, (e) => e ? reject(e) : resolve())
    );
  }
}

if (role === "echo") {
  for await (const chunk of stdinChunks()) await writeOut(chunk);
} else if (role === "adopt") {
  let line = "";
  for await (const chunk of stdinChunks()) {
    line += new TextDecoder().decode(chunk);
    if (line.includes("\n")) break;
  }
  const value = BigInt(line.trim());
  const handle = adoptHandle(value);
  kernel32.sync.SetEvent(handle.value);
  handle.close();
  handle.close(); // a second close must do nothing
  const gone = kernel32.sync.GetHandleInformation(value, new Uint32Array(1)) === 0;
  await writeOut(new TextEncoder().encode(gone ? "closed-once\n" : "still-open\n"));
} else if (role === "hang") {
  await writeOut(new TextEncoder().encode("ready\n"));
  setInterval(() => {}, 1 << 30);
} else {
  throw new Error(`unknown role ${role}`);
}
