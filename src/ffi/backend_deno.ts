/** The Deno backend: `Deno.dlopen`, with `nonblocking` twins for blocking symbols. @module */
import { type Backend, type RawBackend, withLoadErrors } from "./backend.ts";
import type { FfiType, Library, NativeFunction, SymbolTable } from "./types.ts";

/**
 * Deno's FFI as a {@link Backend}, self-contained: the function uses no name from outside its
 * body (types aside), so a worker's source can include its text and call DLLs without loading a
 * module (inline_worker.ts). Load failures are Deno's own errors here; {@link denoBackend} makes
 * them FfiLoadErrors.
 */
export function denoFfi(): RawBackend {
  // deno-lint-ignore no-explicit-any
  type AnyFn = (...args: any[]) => any;
  const nativeType = (t: FfiType) => (t === "ptr" ? "usize" : t === "buf" ? "buffer" : t) as Deno.NativeType;
  const isWide = (t: FfiType) => t === "ptr" || t === "u64" || t === "i64";
  // Deno returns a 64-bit result as a number when it fits; winipc always uses bigint.
  const normalize = (fn: AnyFn, returns: FfiType): AnyFn => isWide(returns) ? (...a) => BigInt(fn(...a)) : fn;
  const normalizeAsync = (fn: AnyFn, returns: FfiType): AnyFn =>
    isWide(returns) ? async (...a) => BigInt(await fn(...a)) : fn;
  return {
    runtime: "deno",
    open<T extends SymbolTable>(dll: string, table: T): Library<T> {
      const defs: Record<string, Deno.ForeignFunction> = {};
      for (const [name, spec] of Object.entries(table)) {
        const def = { parameters: spec.args.map(nativeType), result: nativeType(spec.returns) };
        defs[name] = def;
        if (spec.blocking) defs[`${name}$async`] = { ...def, name, nonblocking: true };
      }
      const lib = Deno.dlopen(dll, defs);
      const sync: Record<string, AnyFn> = {};
      const async: Record<string, AnyFn> = {};
      for (const [name, spec] of Object.entries(table)) {
        sync[name] = normalize(lib.symbols[name] as AnyFn, spec.returns);
        if (spec.blocking) {
          async[name] = normalizeAsync(lib.symbols[`${name}$async`] as AnyFn, spec.returns);
        }
      }
      return { name: dll, sync, async } as unknown as Library<T>;
    },
    addressOf(view: ArrayBufferView): bigint {
      return BigInt(Deno.UnsafePointer.value(Deno.UnsafePointer.of(view)));
    },
    memory(address: bigint, length: number): ArrayBuffer {
      if (length === 0) return new ArrayBuffer(0);
      const p = Deno.UnsafePointer.create(address);
      if (p === null) throw new RangeError("winipc: null pointer");
      return Deno.UnsafePointerView.getArrayBuffer(p, length);
    },
    fnPointer<const A extends readonly FfiType[], R extends FfiType>(
      address: bigint,
      args: A,
      returns: R,
    ): NativeFunction<A, R> {
      const p = Deno.UnsafePointer.create(address);
      if (p === null) throw new RangeError("winipc: null function pointer");
      const def: Deno.ForeignFunction = { parameters: args.map(nativeType), result: nativeType(returns) };
      const fn = new Deno.UnsafeFnPointer(p as Deno.PointerObject<Deno.ForeignFunction>, def);
      return normalize((...a) => (fn.call as AnyFn)(...a), returns) as NativeFunction<A, R>;
    },
    callback(args, returns, fn) {
      const wide = args.map(isWide);
      const cb = new Deno.UnsafeCallback(
        {
          parameters: args.map(nativeType),
          // u64, not usize: if the JS function throws, Deno 2.9 handles a u64 result but panics
          // ("unreachable") on usize.
          result: returns === "ptr" ? "u64" : nativeType(returns),
        } as Deno.UnsafeCallbackDefinition,
        // deno-lint-ignore no-explicit-any
        ((...a: any[]) => (fn as AnyFn)(...a.map((v, i) => wide[i] ? BigInt(v) : v))) as any,
      );
      return { pointer: BigInt(Deno.UnsafePointer.value(cb.pointer)), close: () => cb.close() };
    },
  };
}

/** The Deno backend: `Deno.dlopen`, with `nonblocking` twins for blocking symbols. */
export const denoBackend: Backend = withLoadErrors(denoFfi(), `(${denoFfi})()`);
