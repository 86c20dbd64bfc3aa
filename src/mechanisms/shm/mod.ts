/**
 * Shared memory: named file mappings with views ({@link SharedMemory}), and message channels on
 * rings in shared memory, one ring per client, any number of clients at once ({@link ShmServer},
 * {@link connectShm}; `shm:NAME` addresses), woken by events, with optional spinning for latency.
 * Mutexes, events and semaphores to coordinate raw shared memory are in `@winipc/winipc/sync`.
 *
 * A mapping is released by `close()` (or `using`) only, never by the garbage collector: one
 * dropped without it stays mapped until the process exits.
 *
 * ```ts
 * import { SharedMemory } from "@winipc/winipc/shm";
 *
 * using memory = SharedMemory.create("status", { size: 4096 });
 * memory.write(0, new TextEncoder().encode("ready"));
 * ```
 * @module
 */
export {
  allocationGranularity,
  SharedMemory,
  type SharedMemoryOpenOptions,
  type SharedMemoryOptions,
  type SharedRegion,
  SharedView,
} from "../../kernel/shared_memory.ts";
export {
  connectShm,
  DEFAULT_SHM_CAPACITY,
  DEFAULT_SHM_CONNECT_TIMEOUT,
  ShmChannel,
  type ShmChannelOptions,
  type ShmConnectOptions,
  ShmServer,
  type ShmServerOptions,
} from "./shm_channel.ts";
export type { KernelObjectOptions } from "../../kernel/sync.ts";
export type { Channel, ChannelOptions, Listener, ReceiveChannel, SendChannel } from "../../core/channel.ts";
export type { WaitOptions } from "../../core/errors.ts";
