/**
 * The worker thread of mutex_wait.ts: waits for a mutex (or the cancel event), and if it got the
 * mutex, releases it before replying, so it never keeps ownership. The worker runs
 * {@link mutexThread}'s text (src/ffi/ffi_worker.ts), so the function is self-contained.
 * @module
 */
import type { FfiWorkerScope, FfiWorkerSpec } from "../ffi/ffi_worker.ts";
import { WAIT_ABANDONED_0, WAIT_OBJECT_0 } from "../ffi/headers/winbase.ts";

/** Request: wait on `mutex` or `cancel` for `ms`. Reply: the wait's result. */
export interface MutexWaitRequest {
  mutex: bigint;
  cancel: bigint;
  ms: number;
}

/** The constants the thread uses, from the headers (its code imports nothing). */
export const mutexConstants = { WAIT_ABANDONED_0, WAIT_OBJECT_0 } as const;

type Scope = FfiWorkerScope<Record<never, never>, typeof mutexConstants, MutexWaitRequest>;

function mutexThread(scope: Scope): void {
  const k = scope.libs.kernel32;
  const { WAIT_ABANDONED_0, WAIT_OBJECT_0 } = scope.data;
  scope.onMessage(({ mutex, cancel, ms }) => {
    const r = k.WaitForMultipleObjects(2, new BigUint64Array([mutex, cancel]), 0, ms);
    if (r === WAIT_OBJECT_0 || r === WAIT_ABANDONED_0) k.ReleaseMutex(mutex); // taken here: hand it straight back
    scope.post(r);
  });
}

/** The mutex-waiting thread as a kind of worker. */
export const mutexWorker: FfiWorkerSpec<Record<never, never>, typeof mutexConstants, MutexWaitRequest> = {
  name: "mutex wait",
  tables: {},
  body: mutexThread,
};
