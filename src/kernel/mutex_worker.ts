/**
 * A worker thread of mutex_wait.ts: waits for a mutex (or the cancel event), and if it got the
 * mutex, releases it before replying, so it never keeps ownership.
 * @module
 */
import type { MutexWaitRequest } from "./mutex_wait.ts";
import { bufferMessages } from "../ffi/worker_inbox.ts";
import { WAIT_ABANDONED_0, WAIT_OBJECT_0 } from "../ffi/headers/winbase.ts";

// deno-lint-ignore no-explicit-any
const self_ = globalThis as any;
const ready = bufferMessages<MutexWaitRequest>(); // before anything is awaited

const { kernel32 } = await import("../ffi/kernel32.ts");
const k = kernel32.sync;
const handle = (ev: MessageEvent<MutexWaitRequest>) => {
  const { mutex, cancel, ms } = ev.data;
  const r = k.WaitForMultipleObjects(2, new BigUint64Array([mutex, cancel]), 0, ms);
  if (r === WAIT_OBJECT_0 || r === WAIT_ABANDONED_0) k.ReleaseMutex(mutex); // taken here: hand it straight back
  self_.postMessage(r);
};
ready(handle);
