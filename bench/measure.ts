/**
 * What every benchmark case shares: the run's settings, the three measurements (64-byte round
 * trip, one-way throughput, idle CPU) over any pair of ends, and peer processes of the same
 * runtime (Deno, Bun or Node). A case process prints its peers' ids (`@@peer PID`) so that the
 * runner can reap them if the case hangs, and its result as one line (`@@result JSON`); everything
 * else goes to stderr.
 * @module
 */
import process from "node:process";
import { spawn } from "node:child_process";
import { summarize, type Summary } from "./stats.mjs";

// deno-lint-ignore no-explicit-any
const g = globalThis as any;
export const runtime: "deno" | "bun" | "node" = g.Bun ? "bun" : g.Deno ? "deno" : "node";

/** Round trips use this size; throughput these messages. */
export const RTT_SIZE = 64;
export const BULK_SIZE = 64 * 1024;
/** How long a peer or a case waits for the other side before giving up (bounded waits everywhere). */
export const PEER_TIMEOUT = 60_000;

/** What a peer sends first where the parent must learn that it is there (one-way or connectionless). */
export const READY = new TextEncoder().encode("winipc-bench: ready");

/** The run's settings, the same for every case of a run. */
export interface Settings {
  /** Timed round trips (after the warm-up). */
  rtt: number;
  /** Untimed round trips first (JIT, caches, the peer's start-up). */
  warmup: number;
  /** Throughput total in MiB, unless the case's practical limit is lower. */
  bulkMiB: number;
  /** Idle-CPU window in ms. */
  idleMs: number;
}

export const DEFAULT_SETTINGS: Settings = { rtt: 2000, warmup: 200, bulkMiB: 256, idleMs: 2000 };

/** The settings as command-line words (runner -> case process) and back. */
export function settingsArgs(s: Settings): string[] {
  return [String(s.rtt), String(s.warmup), String(s.bulkMiB), String(s.idleMs)];
}
export function parseSettings(args: string[]): Settings {
  const [rtt, warmup, bulkMiB, idleMs] = args.map(Number);
  return { rtt, warmup, bulkMiB, idleMs };
}

/** One case's measurements (any may be missing: a case says why in its notes). */
export interface Measured {
  /** 64-byte round trips, microseconds. */
  rtt?: Summary;
  /** One-way throughput of BULK_SIZE messages. */
  throughput?: { bytes: number; messageSize: number; seconds: number; mibPerSecond: number };
  /** Process CPU while a listener waits for its first client. */
  idle?: { cpuMs: number; wallMs: number; percent: number };
  /** What the reader must know to read the numbers (limits, what a round trip is made of). */
  notes?: string[];
}

/** The two ends of a conversation, whatever the mechanism. */
export interface Ends {
  send(m: Uint8Array): Promise<void> | void;
  receive(): Promise<Uint8Array> | Uint8Array;
}

/** A line on stderr: progress, never part of the result. */
export function log(line: string): void {
  console.error(`[bench ${runtime}] ${line}`);
}

/**
 * Times `s.warmup + s.rtt` calls of `roundTrip(i)` with performance.now(), the warm-up untimed:
 * microseconds per call. For blocking floors: no promise between the calls timed.
 */
export function timeRoundTrips(s: Settings, roundTrip: (i: number) => void): Summary {
  const samples = new Float64Array(s.rtt);
  for (let i = 0; i < s.warmup + s.rtt; i++) {
    const t0 = performance.now();
    roundTrip(i);
    const t1 = performance.now();
    if (i >= s.warmup) samples[i - s.warmup] = (t1 - t0) * 1000;
  }
  return summarize(samples);
}

/** {@link timeRoundTrips} for round trips that await. */
export async function timeRoundTripsAsync(
  s: Settings,
  roundTrip: (i: number) => Promise<void>,
): Promise<Summary> {
  const samples = new Float64Array(s.rtt);
  for (let i = 0; i < s.warmup + s.rtt; i++) {
    const t0 = performance.now();
    await roundTrip(i);
    const t1 = performance.now();
    if (i >= s.warmup) samples[i - s.warmup] = (t1 - t0) * 1000;
  }
  return summarize(samples);
}

/** The RTT_SIZE-byte message of round trip `i`: its first byte is a counter, checked on return. */
export function rttMessage(m: Uint8Array, i: number): Uint8Array {
  m[0] = i & 255;
  return m;
}

/** Throws unless `back` is round trip `i`'s message. */
export function checkEcho(back: Uint8Array, i: number): void {
  if (back.length !== RTT_SIZE || back[0] !== (i & 255)) {
    throw new Error(`round trip ${i}: got ${back.length} bytes starting ${back[0]}`);
  }
}

/** 64-byte round trips over `ends` (send, then receive the echo). */
export function measureRtt(ends: Ends, s: Settings): Promise<Summary> {
  const m = new Uint8Array(RTT_SIZE).fill(7);
  return timeRoundTripsAsync(s, async (i) => {
    await ends.send(rttMessage(m, i));
    checkEcho(await ends.receive(), i);
  });
}

/** {@link measureRtt} with blocking calls. */
export function measureRttSync(
  send: (m: Uint8Array) => void,
  receive: () => Uint8Array,
  s: Settings,
): Summary {
  const m = new Uint8Array(RTT_SIZE).fill(7);
  return timeRoundTrips(s, (i) => {
    send(rttMessage(m, i));
    checkEcho(receive(), i);
  });
}

/**
 * Sends `count` messages of BULK_SIZE bytes one after the other, then waits for the peer's
 * acknowledgement (the byte count it received, u64 LE): the time covers every byte arriving.
 */
export async function measureThroughput(ends: Ends, count: number): Promise<Measured["throughput"]> {
  const m = new Uint8Array(BULK_SIZE).fill(0x5a);
  const bytes = count * BULK_SIZE;
  const t0 = performance.now();
  for (let i = 0; i < count; i++) await ends.send(m);
  const ack = await ends.receive();
  return throughputOf(bytes, (performance.now() - t0) / 1000, ack);
}

/** The acknowledgement a peer sends after the bulk phase: the bytes it received, u64 LE. */
export function ackOf(bytes: number): Uint8Array {
  const a = new Uint8Array(8);
  new DataView(a.buffer).setBigUint64(0, BigInt(bytes), true);
  return a;
}

/** Number of BULK_SIZE messages for a total of `mib` MiB. */
export function bulkCount(mib: number): number {
  return Math.max(1, Math.round((mib * 1024 * 1024) / BULK_SIZE));
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Process CPU time (user + system) in ms: node:process cpuUsage(), every thread of the process. */
function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/**
 * Process CPU over `ms` while whatever the caller started (a listener in accept()) waits. Lets
 * start-up work settle and collects garbage first, so the window measures idleness only.
 */
export async function measureIdle(ms: number): Promise<Measured["idle"]> {
  await sleep(1500); // as the idle tests do: JIT and GC threads of the start-up count as process CPU
  g.Bun?.gc(true);
  const c0 = cpuMs();
  const t0 = performance.now();
  await sleep(ms);
  const cpu = cpuMs() - c0;
  const wall = performance.now() - t0;
  return { cpuMs: cpu, wallMs: wall, percent: (100 * cpu) / wall };
}

/** This benchmark's own files as paths the runtime can start (`file:///Z:/x` -> `Z:/x`). */
export function benchFile(name: string): string {
  return new URL(`./${name}`, import.meta.url).pathname.replace(/^\/([A-Za-z]:)/, "$1");
}

/** The command line that runs `script` (a bench file) in this runtime. */
export function runtimeCommand(script: string, args: readonly string[]): [string, string[]] {
  return runtime === "deno"
    ? [g.Deno.execPath(), ["run", "-A", "--no-check", benchFile(script), ...args]]
    : [process.execPath, [benchFile(script), ...args]];
}

/** A peer process: bench/peer.ts with a role. */
export interface Peer extends AsyncDisposable {
  readonly pid: number;
  readonly exited: Promise<number>;
  kill(): void;
  /** `p`, or a rejection as soon as the peer exits with a failure code while `p` is pending. */
  guard<T>(p: Promise<T>): Promise<T>;
}

/** Tells the runner about a process it must kill should this case hang. */
export function announcePeer(pid: number): void {
  console.log(`@@peer ${pid}`);
}

/**
 * Starts bench/peer.ts `role args` in this runtime (stdout/stderr inherited, stdin closed).
 * Disposing waits up to 10 s for it to exit by itself, then kills it.
 */
export function spawnPeer(role: string, args: readonly string[]): Peer {
  const [file, rest] = runtimeCommand("peer.ts", [role, ...args]);
  let pid: number, exited: Promise<number>, kill: () => void;
  if (runtime === "deno") {
    const child = new g.Deno.Command(file, {
      args: rest,
      stdin: "null",
      stdout: "inherit",
      stderr: "inherit",
    })
      .spawn();
    pid = child.pid;
    exited = child.status.then((s: { code: number }) => s.code);
    kill = () => {
      try {
        child.kill("SIGKILL");
      } catch { /* already gone */ }
    };
  } else if (runtime === "bun") {
    const child = g.Bun.spawn([file, ...rest], { stdin: "ignore", stdout: "inherit", stderr: "inherit" });
    pid = child.pid;
    exited = child.exited;
    kill = () => child.kill(9);
  } else {
    const child = spawn(file, rest, { stdio: ["ignore", "inherit", "inherit"] });
    pid = child.pid!;
    exited = childExit(child);
    kill = () => child.kill("SIGKILL");
  }
  announcePeer(pid);
  const failed = exited.then((code) => {
    if (code !== 0) throw new Error(`the peer (${role}) exited with code ${code}`);
    return new Promise<never>(() => {});
  });
  failed.catch(() => {}); // only a guard's race observes it
  return {
    pid,
    exited,
    kill,
    guard: (p) => Promise.race([p, failed]),
    async [Symbol.asyncDispose]() {
      const t = setTimeout(kill, 10_000);
      try {
        await exited;
      } finally {
        clearTimeout(t);
      }
    },
  };
}

/** A node:child_process child's exit code (a death by signal or a failed start counts as 1). */
export function childExit(child: ReturnType<typeof spawn>): Promise<number> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve(child.exitCode);
    child.once("exit", (code) => resolve(code ?? 1));
    child.once("error", () => resolve(1));
  });
}

/** Rejects after `ms` with `what` (a bound on a step that must not hang). */
export function within<T>(ms: number, p: Promise<T>, what: string): Promise<T> {
  let t: ReturnType<typeof setTimeout>;
  return Promise.race([
    p,
    new Promise<never>((_, reject) => {
      t = setTimeout(() => reject(new Error(`${what}: not done within ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(t));
}

/** A name unique to this case process, for pipes, mappings, events and windows. */
export function uniqueName(what: string): string {
  return `winipc-bench-${runtime}-${what}-${process.pid}`;
}

/** {@link measureThroughput} for blocking floors. */
export function measureThroughputSync(
  send: (m: Uint8Array) => void,
  receive: () => Uint8Array,
  count: number,
): Measured["throughput"] {
  const m = new Uint8Array(BULK_SIZE).fill(0x5a);
  const bytes = count * BULK_SIZE;
  const t0 = performance.now();
  for (let i = 0; i < count; i++) send(m);
  const ack = receive();
  return throughputOf(bytes, (performance.now() - t0) / 1000, ack);
}

/** The throughput of `bytes` sent in `seconds`, once the peer's acknowledgement (its byte count) matches. */
function throughputOf(bytes: number, seconds: number, ack: Uint8Array) {
  const got = ack.length === 8
    ? Number(new DataView(ack.buffer, ack.byteOffset, 8).getBigUint64(0, true))
    : -1;
  if (got !== bytes) throw new Error(`the peer acknowledged ${got} of ${bytes} bytes`);
  return { bytes, messageSize: BULK_SIZE, seconds, mibPerSecond: bytes / seconds / (1024 * 1024) };
}
