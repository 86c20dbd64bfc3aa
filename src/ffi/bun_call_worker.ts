/**
 * Bun only: a worker thread that makes one blocking FFI call at a time for the main thread
 * (see backend_bun.ts). It loads each DLL once, with just the symbols it is asked for.
 * @module
 */
import { bunType, type CallReply, type CallRequest } from "./bun_types.ts";
import { bufferMessages } from "./worker_inbox.ts";

// deno-lint-ignore no-explicit-any
type AnyFn = (...args: any[]) => any;
interface BunFfi {
  dlopen(
    path: string,
    symbols: Record<string, { args: string[]; returns: string }>,
  ): { symbols: Record<string, AnyFn> };
}
// deno-lint-ignore no-explicit-any
const self_ = globalThis as any;
const ready = bufferMessages<CallRequest>(); // before anything is awaited

const ffiSpecifier = "bun:ffi";
const ffi = (await import(ffiSpecifier)) as BunFfi;
const loaded = new Map<string, AnyFn>();

const handle = (ev: MessageEvent<CallRequest>) => {
  const { id, dll, name, spec, args } = ev.data;
  const key = `${dll}!${name}`;
  let fn = loaded.get(key);
  const reply: CallReply = { id, buffers: [] };
  try {
    if (!fn) {
      const lib = ffi.dlopen(dll, {
        [name]: { args: spec.args.map((a) => bunType[a]), returns: bunType[spec.returns] },
      });
      fn = lib.symbols[name];
      loaded.set(key, fn);
    }
    reply.result = fn(...args);
    args.forEach((a, i) => {
      if (ArrayBuffer.isView(a)) reply.buffers.push([i, a]);
    });
  } catch (e) {
    reply.error = String(e);
  }
  self_.postMessage(reply);
};
ready(handle);
