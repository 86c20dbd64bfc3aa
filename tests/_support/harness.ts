/**
 * One test API for `deno test`, `bun test` and `node:test`, peer processes, and fast-check settings.
 * Tests may use runtime APIs directly (the library may not).
 * @module
 */
import fc from "fast-check";
import process from "node:process";
import { ChannelClosedError } from "../../src/core/errors.ts";

// deno-lint-ignore no-explicit-any
const g = globalThis as any;
export const runtime: "deno" | "bun" | "node" = g.Bun ? "bun" : g.Deno ? "deno" : "node";

type TestFn = () => void | Promise<void>;
const bunTestSpecifier = "bun:test";
const bunTest = runtime === "bun" ? await import(bunTestSpecifier) : undefined;
const nodeTest = runtime === "node" ? await import("node:test") : undefined;

/** Default per-test limit: cross-process property tests under Wine are slow, never endless. */
const DEFAULT_TEST_TIMEOUT = 600_000;

/**
 * Registers a test in whichever runner is running this file. `skip` (the reason) reports it as
 * skipped instead: for a test that cannot run in this runtime.
 */
export function test(name: string, fn: TestFn, opts: { timeout?: number; skip?: string } = {}): void {
  const title = opts.skip ? `${name} (skipped: ${opts.skip})` : name;
  if (runtime === "bun") {
    (opts.skip ? bunTest.test.skip : bunTest.test)(title, fn, opts.timeout ?? DEFAULT_TEST_TIMEOUT);
  } else if (nodeTest) {
    nodeTest.test(title, { skip: opts.skip ?? false, timeout: opts.timeout ?? DEFAULT_TEST_TIMEOUT }, fn);
  } else {
    // Sanitizers off: the FFI waits and child processes are accounted for by the tests themselves.
    g.Deno.test({
      name: title,
      fn,
      ignore: Boolean(opts.skip),
      sanitizeOps: false,
      sanitizeResources: false,
      sanitizeExit: false,
    });
  }
}

const childProcess = runtime === "node" ? await import("node:child_process") : undefined;
/** Node's `child_process.spawn` (Node only). */
export const spawnNode = (...a: Parameters<typeof import("node:child_process").spawn>) =>
  childProcess!.spawn(...a);
/** A Node child's exit code (a signal's death counts as 1), once it has exited. */
export function nodeExit(child: import("node:child_process").ChildProcess): Promise<number> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve(child.exitCode);
    child.once("exit", (code) => resolve(code ?? 1));
    child.once("error", () => resolve(1));
  });
}

/** A unique name for pipes and other named objects in this run. */
export function uniqueName(what: string): string {
  return `winipc-test-${runtime}-${what}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
}

/** fast-check parameters: the seed is fixed by WINIPC_SEED or drawn and printed. */
export function fcParams(numRuns = 100): fc.Parameters<unknown> {
  const env = process.env.WINIPC_SEED;
  const seed = env ? Number(env) : (Math.random() * 2 ** 31) | 0;
  const runs = process.env.WINIPC_RUNS ? Number(process.env.WINIPC_RUNS) : numRuns;
  console.log(`[fast-check] seed=${seed} runs=${runs} (rerun with WINIPC_SEED=${seed})`);
  return {
    seed,
    numRuns: runs,
    endOnFailure: true,
    // A short report: seed, path, the error, and byte arrays as their sizes (a counterexample of
    // 1 MiB messages would print megabytes).
    reporter(details) {
      if (!details.failed) return;
      const example = JSON.stringify(
        details.counterexample,
        (_k, v) => v instanceof Uint8Array ? `<${v.length} bytes>` : typeof v === "bigint" ? `${v}n` : v,
      );
      throw new Error(
        `property failed after ${details.numRuns} runs; seed=${details.seed} path=${details.counterexamplePath}\n` +
          `counterexample: ${example?.slice(0, 2000)}\nerror: ${details.errorInstance}`,
      );
    },
  };
}

/** Deterministic pseudo-random bytes (xorshift32): large payloads without generating each byte in fast-check. */
export function patternBytes(size: number, seed: number): Uint8Array {
  const out = new Uint8Array(size);
  let x = (seed | 0) || 0x9e3779b9;
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 255;
  }
  return out;
}

/** A child process of the same runtime running a peer script. */
export interface Peer extends AsyncDisposable {
  readonly pid: number;
  /** Resolves with the exit code. */
  readonly exited: Promise<number>;
  kill(): void;
}

/**
 * The Deno permissions the README documents for programs using winipc: the peers run with exactly
 * these, so a part of the library that needs more (a worker loaded from a file needs
 * --allow-read) fails a test instead of a user's program.
 */
export const LIBRARY_DENO_FLAGS: readonly string[] = ["--allow-ffi"];

/** Options for {@link spawnPeer}. */
export interface PeerOptions {
  /**
   * Deno permission flags for the peer: {@link LIBRARY_DENO_FLAGS} unless the peer script itself
   * needs more (say so where it is passed). Bun has no permissions.
   */
  denoFlags?: readonly string[];
}

/** Starts `tests/peers/SCRIPT` in a child process of the same runtime as this test. */
export function spawnPeer(script: string, args: string[], opts: PeerOptions = {}): Peer {
  const path = `tests/peers/${script}`;
  let pid: number;
  let exited: Promise<number>;
  let kill: () => void;
  if (runtime === "deno") {
    const child = new g.Deno.Command(g.Deno.execPath(), {
      args: ["run", ...(opts.denoFlags ?? LIBRARY_DENO_FLAGS), "--no-check", path, ...args],
      stdin: "null",
      stdout: "inherit",
      stderr: "inherit",
    }).spawn();
    pid = child.pid;
    exited = child.status.then((s: { code: number }) => s.code);
    kill = () => {
      try {
        child.kill("SIGKILL");
      } catch { /* already gone */ }
    };
  } else if (runtime === "bun") {
    const child = g.Bun.spawn([process.execPath, path, ...args], {
      stdin: "ignore",
      stdout: "inherit",
      stderr: "inherit",
    });
    pid = child.pid;
    exited = child.exited;
    kill = () => child.kill(9);
  } else {
    // --expose-gc: a peer may force collections (gc()), as Deno peers may with their flag.
    const child = spawnNode(process.execPath, ["--expose-gc", path, ...args], {
      stdio: ["ignore", "inherit", "inherit"],
    });
    pid = child.pid!;
    exited = nodeExit(child);
    kill = () => child.kill("SIGKILL");
  }
  const reap = async () => {
    // Always reap: a peer still running after 5 s is killed.
    const t = setTimeout(kill, 5000);
    try {
      await exited;
    } finally {
      clearTimeout(t);
    }
  };
  return { pid, exited, kill, [Symbol.asyncDispose]: reap };
}

/** Rejects after `ms` (a bound on a test step that must not hang). */
export function within<T>(ms: number, p: Promise<T>, what: string): Promise<T> {
  let t: ReturnType<typeof setTimeout>;
  return Promise.race([
    p,
    new Promise<never>((_, reject) => {
      t = setTimeout(() => reject(new Error(`${what}: not done within ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(t));
}

/** Process CPU time (user + system) in ms. */
export function cpuTimeMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

export function assert(cond: unknown, message: string): asserts cond {
  if (!cond) throw new Error(`assertion failed: ${message}`);
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false;
  for (let i = 0; i < a.byteLength; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Writes `chunks` with `write` while reading the same number of bytes back with `read`, then
 * checks that every chunk came back unchanged and in order (an echo over a byte stream).
 */
export async function roundTripBytes(
  chunks: Uint8Array[],
  write: (c: Uint8Array) => Promise<void>,
  read: () => Promise<Uint8Array | null>,
): Promise<void> {
  const total = chunks.reduce((n, c) => n + c.length, 0);
  const writing = (async () => {
    for (const c of chunks) await write(c);
  })();
  writing.catch(() => {}); // awaited below; a failed check must not leave it unhandled
  const back = new Uint8Array(total);
  let got = 0;
  while (got < total) {
    const part = await read();
    assert(part !== null, `end-of-stream after ${got} of ${total} bytes`);
    assert(got + part.length <= total, "more bytes than were sent");
    back.set(part, got);
    got += part.length;
  }
  await writing;
  let at = 0;
  for (const c of chunks) {
    assert(bytesEqual(back.subarray(at, at + c.length), c), `bytes at ${at} came back different`);
    at += c.length;
  }
}

/**
 * Sends `messages` on `ch` (in order, while reading) and checks that the echo peer sends every one
 * back unchanged, whole and in order.
 */
export async function echoMessages(
  ch: { send(m: Uint8Array): Promise<void>; receive(opts?: { timeout?: number }): Promise<Uint8Array> },
  messages: Uint8Array[],
): Promise<void> {
  const sending = (async () => {
    for (const m of messages) await ch.send(m);
  })();
  sending.catch(() => {}); // awaited below; a failed check must not leave it unhandled
  for (const m of messages) {
    const back = await ch.receive({ timeout: 30_000 });
    if (!bytesEqual(back, m)) {
      throw new Error(`a ${m.length}-byte message came back as ${back.length} bytes / different`);
    }
  }
  await sending;
}

/**
 * Accepts the echo peer's channel on `server`, checks (fast-check) that any messages come back
 * whole and in order, closes it, and checks that the peer then exits 0.
 */
export async function checkEchoPeer(
  server: { accept(opts: { timeout: number }): Promise<EchoChannel & { close(): Promise<void> }> },
  peer: Peer,
): Promise<void> {
  await using channel = await server.accept({ timeout: 30_000 });
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.uint8Array({ maxLength: 70_000 }), { maxLength: 8 }),
      (messages) => echoMessages(channel, messages),
    ),
    fcParams(20),
  );
  await channel.close();
  assert(
    (await within(30_000, peer.exited, "the echo peer")) === 0,
    "the peer ended when the channel closed",
  );
}

/**
 * Against an echo peer's channel: one echo, then the peer is killed, and the channel must end with
 * ChannelClosedError within 1 s (the channel tests of mechanisms that watch their peer).
 */
export async function checkEndsWhenPeerDies(channel: EchoChannel, peer: Peer): Promise<void> {
  await channel.send(Uint8Array.of(1));
  assert((await channel.receive({ timeout: 30_000 }))[0] === 1, "an echo first");
  peer.kill();
  await peer[Symbol.asyncDispose]();
  const start = performance.now();
  let end: unknown;
  await channel.receive({ timeout: 10_000 }).catch((e) => end = e);
  const ms = performance.now() - start;
  assert(end instanceof ChannelClosedError, `the channel ended with ${end}`);
  assert(ms < 1000, `it took ${ms.toFixed(0)} ms`);
}

/** A channel that echoes numbered messages: the server side of the load tests. */
interface EchoChannel extends AsyncDisposable {
  receive(opts?: { timeout?: number }): Promise<Uint8Array>;
  send(m: Uint8Array): Promise<void>;
}

/**
 * Accepts one client and echoes its `count` messages, checking that each carries the client's
 * number and the next sequence number (nothing lost, nothing reordered). Resolves the client number.
 */
export async function serveNumberedEchoes(
  accept: () => Promise<EchoChannel>,
  count: number,
  timeout: number,
) {
  await using ch = await accept();
  let client = -1;
  for (let seq = 0; seq < count; seq++) {
    const m = await ch.receive({ timeout }).catch((e) => {
      // Which client and how far: a lost message is then found in the peer's own report.
      throw new Error(`client ${client}: message ${seq} of ${count} not received: ${e}`, { cause: e });
    });
    const v = new DataView(m.buffer, m.byteOffset);
    if (seq === 0) client = v.getUint32(0, true);
    assert(
      v.getUint32(0, true) === client && v.getUint32(4, true) === seq,
      `client ${client} message ${seq} out of order`,
    );
    await ch.send(m);
  }
  return client;
}

export { fc };
