/**
 * The README's code blocks are what users copy, so they run here as written, in separate
 * processes of this test's runtime (npm test's Linux phase type-checks every block with
 * `deno check --doc-only README.md`):
 * - the echo server and client (`<!-- readme-test: echo-server -->` / `echo-client`) across
 *   processes, while another client vanishes mid-conversation: the server must keep serving, and
 *   print no unhandled error (Deno dies of an unhandled rejection; Bun prints it and goes on);
 * - every other TypeScript block not marked `not-run` on its own: it must exit 0.
 *
 * The blocks import "@winipc/winipc" as a user's program does. Deno resolves the name through this
 * repository's deno.json ("name" and "exports": a package can import itself by name, as a
 * `links` checkout or JSR resolve it for a user); Bun through a tsconfig.json "paths" map, the
 * README's own from-a-checkout map (see readme_blocks.ts).
 */
import { connectNamedPipe } from "../src/mechanisms/pipe/mod.ts";
import { KernelEvent } from "../src/sync.ts";
import { assert, spawnPeer, test, uniqueName, within } from "./_support/harness.ts";
import { runScript, writeReadmeBlocks } from "./_support/readme_blocks.ts";

// The one change made to the README's code: its pipe gets a name of this run's own, so that a
// server left behind by another run (a test killed on timeout leaves its children) cannot hold it.
const PIPE = uniqueName("orders");
const blocks = writeReadmeBlocks({ '"pipe:orders"': `"pipe:${PIPE}"` });
const block = (marker: string) => {
  const b = blocks.find((b) => b.marker === marker);
  assert(b, `README.md has a TypeScript block marked readme-test: ${marker}`);
  return b;
};

/** Resolves false if `p` settles within `ms`, true if it is still pending then. */
async function stillRunning(p: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const pending = new Promise<boolean>((r) => timer = setTimeout(() => r(true), ms));
  return await Promise.race([p.then(() => false, () => false), pending]).finally(() => clearTimeout(timer));
}

/** Runs the README's client block and checks that it printed the echo of "hello". */
async function runClient(): Promise<void> {
  await using client = runScript(block("echo-client").file, { capture: true });
  const code = await within(60_000, client.exited, "the README client");
  const { stdout, stderr } = await client.output;
  assert(code === 0 && stdout.trim() === "hello", `README client: exit ${code}, output ${stdout}${stderr}`);
}

test("README: the echo server keeps serving other clients when one vanishes mid-conversation", async () => {
  for (const role of ["echo-server", "echo-client"]) {
    assert(block(role).code.includes(`"pipe:${PIPE}"`), `the README's ${role} uses "pipe:orders"`);
  }
  await using server = runScript(block("echo-server").file, { capture: true, stopAtOnce: true });
  // A client of our own that stays connected through it all; it also waits for the server to start.
  await using steady = await connectNamedPipe(PIPE, { waitForServer: true, timeout: 60_000 });
  const ping = new TextEncoder().encode("steady");
  for (let round = 0; round < 3; round++) {
    const name = uniqueName("readme-vanish");
    using connected = KernelEvent.create(name, { mode: "create" });
    await using vanishing = spawnPeer("readme_peer.ts", ["vanish", `pipe:${PIPE}`, name]);
    await connected.wait({ timeout: 60_000 });
    await new Promise((r) => setTimeout(r, 300)); // the pipe fills: the server waits in a send
    vanishing.kill();
    await within(10_000, vanishing.exited, "the vanishing client's exit");
    if (!await stillRunning(server.exited, 1500)) {
      throw new Error(
        `round ${round}: the README server exited (code ${await server.exited}) after a client vanished`,
      );
    }
    await steady.send(ping, { timeout: 10_000 });
    const back = await steady.receive({ timeout: 10_000 });
    assert(new TextDecoder().decode(back) === "steady", `round ${round}: the steady client's echo`);
    await runClient();
  }
  // Bun keeps running after an unhandled rejection but prints it: a robust server prints nothing.
  server.kill();
  const { stderr } = await within(10_000, server.output, "the README server's output");
  assert(!/ChannelClosedError|Unhandled|Uncaught/i.test(stderr), `the README server printed:\n${stderr}`);
});

test("README: every TypeScript block not marked runs on its own and exits 0", async () => {
  const standalone = blocks.filter((b) => b.marker === undefined);
  assert(standalone.length > 0, "the README has standalone blocks");
  for (const b of standalone) {
    await using program = runScript(b.file, { capture: true });
    const code = await within(60_000, program.exited, `README.md:${b.line}`);
    const { stdout, stderr } = await program.output;
    assert(code === 0, `README.md:${b.line}: exit ${code}\n${stdout}${stderr}`);
  }
});
