/**
 * Child processes with anonymous pipes: spawn() starts this same script again as a child (with
 * CreateProcessW, not the runtime's subprocess API), writes lines to its stdin, closes it, and
 * reads what the child wrote to its stdout (the lines in upper case) until end-of-stream; then
 * the child's exit code.
 *
 *   deno run --allow-ffi examples/process.ts
 *   bun examples/process.ts
 *
 * (`examples/process.ts child` is the child's part: it reads its stdin to the end.)
 */
import process from "node:process";
import { fileURLToPath } from "node:url";
import { TimeoutError } from "../mod.ts";
import { spawn } from "../src/mechanisms/process/mod.ts";

const encode = (text: string) => new TextEncoder().encode(text);
const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

async function parent(): Promise<void> {
  // The command line that runs this script in this same runtime, with the same permission.
  const script = fileURLToPath(import.meta.url);
  const args = process.versions.deno ? ["run", "--allow-ffi", script, "child"] : [script, "child"];
  await using child = spawn(process.execPath, { args }); // stdin and stdout: pipes; stderr: ours
  console.log(`parent: started child process ${child.pid}`);
  await child.stdin!.write(encode("hello\nanonymous pipes\n"));
  await child.stdin!.close(); // end-of-stream: the child's read loop ends
  const output = decode(await child.stdout!.readAll({ timeout: 30_000 }));
  for (const line of output.trim().split(/\r?\n/)) console.log(`parent: the child wrote "${line}"`);
  console.log(`parent: the child exited with code ${await child.wait({ timeout: 10_000 })}`);
}

/** Upper-cases its whole stdin onto its stdout: plain standard handles, no winipc needed here. */
async function child(): Promise<void> {
  let input = "";
  for await (const chunk of process.stdin) input += typeof chunk === "string" ? chunk : decode(chunk);
  process.stdout.write(input.toUpperCase());
}

try {
  if (process.argv[2] === "child") await child();
  else await parent();
} catch (e) {
  // A child that does not finish in time gets one line; a bug keeps its stack.
  if (!(e instanceof TimeoutError)) throw e;
  console.error(`${e.name}: ${e.message}`);
  process.exitCode = 1;
}
