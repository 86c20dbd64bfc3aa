/**
 * Waiting for a mutex without making the wrong thread its owner. A mutex belongs to the thread
 * whose wait took it, and only that thread may release it; the shared wait threads of wait.ts
 * would take it away from the JS thread. So a dedicated worker thread waits for the mutex,
 * releases it at once (in the same thread), and reports back; the JS thread then takes it with
 * a zero-timeout wait. Abandonment seen by the worker is passed on. Idle threads are pooled where
 * the runtime can stop an idle worker from keeping the process alive (Bun); in Deno, which cannot,
 * each contended wait has a thread of its own, ended after the wait.
 * @module
 */
import { TimeoutError, type WaitOptions, WinipcError } from "../core/errors.ts";
import { createEvent, timeoutMs } from "./wait.ts";
import type { OwnedHandle } from "../ffi/handle.ts";
import { kernel32 } from "../ffi/kernel32.ts";
import { type FfiWorker, startFfiWorker } from "../ffi/ffi_worker.ts";
import { WAIT_ABANDONED_0, WAIT_OBJECT_0 } from "../ffi/headers/winbase.ts";
import { WAIT_TIMEOUT } from "../ffi/headers/winerror.ts";
import { mutexConstants, type MutexWaitRequest, mutexWorker } from "./mutex_worker.ts";

interface PooledWorker {
  worker: FfiWorker<MutexWaitRequest>;
  cancel: OwnedHandle;
  /** The waiting call's continuation: the wait's result, or the worker's failure. */
  settle?: (r: number | WinipcError) => void;
}
const idle: PooledWorker[] = [];

/** A new waiting thread; one that fails leaves the pool (it is terminated) and fails its wait. */
function spawn(): PooledWorker {
  const cancel = createEvent(true);
  const pw = { cancel } as PooledWorker;
  try {
    pw.worker = startFfiWorker(mutexWorker, mutexConstants, {
      onMessage: (r: number) => pw.settle?.(r),
      onFailure: (error) => {
        const i = idle.indexOf(pw);
        if (i >= 0) idle.splice(i, 1);
        pw.settle?.(error);
        cancel.close();
      },
    });
  } catch (e) {
    cancel.close();
    throw e;
  }
  return pw;
}

/** Ends a waiting thread that will not be used again. */
function retire(pw: PooledWorker): void {
  pw.worker.terminate();
  pw.cancel.close();
}

/**
 * Resolves when the mutex was free (or abandoned: resolves true) for a moment; the caller then
 * tries to take it. Rejects with TimeoutError, the abort reason, or a WinipcError when the
 * waiting thread cannot start or fails (the runtime's error is the cause).
 */
export function acquireOnOwnerThread(mutex: bigint, opts: WaitOptions): Promise<boolean> {
  const { signal } = opts;
  if (signal?.aborted) return Promise.reject(signal.reason);
  const ms = timeoutMs(opts.timeout);
  let pw: PooledWorker;
  try {
    pw = idle.pop() ?? spawn();
  } catch (e) {
    return Promise.reject(e);
  }
  kernel32.sync.ResetEvent(pw.cancel.value);
  pw.worker.ref();
  return new Promise<boolean>((resolve, reject) => {
    const onAbort = () => kernel32.sync.SetEvent(pw.cancel.value);
    signal?.addEventListener("abort", onAbort, { once: true });
    pw.settle = (r) => {
      pw.settle = undefined;
      signal?.removeEventListener("abort", onAbort);
      if (r instanceof WinipcError) return reject(r); // the thread failed: it is gone
      if (pw.worker.unref()) idle.push(pw);
      else retire(pw); // Deno: an idle worker would keep the process from exiting
      if (r === WAIT_OBJECT_0) resolve(false);
      else if (r === WAIT_ABANDONED_0) resolve(true);
      else if (r === WAIT_OBJECT_0 + 1) reject(signal?.reason); // the cancel event
      else if (r === WAIT_TIMEOUT) reject(new TimeoutError(`mutex wait timed out after ${opts.timeout} ms`));
      else reject(new WinipcError(`mutex wait failed (${r})`));
    };
    pw.worker.post({ mutex, cancel: pw.cancel.value, ms });
  });
}
