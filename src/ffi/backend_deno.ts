/** The Deno backend: `Deno.dlopen`, with `nonblocking` twins for blocking symbols. @module */
import type { Backend } from "./backend.ts";
import { FfiLoadError } from "../core/errors.ts";
import { type FfiType, type Library, type NativeFunction, runtimeTypes, type SymbolTable } from "./types.ts";

const nativeType = runtimeTypes("usize", "buffer");

const isWide = (t: FfiType) => t === "ptr" || t === "u64" || t === "i64";

// deno-lint-ignore no-explicit-any
type AnyFn = (...args: any[]) => any;

function normalize(fn: AnyFn, returns: FfiType): AnyFn {
  // Deno returns a 64-bit result as a number when it fits; winipc always uses bigint.
  return isWide(returns) ? (...a) => BigInt(fn(...a)) : fn;
}

function normalizeAsync(fn: AnyFn, returns: FfiType): AnyFn {
  return isWide(returns) ? async (...a) => BigInt(await fn(...a)) : fn;
}

export const denoBackend: Backend = {
  runtime: "deno",
  open<T extends SymbolTable>(dll: string, table: T): Library<T> {
    const defs: Record<string, Deno.ForeignFunction> = {};
    for (const [name, spec] of Object.entries(table)) {
      const def = {
        parameters: spec.args.map((a) => nativeType[a]) as Deno.NativeType[],
        result: nativeType[spec.returns],
      };
      defs[name] = def;
      if (spec.blocking) defs[`${name}$async`] = { ...def, name, nonblocking: true };
    }
    let lib: Deno.DynamicLibrary<Record<string, Deno.ForeignFunction>>;
    try {
      lib = Deno.dlopen(dll, defs);
    } catch (cause) {
      throw new FfiLoadError(dll, { cause });
    }
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
    const def: Deno.ForeignFunction = {
      parameters: args.map((a) => nativeType[a]) as Deno.NativeType[],
      result: nativeType[returns],
    };
    const fn = new Deno.UnsafeFnPointer(p as Deno.PointerObject<Deno.ForeignFunction>, def);
    return normalize((...a) => (fn.call as AnyFn)(...a), returns) as NativeFunction<A, R>;
  },
  callback(args, returns, fn) {
    const wide = args.map(isWide);
    const cb = new Deno.UnsafeCallback(
      {
        parameters: args.map((a) => nativeType[a]) as Deno.NativeType[],
        // u64, not usize: if the JS function throws, Deno 2.9 handles a u64 result but panics
        // ("unreachable") on usize.
        result: (returns === "ptr" ? "u64" : nativeType[returns]) as Deno.NativeResultType,
      } as Deno.UnsafeCallbackDefinition,
      // deno-lint-ignore no-explicit-any
      ((...a: any[]) => (fn as AnyFn)(...a.map((v, i) => wide[i] ? BigInt(v) : v))) as any,
    );
    return { pointer: BigInt(Deno.UnsafePointer.value(cb.pointer)), close: () => cb.close() };
  },
};
