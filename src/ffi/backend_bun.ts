/**
 * The Bun backend: `bun:ffi`. Bun FFI calls are always synchronous and its thread-safe
 * callbacks crash when called from foreign threads, so a blocking symbol's async variant runs in
 * a pooled `Worker` that makes the same call and posts the result (and any output buffers) back.
 * @module
 */
import { type Backend, type RawBackend, withLoadErrors } from "./backend.ts";
import { WinipcError } from "../core/errors.ts";
import type { FfiType, Library, NativeFunction, SymbolTable } from "./types.ts";
import type { CallReply, CallRequest } from "./bun_types.ts";
import { serveCalls } from "./bun_call_worker.ts";
import { type InlineWorker, startInlineWorker } from "./inline_worker.ts";

// The subset of bun:ffi used here, typed locally so the Deno type checker never resolves it.
interface BunFfi {
  dlopen(
    path: string,
    symbols: Record<string, { args: string[]; returns: string }>,
  ): { symbols: Record<string, AnyFn>; close(): void };
  ptr(view: ArrayBufferView): number;
  JSCallback: new (
    fn: AnyFn,
    def: { args: string[]; returns: string },
  ) => { ptr: number | null; close(): void };
  toArrayBuffer(address: number, offset: number, length: number): ArrayBuffer;
  CFunction(def: { ptr: bigint; args: string[]; returns: string }): AnyFn & { close(): void };
}
// deno-lint-ignore no-explicit-any
type AnyFn = (...args: any[]) => any;

/**
 * bun:ffi as a {@link RawBackend} (synchronous functions only), self-contained: the function
 * uses no name from outside its body but its argument (types aside), so a worker's source can
 * include its text (inline_worker.ts).
 */
export function bunFfi(ffi: BunFfi): RawBackend {
  /** bun:ffi's name for a table type; a `ptr` is a u64 (bigint). */
  const bunType = (t: FfiType) => (t === "ptr" ? "u64" : t === "buf" ? "ptr" : t);
  // A CFunction owns a compiled trampoline: freed once the JS function wrapping it is collected.
  const trampolines = new FinalizationRegistry<{ close(): void }>((cfn) => cfn.close());
  return {
    runtime: "bun",
    open<T extends SymbolTable>(dll: string, table: T): Library<T> {
      const defs: Record<string, { args: string[]; returns: string }> = {};
      for (const [name, spec] of Object.entries(table)) {
        defs[name] = { args: spec.args.map(bunType), returns: bunType(spec.returns) };
      }
      return { name: dll, sync: ffi.dlopen(dll, defs).symbols, async: {} } as unknown as Library<T>;
    },
    addressOf(view: ArrayBufferView): bigint {
      return BigInt(ffi.ptr(view));
    },
    memory(address: bigint, length: number): ArrayBuffer {
      if (length === 0) return new ArrayBuffer(0);
      if (address === 0n) throw new RangeError("winipc: null pointer");
      return ffi.toArrayBuffer(Number(address), 0, length);
    },
    fnPointer<const A extends readonly FfiType[], R extends FfiType>(
      address: bigint,
      args: A,
      returns: R,
    ): NativeFunction<A, R> {
      if (address === 0n) throw new RangeError("winipc: null function pointer");
      const cfn = ffi.CFunction({ ptr: address, args: args.map(bunType), returns: bunType(returns) });
      const call = (...a: unknown[]) => cfn(...a);
      trampolines.register(call, cfn);
      return call as NativeFunction<A, R>;
    },
    callback(args, returns, fn) {
      // Not `threadsafe`: it is only ever called on the thread that created it.
      const cb = new ffi.JSCallback(fn as AnyFn, { args: args.map(bunType), returns: bunType(returns) });
      return { pointer: BigInt(cb.ptr ?? 0), close: () => cb.close() };
    },
  };
}

const ffiSpecifier = "bun:ffi";
const ffi = (await import(ffiSpecifier)) as BunFfi;
/** How a worker gets this backend (see {@link Backend.workerSource}). */
const workerSource = `(${bunFfi})(await import("bun:ffi"))`;

interface PooledWorker {
  worker: InlineWorker;
  pending?: { resolve(v: unknown): void; reject(e: unknown): void; args: unknown[] };
  /** When it last went idle (performance.now()). */
  idleSince?: number;
}

const idle: PooledWorker[] = [];
let nextId = 1;

function spawnWorker(): PooledWorker {
  const pw = {} as PooledWorker;
  pw.worker = startInlineWorker<CallReply>("blocking-call worker", String(serveCalls), [workerSource], {
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

function callInWorker(dll: string, name: string, spec: SymbolTable[string], args: unknown[]) {
  let pw: PooledWorker;
  try {
    pw = idle.pop() ?? spawnWorker();
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

const raw = bunFfi(ffi);
const checked = withLoadErrors(raw, workerSource);

/**
 * The Bun backend: bun:ffi. A blocking symbol's async variant runs in a pooled worker that makes
 * the same call and posts the result (and any output buffers) back.
 */
export const bunBackend: Backend = {
  ...checked,
  open<T extends SymbolTable>(dll: string, table: T): Library<T> {
    const lib = checked.open(dll, table);
    const async: Record<string, AnyFn> = {};
    for (const [name, spec] of Object.entries(table)) {
      if (spec.blocking) async[name] = (...args: unknown[]) => callInWorker(dll, name, spec, args);
    }
    return { ...lib, async } as unknown as Library<T>;
  },
};
