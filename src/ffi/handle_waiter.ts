/**
 * A thread that waits on a list of handles for the JS thread, one wait at a time: the off-thread
 * half of the wait multiplexer (src/kernel/wait.ts).
 *
 * Deno: a `nonblocking` WaitForMultipleObjects on its FFI thread pool.
 *
 * Bun and Node: a worker of its own per waiter, woken by a doorbell in shared memory (Atomics.notify)
 * rather than by a message. A message to a worker wakes its event loop, which costs about three
 * wineserver round trips under Wine (and an I/O completion packet on Windows); the doorbell costs
 * none. The result still comes back as a message: that is what wakes the JS thread.
 * @module
 */
import { kernel32 } from "./kernel32.ts";
import { INFINITE } from "./headers/winbase.ts";
import { MAXIMUM_WAIT_OBJECTS } from "./headers/winnt.ts";
import { backend, runtimeName } from "./runtime.ts";
import { type InlineWorker, startInlineWorker, type WorkerGlobal } from "./inline_worker.ts";
import type { RawBackend } from "./backend.ts";
import { WinipcError } from "../core/errors.ts";

/** Waits off the JS thread; one {@link HandleWaiter.wait} at a time. */
export interface HandleWaiter {
  /** WaitForMultipleObjects(handles, any, INFINITE) on another thread: its DWORD result. */
  wait(handles: BigUint64Array): Promise<number>;
}

const MAX_HANDLES = MAXIMUM_WAIT_OBJECTS;
/** The doorbell's Int32 slots: 0 = the bell (1 rung, 0 answered), 1 = the handle count. */
const BELL = 0;
const COUNT = 1;
/** Bytes before the handle list in the shared block. */
const LIST_OFFSET = 8;

/**
 * The waiter worker's entry (its text runs in the worker, so it is self-contained): sleeps on the
 * bell, copies the handles out of shared memory, waits, rings back with a message.
 */
export function serveDoorbellWaits(
  scope: WorkerGlobal,
  early: MessageEvent<SharedArrayBuffer>[],
  ffi: RawBackend,
): void {
  const start = (shared: SharedArrayBuffer) => {
    scope.onmessage = null;
    const ctrl = new Int32Array(shared, 0, 2);
    const list = new BigUint64Array(shared, 8, 64);
    const own = new BigUint64Array(64); // the call gets memory of this thread's own
    const k = ffi.open("kernel32.dll", {
      WaitForMultipleObjects: { args: ["u32", "buf", "i32", "u32"], returns: "u32" },
    }).sync;
    while (true) {
      Atomics.wait(ctrl, 0, 0);
      const n = Atomics.load(ctrl, 1);
      own.set(list.subarray(0, n));
      const r = k.WaitForMultipleObjects(n, own, 0, 0xffffffff) as number;
      Atomics.store(ctrl, 0, 0);
      scope.postMessage(r);
    }
  };
  scope.onmessage = (ev: MessageEvent<SharedArrayBuffer>) => start(ev.data);
  if (early.length > 0) start(early[0].data);
}

/** Bun and Node: one worker, rung through shared memory. */
class DoorbellWaiter implements HandleWaiter {
  readonly #shared = new SharedArrayBuffer(LIST_OFFSET + 8 * MAX_HANDLES);
  readonly #ctrl = new Int32Array(this.#shared, 0, 2);
  readonly #list = new BigUint64Array(this.#shared, LIST_OFFSET, MAX_HANDLES);
  #worker: InlineWorker | undefined;
  #pending: { resolve(r: number): void; reject(e: unknown): void } | undefined;

  wait(handles: BigUint64Array): Promise<number> {
    if (this.#pending) return Promise.reject(new WinipcError("winipc: a wait is already in flight"));
    if (handles.length === 0 || handles.length > MAX_HANDLES) {
      return Promise.reject(new RangeError(`a wait takes 1 to ${MAX_HANDLES} handles`));
    }
    let worker: InlineWorker;
    try {
      worker = this.#worker ??= this.#start();
    } catch (e) {
      return Promise.reject(e);
    }
    return new Promise<number>((resolve, reject) => {
      this.#pending = { resolve, reject };
      worker.ref?.(); // a wait in flight keeps the process alive, as a pending call does
      this.#list.set(handles);
      Atomics.store(this.#ctrl, COUNT, handles.length);
      Atomics.store(this.#ctrl, BELL, 1);
      Atomics.notify(this.#ctrl, BELL);
    });
  }

  #start(): InlineWorker {
    const worker = startInlineWorker<number>("wait thread", String(serveDoorbellWaits), [
      backend.workerSource,
    ], {
      onMessage: (r) => this.#settle((p) => p.resolve(r)),
      onFailure: (error) => {
        this.#worker = undefined; // the next wait starts a new one
        this.#settle((p) => p.reject(error));
      },
    });
    worker.unref?.();
    worker.postMessage(this.#shared);
    return worker;
  }

  #settle(how: (p: { resolve(r: number): void; reject(e: unknown): void }) => void): void {
    const p = this.#pending;
    this.#pending = undefined;
    this.#worker?.unref?.(); // idle: asleep on the bell, it keeps nothing alive
    if (p) how(p);
  }
}

/** Deno: the `nonblocking` twin of WaitForMultipleObjects. */
const poolWaiter: HandleWaiter = {
  wait: (handles) => kernel32.async.WaitForMultipleObjects(handles.length, handles, 0, INFINITE),
};

/** A waiter for one caller that makes one wait at a time (a wait group). */
export function handleWaiter(): HandleWaiter {
  return runtimeName === "deno" ? poolWaiter : new DoorbellWaiter();
}
