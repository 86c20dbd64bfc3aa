/**
 * The Bun backend: `bun:ffi`. Bun FFI calls are always synchronous and its thread-safe
 * callbacks crash when called from foreign threads, so a blocking symbol's async variant runs in
 * a pooled `Worker` that makes the same call and posts the result (and any output buffers) back.
 * @module
 */
import type { Backend } from "./backend.ts";
import { FfiLoadError, WinipcError } from "../core/errors.ts";
import type { FfiType, Library, NativeFunction, SymbolSpec, SymbolTable } from "./types.ts";
import { bunType, type CallReply, type CallRequest } from "./bun_types.ts";

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

const ffiSpecifier = "bun:ffi";
const ffi = (await import(ffiSpecifier)) as BunFfi;

interface PooledWorker {
  worker: Worker & { ref?(): void; unref?(): void };
  pending?: { resolve(v: unknown): void; reject(e: unknown): void; args: unknown[] };
}

const idle: PooledWorker[] = [];
// A CFunction owns a compiled trampoline: freed once the JS function wrapping it is collected.
const trampolines = new FinalizationRegistry<{ close(): void }>((cfn) => cfn.close());
let nextId = 1;

function spawnWorker(): PooledWorker {
  const worker = new Worker(new URL("./bun_call_worker.ts", import.meta.url).href);
  const pw: PooledWorker = { worker };
  worker.onmessage = (ev: MessageEvent<CallReply>) => {
    const p = pw.pending;
    pw.pending = undefined;
    pw.worker.unref?.();
    idle.push(pw);
    if (!p) return;
    if (ev.data.error !== undefined) return p.reject(new WinipcError(ev.data.error));
    // Copy output buffers back into the caller's arrays.
    for (const [i, copy] of ev.data.buffers) {
      const orig = p.args[i] as ArrayBufferView;
      new Uint8Array(orig.buffer, orig.byteOffset, orig.byteLength).set(
        new Uint8Array(copy.buffer, copy.byteOffset, copy.byteLength),
      );
    }
    p.resolve(ev.data.result);
  };
  return pw;
}

function callInWorker(dll: string, name: string, spec: SymbolSpec, args: unknown[]) {
  const pw = idle.pop() ?? spawnWorker();
  pw.worker.ref?.();
  return new Promise<unknown>((resolve, reject) => {
    pw.pending = { resolve, reject, args };
    const req: CallRequest = { id: nextId++, dll, name, spec, args };
    pw.worker.postMessage(req);
  });
}

export const bunBackend: Backend = {
  runtime: "bun",
  open<T extends SymbolTable>(dll: string, table: T): Library<T> {
    const defs: Record<string, { args: string[]; returns: string }> = {};
    for (const [name, spec] of Object.entries(table)) {
      defs[name] = { args: spec.args.map((a) => bunType[a]), returns: bunType[spec.returns] };
    }
    let lib: ReturnType<BunFfi["dlopen"]>;
    try {
      lib = ffi.dlopen(dll, defs);
    } catch (cause) {
      throw new FfiLoadError(dll, { cause });
    }
    const async: Record<string, AnyFn> = {};
    for (const [name, spec] of Object.entries(table)) {
      if (!spec.blocking) continue;
      async[name] = (...args: unknown[]) => callInWorker(dll, name, spec, args);
    }
    return { name: dll, sync: lib.symbols, async } as unknown as Library<T>;
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
    const cfn = ffi.CFunction({ ptr: address, args: args.map((a) => bunType[a]), returns: bunType[returns] });
    const call = (...a: unknown[]) => cfn(...a);
    trampolines.register(call, cfn);
    return call as NativeFunction<A, R>;
  },
  callback(args, returns, fn) {
    // Not `threadsafe`: it is only ever called on the thread that created it.
    const cb = new ffi.JSCallback(fn as AnyFn, {
      args: args.map((a) => bunType[a]),
      returns: bunType[returns],
    });
    return { pointer: BigInt(cb.ptr ?? 0), close: () => cb.close() };
  },
};
