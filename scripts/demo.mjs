#!/usr/bin/env node
// `npm run demo`: sets up the Wine environment (once, cached) and runs examples/demo.ts in the
// Windows builds of Deno and Bun, showing its output without the known noise of Bun under Wine.
// scripts/test.mjs runs the same demo (demoInRuntime) and checks it (checkDemo).
import { spawn, spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const repo = join(dirname(fileURLToPath(import.meta.url)), "..");
const session = join(repo, "scripts/wine/session.sh");
export const DEMO = "examples/demo.ts";

// Bun 1.4 for Windows, under Wine, prints this line on stderr in every bun.exe process (the demo
// and each child it starts): "Internal error: directory mismatch for directory
// "Z:\winipc\package.json", fd 52[handle]. You don't need to do anything, but this indicates a bug."
// It comes from Bun's module resolver meeting Wine's directory handles, not from winipc, and it is
// harmless (Bun says so itself), so the demo does not show it. Nothing else is filtered.
const BUN_UNDER_WINE_NOISE = /^Internal error: directory mismatch for directory .*this indicates a bug\.\s*$/;

/** Copies a child's stream to `out` line by line, leaving out the known noise; resolves its text. */
function quietCopy(stream, out) {
  return new Promise((resolve) => {
    let text = "", partial = "";
    const emit = (line) => {
      if (BUN_UNDER_WINE_NOISE.test(line)) return;
      text += line;
      out.write(line);
    };
    stream.setEncoding("utf8");
    stream.on("data", (chunk) => {
      const lines = (partial + chunk).split(/(?<=\n)/);
      partial = lines.at(-1).endsWith("\n") ? "" : lines.pop();
      lines.forEach(emit);
    });
    stream.on("close", () => {
      if (partial) emit(partial);
      resolve(text);
    });
  });
}

/**
 * Runs the demo in `runtime` ("deno" or "bun") inside the Wine session (which must be up), with
 * the noise filtered; `timeoutMs` kills a demo that hangs. Resolves `{ code, output }` (stdout and
 * stderr as shown).
 */
export async function demoInRuntime(runtime, timeoutMs = Infinity) {
  // The permissions examples/demo.ts documents (and gives its children), not -A.
  const deno = ["deno", "run", "--allow-ffi", "--allow-read", "--allow-env", "--no-check", DEMO];
  const command = runtime === "deno" ? deno : ["bun", DEMO];
  const child = spawn("bash", [session, "exec", ...command], {
    cwd: repo,
    stdio: ["ignore", "pipe", "pipe"],
  });
  const timer = Number.isFinite(timeoutMs) ? setTimeout(() => child.kill("SIGKILL"), timeoutMs) : undefined;
  child.on("exit", () => {
    clearTimeout(timer);
    // A Wine process left behind (after a timeout) would hold the pipes open: stop reading them.
    setTimeout(() => [child.stdout, child.stderr].forEach((s) => s.destroy()), 2000).unref();
  });
  const [stdout, stderr, code] = await Promise.all([
    quietCopy(child.stdout, process.stdout),
    quietCopy(child.stderr, process.stderr),
    new Promise((resolve) => child.on("exit", (c) => resolve(c ?? 1))),
  ]);
  return { code, output: stdout + stderr };
}

/**
 * What is wrong with a demo run, as a list of sentences (empty: it passed). The demo must exit 0,
 * report every step passed, name every mechanism subpath in deno.json "exports" (each subpath
 * under src/mechanisms/ is one), and print no warning, error or skipped step.
 */
export function checkDemo({ code, output }) {
  const problems = [];
  if (code !== 0) problems.push(`the demo exited with code ${code}`);
  if (!/^All \d+ steps passed in [\d.]+ s\.$/m.test(output)) {
    problems.push("the demo did not report all steps passed");
  }
  const exports = JSON.parse(readFileSync(join(repo, "deno.json"), "utf8")).exports;
  for (const [entry, path] of Object.entries(exports)) {
    const subpath = entry.replace(/^\.\//, "");
    if (path.includes("src/mechanisms/") && !output.includes(`(@winipc/winipc/${subpath})`)) {
      problems.push(`no demo step covers @winipc/winipc/${subpath}`);
    }
  }
  for (const line of output.split("\n")) {
    if (/warn|error|skipped|FAILED/i.test(line)) problems.push(`noise or failure: ${line.trim()}`);
  }
  return problems;
}

async function main() {
  process.chdir(repo);
  const sh = (cmd, args) => spawnSync(cmd, args, { stdio: "inherit" }).status ?? 1;
  if (!existsSync("node_modules/.package-lock.json")) sh("npm", ["ci", "--no-audit", "--no-fund"]);
  if (sh("bash", [session, "up"]) !== 0) process.exit(1);
  let failed = 0;
  try {
    for (const runtime of ["deno", "bun"]) {
      const problems = checkDemo(await demoInRuntime(runtime));
      for (const p of problems) console.error(`[demo] ${runtime}: ${p}`);
      if (problems.length > 0) failed++;
      console.log();
    }
  } finally {
    sh("bash", [session, "down"]);
  }
  process.exit(failed ? 1 : 0);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
