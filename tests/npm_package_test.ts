/**
 * The npm package as users install it: the tarball `npm pack` made from scripts/build_npm.ts's
 * output, installed into a new project by the Linux phase (scripts/package_checks.mjs,
 * test-results/npm-consumer). Here, under Wine: the Windows Bun imports it as `winipc` and
 * `winipc/pipe`, the Windows Deno as `npm:winipc` and `npm:winipc/pipe` (from the project's
 * node_modules), and two processes of each make a round trip through it; the package's `winipc`
 * command runs; Node for Windows gets the unsupported-runtime error at import.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import process from "node:process";
import { assert, runtime, test, uniqueName, within } from "./_support/harness.ts";
import { runChild, runtimeExecutable } from "./_support/process.ts";

const CONSUMER = resolve("test-results/npm-consumer");
const installed = existsSync(resolve(CONSUMER, "node_modules/winipc/package.json"));
const notInstalled = "the Linux phase did not install the package (see its npm package checks)";

/** This runtime running a script of the consumer project, with only the documented permission. */
function consumerScript(args: string[]) {
  const exe = runtimeExecutable();
  const cmd = runtime === "deno"
    ? [exe, "run", "--allow-ffi", "--node-modules-dir=manual", "--no-config", ...args]
    : [exe, ...args];
  return runChild(cmd, { cwd: CONSUMER });
}

test(`npm package: ${runtime} imports "winipc" and "winipc/pipe" from node_modules; two processes make a round trip`, async () => {
  assert(installed, notInstalled);
  const script = runtime === "deno" ? "roundtrip_deno.ts" : "roundtrip_bun.ts";
  const name = uniqueName("npm-package");
  await using server = consumerScript([script, "server", name]);
  await using client = consumerScript([script, "client", name]);
  const clientCode = await within(120_000, client.exited, "the client");
  const serverCode = await within(30_000, server.exited, "the server");
  const said = () =>
    `client: ${new TextDecoder().decode(client.stdout())}${client.stderr()}\nserver: ${server.stderr()}`;
  assert(clientCode === 0 && serverCode === 0, `exit codes ${clientCode}/${serverCode}\n${said()}`);
  assert(new TextDecoder().decode(client.stdout()).includes("round trip ok"), said());
});

test(`npm package: ${runtime} runs the package's winipc command (its bin)`, async () => {
  assert(installed, notInstalled);
  const pkg = JSON.parse(readFileSync(resolve(CONSUMER, "node_modules/winipc/package.json"), "utf8"));
  const bin = resolve(CONSUMER, "node_modules/winipc", pkg.bin.winipc);
  await using cli = consumerScript([bin, "--version"]);
  const code = await within(60_000, cli.exited, "winipc --version");
  const out = new TextDecoder().decode(cli.stdout());
  assert(code === 0 && out.trim() === `winipc ${pkg.version}`, `exit ${code}: ${out}${cli.stderr()}`);
});

test("npm package: Node for Windows importing it gets the unsupported-runtime error, naming Deno and Bun", async () => {
  assert(installed, notInstalled);
  const node = process.env.WINIPC_NODE;
  assert(node, "WINIPC_NODE is not set: scripts/wine/session.sh provides Node for Windows");
  // Node's output goes to a file: a Linux pipe as Node's stdout fails under Wine (EBADF).
  const log = resolve(CONSUMER, `node-import-${runtime}.log`);
  writeFileSync(log, "");
  await using child = runChild([node, "node_import.mjs", log], { cwd: CONSUMER, discardOutput: true });
  const code = await within(60_000, child.exited, "node");
  const said = readFileSync(log, "utf8");
  assert(code === 0, `node exited ${code}: ${said}${child.stderr()}`);
  assert(/unsupported runtime/.test(said) && /Deno/.test(said) && /Bun/.test(said), `Node said: ${said}`);
});
