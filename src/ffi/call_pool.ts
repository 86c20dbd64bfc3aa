/**
 * Blocking calls off the JS thread for the Bun and Node backends: a blocking symbol's async
 * variant runs in a pooled worker thread that makes the same call and posts the result (and any
 * output buffers) back. Bun's FFI calls are always synchronous (its thread-safe callbacks crash
 * when called from foreign threads); koffi's async calls use libuv's thread pool (4 threads,
 * shared with file and DNS work), which a wait for another process would pin for as long as it
 * lasts. A worker is a JS engine of its own, so the pool has no such limit.
 * @module
 */
import type { Backend } from "./backend.ts";
import { WinipcError } from "../core/errors.ts";
import type { Library, SymbolTable } from "./types.ts";
import type { CallReply, CallRequest } from "./call_types.ts";
import { serveCalls } from "./call_worker.ts";
import { type InlineWorker, startInlineWorker } from "./inline_worker.ts";

// deno-lint-ignore no-explicit-any
type AnyFn = (...args: any[]) => any;

interface PooledWorker {
  worker: InlineWorker;
  pending?: { resolve(v: unknown): void; reject(e: unknown): void; args: unknown[] };
  /** When it last went idle (performance.now()). */
  idleSince?: number;
}

const idle: PooledWorker[] = [];
let nextId = 1;

function spawnWorker(source: string): PooledWorker {
  const pw = {} as PooledWorker;
  pw.worker = startInlineWorker<CallReply>("blocking-call worker", String(serveCalls), [source], {
    onMessage: (reply) => settle(pw, reply),
    onFailure: (error) => {
      // A failed worker is terminated: it leaves the pool, and its call fails.
      const i = idle.indexOf(pw);
      if (i >= 0) idle.splice(i, 1);
      const p = pw.pending;
      pw.pending = undefined;
      p?.reject(error);
    },
  });
  return pw;
}

/**
 * Idle workers kept for later calls. More linger for {@link LINGER_MS}, then end: each idle JS
 * thread still runs its engine's periodic collection (measured: about 0.1 % CPU each), and a burst
 * of calls should not leave its peak number of threads behind for the life of the process. Ending
 * them at once instead made 100 concurrent clients start a worker (a JS engine, 200-400 ms under
 * Wine) for nearly every blocking call (measured: copydata load 140 round trips/s, 565 with this).
 */
const MAX_IDLE_WORKERS = 2;
const LINGER_MS = 1000;
let sweeper: ReturnType<typeof setTimeout> | undefined;

/** Ends the workers beyond {@link MAX_IDLE_WORKERS} idle for {@link LINGER_MS} (oldest first). */
function sweep(): void {
  sweeper = undefined;
  const now = performance.now();
  while (idle.length > MAX_IDLE_WORKERS && now - idle[0].idleSince! >= LINGER_MS) {
    idle.shift()!.worker.terminate();
  }
  if (idle.length > MAX_IDLE_WORKERS) scheduleSweep(LINGER_MS - (now - idle[0].idleSince!));
}

function scheduleSweep(delay: number): void {
  if (sweeper !== undefined) return;
  sweeper = setTimeout(sweep, Math.max(0, delay));
  // An idle pool must not keep the process alive.
  (sweeper as { unref?(): void }).unref?.();
}

function settle(pw: PooledWorker, reply: CallReply): void {
  const p = pw.pending;
  pw.pending = undefined;
  pw.worker.unref?.();
  pw.idleSince = performance.now();
  idle.push(pw); // taken last-in first-out, so the front is the longest idle
  if (idle.length > MAX_IDLE_WORKERS) scheduleSweep(LINGER_MS);
  if (!p) return;
  if (reply.error !== undefined) return p.reject(new WinipcError(reply.error));
  // Copy output buffers back into the caller's arrays.
  for (const [i, copy] of reply.buffers) {
    const orig = p.args[i] as ArrayBufferView;
    new Uint8Array(orig.buffer, orig.byteOffset, orig.byteLength).set(
      new Uint8Array(copy.buffer, copy.byteOffset, copy.byteLength),
    );
  }
  p.resolve(reply.result);
}

function callInWorker(source: string, dll: string, name: string, spec: SymbolTable[string], args: unknown[]) {
  let pw: PooledWorker;
  try {
    pw = idle.pop() ?? spawnWorker(source);
  } catch (e) {
    return Promise.reject(e);
  }
  pw.worker.ref?.();
  return new Promise<unknown>((resolve, reject) => {
    pw.pending = { resolve, reject, args };
    const req: CallRequest = { id: nextId++, dll, name, spec, args };
    pw.worker.postMessage(req);
  });
}

/** `backend` with an async variant, run in a pooled worker, for each blocking symbol it opens. */
export function withPooledCalls(backend: Backend): Backend {
  return {
    ...backend,
    open<T extends SymbolTable>(dll: string, table: T): Library<T> {
      const lib = backend.open(dll, table);
      const async: Record<string, AnyFn> = {};
      for (const [name, spec] of Object.entries(table)) {
        if (spec.blocking) {
          async[name] = (...args: unknown[]) => callInWorker(backend.workerSource, dll, name, spec, args);
        }
      }
      return { ...lib, async } as unknown as Library<T>;
    },
  };
}
