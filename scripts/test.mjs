#!/usr/bin/env node
// `npm test [-- [--linux-only] NAME...]`, in two phases:
//
//  1. Linux, before Wine starts (the Linux build of Deno, node_modules/@deno/linux-x64-glibc):
//     - checks: deno check (mod.ts src/ tests/ examples/ bench/), the README's TypeScript blocks
//       and Deno install from a checkout (scripts/readme_checks.mjs), deno lint, deno fmt --check,
//       `deno doc --lint` on each entry point in deno.json "exports" (one check each), and the
//       source scans of scripts/source_checks.mjs (runtime APIs only in src/ffi, core imports only
//       core, GetLastError only in the call-checking helpers, tests/core load only pure modules),
//       and scripts/package_checks.mjs (the npm package built, packed, installed offline into
//       test-results/npm-consumer and type-checked as a consumer; typedoc with warnings as errors);
//     - the pure test tier: each tests/core/*_test.ts in `deno test`, with no permission but
//       --allow-env (no FFI, files, network or subprocesses), each test counted.
//  2. Wine: every tests/*_test.ts in the Windows builds of Deno and of Bun (two at a time, each in
//     a Wine prefix of its own: LANES; one at a time with WINIPC_LANES=1), then `npm run demo`'s
//     examples/demo.ts in both (checked by scripts/demo.mjs checkDemo: every step passed, every
//     mechanism covered, no noise).
//
// A NAME selects the test files (of both phases) whose name contains it, and the demo if
// "examples/demo.ts" contains it (`npm test -- demo`); the checks always run.
// A failed check or Linux test does not stop the Wine phase. `--linux-only` runs phase 1 alone
// (quick, no Wine needed: `node scripts/test.mjs --linux-only`).
// Writes test-results/summary.json (runtime "linux", "deno" or "bun" per file) and ends with the
// line `N passed, M failed[, K skipped]` (tests, plus one per check).
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, watch, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { sourceChecks } from "./source_checks.mjs";
import { checkDemo, DEMO, demoInRuntime } from "./demo.mjs";
import { readmeChecks } from "./readme_checks.mjs";
import { packageChecks } from "./package_checks.mjs";

const repo = join(dirname(fileURLToPath(import.meta.url)), "..");
process.chdir(repo);
const args = process.argv.slice(2);
const linuxOnly = args.includes("--linux-only");
const names = args.filter((a) => a !== "--linux-only");
const session = join(repo, "scripts/wine/session.sh");
const FILE_TIMEOUT_MS = 15 * 60_000;
const LINUX_FILE_TIMEOUT_MS = 5 * 60_000;
const DEMO_TIMEOUT_MS = 5 * 60_000;
const linuxDeno = join(repo, "node_modules/@deno/linux-x64-glibc/deno");
const linuxEnv = { ...process.env, DENO_NO_UPDATE_CHECK: "1", NO_COLOR: "1" };

function sh(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { stdio: "inherit", ...opts });
  return r.status ?? 1;
}

function ensureNodeModules() {
  if (existsSync("node_modules/.package-lock.json") && existsSync("node_modules/fast-check")) return;
  console.log("[test] installing dev dependencies (npm ci)");
  if (sh("npm", ["ci", "--no-audit", "--no-fund"]) !== 0) throw new Error("npm ci failed");
}

/**
 * Runs one command and resolves with {code, output}; its output is echoed as it comes, unless
 * `echo` is false (the caller prints it whole: two test files run at once).
 */
function run(cmd, args, timeoutMs, env = process.env, echo = true) {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: ["ignore", "pipe", "pipe"], env });
    let output = "";
    const onData = (d) => {
      const s = d.toString();
      output += s;
      if (echo) process.stdout.write(s);
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    const timer = setTimeout(() => {
      output += `\n[test] killed after ${timeoutMs / 1000} s\n`;
      child.kill("SIGKILL");
    }, timeoutMs);
    // Resolve on exit (not close): a Wine helper process that inherited the pipes must not keep
    // the run waiting. Give the streams a moment to drain first.
    child.on("exit", (code) => {
      clearTimeout(timer);
      setTimeout(() => {
        child.stdout.destroy();
        child.stderr.destroy();
        resolve({ code: code ?? 1, output });
      }, 300);
    });
  });
}

/** Counts from the runner's own summary; a file that ran nothing countable counts as 1 failed. */
function parseCounts(runtime, output, code) {
  // deno: "ok | 11 passed | 0 failed | 1 ignored (12s)"; bun: " 11 pass", " 1 skip", " 0 fail";
  // node (spec reporter): "ℹ pass 11", "ℹ fail 0", "ℹ cancelled 0", "ℹ skipped 1"
  let passed = 0, failed = 0, skipped = 0, found = false;
  if (runtime === "node") {
    const count = (what) => [...output.matchAll(new RegExp(`^\\S* ?${what} (\\d+)$`, "gm"))].pop();
    const [p, f, c, s] = ["pass", "fail", "cancelled", "skipped"].map(count);
    if (p || f) {
      [found, passed, failed, skipped] = [
        true,
        +(p?.[1] ?? 0),
        +(f?.[1] ?? 0) + +(c?.[1] ?? 0),
        +(s?.[1] ?? 0),
      ];
    }
  } else if (runtime === "deno") {
    const m = [
      ...output.matchAll(
        /(?:ok|FAILED) \| (\d+) passed(?: \(\d+ steps?\))? \| (\d+) failed(?: \(\d+ steps?\))?(?: \| (\d+) ignored)?/g,
      ),
    ].pop();
    if (m) [found, passed, failed, skipped] = [true, +m[1], +m[2], +(m[3] ?? 0)];
  } else {
    const p = [...output.matchAll(/^\s*(\d+) pass$/gm)].pop();
    const f = [...output.matchAll(/^\s*(\d+) fail$/gm)].pop();
    const s = [...output.matchAll(/^\s*(\d+) skip$/gm)].pop();
    if (p || f) [found, passed, failed, skipped] = [true, +(p?.[1] ?? 0), +(f?.[1] ?? 0), +(s?.[1] ?? 0)];
  }
  if (!found || (code !== 0 && failed === 0)) failed += 1; // crashed, timed out, or failed outside a test
  return { passed, failed, skipped, ...(failed ? { failures: failureExcerpt(runtime, output) } : {}) };
}

/**
 * What a failed file printed about its failures, short enough for the results table (CI shows the
 * tail of the output): Bun's error lines before each "(fail)", Deno's ERRORS section.
 */
function failureExcerpt(runtime, output) {
  const lines = output.split(/\r?\n/);
  const out = [];
  if (runtime === "deno" || runtime === "node") {
    const heading = runtime === "deno" ? /^\s*ERRORS\s*$/ : /failing tests:\s*$/;
    const start = lines.findIndex((l) => heading.test(l));
    if (start >= 0) out.push(...lines.slice(start + 1, start + 30).filter((l) => l.trim()));
  } else {
    let since = 0;
    lines.forEach((l, i) => {
      if (/^\(pass\)|^\(skip\)/.test(l)) since = i + 1;
      if (/^\(fail\)/.test(l)) {
        out.push(l, ...lines.slice(Math.max(since, i - 12), i).filter((x) => x.trim()));
        since = i + 1;
      }
    });
  }
  const killed = lines.find((l) => l.startsWith("[test] killed after"));
  if (killed) out.push(killed);
  return out.length ? out.slice(0, 40) : lines.filter((l) => l.trim()).slice(-15);
}

/** The line a failed deno command sums its errors up in ("Found 3 errors.", ...). */
function summaryLine(output) {
  const lines = output.split("\n").map((l) => l.trim());
  return lines.findLast((l) => /^(?:error: )?Found \d+/.test(l)) ??
    lines.findLast((l) => l.startsWith("error:")) ??
    "failed";
}

/** The files a `deno publish --dry-run` output lists, relative to the repository. */
function publishedFiles(repo, output) {
  const root = pathToFileURL(repo).href.replace(/\/?$/, "/");
  return output.split("\n")
    .map((l) => l.trim().split(" ")[0])
    .filter((f) => f.startsWith(root))
    .map((f) => f.slice(root.length));
}

/** The Linux-side checks; each is {name, ok, detail?}. None throws: a check that cannot run fails. */
function linuxChecks() {
  const results = [];
  const denoCheck = (name, args, detailOf) => {
    console.log(`\n[test] check: ${name}`);
    const r = spawnSync(linuxDeno, args, { env: linuxEnv, encoding: "utf8", maxBuffer: 64 << 20 });
    const output = `${r.stdout ?? ""}${r.stderr ?? ""}`;
    process.stdout.write(output);
    const ok = r.status === 0;
    const detail = r.error ? String(r.error) : ok ? undefined : (detailOf ?? summaryLine)(output);
    results.push({ name, ok, detail });
    return output;
  };
  denoCheck("deno check", ["check", "mod.ts", "src/", "tests/", "examples/", "bench/"]);
  results.push(...readmeChecks(repo, linuxDeno, linuxEnv));
  denoCheck("deno lint", ["lint"]);
  // JSR: no slow types, and only the library's files in the package (deno.json "publish").
  const publishOutput = denoCheck("deno publish --dry-run: no slow types, library files only", [
    "publish",
    "--dry-run",
    "--allow-dirty",
  ]);
  const published = results.at(-1);
  if (published.ok) {
    const output = publishedFiles(repo, publishOutput);
    const stray = output.filter((f) => !/^(?:mod\.ts|deno\.json|README\.md|LICENSE|src\/.*)$/.test(f));
    if (output.length === 0 || stray.length > 0) {
      published.ok = false;
      published.detail = output.length ? `would publish ${stray.join(", ")}` : "no file list in the output";
    }
  }
  denoCheck("deno fmt --check", ["fmt", "--check"]);
  // The documentation of every public entry point (deno.json "exports"; "." is mod.ts).
  let exportsMap;
  try {
    exportsMap = JSON.parse(readFileSync(join(repo, "deno.json"), "utf8")).exports;
    if (typeof exportsMap === "string") exportsMap = { ".": exportsMap };
    if (!exportsMap || typeof exportsMap !== "object") throw new Error('no "exports" in deno.json');
  } catch (e) {
    results.push({
      name: "deno doc --lint",
      ok: false,
      detail: `cannot read the entry points: ${e.message}`,
    });
    exportsMap = {};
  }
  for (const [entry, path] of Object.entries(exportsMap)) {
    const name = `deno doc --lint ${entry} (${path})`;
    if (!existsSync(join(repo, path))) {
      results.push({ name, ok: false, detail: `${path} does not exist` });
      continue;
    }
    denoCheck(name, ["doc", "--lint", path]);
  }
  console.log("\n[test] check: source scans (scripts/source_checks.mjs)");
  for (const c of sourceChecks(repo)) {
    console.log(`  ${c.ok ? "ok" : "FAILED"}: ${c.name}: ${c.detail.split("\n").join("\n    ")}`);
    results.push({ name: c.name, ok: c.ok, detail: c.ok ? undefined : c.detail });
  }
  // The npm package built, packed, installed and type-checked as a consumer; typedoc.
  results.push(...packageChecks(repo, linuxDeno, linuxEnv));
  return results;
}

/** Each tests/core/*_test.ts in the Linux Deno, pure (env access only), counted per file. */
async function linuxTests(files) {
  const summary = [];
  for (const file of files) {
    const path = `tests/core/${file}`;
    console.log(`\n[test] linux ${path}`);
    const { code, output } = await run(
      linuxDeno,
      // Type errors are the `deno check` check's to report: the tests run regardless.
      ["test", "--no-check", "--allow-env", path],
      LINUX_FILE_TIMEOUT_MS,
      linuxEnv,
    );
    summary.push({ runtime: "linux", file: path, ...parseCounts("deno", output, code) });
  }
  return summary;
}

/** Starts the Linux-native echo server of the socket interop test; resolves when it listens. */
function startNativeEcho() {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(repo, "scripts/native_echo.mjs")], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    child.stdout.once("data", (d) => {
      process.env.WINIPC_NATIVE_ECHO_PORT = String(parseInt(d.toString(), 10));
      resolve(child);
    });
    child.once("error", reject);
  });
}

// --- the two-hosts fixture: host A is this network namespace, host B a namespace of its own ---
const NETNS = "winipc-b";
const HOST_A = "10.231.0.1";
const HOST_B = "10.231.0.2";
const ip = (...args) => spawnSync("ip", args, { stdio: ["ignore", "ignore", "pipe"] }).status ?? 1;

/**
 * Builds the namespace and a veth link, starts an echo server (the library, in Wine) on host A,
 * and cuts the link whenever the test on host B writes test-results/cut-link. Returns the
 * environment for the test and a teardown.
 */
async function twoHostsUp() {
  twoHostsDown();
  const steps = [
    ["netns", "add", NETNS],
    ["link", "add", "wipc-a", "type", "veth", "peer", "name", "wipc-b"],
    ["link", "set", "wipc-b", "netns", NETNS],
    ["addr", "add", `${HOST_A}/24`, "dev", "wipc-a"],
    ["link", "set", "wipc-a", "up"],
    ["netns", "exec", NETNS, "ip", "addr", "add", `${HOST_B}/24`, "dev", "wipc-b"],
    ["netns", "exec", NETNS, "ip", "link", "set", "wipc-b", "up"],
    ["netns", "exec", NETNS, "ip", "link", "set", "lo", "up"],
  ];
  for (const step of steps) if (ip(...step) !== 0) throw new Error(`ip ${step.join(" ")} failed`);
  const server = spawn("bash", [
    session,
    "exec",
    "deno",
    "run",
    "-A",
    "--no-check",
    "tests/peers/socket_peer.ts",
    "serve-echo",
    HOST_A,
    "900",
  ], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  const port = await new Promise((resolve, reject) => {
    let out = "";
    server.stdout.on("data", (d) => {
      out += d;
      const m = /port=(\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    server.once("exit", () => reject(new Error("the host A echo server did not start")));
  });
  const cutFile = join(repo, "test-results", "cut-link");
  rmSync(cutFile, { force: true });
  const watcher = watch(join(repo, "test-results"), (_ev, name) => {
    if (name === "cut-link" && existsSync(cutFile)) {
      ip("link", "set", "wipc-a", "down");
      rmSync(cutFile, { force: true });
    }
  });
  return {
    env: { WINIPC_TWO_HOSTS_SERVER: `${HOST_A}:${port}`, WINIPC_PREFIX: "prefix-b" },
    /** Before each runtime's run: the link is up again, and carrying traffic. */
    reset: async () => {
      ip("link", "set", "wipc-a", "up");
      for (let i = 0; i < 100; i++) {
        const state = spawnSync("cat", ["/sys/class/net/wipc-a/operstate"], { encoding: "utf8" }).stdout
          .trim();
        if (state === "up") break;
        await new Promise((r) => setTimeout(r, 50));
      }
      // Forget neighbours that failed while the link was down (a FAILED entry answers
      // "host unreachable" at once), then give the link a moment.
      ip("neigh", "flush", "dev", "wipc-a");
      ip("netns", "exec", NETNS, "ip", "neigh", "flush", "dev", "wipc-b");
      await new Promise((r) => setTimeout(r, 300));
    },
    down: () => {
      watcher.close();
      server.kill();
      twoHostsDown();
    },
  };
}

function twoHostsDown() {
  ip("netns", "del", NETNS); // deletes wipc-b, and with it its peer wipc-a
  ip("link", "del", "wipc-a");
}

const matches = (f) => names.length === 0 || names.some((n) => f.includes(n));
const testFiles = (dir) =>
  existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith("_test.ts")).sort() : [];
let wineUp = false;

/** `npm run demo` in both runtimes (the session is up), one summary row each, checked by checkDemo. */
async function demoRuns(summary) {
  for (const runtime of ["deno", "bun"]) {
    console.log(`\n[test] ${runtime} ${DEMO} (npm run demo)`);
    const problems = checkDemo(await demoInRuntime(runtime, DEMO_TIMEOUT_MS));
    for (const p of problems) console.log(`[test] demo in ${runtime}: ${p}`);
    const failed = problems.length > 0 ? 1 : 0;
    summary.push({ runtime, file: `${DEMO} (npm run demo)`, passed: 1 - failed, failed, skipped: 0 });
  }
}

/**
 * The lanes of the Wine phase: two test processes run at once, each in a Wine prefix of its own
 * (session.sh: a wineserver each, so their windows, clipboards, named objects and serial cables
 * are apart). One lane mostly waits on its wineserver's round trips, so two keep both cores busy
 * and the phase takes about half as long. WINIPC_LANES=1 runs one file at a time, its output
 * shown as it comes.
 */
const LANES = process.env.WINIPC_LANES === "1" ? ["prefix"] : ["prefix", "prefix-lane2"];
/** The slowest files go first, so the two lanes end at about the same time. */
const SLOWEST = ["load_test.ts", "leak_test.ts", "fault_test.ts", "shared_memory_test.ts", "hostile_test.ts"];
const slowness = (file) => (SLOWEST.indexOf(file) + SLOWEST.length + 1) % (SLOWEST.length + 1);

/**
 * Runs one file in the given runtimes, one after another, in the lane's prefix (the two-hosts
 * file: on host B, in prefix-b); prints each run's output (whole once it ends when lanes run side
 * by side, as it comes with one lane) and returns a summary row each.
 */
async function runFile(file, runtimes, prefix) {
  const rows = [];
  const twoHosts = file.includes("two_hosts") ? await twoHostsUp() : undefined;
  try {
    for (const runtime of runtimes) {
      const path = `tests/${file}`;
      const args = runtime === "deno"
        ? ["exec", "deno", "test", "-A", "--no-check", path]
        : runtime === "bun"
        ? ["exec", "bun", "test", "--timeout", "600000", `./${path}`]
        : ["exec", "bash", "-c", nodeTestScript(path)];
      await twoHosts?.reset();
      const command = twoHosts
        ? ["ip", ["netns", "exec", NETNS, "bash", session, ...args]]
        : ["bash", [session, ...args]];
      const env = { ...process.env, WINIPC_TWO_HOSTS_SERVER: "", WINIPC_PREFIX: prefix, ...twoHosts?.env };
      const where = twoHosts ? "on host B, in its own network namespace" : prefix;
      const header = `\n[test] ${runtime} ${path} (${where})`;
      const live = LANES.length === 1; // else printed whole once it ends, not interleaved
      if (live) console.log(header);
      const { code, output } = await run(command[0], command[1], FILE_TIMEOUT_MS, env, live);
      if (!live) console.log(`${header}\n${output.trimEnd()}`);
      rows.push({ runtime, file: path, ...parseCounts(runtime, output, code) });
    }
  } finally {
    twoHosts?.down();
  }
  return rows;
}

/** The Wine runtimes every test file runs in (WINIPC_RUNTIMES=node,bun: only those, for a developer's run). */
const RUNTIMES = process.env.WINIPC_RUNTIMES?.split(",") ?? ["deno", "bun", "node"];

/**
 * The shell text (in the chroot) that runs one test file in Node for Windows: node:test's spec
 * report goes to a file, then is printed. A Linux pipe as Node's standard output fails under Wine
 * (EBADF), so Node never writes to one. The process ends once its tests have, as `deno test` and
 * `bun test` end (--test-force-exit).
 */
function nodeTestScript(path) {
  const log = `test-results/node-logs/${path.replace(/[\\/]/g, "_")}.log`;
  return `mkdir -p test-results/node-logs; node --test-force-exit --test-reporter=spec ./${path} > ${log} 2>&1 < /dev/null; ` +
    `code=$?; cat ${log}; exit $code`;
}

/** The Wine phase: every file in each of RUNTIMES under Wine, then the demo if asked, appending to `summary`. */
async function winePhase(files, summary, demo) {
  if (sh("bash", [session, "up"]) !== 0) throw new Error("could not set up the Wine environment");
  wineUp = true;
  const nativeEcho = await startNativeEcho();
  try {
    // A job per file and runtime; the two-hosts file is one job (every runtime uses host B).
    const jobs = files.flatMap((file) =>
      file.includes("two_hosts")
        ? [{ file, runtimes: RUNTIMES }]
        : RUNTIMES.map((runtime) => ({ file, runtimes: [runtime] }))
    );
    const queue = LANES.length > 1 ? jobs.toSorted((a, b) => slowness(a.file) - slowness(b.file)) : [...jobs];
    const rows = new Map();
    await Promise.all(LANES.map(async (prefix) => {
      for (let job = queue.shift(); job; job = queue.shift()) {
        rows.set(job, await runFile(job.file, job.runtimes, prefix));
      }
    }));
    for (const job of jobs) summary.push(...rows.get(job)); // in file order, whatever ran first
    if (demo) await demoRuns(summary);
  } finally {
    nativeEcho.kill();
    sh("bash", [session, "down"]);
    wineUp = false;
  }
}

async function main() {
  ensureNodeModules();
  const coreFiles = testFiles("tests/core").filter(matches);
  const wineFiles = linuxOnly ? [] : testFiles("tests").filter(matches);
  const demo = !linuxOnly && matches(DEMO); // `npm test -- demo` runs the demo alone
  if (names.length > 0 && coreFiles.length + wineFiles.length === 0 && !demo) {
    throw new Error(`no test file matches ${names.join(", ")}`);
  }
  mkdirSync("test-results", { recursive: true });

  // Phase 1, Linux: nothing here stops phase 2 (failures are counted, not thrown).
  const checks = linuxChecks();
  const summary = await linuxTests(coreFiles);

  // Phase 2, Wine (skipped when only tests/core files were selected).
  if (wineFiles.length > 0 || demo) {
    try {
      await winePhase(wineFiles, summary, demo);
    } catch (e) {
      console.error(`[test] ${e.message}`);
      checks.push({ name: "the Wine phase", ok: false, detail: e.message });
    }
  }

  writeFileSync("test-results/summary.json", JSON.stringify(summary, null, 2) + "\n");
  console.log("\n[test] results");
  for (const r of summary) {
    console.log(
      `  ${r.runtime.padEnd(5)} ${r.file}: ${r.passed} passed, ${r.failed} failed, ${r.skipped} skipped`,
    );
    for (const l of r.failures ?? []) console.log(`      | ${l.slice(0, 300)}`);
  }
  for (const c of checks) {
    console.log(`  check ${c.name}: ${c.ok ? "ok" : "FAILED"}`);
    if (!c.ok && c.detail) console.log(`    ${c.detail.split("\n").slice(0, 20).join("\n    ")}`);
  }
  const total = (k) => summary.reduce((n, r) => n + r[k], 0);
  const failedChecks = checks.filter((c) => !c.ok).length;
  const passed = total("passed") + checks.length - failedChecks;
  const failed = total("failed") + failedChecks;
  const skipped = total("skipped");
  console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ""}`);
  process.exitCode = failed === 0 ? 0 : 1;
}

for (const sig of ["SIGINT", "SIGTERM"]) {
  process.on(sig, () => {
    if (wineUp) sh("bash", [session, "down"]);
    process.exit(130);
  });
}
main().catch((e) => {
  console.error(`[test] ${e.message}`);
  console.log("0 passed, 1 failed");
  process.exitCode = 1;
});
