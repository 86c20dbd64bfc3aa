/**
 * The interface every runtime backend implements: Deno (`Deno.dlopen`), Bun (`bun:ffi`) and Node
 * (koffi), one file each; no mechanism knows which it runs on.
 * @module
 */
import type { FfiType, Library, NativeFunction, SymbolTable } from "./types.ts";
import { FfiLoadError } from "../core/errors.ts";

/** A function pointer made by {@link Backend.callback}; `close` frees it. */
export interface NativeCallback {
  readonly pointer: bigint;
  close(): void;
}

/** What a runtime must provide to winipc. */
export interface Backend {
  readonly runtime: "deno" | "bun" | "node";
  /**
   * JavaScript source of an expression that evaluates, in a worker's module, to this backend
   * (its synchronous functions; top-level `await` allowed). It imports nothing: worker sources
   * include it so that a worker needs no module to call DLLs (see inline_worker.ts).
   */
  readonly workerSource: string;
  /** Loads a DLL with its symbol table. Throws {@link FfiLoadError} with the cause. */
  open<T extends SymbolTable>(dll: string, table: T): Library<T>;
  /** The address of a TypedArray's first byte. Valid only while the array is alive. */
  addressOf(view: ArrayBufferView): bigint;
  /** An ArrayBuffer aliasing `length` bytes of native memory at `address` (no copy). */
  memory(address: bigint, length: number): ArrayBuffer;
  /**
   * A JS function that calls the native function at `address` (a COM vtable slot, a
   * GetProcAddress result) with this prototype; values as for a symbol table's functions.
   * Synchronous, on the calling thread; the code must stay loaded while the function is used.
   */
  fnPointer<const A extends readonly FfiType[], R extends FfiType>(
    address: bigint,
    args: A,
    returns: R,
  ): NativeFunction<A, R>;
  /**
   * A native function pointer that calls `fn`. Only for calls made on the thread that created it
   * (a window procedure called by that thread's message loop): no runtime's cross-thread
   * callbacks are used. `ptr` arguments arrive as bigint.
   */
  callback(
    args: readonly FfiType[],
    returns: FfiType,
    fn: (...args: never[]) => number | bigint | void,
  ): NativeCallback;
}

/**
 * A backend as a worker thread has it (see {@link Backend.workerSource}): `open` throws the
 * runtime's own errors.
 */
export type RawBackend = Omit<Backend, "workerSource">;

/** `raw` with load failures as {@link FfiLoadError}s (the runtime's error is the cause). */
export function withLoadErrors(raw: RawBackend, workerSource: string): Backend {
  return {
    ...raw,
    workerSource,
    open(dll, table) {
      try {
        return raw.open(dll, table);
      } catch (cause) {
        throw new FfiLoadError(dll, { cause });
      }
    },
  };
}
