/**
 * The Node.js backend: koffi (npm `koffi`, prebuilt for Windows; nothing is compiled). koffi's
 * async calls run on libuv's small shared thread pool, where a wait for another process would
 * pin a thread for as long as it lasts, so a blocking symbol's async variant runs in a pooled
 * worker thread instead, as under Bun (call_pool.ts).
 * @module
 */
import { createRequire } from "node:module";
import { type Backend, type RawBackend, withLoadErrors } from "./backend.ts";
import type { FfiType, Library, NativeFunction, SymbolTable } from "./types.ts";
import { withPooledCalls } from "./call_pool.ts";
import process from "node:process";
import { isMainThread } from "node:worker_threads";
import { WinipcError } from "../core/errors.ts";

// The subset of koffi 3 used here, typed locally so that no type checker needs koffi's types.
interface Koffi {
  load(path: string): { func(name: string, result: string, args: string[]): AnyFn; unload(): void };
  proto(result: string, args: string[]): unknown;
  pointer(type: unknown): unknown;
  register(fn: AnyFn, type: unknown): bigint;
  unregister(pointer: bigint): void;
  decode(pointer: bigint, type: unknown): AnyFn;
  address(value: unknown): bigint;
  view(pointer: bigint, length: number): ArrayBuffer;
}
// deno-lint-ignore no-explicit-any
type AnyFn = (...args: any[]) => any;

/**
 * koffi as a {@link RawBackend} (synchronous functions only), self-contained: the function uses
 * no name from outside its body but its argument (types aside), so a worker's source can include
 * its text (inline_worker.ts).
 */
export function nodeFfi(koffi: Koffi): RawBackend {
  /** koffi's name for a table type: a `ptr` is a pointer-sized integer, a `buf` a TypedArray. */
  const koffiType = (t: FfiType) =>
    ({
      void: "void",
      u8: "uint8_t",
      i8: "int8_t",
      u16: "uint16_t",
      i16: "int16_t",
      u32: "uint32_t",
      i32: "int32_t",
      u64: "uint64_t",
      i64: "int64_t",
      f64: "double",
      ptr: "uintptr_t",
      buf: "void *",
    })[t];
  const isWide = (t: FfiType) => t === "ptr" || t === "u64" || t === "i64";
  // koffi returns a 64-bit result as a number when it fits; winipc always uses bigint.
  const normalize = (fn: AnyFn, returns: FfiType): AnyFn => isWide(returns) ? (...a) => BigInt(fn(...a)) : fn;
  // Every call gets unused pointer-sized arguments after its own (zeros; in the Win64 convention
  // the caller owns the argument area and the callee ignores what it does not take). koffi runs a
  // call on a stack of its own, with the call's frame at its very top and a no-access page above.
  // Wine reads past the frame there when win32u calls back into user mode (a window procedure
  // called from inside CreateWindowExW or DestroyWindow): without room above, the process faulted
  // and spun in exception dispatch (probed: 4 or 16 extra arguments make it work, none did not).
  // The padding lowers the frame, so that memory is the call's own.
  const PAD = 8;
  const padCount = (args: readonly FfiType[]) => Math.max(0, Math.min(PAD, 64 - args.length)); // koffi: 64 at most
  // One wrapper per arity up to 12, the zeros written out: spreading the caller's arguments and a
  // zero array cost about 40 ns a call, the written-out form 3 ns (measured in V8; the benchmark's
  // ffi-call-* cases time the whole call).
  const z = 0;
  const padAfter: ((call: AnyFn) => AnyFn)[] = [
    (call) => () => call(z, z, z, z, z, z, z, z),
    (call) => (a) => call(a, z, z, z, z, z, z, z, z),
    (call) => (a, b) => call(a, b, z, z, z, z, z, z, z, z),
    (call) => (a, b, c) => call(a, b, c, z, z, z, z, z, z, z, z),
    (call) => (a, b, c, d) => call(a, b, c, d, z, z, z, z, z, z, z, z),
    (call) => (a, b, c, d, e) => call(a, b, c, d, e, z, z, z, z, z, z, z, z),
    (call) => (a, b, c, d, e, f) => call(a, b, c, d, e, f, z, z, z, z, z, z, z, z),
    (call) => (a, b, c, d, e, f, g) => call(a, b, c, d, e, f, g, z, z, z, z, z, z, z, z),
    (call) => (a, b, c, d, e, f, g, h) => call(a, b, c, d, e, f, g, h, z, z, z, z, z, z, z, z),
    (call) => (a, b, c, d, e, f, g, h, i) => call(a, b, c, d, e, f, g, h, i, z, z, z, z, z, z, z, z),
    (call) => (a, b, c, d, e, f, g, h, i, j) => call(a, b, c, d, e, f, g, h, i, j, z, z, z, z, z, z, z, z),
    (call) => (a, b, c, d, e, f, g, h, i, j, k) =>
      call(a, b, c, d, e, f, g, h, i, j, k, z, z, z, z, z, z, z, z),
    (call) => (a, b, c, d, e, f, g, h, i, j, k, l) =>
      call(a, b, c, d, e, f, g, h, i, j, k, l, z, z, z, z, z, z, z, z),
  ];
  const padded = (fn: AnyFn, arity: number, n: number): AnyFn => {
    if (n === 0) return fn;
    if (n === PAD && arity < padAfter.length) return padAfter[arity](fn);
    const zeros = Array<number>(n).fill(0);
    return (...a) => fn(...a, ...zeros);
  };
  /** koffi's argument types for a call: its own, then `pad` unused pointer-sized ones. */
  const argTypes = (args: readonly FfiType[], pad: number) => [
    ...args.map(koffiType),
    ...Array<string>(pad).fill("uintptr_t"),
  ];
  /** Prototypes by signature and padding: koffi never frees a type, so each is made once. */
  const protos = new Map<string, unknown>();
  const protoOf = (args: readonly FfiType[], returns: FfiType, pad: number) => {
    const key = `${returns}(${args.join(",")})+${pad}`;
    let p = protos.get(key);
    if (p === undefined) protos.set(key, p = koffi.proto(koffiType(returns), argTypes(args, pad)));
    return p;
  };
  return {
    runtime: "node",
    open<T extends SymbolTable>(dll: string, table: T): Library<T> {
      const lib = koffi.load(dll);
      const sync: Record<string, AnyFn> = {};
      for (const [name, spec] of Object.entries(table)) {
        const pad = padCount(spec.args);
        sync[name] = normalize(
          padded(lib.func(name, koffiType(spec.returns), argTypes(spec.args, pad)), spec.args.length, pad),
          spec.returns,
        );
      }
      return { name: dll, sync, async: {} } as unknown as Library<T>;
    },
    addressOf(view: ArrayBufferView): bigint {
      return BigInt(koffi.address(view));
    },
    memory(address: bigint, length: number): ArrayBuffer {
      if (length === 0) return new ArrayBuffer(0);
      if (address === 0n) throw new RangeError("winipc: null pointer");
      return koffi.view(address, length);
    },
    fnPointer<const A extends readonly FfiType[], R extends FfiType>(
      address: bigint,
      args: A,
      returns: R,
    ): NativeFunction<A, R> {
      if (address === 0n) throw new RangeError("winipc: null function pointer");
      const pad = padCount(args);
      return normalize(
        padded(koffi.decode(address, protoOf(args, returns, pad)), args.length, pad),
        returns,
      ) as NativeFunction<
        A,
        R
      >;
    },
    callback(args, returns, fn) {
      const wide = args.map(isWide);
      // Called only on the thread that made it, inside one of its own koffi calls: koffi then
      // runs it synchronously on this thread.
      const pointer = BigInt(koffi.register(
        (...a: unknown[]) => (fn as AnyFn)(...a.map((v, i) => wide[i] ? BigInt((v ?? 0) as number) : v)),
        koffi.pointer(protoOf(args, returns, 0)), // called by native code: its own arguments only
      ));
      let closed = false;
      return {
        pointer,
        close: () => {
          if (closed) return;
          closed = true;
          koffi.unregister(pointer);
        },
      };
    },
  };
}

/**
 * koffi, and where its CommonJS entry is (for worker threads: a `data:` module resolves no
 * package name).
 */
function loadKoffi(): { koffi: Koffi; path: string } {
  const require = createRequire(import.meta.url);
  let path: string;
  try {
    path = require.resolve("koffi");
  } catch (cause) {
    throw new WinipcError(
      "winipc on Node needs the koffi package (prebuilt native FFI, nothing to compile): npm install koffi",
      { cause },
    );
  }
  try {
    return { koffi: require(path) as Koffi, path };
  } catch (cause) {
    throw new WinipcError(`winipc on Node: koffi (${path}) did not load: ${(cause as Error)?.message}`, {
      cause,
    });
  }
}

const { koffi, path } = loadKoffi();

// At exit, winipc ends the process itself (TerminateProcess), once every 'exit' listener has run:
// - Node joins its worker threads then, and a winipc thread blocked in a wait of the system's (a
//   window thread in GetMessageW, a wait thread in WaitForMultipleObjects) never returns to let it:
//   the process would never end.
// - Node's own teardown after 'exit' aborted now and then in a winipc program under Wine, on a
//   libuv assertion (`!(handle->flags & UV_HANDLE_CLOSING)`, async.c): a task posted to the loop
//   while its handles close (measured: 9 of 130 runs of the README's serial example with its
//   output piped, beside another test; none of 80 when winipc ends the process here).
// Nothing is lost: 'exit' listeners run synchronously and have run, Node does not wait for
// pending writes at exit anyway, and output to files and pipes is written synchronously. What is
// skipped is Node's environment teardown (native addons' cleanup hooks among it). The main thread
// only: a worker's 'exit' is that worker's end, not the process's.
if (isMainThread) {
  try {
    const kernel = koffi.load("kernel32.dll");
    const current = kernel.func("GetCurrentProcess", "uintptr_t", []);
    const terminate = kernel.func("TerminateProcess", "int32_t", ["uintptr_t", "uint32_t"]);
    const endAtExit = (code: number) => {
      // Listeners added after this one have not run yet: run them as Node would have.
      const listeners = process.listeners("exit");
      try {
        for (const later of listeners.slice(listeners.indexOf(endAtExit) + 1)) later.call(process, code);
      } catch (e) {
        console.error(e); // as Node does: the error is printed, the listeners after it do not run
      }
      terminate(current(), Number(process.exitCode ?? code) >>> 0); // a listener may set exitCode
    };
    process.on("exit", endAtExit);
  } catch {
    // Not Windows: the first symbol table loaded says so, as an FfiLoadError.
  }
}
/** How a worker gets this backend (see {@link Backend.workerSource}). */
const workerSource = `(${nodeFfi})((await import("node:module")).createRequire(${JSON.stringify(path)})(${
  JSON.stringify(path)
}))`;

/**
 * The Node backend: koffi. A blocking symbol's async variant runs in a pooled worker thread that
 * makes the same call and posts the result (and any output buffers) back.
 */
export const nodeBackend: Backend = withPooledCalls(withLoadErrors(nodeFfi(koffi), workerSource));
