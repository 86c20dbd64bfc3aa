/**
 * The interface every runtime backend implements. A third backend (Node.js through koffi) is one
 * more file implementing {@link Backend}; no mechanism changes.
 * @module
 */
import type { Library, SymbolTable } from "./types.ts";

/** What a runtime must provide to winipc. */
export interface Backend {
  readonly runtime: "deno" | "bun";
  /** Loads a DLL with its symbol table. Throws {@link FfiLoadError} with the cause. */
  open<T extends SymbolTable>(dll: string, table: T): Library<T>;
  /** The address of a TypedArray's first byte. Valid only while the array is alive. */
  addressOf(view: ArrayBufferView): bigint;
  /** An ArrayBuffer aliasing `length` bytes of native memory at `address` (no copy). */
  memory(address: bigint, length: number): ArrayBuffer;
}

/** A DLL or symbol could not be loaded. */
export class FfiLoadError extends Error {
  constructor(readonly dll: string, options: { cause: unknown }) {
    super(`winipc: cannot load ${dll} (is this Windows, and is FFI allowed: --allow-ffi?)`, options);
    this.name = "FfiLoadError";
  }
}
