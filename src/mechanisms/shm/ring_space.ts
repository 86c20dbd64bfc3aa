/**
 * Where a `shm:` or `dll:` listener keeps its rendezvous block and its clients' rings: a
 * {@link RingSpace}. For `shm:` the block is the mapping `NAME` and every ring is a mapping of its
 * own (`NAME-r<token>`), made on demand with the listener's security descriptor; for `dll:` both
 * are in one DLL section with a fixed number of ring slots (dll_ring_space.ts).
 *
 * The rendezvous block offers one prepared ring at a time: `offer` is its token and `claim` says
 * whether it can be taken (see {@link CLAIM}). The protocol itself is in shm_channel.ts.
 * @module
 */
import { AddressInUseError } from "../../core/errors.ts";
import { SharedMemory, type SharedRegion } from "../../kernel/shared_memory.ts";
import type { KernelObjectOptions } from "../../kernel/sync.ts";
import { shmMappingSize } from "./ring_channel.ts";

/** The first word of a rendezvous block: "WIPR". */
export const RENDEZVOUS_MAGIC = 0x52504957;
/** Byte offsets in a rendezvous block, and its size. */
export const RENDEZVOUS_LAYOUT = {
  magic: 0,
  version: 4,
  serverPid: 8,
  /** The token of the ring on offer (valid while `claim` is not {@link CLAIM}.none). */
  offer: 12,
  /** {@link CLAIM}, or the process id of the client that took the offer. */
  claim: 16,
  size: 64,
} as const;
/** `claim` values other than a client's process id. */
export const CLAIM = {
  /** The offered ring is free: a client takes it by swapping in its process id. */
  open: 0,
  /** Nothing is on offer (every DLL slot is in use): clients wait. */
  none: -1,
  /** The listener has closed. */
  closed: -2,
} as const;

/** A ring's memory: the region that holds it and where the ring's header starts. */
export interface RingPlace {
  readonly memory: SharedRegion;
  /** A multiple of 4. */
  readonly offset: number;
}

/** A ring the listener has reserved for the next client: its token and memory. */
export interface ReservedRing {
  /** What the rendezvous block offers: a positive 31-bit number. */
  readonly token: number;
  readonly place: RingPlace;
}

/** Where a listener's rendezvous block and rings live, and how its kernel objects are named. */
export interface RingSpace {
  /** `shm:NAME` or `dll:NAME`. */
  readonly address: string;
  /** The security of the events (and, for `shm:`, the mappings) the listener makes. */
  readonly security: Pick<KernelObjectOptions, "global" | "sddl">;
  /**
   * Ring slots of a fixed region (`dll:`): ends set the space's `freed` event when they let go of
   * a ring, and ring events are reused rather than made new.
   */
  readonly slotted: boolean;
  /** The kernel name of one of the listener's events (`accept`, `free`, `freed`) or ring `token`'s. */
  eventName(what: string, token?: number): string;
  /** Server: makes the region of the rendezvous block (fails if it exists, where it can tell). */
  createRendezvous(): RingPlace;
  /** Client: opens it (NotFoundError when nobody serves the name). */
  openRendezvous(): RingPlace;
  /** Server: memory for the next ring, or undefined while every slot is in use. */
  reserve(): ReservedRing | undefined;
  /** Server: gives back a reserved ring that no client holds. */
  unreserve(ring: ReservedRing): void;
  /** Client: the memory of ring `token` (a token that makes no sense is a ProtocolError). */
  openRing(token: number): RingPlace;
  /** Server: handles signalled when {@link reserve} may find a free slot again (clients it waits out). */
  waitables(): bigint[];
  /** Server: releases what the space holds. */
  close(): void;
}

/** The event names of ring `token` (data and space of ring 0 and ring 1), in ShmEnd order. */
export const RING_EVENTS = ["d0", "s0", "d1", "s1"] as const;

/** A random ring token: positive 31-bit, never 0. */
function randomToken(): number {
  return (crypto.getRandomValues(new Uint32Array(1))[0] >>> 1) || 1;
}

/** The mapping of `shm:NAME`'s ring `token` (its events are named after it too). */
export function shmRingName(name: string, token: number): string {
  return `${name}-r${token.toString(36)}`;
}

/**
 * `shm:NAME`: the rendezvous block is the mapping `NAME`, each ring a new mapping `NAME-r<token>`
 * with the listener's security descriptor (owner-only by default), like its events.
 */
export function fileMappingSpace(
  name: string,
  opts: Pick<KernelObjectOptions, "global" | "sddl"> & { capacity?: number },
): RingSpace {
  const security = { global: opts.global, sddl: opts.sddl };
  const ringName = (token: number) => shmRingName(name, token);
  const exclusive = (region: string, size: number) =>
    SharedMemory.create(region, { ...security, size, mode: "create" });
  return {
    address: `shm:${name}`,
    security,
    slotted: false,
    eventName: (what, token) => token === undefined ? `${name}-${what}` : `${ringName(token)}-${what}`,
    createRendezvous: () => ({ memory: exclusive(name, RENDEZVOUS_LAYOUT.size), offset: 0 }),
    openRendezvous: () => ({
      memory: SharedMemory.open(name, { global: opts.global, size: RENDEZVOUS_LAYOUT.size }),
      offset: 0,
    }),
    reserve() {
      for (let attempt = 0;; attempt++) {
        const token = randomToken();
        try {
          return {
            token,
            place: { memory: exclusive(ringName(token), shmMappingSize(opts.capacity!)), offset: 0 },
          };
        } catch (e) {
          if (!(e instanceof AddressInUseError) || attempt === 3) throw e; // a name taken: draw again
        }
      }
    },
    unreserve: (ring) => ring.place.memory.close(),
    openRing: (token) => ({ memory: SharedMemory.open(ringName(token), { global: opts.global }), offset: 0 }),
    waitables: () => [],
    close() {},
  };
}
