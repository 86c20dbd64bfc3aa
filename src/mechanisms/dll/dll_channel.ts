/**
 * Message channels in a DLL shared section (`dll:NAME`): the ring channel of the shm mechanism
 * (header, two rings, named events, the peer's process in every wait), with its memory in the
 * shared section of a generated DLL (dll_shared.ts) instead of a file mapping. A section cannot
 * be sized by the opener and carries no security descriptor, so both ends give the capacity and
 * the events use the default security.
 * @module
 */
import type { Channel, Listener } from "../../core/channel.ts";
import { type Address, intParam } from "../../core/address.ts";
import type { Scheme } from "../../core/scheme.ts";
import {
  connectRegion,
  DEFAULT_SHM_CAPACITY,
  type RegionKind,
  type ShmChannelOptions,
  shmMappingSize,
  ShmServer,
} from "../shm/shm_channel.ts";
import { DllSharedMemory } from "./dll_shared.ts";

/** The shared section of the DLL for the channel's name and mapping size. */
const dllSectionRegion: RegionKind = {
  scheme: "dll",
  create: (name, size) => DllSharedMemory.load(name, size),
  open: (name, o) => DllSharedMemory.load(name, shmMappingSize(o.capacity ?? DEFAULT_SHM_CAPACITY)),
  eventPrefix: (name) => `winipc-dll-${name}`,
};

/** Options for {@link listenDll} and {@link connectDll}. */
export interface DllChannelOptions extends ShmChannelOptions {
  /**
   * Ring bytes per direction. Both ends must give the same value: it is part of the DLL's name
   * and size. Default 1 MiB.
   */
  capacity?: number;
  /** The channel's events are named in `Global\` instead of `Local\` (both ends must agree). */
  global?: boolean;
}

/**
 * Serves a channel in the shared section of the DLL for `name` and `capacity`, one client at a
 * time (like `ShmServer.listen` in `@winipc/winipc/shm`).
 *
 * @example
 * ```ts
 * import { connectDll, listenDll } from "@winipc/winipc/dll";
 *
 * await using server = listenDll("legacy", { capacity: 64 * 1024 });
 * // Usually in another process, with the same capacity:
 * await using client = connectDll("legacy", { capacity: 64 * 1024 });
 * await client.send(new Uint8Array([42]));
 * await using channel = await server.accept({ timeout: 5_000 });
 * const message = await channel.receive();
 * ```
 * @throws {AddressInUseError} when another server already serves `name`.
 */
export function listenDll(name: string, opts: DllChannelOptions = {}): Listener<Channel> {
  return ShmServer.listenRegion(dllSectionRegion, name, opts);
}

/**
 * Connects to the `dll:NAME` server; `capacity` must match the server's. Does not wait: the
 * server must be listening and have no client.
 * @throws {NotFoundError} when nothing serves `name` with this capacity.
 * @throws {AddressInUseError} when the server already has a client.
 * @throws {ProtocolError} when the section's header is not a winipc channel's.
 */
export function connectDll(name: string, opts: DllChannelOptions = {}): Channel {
  return connectRegion(dllSectionRegion, name, opts);
}

/** The options of a `dll:` address (the same on both ends). */
function addressOptions(a: Address): DllChannelOptions {
  return {
    capacity: intParam(a, "size", 16, 0x10000000),
    spin: intParam(a, "spin", 0, 1_000_000),
    maxMessageSize: intParam(a, "maxMessageSize", 0, 0xffffffff),
  };
}

/** The `dll:` scheme of `connect` and `listen`. */
export const dllScheme: Scheme = {
  connect: (a) => Promise.resolve(connectDll(a.path, addressOptions(a))),
  listen: (a) => Promise.resolve(listenDll(a.path, addressOptions(a))),
};
