/**
 * The ring space of `dll:NAME` (see shm/ring_space.ts): one DLL shared section holds the
 * listener's rendezvous block and a fixed number of ring slots:
 *
 *   [0, 64)                 the rendezvous block
 *   64 + i * stride         slot i: a ring header and its two rings (stride: one ring's size,
 *                           rounded up to 64 bytes)
 *
 * A section cannot grow, so a listener serves at most `slots` clients at once; the next client
 * waits, within its timeout, until a slot is free again. A slot is free when both ends have let
 * go of it (its `refs` word reaches 0): an end lets go when it closes, or as soon as it sees the
 * channel end. A client that dies after the server's end let go cannot let go itself: the
 * listener then watches its process, and frees the slot when it has ended.
 * @module
 */
import { kernel32 } from "../../ffi/kernel32.ts";
import { WAIT_OBJECT_0 } from "../../ffi/headers/winbase.ts";
import type { OwnedHandle } from "../../ffi/handle.ts";
import { ProtocolError } from "../../core/errors.ts";
import type { SharedRegion } from "../../kernel/shared_memory.ts";
import { isEndClosed, SHM_LAYOUT, shmMappingSize, tryOpenPeerProcess } from "../shm/ring_channel.ts";
import { RENDEZVOUS_LAYOUT, type RingSpace } from "../shm/ring_space.ts";
import { MAX_SHARED_SECTION } from "./pe_image.ts";

const k = kernel32.sync;
const REFS = SHM_LAYOUT.refs / 4;
const EPOCH = SHM_LAYOUT.epoch / 4;

/** Ring slots in a `dll:` section when `slots` is not given: clients served at once. */
export const DEFAULT_DLL_SLOTS = 4;
/** The most ring slots a `dll:` section can have. */
export const MAX_DLL_SLOTS = 32;

/** Where things are in a `dll:` section. */
export interface DllLayout {
  /** Ring bytes per direction. */
  readonly capacity: number;
  /** Ring slots: clients served at once. */
  readonly slots: number;
  /** Bytes from one slot to the next. */
  readonly stride: number;
  /** The section's size. */
  readonly size: number;
}

/**
 * The layout for `capacity` and `slots`.
 * @throws {RangeError} naming `capacity` or `slots` when out of range, or when the section would
 *   be larger than a DLL section can be.
 */
export function dllLayout(capacity: number, slots: number): DllLayout {
  if (!Number.isInteger(capacity) || capacity < 16) {
    throw new RangeError(`capacity (size=) must be an integer of at least 16 bytes, got ${capacity}`);
  }
  if (!Number.isInteger(slots) || slots < 1 || slots > MAX_DLL_SLOTS) {
    throw new RangeError(`slots must be 1 to ${MAX_DLL_SLOTS}, got ${slots}`);
  }
  const stride = Math.ceil(shmMappingSize(capacity) / 64) * 64;
  const size = RENDEZVOUS_LAYOUT.size + slots * stride;
  if (size > MAX_SHARED_SECTION) {
    throw new RangeError(
      `capacity ${capacity} with ${slots} slots needs a ${size}-byte section; the most is ${MAX_SHARED_SECTION}`,
    );
  }
  return { capacity, slots, stride, size };
}

/** How the space gets at the section (the dll: mechanism also publishes and checks its layout). */
export interface DllSectionAccess {
  /** The listener's hold on the section. */
  create(): SharedRegion;
  /** A client's hold on the listener's section (NotFoundError when nobody serves it). */
  open(): SharedRegion;
  /** One more hold on the same section, for one channel's ring. */
  load(): SharedRegion;
}

/** A client the listener waits out: only it still holds slot `epoch`'s ring. */
interface Watched {
  readonly epoch: number;
  readonly process: OwnedHandle;
}

/** The {@link RingSpace} of `dll:NAME`, laid out by `layout`. */
export function dllSectionSpace(
  name: string,
  layout: DllLayout,
  global: boolean | undefined,
  access: DllSectionAccess,
): RingSpace {
  const prefix = `winipc-dll-${name}`;
  const offsetOf = (slot: number) => RENDEZVOUS_LAYOUT.size + slot * layout.stride;
  let section: SharedRegion | undefined; // the listener's
  const words = (slot: number) => section!.whole.int32(offsetOf(slot), SHM_LAYOUT.data);
  const watched = new Map<number, Watched>();
  return {
    address: `dll:${name}`,
    security: { global },
    slotted: true,
    eventName: (what, token) => token === undefined ? `${prefix}-${what}` : `${prefix}-r${token}-${what}`,
    createRendezvous() {
      section = access.create();
      // A section outlives its servers: every slot starts free.
      for (let i = 0; i < layout.slots; i++) words(i).fill(0);
      return { memory: section, offset: 0 };
    },
    openRendezvous: () => ({ memory: access.open(), offset: 0 }),
    reserve() {
      for (let i = 0; i < layout.slots; i++) reclaimAbandoned(words(i), i, watched);
      for (let i = 0; i < layout.slots; i++) {
        if (Atomics.compareExchange(words(i), REFS, 0, 2) !== 0) continue;
        try {
          return { token: i + 1, place: { memory: access.load(), offset: offsetOf(i) } };
        } catch (e) {
          Atomics.store(words(i), REFS, 0);
          throw e;
        }
      }
      return undefined;
    },
    unreserve(ring) {
      Atomics.store(words(ring.token - 1), REFS, 0);
      ring.place.memory.close();
    },
    openRing(token) {
      if (!Number.isInteger(token) || token < 1 || token > layout.slots) {
        throw new ProtocolError(`dll:${name}: the server offered slot ${token} of ${layout.slots}`);
      }
      return { memory: access.load(), offset: offsetOf(token - 1) };
    },
    waitables: () => [...watched.values()].map((w) => w.process.value),
    close() {
      for (const w of watched.values()) w.process.close();
      watched.clear();
      section?.close();
    },
  };
}

/**
 * Frees `slot` when only its client still holds it (the server's end let go) and that client's
 * process has ended; while it runs, the listener watches it.
 */
function reclaimAbandoned(w: Int32Array, slot: number, watched: Map<number, Watched>): void {
  const epoch = Atomics.load(w, EPOCH);
  const onlyClient = Atomics.load(w, REFS) === 1 && isEndClosed(w, "server");
  const seen = watched.get(slot);
  if (seen && (seen.epoch !== epoch || !onlyClient)) { // let go of, or reused, meanwhile
    seen.process.close();
    watched.delete(slot);
    return;
  }
  if (!onlyClient) return;
  const client = seen?.process ?? tryOpenPeerProcess(Atomics.load(w, SHM_LAYOUT.clientPid / 4));
  if (client && !hasEnded(client)) {
    if (!seen) watched.set(slot, { epoch, process: client });
    return;
  }
  client?.close();
  watched.delete(slot);
  Atomics.compareExchange(w, REFS, 1, 0);
}

/** Whether a process has ended (a wait that does not wait). */
function hasEnded(process: OwnedHandle): boolean {
  return k.WaitForSingleObject(process.value, 0) === WAIT_OBJECT_0;
}
