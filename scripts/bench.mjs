#!/usr/bin/env node
// `npm run bench [-- --only a,b --rtt N --mib N --idle-ms N]`: the benchmark of bench/ in one Wine
// session: Node for Windows' `net` floors (bench/node_floor.mjs), then every case in deno.exe,
// bun.exe and node.exe (bench/run.ts; Node through koffi), then the report (bench/report.mjs).
//
// A full run (no --only, at least 2000 round trips, 256 MiB) writes bench/results/results.json,
// results.md and results.svg and rewrites the README's section between `<!-- bench:begin -->`
// and `<!-- bench:end -->`. A partial run (quick iterations: --only or WINIPC_BENCH_ONLY, a
// smaller --rtt or WINIPC_BENCH_RTT, a smaller --mib) writes its report to test-results/bench/
// only, so it never replaces the published numbers. `--report-only` writes the report again from
// the last run's records (test-results/bench/).
import { spawn, spawnSync } from "node:child_process";
import { cpus, release } from "node:os";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { writeReport } from "../bench/report.mjs";

const repo = join(dirname(fileURLToPath(import.meta.url)), "..");
process.chdir(repo);
const session = join(repo, "scripts/wine/session.sh");
const work = "test-results/bench"; // per-runtime records (inside the tree: the chroot sees it at /winipc)
/** A runtime's whole run is stopped after this long (each case also has its own timeout). */
const RUN_TIMEOUT_MS = 8 * 60_000;
const NODE_TIMEOUT_MS = 3 * 60_000;
/** Bun 1.4 prints this at every exit under Wine: harmless noise. */
const NOISE = /^Internal error: directory mismatch for directory/;

const args = process.argv.slice(2);
const flag = (name) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const settings = {
  rtt: Number(flag("--rtt") ?? process.env.WINIPC_BENCH_RTT ?? 2000),
  warmup: 200,
  bulkMiB: Number(flag("--mib") ?? 256),
  idleMs: Number(flag("--idle-ms") ?? 2000),
};
const only = (flag("--only") ?? process.env.WINIPC_BENCH_ONLY ?? "").split(",").filter(Boolean);
const full = only.length === 0 && settings.rtt >= 2000 && settings.bulkMiB >= 256;
const passOn = [
  "--rtt",
  String(settings.rtt),
  "--mib",
  String(settings.bulkMiB),
  "--idle-ms",
  String(settings.idleMs),
  ...(only.length ? ["--only", only.join(",")] : []),
];

function sh(cmd, argv) {
  return spawnSync(cmd, argv, { stdio: "inherit" }).status ?? 1;
}

/**
 * Runs a command, passing its output on line by line (without Bun's exit noise); kills its
 * process group after `timeoutMs`. Resolves on exit, not on close: a Wine helper that inherited
 * the pipes must not keep the run waiting.
 */
function run(cmd, argv, timeoutMs) {
  return new Promise((resolve) => {
    const child = spawn(cmd, argv, { stdio: ["ignore", "pipe", "pipe"], detached: true });
    for (const [stream, out] of [[child.stdout, process.stdout], [child.stderr, process.stderr]]) {
      let rest = "";
      stream.on("data", (d) => {
        const lines = (rest + d.toString()).split("\n");
        rest = lines.pop();
        for (const line of lines) if (!NOISE.test(line)) out.write(line + "\n");
      });
    }
    const timer = setTimeout(() => {
      console.error(`[bench] ${cmd} ${argv.join(" ")}: killed after ${timeoutMs / 1000} s`);
      try {
        process.kill(-child.pid, "SIGKILL");
      } catch { /* gone */ }
    }, timeoutMs);
    child.on("exit", (code) => {
      clearTimeout(timer);
      setTimeout(() => {
        child.stdout.destroy();
        child.stderr.destroy();
        resolve(code ?? 1);
      }, 300);
    });
  });
}

/**
 * Runs a Node for Windows command line in the session. Its output goes to `log`, printed once it
 * ends: Node's stdout must be a file under Wine, not a Linux pipe.
 */
function runNode(cmd, log, timeoutMs) {
  const script = `${cmd} >${log} 2>&1; code=$?; grep -v '^$' ${log}; exit $code`;
  return run("bash", [session, "exec", "bash", "-c", script], timeoutMs);
}

/** A record written by bench/run.ts or bench/node_floor.mjs, or a stand-in saying why there is none. */
function record(runtime, file, code) {
  try {
    return JSON.parse(readFileSync(file, "utf8"));
  } catch (e) {
    return { runtime, version: "?", cases: [], error: `no results (exit code ${code}; ${e.message})` };
  }
}

function machine(wine) {
  const cpuinfo = existsSync("/proc/cpuinfo") ? readFileSync("/proc/cpuinfo", "utf8") : "";
  const cpu = /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1].trim() ?? cpus()[0]?.model ?? "unknown CPU";
  return { date: new Date().toISOString(), cpu, cores: cpus().length, wine, kernel: release() };
}

/** Runs Node's floors and the three runtimes in one Wine session; the per-runtime records land in `work`. */
async function measure() {
  if (!existsSync("node_modules/.package-lock.json")) sh("npm", ["ci", "--no-audit", "--no-fund"]);
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  if (sh("bash", [session, "up"]) !== 0) process.exit(1);
  let wine = "Wine";
  const codes = {};
  try {
    wine = spawnSync("bash", [session, "exec", "wine", "--version"], { encoding: "utf8" }).stdout.trim() ||
      wine;
    if (only.length === 0 || only.some((n) => n.startsWith("node-"))) {
      console.log("[bench] Node for Windows floors (net over a named pipe and TCP)");
      const cmd = `node bench/node_floor.mjs --out ${work}/node-floors.json ${passOn.slice(0, 4).join(" ")}`;
      codes.nodeFloors = await runNode(cmd, `${work}/node-floors.log`, NODE_TIMEOUT_MS);
    }
    console.log("[bench] Deno");
    const deno = ["deno", "run", "-A", "--no-check", "bench/run.ts", "--out", `${work}/deno.json`, ...passOn];
    codes.deno = await run("bash", [session, "exec", ...deno], RUN_TIMEOUT_MS);
    console.log("[bench] Bun");
    const bun = ["bun", "bench/run.ts", "--out", `${work}/bun.json`, ...passOn];
    codes.bun = await run("bash", [session, "exec", ...bun], RUN_TIMEOUT_MS);
    console.log("[bench] Node (koffi)");
    const node = `node bench/run.ts --out ${work}/node.json ${passOn.join(" ")}`;
    codes.node = await runNode(node, `${work}/node-run.log`, RUN_TIMEOUT_MS);
  } finally {
    sh("bash", [session, "down"]);
  }
  writeFileSync(
    `${work}/run.json`,
    JSON.stringify({ machine: machine(wine), settings, only, full, codes }, null, 2),
  );
}

/** Writes the report from the records in `work` (also alone: `npm run bench -- --report-only`). */
function report() {
  const { machine, settings, full, codes } = JSON.parse(readFileSync(`${work}/run.json`, "utf8"));
  const runs = ["deno", "bun", "node"].map((r) => record(r, `${work}/${r}.json`, codes[r]));
  const node = codes.nodeFloors === undefined
    ? undefined
    : record("node", `${work}/node-floors.json`, codes.nodeFloors);
  const dir = full ? "bench/results" : work;
  mkdirSync(dir, { recursive: true });
  writeReport({ dir, readme: full ? "README.md" : undefined, runs, node, machine, settings });
  // The Markdown and JSON as `deno fmt` lays them out, so the tree stays formatted.
  const deno = "node_modules/@deno/linux-x64-glibc/deno";
  if (existsSync(deno) && full) {
    spawnSync(deno, [
      "fmt",
      "--quiet",
      `${dir}/results.md`,
      `${dir}/results.json`,
      `${dir}/results.svg`,
      "README.md",
    ], {
      stdio: "inherit",
    });
  }
  console.log(`\n${readFileSync(`${dir}/results.md`, "utf8")}`);
  const where = full ? " and README.md" : " (a partial run: bench/results and the README are unchanged)";
  console.log(`[bench] report: ${dir}/results.{json,md,svg}${where}`);
  const failed = [...runs, ...(node ? [node] : [])].some((r) =>
    r.error || r.cases.some((c) => c.status === "failed")
  );
  return failed ? 1 : 0;
}

if (!args.includes("--report-only")) await measure();
process.exit(report());
