/**
 * The `winipc` command (src/cli/main.ts), run as users run it: `deno run --allow-ffi` or `bun`,
 * in separate processes, data through their standard input and output.
 * - two winipc processes pipe data over a named pipe (both directions) and a mailslot,
 *   byte-exact, for any data (fast-check);
 * - `winipc cat --raw` talks to Node for Windows' `net` server on a pipe (a peer no one here wrote);
 * - `send`, `--help`, and the exit codes scripts rely on.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import process from "node:process";
import { pipePath } from "../src/mechanisms/pipe/mod.ts";
import { EXIT_CODES } from "../src/cli/main.ts";
import {
  assert,
  bytesEqual,
  fc,
  fcParams,
  LIBRARY_DENO_FLAGS,
  patternBytes,
  runtime,
  test,
  uniqueName,
  within,
} from "./_support/harness.ts";
import { type Child, runChild, runtimeExecutable } from "./_support/process.ts";

/** `winipc ARGS` in this test's runtime, with the README's Deno permission only. */
function winipc(args: string[], stdin?: Uint8Array, opts: { openInput?: boolean } = {}): Child {
  const exe = runtimeExecutable();
  const cmd = runtime === "deno"
    ? [exe, "run", ...LIBRARY_DENO_FLAGS, "--no-check", "src/cli/main.ts", ...args]
    : [exe, "src/cli/main.ts", ...args];
  return runChild(cmd, { stdin, openInput: opts.openInput });
}

const text = (b: Uint8Array) => new TextDecoder().decode(b);
const describe = (name: string, c: Child, code: number) =>
  `${name} exited ${code}; stderr: ${c.stderr().trim()}; stdout ${c.stdout().length} bytes`;

/** Waits for a `listen` to say it is listening (or to have exited, which the caller then sees). */
async function listening(c: Child) {
  await within(60_000, c.waitForStderr("winipc: listening on"), "the listen process to start");
}

/** Data from a few bytes to a few hundred KiB (past the 64 KiB message size the CLI sends). */
const dataArb = fc.oneof(
  { weight: 2, arbitrary: fc.uint8Array({ maxLength: 2000 }) },
  {
    weight: 1,
    arbitrary: fc.record({ size: fc.integer({ min: 0, max: 300_000 }), seed: fc.integer() })
      .map((r) => patternBytes(r.size, r.seed)),
  },
);

test("cli: listen and cat pipe data both ways over a named pipe, byte-exact (any data)", async () => {
  await fc.assert(
    fc.asyncProperty(dataArb, dataArb, async (toServer, toClient) => {
      const address = `pipe:${uniqueName("cli")}`;
      await using server = winipc(["listen", address], toClient);
      await listening(server);
      await using client = winipc(["cat", address], toServer);
      const clientCode = await within(120_000, client.exited, "cat");
      const serverCode = await within(60_000, server.exited, "listen");
      assert(clientCode === 0, describe("cat", client, clientCode));
      assert(serverCode === 0, describe("listen", server, serverCode));
      assert(
        bytesEqual(server.stdout(), toServer),
        `listen printed ${server.stdout().length} of ${toServer.length} bytes`,
      );
      assert(
        bytesEqual(client.stdout(), toClient),
        `cat printed ${client.stdout().length} of ${toClient.length} bytes`,
      );
    }),
    fcParams(6),
  );
});

test("cli: cat into a mailslot that listen reads, byte-exact (any data)", async () => {
  await fc.assert(
    fc.asyncProperty(dataArb, async (data) => {
      const address = `mailslot:${uniqueName("cli")}`;
      await using server = winipc(["listen", address]);
      await listening(server);
      await using client = winipc(["cat", address], data);
      const clientCode = await within(120_000, client.exited, "cat");
      const serverCode = await within(60_000, server.exited, "listen");
      assert(clientCode === 0, describe("cat", client, clientCode));
      assert(serverCode === 0, describe("listen", server, serverCode));
      assert(
        bytesEqual(server.stdout(), data),
        `listen printed ${server.stdout().length} of ${data.length} bytes`,
      );
    }),
    fcParams(6),
  );
});

test("cli: cat --raw talks to Node for Windows' net server on a pipe, byte-exact", async () => {
  const node = process.env.WINIPC_NODE;
  assert(node, "WINIPC_NODE is not set: scripts/wine/session.sh provides Node for Windows");
  await fc.assert(
    fc.asyncProperty(fc.integer({ min: 1, max: 400_000 }), fc.integer(), async (size, seed) => {
      const data = patternBytes(size, seed);
      const name = uniqueName("cli-node");
      // Node's output goes to a log file: a Linux pipe as its stdout fails under Wine (EBADF).
      const log = resolve("test-results", `node-${name}.log`);
      mkdirSync(resolve("test-results"), { recursive: true });
      writeFileSync(log, "");
      // The peer sends back every byte XORed with 0x5a and ends the connection after `size` bytes.
      await using server = runChild([
        node,
        "tests/peers/node_pipe_peer.mjs",
        "serve",
        pipePath(name),
        log,
        `${size}`,
      ], {
        discardOutput: true,
      });
      // Node logs "listening" once its pipe exists.
      for (let waited = 0; !readFileSync(log, "utf8").includes("listening"); waited += 100) {
        assert(waited < 60_000, `Node did not start listening: ${readFileSync(log, "utf8")}`);
        await new Promise((r) => setTimeout(r, 100));
      }
      await using client = winipc(["cat", "--raw", `pipe:${name}`], data);
      const code = await within(120_000, client.exited, "cat --raw");
      assert(code === 0, describe("cat --raw", client, code));
      const back = client.stdout().map((b) => b ^ 0x5a);
      assert(
        bytesEqual(back, data),
        `got ${back.length} of ${data.length} bytes back; node: ${readFileSync(log, "utf8")}`,
      );
      assert((await within(30_000, server.exited, "node")) === 0, `node: ${readFileSync(log, "utf8")}`);
      assert(
        readFileSync(log, "utf8").includes(`closed after ${size} bytes`),
        `node: ${readFileSync(log, "utf8")}`,
      );
    }),
    fcParams(4),
  );
});

test("cli: listen --echo on tcp:127.0.0.1:0 serves cat after cat, each getting its data back", async () => {
  await using server = winipc(["listen", "--echo", "tcp:127.0.0.1:0"]);
  await listening(server);
  const address = /listening on (tcp:\S+)/.exec(server.stderr())?.[1];
  assert(address && !address.endsWith(":0"), `the port picked: ${server.stderr()}`);
  for (const size of [0, 1, 70_000, 250_000]) {
    const data = patternBytes(size, size);
    await using client = winipc(["cat", address], data);
    const code = await within(120_000, client.exited, "cat");
    assert(code === 0, describe("cat", client, code));
    assert(bytesEqual(client.stdout(), data), `${size} bytes: got ${client.stdout().length} back`);
  }
  server.kill();
});

test("cli: send delivers one message to a listen --receive-only (its standard input left open)", async () => {
  const address = `pipe:${uniqueName("cli-send")}`;
  await using server = winipc(["listen", "--receive-only", address], undefined, { openInput: true });
  await listening(server);
  await using sender = winipc(["send", address, "hello, pipe"]);
  assert((await within(60_000, sender.exited, "send")) === 0, describe("send", sender, -1));
  const code = await within(60_000, server.exited, "listen");
  assert(code === 0 && text(server.stdout()) === "hello, pipe", describe("listen", server, code));
});

test("cli: exit codes and help: usage 2, nothing there 3, address in use 5, --help 0", async () => {
  const run = async (args: string[]) => {
    await using c = winipc(args);
    const code = await within(60_000, c.exited, `winipc ${args.join(" ")}`);
    return { code, out: text(c.stdout()), err: c.stderr() };
  };
  const help = await run(["--help"]);
  assert(help.code === 0 && help.out.includes("winipc cat ADDRESS"), `--help: ${help.code} ${help.out}`);
  const catHelp = await run(["cat", "--help"]);
  assert(catHelp.code === 0 && catHelp.out.includes("--raw"), `cat --help: ${catHelp.code} ${catHelp.out}`);
  for (
    const args of [["frobnicate"], ["cat"], ["cat", "--bogus", "pipe:x"], ["cat", "nonsense"], [
      "cat",
      "--raw",
      "shm:x",
    ]]
  ) {
    const r = await run(args);
    assert(
      r.code === EXIT_CODES.usage && r.err.startsWith("winipc: "),
      `${args.join(" ")}: ${r.code} ${r.err}`,
    );
  }
  const missing = await run(["cat", `pipe:${uniqueName("cli-missing")}`]);
  assert(missing.code === EXIT_CODES.notFound, `a missing pipe: ${missing.code} ${missing.err}`);
  const address = `pipe:${uniqueName("cli-taken")}`;
  await using first = winipc(["listen", address]);
  await listening(first);
  const second = await run(["listen", address]);
  assert(second.code === EXIT_CODES.addressInUse, `a taken pipe name: ${second.code} ${second.err}`);
  first.kill();
});
