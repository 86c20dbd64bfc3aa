/**
 * Shared memory: named file mappings with views ({@link SharedMemory}), and message channels on a
 * ring in shared memory ({@link ShmServer}, {@link connectShm}), with events and optional spin.
 * @module
 */
export {
  allocationGranularity,
  RegionBase,
  SharedMemory,
  type SharedMemoryOpenOptions,
  type SharedMemoryOptions,
  type SharedRegion,
  SharedView,
} from "../../kernel/shared_memory.ts";
export {
  connectShm,
  DEFAULT_SHM_CAPACITY,
  ShmChannel,
  type ShmChannelOptions,
  type ShmConnectOptions,
  ShmServer,
  type ShmServerOptions,
} from "./shm_channel.ts";
