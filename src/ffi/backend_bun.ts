/**
 * The Bun backend: `bun:ffi`. Bun FFI calls are always synchronous and its thread-safe
 * callbacks crash when called from foreign threads, so a blocking symbol's async variant runs in
 * a pooled `Worker` that makes the same call and posts the result (and any output buffers) back
 * (call_pool.ts).
 * @module
 */
import { type Backend, type RawBackend, withLoadErrors } from "./backend.ts";
import type { FfiType, Library, NativeFunction, SymbolTable } from "./types.ts";
import { withPooledCalls } from "./call_pool.ts";

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

/**
 * The Bun backend: bun:ffi. A blocking symbol's async variant runs in a pooled worker that makes
 * the same call and posts the result (and any output buffers) back.
 */
export const bunBackend: Backend = withPooledCalls(withLoadErrors(bunFfi(ffi), workerSource));
