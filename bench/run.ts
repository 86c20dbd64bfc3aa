/**
 * The benchmark in one runtime (`npm run bench` runs it in deno.exe and bun.exe under Wine, and
 * writes the report; see scripts/bench.mjs):
 *
 *   deno run -A bench/run.ts [--out FILE] [--rtt N] [--mib N] [--idle-ms N] [--only a,b]
 *   bun bench/run.ts ...
 *   node bench/run.ts ...   (Node for Windows with koffi; its stdout must be a file under Wine)
 *
 * Every case runs in a process of its own (`run.ts case NAME ...`), started and watched by this
 * one: a case that hangs is killed after its timeout, with the peers it announced, and reported as
 * failed; the run goes on. Defaults: 2000 timed round trips after 200 of warm-up, 256 MiB of
 * 64 KiB messages, 2 s idle window; WINIPC_BENCH_RTT and WINIPC_BENCH_ONLY (a comma list of case
 * names) are read too.
 * @module
 */
import process from "node:process";
import { writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { spawn } from "node:child_process";
import { Readable } from "node:stream";
import { CASES, type CaseSpec } from "./cases.ts";
import {
  childExit,
  DEFAULT_SETTINGS,
  log,
  type Measured,
  parseSettings,
  runtime,
  runtimeCommand,
  type Settings,
  settingsArgs,
} from "./measure.ts";

// deno-lint-ignore no-explicit-any
const g = globalThis as any;

/** One case's record in the results. */
export interface CaseResult extends Measured {
  name: string;
  title: string;
  kind: CaseSpec["kind"];
  status: "ok" | "failed" | "skipped";
  reason?: string;
  floor?: CaseSpec["floor"];
  compare?: string[];
  limit?: string;
  perCall?: boolean;
  seconds: number;
}

/** `run.ts case NAME SETTINGS...`: measures one case, prints `@@result JSON`. */
async function runCase(name: string, s: Settings): Promise<void> {
  const spec = CASES.find((c) => c.name === name);
  if (!spec) throw new Error(`no case ${name}`);
  let out: Partial<CaseResult>;
  try {
    const r = await spec.run(s);
    out = typeof r === "string" ? { status: "skipped", reason: r } : { status: "ok", ...r };
  } catch (e) {
    out = { status: "failed", reason: e instanceof Error ? `${e.name}: ${e.message}` : String(e) };
  }
  console.log(`@@result ${JSON.stringify(out)}`);
}

/** Kills a process by id, if it still runs. */
function killPid(pid: number): void {
  try {
    process.kill(pid, "SIGKILL");
  } catch { /* already gone */ }
}

interface Started {
  pid: number;
  lines: AsyncIterable<string>;
  exited: Promise<number>;
}

/** Starts `run.ts case NAME ...` with stdout piped (its @@ lines) and stderr inherited. */
function startCase(name: string, s: Settings): Started {
  const [file, args] = runtimeCommand("run.ts", ["case", name, ...settingsArgs(s)]);
  if (runtime === "node") {
    const child = spawn(file, args, { stdio: ["ignore", "pipe", "inherit"] });
    const stdout = Readable.toWeb(child.stdout!) as ReadableStream<Uint8Array>;
    return { pid: child.pid!, lines: linesOf(stdout), exited: childExit(child) };
  }
  const child = runtime === "deno"
    ? new g.Deno.Command(file, { args, stdin: "null", stdout: "piped", stderr: "inherit" }).spawn()
    : g.Bun.spawn([file, ...args], { stdin: "ignore", stdout: "pipe", stderr: "inherit" });
  const exited: Promise<number> = runtime === "deno"
    ? child.status.then((st: { code: number }) => st.code)
    : child.exited;
  return { pid: child.pid, lines: linesOf(child.stdout), exited };
}

async function* linesOf(stream: ReadableStream<Uint8Array>): AsyncIterable<string> {
  let rest = "";
  for await (const text of stream.pipeThrough(new TextDecoderStream())) {
    const parts = (rest + text).split(/\r?\n/);
    rest = parts.pop()!;
    yield* parts;
  }
  if (rest) yield rest;
}

/** Runs one case in its own process, within its timeout. */
async function superviseCase(spec: CaseSpec, s: Settings): Promise<CaseResult> {
  const t0 = performance.now();
  const started = startCase(spec.name, s);
  const pids = [started.pid];
  let result: Partial<CaseResult> | undefined;
  const reading = (async () => {
    for await (const line of started.lines) {
      if (line.startsWith("@@peer ")) pids.push(Number(line.slice(7)));
      else if (line.startsWith("@@result ")) result = JSON.parse(line.slice(9));
      else if (line.trim()) console.error(line);
    }
  })();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timedOut = new Promise<"timeout">((r) => timer = setTimeout(() => r("timeout"), spec.timeoutMs));
  const outcome = await Promise.race([started.exited, timedOut]);
  clearTimeout(timer);
  if (outcome === "timeout") {
    for (const pid of pids) killPid(pid);
    result = { status: "failed", reason: `timed out after ${spec.timeoutMs / 1000} s (killed)` };
  }
  // A case that failed may have left its peers running (one that passed has reaped them).
  if (outcome !== 0 || result?.status !== "ok") { for (const pid of pids.slice(1)) killPid(pid); }
  await Promise.race([reading, new Promise((r) => setTimeout(r, 5000))]);
  result ??= { status: "failed", reason: `the case process exited with code ${outcome} and no result` };
  return {
    name: spec.name,
    title: spec.title,
    kind: spec.kind,
    floor: spec.floor,
    compare: spec.compare,
    limit: spec.limit,
    perCall: spec.perCall,
    ...result,
    status: result.status ?? "failed",
    seconds: (performance.now() - t0) / 1000,
  };
}

function flag(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

/** The runner: every selected case, then the results file. */
async function main(args: string[]): Promise<void> {
  const s: Settings = {
    ...DEFAULT_SETTINGS,
    rtt: Number(flag(args, "--rtt") ?? process.env.WINIPC_BENCH_RTT ?? DEFAULT_SETTINGS.rtt),
    bulkMiB: Number(flag(args, "--mib") ?? DEFAULT_SETTINGS.bulkMiB),
    idleMs: Number(flag(args, "--idle-ms") ?? DEFAULT_SETTINGS.idleMs),
  };
  const only = (flag(args, "--only") ?? process.env.WINIPC_BENCH_ONLY ?? "").split(",").filter(Boolean);
  const unknown = only.filter((n) => !CASES.some((c) => c.name === n));
  if (unknown.length) log(`unknown case names ignored: ${unknown.join(", ")}`);
  const selected = only.length ? CASES.filter((c) => only.includes(c.name)) : CASES;
  const version = runtime === "deno"
    ? { runtime: "deno", version: g.Deno.version.deno, engine: `V8 ${g.Deno.version.v8}` }
    : runtime === "bun"
    ? { runtime: "bun", version: g.Bun.version, engine: "JavaScriptCore" }
    : { runtime: "node", version: process.versions.node, engine: `V8 ${process.versions.v8}, koffi` };
  log(
    `${selected.length} cases; ${s.rtt} round trips after ${s.warmup} warm-up, ${s.bulkMiB} MiB, idle ${s.idleMs} ms`,
  );
  const record = { ...version, settings: s, date: new Date().toISOString() };
  const outFlag = flag(args, "--out");
  const out = outFlag && resolve(process.cwd(), outFlag); // absolute: Bun under Wine fails some relative writes
  const results: CaseResult[] = [];
  for (const spec of selected) {
    const r = await superviseCase(spec, s);
    const rtt = r.rtt ? `median ${r.rtt.median.toFixed(1)} µs, p99 ${r.rtt.p99.toFixed(1)} µs` : "";
    const rate = r.throughput ? `, ${r.throughput.mibPerSecond.toFixed(0)} MiB/s` : "";
    const idle = r.idle ? `, idle ${r.idle.percent.toFixed(2)} % CPU` : "";
    log(
      `${spec.name}: ${r.status}${r.reason ? ` (${r.reason})` : ""} ${rtt}${rate}${idle} [${
        r.seconds.toFixed(1)
      } s]`,
    );
    results.push(r);
    // After every case: a run stopped from outside keeps what it measured.
    if (out) writeFileSync(out, JSON.stringify({ ...record, cases: results }, null, 2) + "\n");
  }
  if (!out) console.log(JSON.stringify({ ...record, cases: results }, null, 2));
}

const argv = process.argv.slice(2);
if (argv[0] === "case") {
  await runCase(argv[1], parseSettings(argv.slice(2)));
  process.exit(0);
} else {
  await main(argv);
  process.exit(0);
}
