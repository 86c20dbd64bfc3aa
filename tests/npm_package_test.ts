/**
 * The npm package as users install it: the tarball `npm pack` made from scripts/build_npm.ts's
 * output, installed into a new project by the Linux phase (scripts/package_checks.mjs,
 * test-results/npm-consumer). Here, under Wine: the Windows Bun imports it as `winipc` and
 * `winipc/pipe`, the Windows Deno as `npm:winipc` and `npm:winipc/pipe` (from the project's
 * node_modules), Node for Windows as `winipc` and `winipc/pipe` through koffi, and two processes
 * of each make a round trip through it; the package's `winipc` command runs.
 */
import { existsSync, readFileSync } from "node:fs";
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

test(`npm package: Node for Windows imports "winipc" and "winipc/pipe" (koffi installed beside it); two processes make a round trip`, async () => {
  assert(installed, notInstalled);
  const node = process.env.WINIPC_NODE;
  assert(node, "WINIPC_NODE is not set: scripts/wine/session.sh provides Node for Windows");
  const name = uniqueName("npm-node");
  // Node's output goes to files: a Linux pipe as Node's stdout fails under Wine (EBADF).
  const log = (role: string) => resolve(CONSUMER, `node-${role}-${runtime}.log`);
  const start = (role: string) =>
    runChild([node, "roundtrip_node.mjs", role, name, log(role)], { cwd: CONSUMER, discardOutput: true });
  await using server = start("server");
  await using client = start("client");
  const clientCode = await within(120_000, client.exited, "the Node client");
  const serverCode = await within(30_000, server.exited, "the Node server");
  const said = () =>
    `client: ${readFileSync(log("client"), "utf8")}\nserver: ${readFileSync(log("server"), "utf8")}`;
  assert(clientCode === 0 && serverCode === 0, `exit codes ${clientCode}/${serverCode}\n${said()}`);
  assert(readFileSync(log("client"), "utf8").includes("round trip ok"), said());
});
