/**
 * Message channels in a DLL shared section (`dll:NAME`): the listener and ring channels of the
 * shm mechanism (a ring per client, named events, the peer's process in every wait), with the
 * rendezvous block and a fixed number of ring slots in the shared section of a generated DLL
 * (dll_shared.ts, dll_ring_space.ts) instead of file mappings. A section cannot be sized by the
 * opener and carries no security descriptor, so both ends give the capacity and the slot count,
 * and the events get the default (owner-only) security.
 * @module
 */
import type { Channel, Listener } from "../../core/channel.ts";
import { intOption } from "../../core/address.ts";
import { AddressError, NotFoundError, type WaitOptions } from "../../core/errors.ts";
import { defineScheme, type Scheme } from "../../core/scheme.ts";
import { SharedMemory, type SharedRegion, type SharedView } from "../../kernel/shared_memory.ts";
import { connectSpace, DEFAULT_SHM_CAPACITY, type ShmChannelOptions, ShmServer } from "../shm/shm_channel.ts";
import type { RingSpace } from "../shm/ring_space.ts";
import { DllSharedMemory } from "./dll_shared.ts";
import {
  DEFAULT_DLL_SLOTS,
  type DllLayout,
  dllLayout,
  dllSectionSpace,
  MAX_DLL_SLOTS,
} from "./dll_ring_space.ts";

/**
 * The ring space of `dll:NAME`: the shared section of the DLL for the name and the section's
 * size. The file is named after both, so a client with another size would load another, empty,
 * section: the server also publishes its layout (a tiny named mapping) and a client checks it
 * first, so a mismatch is an AddressError naming both, not "no server".
 */
function dllSpace(name: string, opts: DllChannelOptions): { space: RingSpace; layout: DllLayout } {
  const layout = dllLayout(opts.capacity ?? DEFAULT_SHM_CAPACITY, opts.slots ?? DEFAULT_DLL_SLOTS);
  const space = dllSectionSpace(name, layout, opts.global, {
    create: () => createSection(name, layout, { global: opts.global }),
    open: () => openSection(name, layout, opts.global),
    load: () => DllSharedMemory.load(name, layout.size),
  });
  return { space, layout };
}

const SIZE_MAGIC = 0x5a444957; // "WIDZ"
const sizeInfoName = (name: string) => `winipc-dll-${name}-size`;

/** The server's section, and the mapping publishing its size: `close()` releases both. */
class ServedSection implements SharedRegion {
  readonly section: DllSharedMemory;
  readonly info: SharedMemory;
  constructor(section: DllSharedMemory, info: SharedMemory) {
    this.section = section;
    this.info = info;
  }
  get size(): number {
    return this.section.size;
  }
  get whole(): SharedView {
    return this.section.whole;
  }
  get bytes(): Uint8Array {
    return this.section.bytes;
  }
  read(offset?: number, length?: number): Uint8Array {
    return this.section.read(offset, length);
  }
  write(offset: number, data: Uint8Array): void {
    this.section.write(offset, data);
  }
  close(): void {
    this.info.close();
    this.section.close();
  }
  [Symbol.dispose](): void {
    this.close();
  }
}

function createSection(
  name: string,
  layout: DllLayout,
  o: { global?: boolean; sddl?: string },
): SharedRegion {
  const info = SharedMemory.create(sizeInfoName(name), { size: 12, global: o.global, sddl: o.sddl });
  try {
    const section = DllSharedMemory.load(name, layout.size);
    const w = info.whole.int32(0, 12);
    Atomics.store(w, 1, layout.capacity);
    Atomics.store(w, 2, layout.slots);
    Atomics.store(w, 0, SIZE_MAGIC); // last: a client sees a complete record
    return new ServedSection(section, info);
  } catch (e) {
    info.close();
    throw e;
  }
}

/** The section for `layout`, once the server's published layout says it is the server's. */
function openSection(name: string, layout: DllLayout, global?: boolean): SharedRegion {
  const served = servedLayout(name, global);
  if (served === undefined) throw new NotFoundError(`no server at dll:${name}`);
  if (served.capacity !== layout.capacity) {
    throw new AddressError(
      `dll:${name}: the server's size is ${served.capacity} bytes, this client's ${layout.capacity} (both ends must give the same size=)`,
    );
  }
  if (served.slots !== layout.slots) {
    throw new AddressError(
      `dll:${name}: the server has ${served.slots} slots, this client ${layout.slots} (both ends must give the same slots=)`,
    );
  }
  return DllSharedMemory.load(name, layout.size);
}

/** The ring capacity and slot count a dll: server published, or undefined if none serves `name`. */
function servedLayout(name: string, global?: boolean): { capacity: number; slots: number } | undefined {
  let info: SharedMemory;
  try {
    info = SharedMemory.open(sizeInfoName(name), { size: 12, readOnly: true, global });
  } catch (e) {
    if (e instanceof NotFoundError) return undefined;
    throw e;
  }
  try {
    const v = new DataView(info.read(0, 12).buffer);
    if (v.getUint32(0, true) !== SIZE_MAGIC) return undefined;
    return { capacity: v.getUint32(4, true), slots: v.getUint32(8, true) };
  } finally {
    info.close();
  }
}

/** Options for {@link listenDll} and {@link connectDll}. */
export interface DllChannelOptions extends ShmChannelOptions {
  /**
   * Ring bytes per direction. Both ends must give the same value: it is part of the DLL's name
   * and size. Default 1 MiB.
   */
  capacity?: number;
  /**
   * Ring slots in the section: how many clients are served at once (1 to {@link MAX_DLL_SLOTS},
   * default {@link DEFAULT_DLL_SLOTS}). Both ends must give the same value: it is part of the
   * section's size.
   */
  slots?: number;
  /** The channel's events are named in `Global\` instead of `Local\` (both ends must agree). */
  global?: boolean;
}

/** Options for {@link connectDll}. */
export interface DllConnectOptions extends DllChannelOptions, WaitOptions {}

/**
 * Serves channels in the shared section of the DLL for `name`, `capacity` and `slots`: up to
 * `slots` clients at once, each on a ring slot of its own (like `ShmServer.listen` in
 * `@winipc/winipc/shm`, whose rings are not limited in number). A slot is free again once both
 * ends have closed, or seen the channel end.
 *
 * @example
 * ```ts
 * import { connectDll, listenDll } from "@winipc/winipc/dll";
 *
 * await using server = listenDll("legacy", { capacity: 64 * 1024 });
 * // Usually in another process, with the same capacity:
 * await using client = await connectDll("legacy", { capacity: 64 * 1024, timeout: 5_000 });
 * await client.send(new Uint8Array([42]));
 * await using channel = await server.accept({ timeout: 5_000 });
 * const message = await channel.receive();
 * ```
 * @throws {AddressInUseError} when another server already serves `name`.
 * @throws {RangeError} naming `capacity` or `slots` when out of range.
 */
export function listenDll(name: string, opts: DllChannelOptions = {}): Listener<Channel> {
  const { space, layout } = dllSpace(name, opts);
  return ShmServer.listenSpace(space, layout.capacity, opts);
}

/**
 * Connects to the `dll:NAME` server on a ring slot of this client's own; `capacity` and `slots`
 * must match the server's. While every slot is in use (or the offered one is being taken by
 * another client), waits for one within `timeout` (default 10 s).
 * @throws {NotFoundError} when nothing serves `name` (or the server closed or ended meanwhile).
 * @throws {AddressError} when the server's `capacity` or `slots` differ from this client's.
 * @throws {TimeoutError} when no slot came free within `timeout`.
 * @throws {ProtocolError} when the section's header is not a winipc channel's.
 */
export function connectDll(name: string, opts: DllConnectOptions = {}): Promise<Channel> {
  const { space, layout } = dllSpace(name, opts);
  return connectSpace(space, { ...opts, capacity: layout.capacity });
}

/** The options of a `dll:` address: the same on both ends. */
const dllOptions = {
  size: intOption(16, 0x10000000),
  slots: intOption(1, MAX_DLL_SLOTS),
  spin: intOption(0, 1_000_000),
  maxMessageSize: intOption(0, 0xffffffff),
};

/** The `dll:` scheme of `connect` and `listen`, with the options both know. */
export const dllScheme: Scheme = defineScheme({
  connectOptions: dllOptions,
  connect: (a, { size, ...o }, wait) => connectDll(a.path, { ...o, ...wait, capacity: size }),
  listenOptions: dllOptions,
  listen: (a, { size, ...o }) => Promise.resolve(listenDll(a.path, { ...o, capacity: size })),
});
