/**
 * Waiting for a mutex without making the wrong thread its owner. A mutex belongs to the thread
 * whose wait took it, and only that thread may release it; the shared wait threads of async.ts
 * would take it away from the JS thread. So a dedicated worker thread waits for the mutex,
 * releases it at once (in the same thread), and reports back; the JS thread then takes it with
 * a zero-timeout wait. Abandonment seen by the worker is passed on.
 * @module
 */
import { TimeoutError, type WaitOptions, WinipcError } from "../core/errors.ts";
import { createEvent, timeoutMs } from "./wait.ts";
import type { OwnedHandle } from "../ffi/handle.ts";
import { kernel32 } from "../ffi/kernel32.ts";
import { WAIT_ABANDONED_0, WAIT_OBJECT_0 } from "../ffi/headers/winbase.ts";
import { WAIT_TIMEOUT } from "../ffi/headers/winerror.ts";

/** Worker request: wait on `mutex` or `cancel` for `ms`. Reply: the wait result. */
export interface MutexWaitRequest {
  mutex: bigint;
  cancel: bigint;
  ms: number;
}

interface PooledWorker {
  worker: Worker & { ref?(): void; unref?(): void };
  cancel: OwnedHandle;
}
const idle: PooledWorker[] = [];

function spawn(): PooledWorker {
  const worker = new Worker(new URL("./mutex_worker.ts", import.meta.url).href, { type: "module" });
  return { worker, cancel: createEvent(true) };
}

/**
 * Resolves when the mutex was free (or abandoned: resolves true) for a moment; the caller then
 * tries to take it. Rejects with TimeoutError or the abort reason.
 */
export function acquireOnOwnerThread(mutex: bigint, opts: WaitOptions): Promise<boolean> {
  const { signal } = opts;
  if (signal?.aborted) return Promise.reject(signal.reason);
  const pw = idle.pop() ?? spawn();
  kernel32.sync.ResetEvent(pw.cancel.value);
  pw.worker.ref?.();
  return new Promise<boolean>((resolve, reject) => {
    const onAbort = () => kernel32.sync.SetEvent(pw.cancel.value);
    signal?.addEventListener("abort", onAbort, { once: true });
    pw.worker.onmessage = (ev: MessageEvent<number>) => {
      signal?.removeEventListener("abort", onAbort);
      pw.worker.unref?.();
      idle.push(pw);
      const r = ev.data;
      if (r === WAIT_OBJECT_0) resolve(false);
      else if (r === WAIT_ABANDONED_0) resolve(true);
      else if (r === WAIT_OBJECT_0 + 1) reject(signal?.reason); // the cancel event
      else if (r === WAIT_TIMEOUT) reject(new TimeoutError(`mutex wait timed out after ${opts.timeout} ms`));
      else reject(new WinipcError(`mutex wait failed (${r})`));
    };
    pw.worker.onerror = (e) => reject(e);
    const req: MutexWaitRequest = { mutex, cancel: pw.cancel.value, ms: timeoutMs(opts.timeout) };
    pw.worker.postMessage(req);
  });
}
