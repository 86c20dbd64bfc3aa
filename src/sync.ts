/**
 * Named kernel objects for synchronisation between processes: events, mutexes and semaphores,
 * waited on without blocking the event loop.
 * @module
 */
export {
  type EventOptions,
  KernelEvent,
  kernelObjectName,
  type KernelObjectOptions,
  Mutex,
  type MutexAcquired,
  Semaphore,
  type SemaphoreOptions,
  type Waitable,
  waitForAny,
} from "./kernel/sync.ts";
export type { Signalled } from "./kernel/wait.ts";
