/**
 * The other process in window-message and clipboard tests.
 *   window_peer.ts echo NAME          connect to copydata:NAME and echo every message until closed
 *   window_peer.ts notify NAME MSG    post the registered message MSG (name) to the server window
 *   window_peer.ts clip CTL           clipboard commands over the control pipe CTL (JSON):
 *       {setText} {getText} {setBytes, format, data} {getBytes, format} {setHtml} {getHtml}
 *   window_peer.ts clip-echo NAME     connect to clipboard:NAME and echo messages until closed
 *   window_peer.ts hold NAME          connect to copydata:NAME, send "hello", wait in receive() (to be killed)
 *   window_peer.ts serve NAME READY   serve copydata:NAME (set the event READY once listening), accept one
 *                                     client, send it "hello", wait in receive() (to be killed)
 *   window_peer.ts entries NAME MUTEX the worker-based entries with only the documented permissions:
 *                                     connect to copydata:NAME, open a Clipboard and a WindowHost, then
 *                                     take the mutex MUTEX while the test holds it ("waiting", then "done")
 *   window_peer.ts worker-failures NAME MUTEX MODE   every worker-based entry must reject with a
 *                                     WinipcError (with its cause) when its worker cannot start, and
 *                                     the process must keep running; MODE "revoke" (Deno: ffi permission
 *                                     revoked before the workers start) or "hook" (the test hook makes
 *                                     every worker fail as it starts; then a WindowHost works again);
 *                                     exit code 0 if all good
 */
import { connect, listen, WinipcError } from "../../mod.ts";
import { Clipboard } from "../../src/mechanisms/clipboard/mod.ts";
import { connectNamedPipe } from "../../src/mechanisms/pipe/mod.ts";
import {
  connectCopyData,
  CopyDataServer,
  findCopyDataServer,
  postWindowMessage,
  registerWindowMessage,
  WindowHost,
} from "../../src/mechanisms/window/mod.ts";
import { KernelEvent, Mutex } from "../../src/sync.ts";
import { workerTestHooks } from "../../src/ffi/inline_worker.ts";
import process from "node:process";

const enc = (s: string) => new TextEncoder().encode(s);
// deno-lint-ignore no-explicit-any
const g = globalThis as any;

/** Starts every worker-based entry; each must reject with a WinipcError that has a cause. */
async function expectWorkerFailures(name: string, mutex: Mutex): Promise<string[]> {
  const entries: [string, () => Promise<unknown>][] = [
    ["WindowHost.create", () => WindowHost.create({ className: "winipc-test-failing", title: name })],
    ["Clipboard.open", () => Clipboard.open()],
    ["listen(copydata:)", () => listen(`copydata:${name}`)],
    ["contended Mutex.acquire", () => mutex.acquire({ timeout: 10_000 })],
  ];
  const problems: string[] = [];
  for (const [what, start] of entries) {
    const err = await start().then(() => undefined, (e) => e);
    console.log(`worker-failures: ${what} -> ${err?.name}: ${String(err?.message).split("\n")[0]}`);
    if (!(err instanceof WinipcError)) problems.push(`${what}: expected a WinipcError, got ${err}`);
    else if (err.cause === undefined) problems.push(`${what}: the WinipcError has no cause (${err.message})`);
    else if (!err.message.includes("worker thread")) {
      problems.push(`${what}: not the worker's failure: ${err}`);
    }
  }
  return problems;
}

const [role, a, b, c] = process.argv.slice(2);
if (role === "echo") {
  await using ch = await connectCopyData(a, { sendTimeout: 30_000 });
  for await (const m of ch) await ch.send(m);
} else if (role === "notify") {
  postWindowMessage(findCopyDataServer(a), registerWindowMessage(b), 7n, 42n);
} else if (role === "clip-echo") {
  await using ch = await connect(`clipboard:${a}`, { timeout: 30_000 });
  for await (const m of ch) await ch.send(m, { timeout: 10_000 });
} else if (role === "clip") {
  await using ctl = await connectNamedPipe(a, { waitForServer: true, timeout: 30_000 });
  await using clip = await Clipboard.open();
  for await (const raw of ctl) {
    const cmd = JSON.parse(new TextDecoder().decode(raw));
    let reply: unknown = "ok";
    try {
      if (cmd.setText !== undefined) await clip.writeText(cmd.setText);
      else if (cmd.getText) reply = await clip.readText();
      else if (cmd.setBytes) await clip.writeBytes(cmd.format, new Uint8Array(cmd.data));
      else if (cmd.getBytes) reply = [...(await clip.readBytes(cmd.format)) ?? []];
      else if (cmd.setHtml !== undefined) await clip.writeHtml(cmd.setHtml);
      else if (cmd.getHtml) reply = await clip.readHtml();
    } catch (e) {
      reply = { error: String(e) };
    }
    await ctl.send(new TextEncoder().encode(JSON.stringify(reply)));
  }
} else if (role === "hold") {
  const ch = await connectCopyData(a, { sendTimeout: 30_000 });
  await ch.send(enc("hello"));
  await ch.receive(); // the test kills this process while it waits here
} else if (role === "serve") {
  const server = await CopyDataServer.listen(a);
  KernelEvent.open(b).set();
  const ch = await server.accept({ timeout: 30_000 });
  await ch.send(enc("hello"));
  await ch.receive(); // the test kills this process while it waits here
} else if (role === "entries") {
  await using ch = await connect(`copydata:${a}`, { timeout: 30_000 });
  await (await Clipboard.open()).close();
  await (await WindowHost.create({ className: "winipc-test-entries", title: a })).close();
  using mutex = Mutex.open(b);
  await ch.send(enc("waiting")); // the test holds the mutex and releases it a moment after this
  await mutex.acquire({ timeout: 30_000 });
  mutex.release();
  await ch.send(enc("done"));
} else if (role === "worker-failures") {
  using mutex = Mutex.open(b); // held by the test: acquire() must wait, on a worker
  if (c === "revoke") {
    findCopyDataServer(a); // user32.dll is loaded here first: only the workers lack FFI below
    g.Deno.permissions.revokeSync({ name: "ffi" }); // workers inherit what is left
  } else if (c === "hook") workerTestHooks.startFailure = "simulated: this worker cannot start";
  else throw new Error(`unknown mode ${c}`);
  const problems = await expectWorkerFailures(a, mutex);
  if (c === "hook") {
    workerTestHooks.startFailure = undefined;
    await (await WindowHost.create({ className: "winipc-test-recovered", title: a })).close();
  }
  // Still running: an unhandled worker error would have ended the process by now.
  await new Promise((r) => setTimeout(r, 200));
  for (const p of problems) console.error(`worker-failures: ${p}`);
  process.exitCode = problems.length === 0 ? 0 : 1;
} else {
  throw new Error(`unknown role ${role}`);
}
