/**
 * A worker thread of mutex_wait.ts: waits for a mutex (or the cancel event), and if it got the
 * mutex, releases it before replying, so it never keeps ownership.
 * @module
 */
import { kernel32 } from "./kernel32.ts";
import type { MutexWaitRequest } from "./mutex_wait.ts";

const k = kernel32.sync;
// deno-lint-ignore no-explicit-any
const self_ = globalThis as any;
self_.onmessage = (ev: MessageEvent<MutexWaitRequest>) => {
  const { mutex, cancel, ms } = ev.data;
  const r = k.WaitForMultipleObjects(2, new BigUint64Array([mutex, cancel]), 0, ms);
  if (r === 0 || r === 0x80) k.ReleaseMutex(mutex); // taken here: hand it straight back
  self_.postMessage(r);
};
