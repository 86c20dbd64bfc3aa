/**
 * Bun and Node: the worker thread that makes one blocking FFI call at a time for the main thread
 * (see call_pool.ts). It loads each DLL once per symbol it is asked for. The worker runs
 * {@link serveCalls}'s text (inline_worker.ts), so the function is self-contained.
 * @module
 */
import type { CallReply, CallRequest } from "./call_types.ts";
import type { RawBackend } from "./backend.ts";
import type { WorkerGlobal } from "./inline_worker.ts";

/** The worker's entry: answers each {@link CallRequest} with a {@link CallReply}. */
export function serveCalls(
  scope: WorkerGlobal,
  early: MessageEvent<CallRequest>[],
  backend: RawBackend,
): void {
  // deno-lint-ignore no-explicit-any
  const loaded = new Map<string, (...args: any[]) => unknown>();
  const handle = (ev: MessageEvent<CallRequest>) => {
    const { id, dll, name, spec, args } = ev.data;
    const key = `${dll}!${name}`;
    const reply: CallReply = { id, buffers: [] };
    try {
      let fn = loaded.get(key);
      if (!fn) {
        fn = backend.open(dll, { [name]: spec }).sync[name];
        loaded.set(key, fn);
      }
      reply.result = fn(...args);
      args.forEach((a, i) => {
        if (ArrayBuffer.isView(a)) reply.buffers.push([i, a]);
      });
    } catch (e) {
      reply.error = String(e);
    }
    scope.postMessage(reply);
  };
  scope.onmessage = handle;
  early.splice(0).forEach(handle);
}
