/**
 * Named kernel objects for synchronisation between processes: events ({@link KernelEvent}),
 * mutexes ({@link Mutex}) and semaphores ({@link Semaphore}), in `Local\` with owner-only
 * security unless asked otherwise, waited on without blocking the event loop.
 *
 * ```ts
 * import { Mutex } from "@winipc/winipc/sync";
 *
 * using lock = Mutex.create("settings-file");
 * await lock.acquire({ timeout: 5_000 });
 * lock.release();
 * ```
 * @module
 */
export {
  type EventOptions,
  KernelEvent,
  KernelObject,
  kernelObjectName,
  type KernelObjectOptions,
  Mutex,
  type MutexAcquired,
  type MutexOptions,
  Semaphore,
  type SemaphoreOptions,
  type Waitable,
  waitForAny,
} from "./kernel/sync.ts";
export type { Signalled } from "./kernel/wait.ts";
export type { WaitOptions } from "./core/errors.ts";
