/**
 * For worker scripts: Bun drops messages that arrive before a worker's `onmessage` exists, and a
 * worker that loads its modules with `await` installs its handler late. Call this first (before
 * any await); it buffers what arrives, and `ready(handle)` installs the handler and replays them.
 * @module
 */

/** Starts buffering this worker's messages; returns the function that installs the real handler. */
export function bufferMessages<T>(): (handle: (ev: MessageEvent<T>) => void) => void {
  // deno-lint-ignore no-explicit-any
  const self_ = globalThis as any;
  const early: MessageEvent<T>[] = [];
  self_.onmessage = (ev: MessageEvent<T>) => early.push(ev);
  return (handle) => {
    self_.onmessage = handle;
    early.splice(0).forEach(handle);
  };
}
