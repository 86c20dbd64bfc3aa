/**
 * Shared-memory message channels (`shm:NAME`): {@link ShmServer} and {@link connectShm}, and the
 * listener and client protocol that `dll:` shares. Every client gets a ring channel of its own
 * (ring_channel.ts), so one listener serves any number of clients at once.
 *
 * Handing out rings: the listener's rendezvous block (ring_space.ts) offers one prepared ring at
 * a time. A client takes it with one compare-exchange of `claim` from OPEN to its process id,
 * reads the offered token (it cannot change while claimed), opens that ring, marks it connected
 * and sets the listener's `accept` event; the listener hands the ring out and offers a fresh one
 * at once, so the next client can connect before the next accept() is even called. A client that
 * finds the offer taken (or nothing on offer, while every DLL slot is in use) waits within its
 * timeout on the manual-reset `free` event and the server's process: it resets the event,
 * retries, and only then waits, so no wake-up is lost. A claimant whose process ends before it
 * connects is part of the listener's wait, and its ring is offered afresh.
 *
 * Everything in the block is untrusted: a claim that is no live process, a token that names no
 * ring or a ring state out of range makes the listener offer a fresh ring, never a wild read.
 * @module
 */
import { kernel32 } from "../../ffi/kernel32.ts";
import type { OwnedHandle } from "../../ffi/handle.ts";
import { waitAny } from "../../kernel/wait.ts";
import { type EventOptions, KernelEvent, type KernelObjectOptions } from "../../kernel/sync.ts";
import {
  AddressInUseError,
  NotFoundError,
  ProtocolError,
  TimeoutError,
  type WaitOptions,
} from "../../core/errors.ts";
import { type Listener, ListenerBase } from "../../core/channel.ts";
import { callScope } from "../../core/op_queue.ts";
import { boolOption, intOption, textOption } from "../../core/address.ts";
import { defineScheme, type Scheme } from "../../core/scheme.ts";
import {
  DEFAULT_SHM_CAPACITY,
  initRingHeader,
  letGoOfRing,
  markEndClosed,
  openPeerProcess,
  RING_STATE,
  ringCapacity,
  SHM_LAYOUT,
  SHM_VERSION,
  ShmChannel,
  type ShmChannelOptions,
  tryOpenPeerProcess,
} from "./ring_channel.ts";
import {
  CLAIM,
  fileMappingSpace,
  RENDEZVOUS_LAYOUT,
  RENDEZVOUS_MAGIC,
  type ReservedRing,
  RING_EVENTS,
  type RingPlace,
  type RingSpace,
} from "./ring_space.ts";

export {
  DEFAULT_SHM_CAPACITY,
  SHM_LAYOUT,
  SHM_MAGIC,
  SHM_VERSION,
  ShmChannel,
  type ShmChannelOptions,
  shmMappingSize,
} from "./ring_channel.ts";

const k = kernel32.sync;
const RV = {
  magic: RENDEZVOUS_LAYOUT.magic / 4,
  version: RENDEZVOUS_LAYOUT.version / 4,
  serverPid: RENDEZVOUS_LAYOUT.serverPid / 4,
  offer: RENDEZVOUS_LAYOUT.offer / 4,
  claim: RENDEZVOUS_LAYOUT.claim / 4,
};
const STATE = SHM_LAYOUT.state / 4;

/** How long {@link connectShm} waits for a ring when no `timeout` is given: 10 s. */
export const DEFAULT_SHM_CONNECT_TIMEOUT = 10_000;

/** Options for {@link ShmServer.listen}. */
export interface ShmServerOptions extends ShmChannelOptions, Pick<KernelObjectOptions, "global" | "sddl"> {
  /** Ring bytes per direction (each client gets its own ring), 16 B to 1 GiB. Default {@link DEFAULT_SHM_CAPACITY}. */
  capacity?: number;
}

/** Options for {@link connectShm}. */
export interface ShmConnectOptions extends ShmChannelOptions, WaitOptions {
  /** The server's objects are in `Global\` (it listened with `global: true`), not `Local\`. */
  global?: boolean;
}

/** The ring on offer: reserved memory, its events and header; the listener's until a client takes it. */
interface Offer extends ReservedRing {
  readonly events: KernelEvent[];
  readonly words: Int32Array;
  readonly epoch: number;
}

/** What a listener is made of (its private constructor's argument). */
interface ListenerParts {
  readonly space: RingSpace;
  readonly capacity: number;
  readonly rendezvous: RingPlace;
  readonly accept: KernelEvent;
  /** Manual reset: set whenever a ring goes on offer, and when the listener closes. */
  readonly free: KernelEvent;
  /** Slotted spaces: set by an end that lets go of a ring. */
  readonly freed: KernelEvent | undefined;
}

/** Makes a listener's events and rendezvous block; the events first, exclusively: the only server. */
function openListenerParts(space: RingSpace, capacity: number): ListenerParts {
  const made: Disposable[] = [];
  const own = <T extends Disposable>(d: T): T => (made.push(d), d);
  const event = (what: string, o: EventOptions) =>
    own(KernelEvent.create(space.eventName(what), { ...space.security, ...o }));
  try {
    const accept = event("accept", { mode: "create" });
    const free = event("free", { mode: "create", manualReset: true });
    const freed = space.slotted ? event("freed", {}) : undefined;
    const rendezvous = space.createRendezvous();
    own(rendezvous.memory);
    return { space, capacity, rendezvous, accept, free, freed };
  } catch (e) {
    for (const d of made.reverse()) d[Symbol.dispose]();
    if (e instanceof AddressInUseError) {
      throw new AddressInUseError(`${space.address} is already served`, { cause: e });
    }
    throw e;
  }
}

/**
 * A shared-memory channel server (`shm:NAME`): serves any number of clients at once, each on a
 * ring (a mapping and four events) of its own, made with the listener's security descriptor
 * (owner-only unless `sddl` says otherwise). A ring is ready for the next client as soon as
 * `accept()` returns; clients that come while it is taken wait for the next one, within their
 * timeout.
 *
 * @example
 * ```ts
 * import { connectShm, ShmServer } from "@winipc/winipc/shm";
 *
 * await using server = ShmServer.listen("frames", { capacity: 64 * 1024 });
 * // Usually in another process:
 * await using client = await connectShm("frames", { timeout: 5_000 });
 * await client.send(new TextEncoder().encode("hello"));
 *
 * await using channel = await server.accept({ timeout: 5_000 });
 * console.log(new TextDecoder().decode(await channel.receive()));
 * ```
 */
export class ShmServer extends ListenerBase<ShmChannel> implements Listener<ShmChannel> {
  /** Ring bytes per direction. */
  readonly capacity: number;
  readonly #parts: ListenerParts;
  readonly #opts: ShmChannelOptions;
  readonly #rv: Int32Array;
  #offer: Offer | undefined;

  private constructor(parts: ListenerParts, opts: ShmChannelOptions) {
    super(parts.space.address);
    this.#parts = parts;
    this.capacity = parts.capacity;
    this.#opts = opts;
    this.#rv = parts.rendezvous.memory.whole.int32(parts.rendezvous.offset, RENDEZVOUS_LAYOUT.size);
  }

  /**
   * Creates the rendezvous mapping and events for `name` (`Local\NAME` unless `global`;
   * owner-only unless `sddl` says otherwise) and offers the first ring.
   * @throws {AddressInUseError} when another server already serves `name`.
   * @throws {RangeError} when `capacity` is not 16 bytes to 1 GiB.
   */
  static listen(name: string, opts: ShmServerOptions = {}): ShmServer {
    const capacity = opts.capacity ?? DEFAULT_SHM_CAPACITY;
    if (!Number.isInteger(capacity) || capacity < 16 || capacity > 0x40000000) {
      throw new RangeError(`capacity must be 16 bytes to 1 GiB, got ${capacity}`);
    }
    const space = fileMappingSpace(name, { global: opts.global, sddl: opts.sddl, capacity });
    return ShmServer.listenSpace(space, capacity, opts);
  }

  /** @internal Serves rings in another space (the `dll:` mechanism), whose capacity the caller checked. */
  static listenSpace(space: RingSpace, capacity: number, opts: ShmChannelOptions = {}): ShmServer {
    const server = new ShmServer(openListenerParts(space, capacity), opts);
    try {
      server.#start();
    } catch (e) {
      server.closeListener();
      throw e;
    }
    return server;
  }

  /** Writes a clean rendezvous block (a DLL section outlives its servers) and offers a ring. */
  #start(): void {
    const rv = this.#rv;
    rv.fill(0);
    Atomics.store(rv, RV.version, SHM_VERSION);
    Atomics.store(rv, RV.serverPid, k.GetCurrentProcessId());
    Atomics.store(rv, RV.claim, CLAIM.none);
    Atomics.store(rv, RV.magic, RENDEZVOUS_MAGIC); // last: a client sees a complete block
    this.#offerNext();
  }

  /** A fresh ring with its events and header, or undefined while every slot is in use. */
  #makeOffer(): Offer | undefined {
    const { space, capacity } = this.#parts;
    const ring = space.reserve();
    if (!ring) return undefined;
    const events: KernelEvent[] = [];
    try {
      const mode = space.slotted ? "createOrOpen" : "create"; // a slot's events outlive its uses
      for (const e of RING_EVENTS) {
        events.push(KernelEvent.create(space.eventName(e, ring.token), { ...space.security, mode }));
      }
      const words = ring.place.memory.whole.int32(ring.place.offset, SHM_LAYOUT.data);
      initRingHeader(words, capacity);
      return { ...ring, events, words, epoch: Atomics.load(words, SHM_LAYOUT.epoch / 4) };
    } catch (e) {
      for (const ev of events) ev.close();
      space.unreserve(ring);
      throw e;
    }
  }

  /** Puts a ring on offer (or shuts the door while there is none) and wakes waiting clients. */
  #offerNext(): void {
    const offer = this.#makeOffer();
    this.#offer = offer;
    if (offer) Atomics.store(this.#rv, RV.offer, offer.token);
    Atomics.store(this.#rv, RV.claim, offer ? CLAIM.open : CLAIM.none);
    if (offer) this.#parts.free.set();
  }

  /** Waits for a client to connect to the offered ring, and hands that ring out. */
  protected async acceptChannel(signal: AbortSignal): Promise<ShmChannel> {
    while (true) {
      const offer = this.#offer ?? await this.#awaitOffer(signal);
      const peer = await this.#awaitClient(offer, signal);
      if (peer) return this.#handOut(offer, peer);
      // The claimant went away before connecting, or the block was overwritten: offer afresh.
      this.#offer = undefined;
      this.#retire(offer, true);
      this.#offerNext();
    }
  }

  /** Offers a ring once a slot is free again (slotted spaces); a file-mapping space always has one. */
  async #awaitOffer(signal: AbortSignal): Promise<Offer> {
    while (true) {
      this.#offerNext();
      if (this.#offer) return this.#offer;
      const freed = this.#parts.freed!.handle;
      await waitAny([freed, ...this.#parts.space.waitables()], { signal });
    }
  }

  /**
   * Resolves the client's process once a client has connected to `offer`, or undefined when the
   * ring must be offered afresh (its claimant's process ended first, or the claim is garbage).
   */
  async #awaitClient(offer: Offer, signal: AbortSignal): Promise<OwnedHandle | undefined> {
    const w = offer.words;
    const accept = this.#parts.accept.handle;
    while (true) {
      const claim = Atomics.load(this.#rv, RV.claim);
      if (Atomics.load(w, STATE) !== RING_STATE.listening) {
        // Connected, or its state overwritten by the client since: the channel's checks tell which.
        const client = tryOpenPeerProcess(Atomics.load(w, SHM_LAYOUT.clientPid / 4));
        return client ?? (claim > 0 ? tryOpenPeerProcess(claim) : undefined);
      }
      if (claim === CLAIM.open) {
        await waitAny([accept], { signal });
        continue;
      }
      using claimant = claim > 0 ? tryOpenPeerProcess(claim) : undefined;
      if (!claimant) return undefined;
      const r = await waitAny([accept, claimant.value], { signal });
      if (r.index === 1 && Atomics.load(w, STATE) !== RING_STATE.connected) return undefined;
    }
  }

  /** Gives the connected ring to a new channel and offers the next one at once. */
  #handOut(offer: Offer, peer: OwnedHandle): ShmChannel {
    const { space, capacity } = this.#parts;
    this.#offer = undefined;
    let freed: KernelEvent | undefined;
    try {
      if (space.slotted) freed = KernelEvent.create(space.eventName("freed"), space.security);
    } catch (e) {
      peer.close();
      this.#retire(offer, false);
      throw e;
    }
    const channel = new ShmChannel({
      address: this.address,
      memory: offer.place.memory,
      offset: offer.place.offset,
      capacity,
      side: "server",
      events: offer.events,
      peer,
      freed,
    }, this.#opts);
    try {
      this.#offerNext();
    } catch {
      Atomics.store(this.#rv, RV.claim, CLAIM.none); // the next accept tries again and reports the failure
    }
    return channel;
  }

  /**
   * Takes back a ring the listener offered: unused, it is released; connected, its client is told
   * the server's end is closed, and the ring is freed once the client lets go (or, `clientGone`,
   * at once).
   */
  #retire(offer: Offer, clientGone: boolean): void {
    const w = offer.words;
    const was = Atomics.compareExchange(w, STATE, RING_STATE.listening, RING_STATE.closed);
    if (was === RING_STATE.connected) {
      try {
        markEndClosed(w, "server", offer.events);
        letGoOfRing(w, offer.epoch, clientGone ? 2 : 1);
      } catch { /* the header may be hostile; releasing goes on */ }
      offer.place.memory.close();
    } else {
      this.#parts.space.unreserve(offer);
    }
    for (const e of offer.events) e.close();
  }

  /** Tells waiting clients the listener is gone, takes back the offered ring, releases the rest. */
  protected closeListener(): void {
    const p = this.#parts;
    try {
      Atomics.store(this.#rv, RV.claim, CLAIM.closed);
      p.free.set();
    } catch { /* closing goes on */ }
    if (this.#offer) this.#retire(this.#offer, false);
    this.#offer = undefined;
    p.accept.close();
    p.free.close();
    p.freed?.close();
    p.space.close();
    p.rendezvous.memory.close();
  }
}

/** The listener as a client sees it: its block, its process, its events. */
interface ListenerView extends Disposable {
  readonly address: string;
  readonly rv: Int32Array;
  readonly serverPid: number;
  readonly server: OwnedHandle;
  readonly accept: KernelEvent;
  readonly free: KernelEvent;
}

/** Opens the listener's block and events; a missing or ended listener is NotFoundError. */
function openListenerView(space: RingSpace): ListenerView {
  const made: Disposable[] = [];
  const own = <T extends Disposable>(d: T): T => (made.push(d), d);
  const address = space.address;
  try {
    const place = space.openRendezvous();
    own(place.memory);
    const rv = rendezvousWords(place, address);
    const serverPid = Atomics.load(rv, RV.serverPid);
    const server = tryOpenPeerProcess(serverPid);
    if (!server) throw new NotFoundError(`no server at ${address} (its process has ended)`);
    own(server);
    const event = (what: string) => own(KernelEvent.open(space.eventName(what), space.security));
    const [accept, free] = [event("accept"), event("free")];
    const dispose = () => made.reverse().forEach((d) => d[Symbol.dispose]());
    return { address, rv, serverPid, server, accept, free, [Symbol.dispose]: dispose };
  } catch (e) {
    for (const d of made.reverse()) d[Symbol.dispose]();
    if (e instanceof NotFoundError) throw new NotFoundError(`no server at ${address}`, { cause: e });
    throw e;
  }
}

/** The words of a rendezvous block, checked (it is untrusted); a zeroed block is "no server". */
function rendezvousWords(place: RingPlace, address: string): Int32Array {
  if (place.memory.size < place.offset + RENDEZVOUS_LAYOUT.size) {
    throw new ProtocolError(`${address}: not a winipc channel (the block is too small)`);
  }
  const rv = place.memory.whole.int32(place.offset, RENDEZVOUS_LAYOUT.size);
  const magic = Atomics.load(rv, RV.magic);
  if (magic === 0) throw new NotFoundError(`no server at ${address}`); // a DLL section nobody serves
  if (magic !== RENDEZVOUS_MAGIC || Atomics.load(rv, RV.version) !== SHM_VERSION) {
    throw new ProtocolError(`${address}: not a winipc channel (or another version)`);
  }
  return rv;
}

/** Takes the offered ring (reset, try, then wait: no wake-up is lost); resolves its token. */
async function claimOffer(l: ListenerView, signal: AbortSignal): Promise<number> {
  const me = k.GetCurrentProcessId();
  while (true) {
    l.free.reset();
    const was = Atomics.compareExchange(l.rv, RV.claim, CLAIM.open, me);
    if (was === CLAIM.open) {
      const token = Atomics.load(l.rv, RV.offer);
      if (token > 0) return token;
      releaseClaim(l);
      throw new ProtocolError(`${l.address}: the server offered ring ${token}`);
    }
    if (was === CLAIM.closed) throw new NotFoundError(`no server at ${l.address} (it has closed)`);
    const r = await waitAny([l.free.handle, l.server.value], { signal });
    if (r.index === 1) throw new NotFoundError(`no server at ${l.address} (its process has ended)`);
  }
}

/** Gives the offer back after a failure: the listener keeps offering it. */
function releaseClaim(l: ListenerView): void {
  try {
    Atomics.compareExchange(l.rv, RV.claim, k.GetCurrentProcessId(), CLAIM.open);
    l.free.set();
    l.accept.set();
  } catch { /* the failure being reported matters more */ }
}

/**
 * Connects to the claimed ring `token`. Undefined when the listener took it back meanwhile (it
 * closed, or took this client for gone): the caller claims again.
 */
function joinRing(
  space: RingSpace,
  l: ListenerView,
  token: number,
  opts: ShmConnectOptions & { capacity?: number },
): ShmChannel | undefined {
  const made: Disposable[] = [];
  const own = <T extends Disposable>(d: T): T => (made.push(d), d);
  const release = () => made.reverse().forEach((d) => d[Symbol.dispose]());
  let connected: { words: Int32Array; events: KernelEvent[] } | undefined;
  try {
    const place = space.openRing(token);
    own(place.memory);
    const capacity = ringCapacity(place.memory, place.offset, space.address);
    if (capacity === undefined || (opts.capacity !== undefined && capacity !== opts.capacity)) {
      throw new ProtocolError(`${space.address}: ring ${token} is not a ring this client can use`);
    }
    const events = RING_EVENTS.map((e) => own(KernelEvent.open(space.eventName(e, token), space.security)));
    const freed = space.slotted ? own(KernelEvent.open(space.eventName("freed"), space.security)) : undefined;
    const peer = own(openPeerProcess(l.serverPid));
    const words = place.memory.whole.int32(place.offset, SHM_LAYOUT.data);
    Atomics.store(words, SHM_LAYOUT.clientPid / 4, k.GetCurrentProcessId());
    if (
      Atomics.compareExchange(words, STATE, RING_STATE.listening, RING_STATE.connected) !==
        RING_STATE.listening
    ) {
      release();
      return undefined;
    }
    connected = { words, events };
    const end = { address: space.address, memory: place.memory, offset: place.offset, capacity };
    const channel = new ShmChannel({ ...end, side: "client", events, peer, freed }, opts);
    l.accept.set();
    return channel;
  } catch (e) {
    if (connected) abandonRing(connected.words, connected.events, l);
    else releaseClaim(l);
    release();
    throw e;
  }
}

/** A client that failed after connecting: its end is closed at once, which ends the server's too. */
function abandonRing(words: Int32Array, events: readonly KernelEvent[], l: ListenerView): void {
  try {
    markEndClosed(words, "client", events);
    letGoOfRing(words, Atomics.load(words, SHM_LAYOUT.epoch / 4), 1);
    l.accept.set();
  } catch { /* the failure being reported matters more */ }
}

/**
 * Connects to the shared-memory server `name` (made by {@link ShmServer.listen}, in this process
 * or another) on a ring of this client's own. While the server's offered ring is taken by another
 * client, waits for the next one, within `timeout` (default {@link DEFAULT_SHM_CONNECT_TIMEOUT}).
 *
 * @example
 * ```ts
 * import { connectShm } from "@winipc/winipc/shm";
 *
 * await using channel = await connectShm("frames", { timeout: 5_000 });
 * await channel.send(new Uint8Array([1, 2, 3]));
 * const reply = await channel.receive({ timeout: 5_000 });
 * ```
 * @throws {NotFoundError} when nothing serves `name` (or the server closed or ended while this
 *   client waited).
 * @throws {TimeoutError} when no ring was free within `timeout`: the server is busy or not accepting.
 * @throws {ProtocolError} when the shared block is not a winipc channel's.
 */
export function connectShm(name: string, opts: ShmConnectOptions = {}): Promise<ShmChannel> {
  return connectSpace(fileMappingSpace(name, { global: opts.global }), opts);
}

/** @internal The client side of {@link connectShm} in any space (`dll:` uses it too). */
export async function connectSpace(
  space: RingSpace,
  opts: ShmConnectOptions & { capacity?: number },
): Promise<ShmChannel> {
  const timeout = opts.timeout ?? DEFAULT_SHM_CONNECT_TIMEOUT;
  const scope = callScope(new AbortController().signal, { signal: opts.signal, timeout });
  try {
    using listener = openListenerView(space);
    while (true) {
      const channel = joinRing(space, listener, await claimOffer(listener, scope.signal), opts);
      if (channel) return channel;
    }
  } catch (e) {
    if (e instanceof TimeoutError) {
      throw new TimeoutError(
        `${space.address}: no ring came free within ${timeout} ms (the server is busy with other clients, or not accepting)`,
      );
    }
    throw e;
  } finally {
    scope.done();
  }
}

/**
 * The `shm:` scheme of `connect` and `listen`, with the options each knows. `size` is the
 * server's alone (a client takes the server's capacity from the header), so `connect` refuses it.
 */
export const shmScheme: Scheme = defineScheme({
  connectOptions: {
    spin: intOption(0, 1_000_000),
    maxMessageSize: intOption(0, 0xffffffff),
    global: boolOption,
  },
  connect: (a, o, wait) => connectShm(a.path, { ...o, ...wait }),
  listenOptions: {
    size: intOption(16, 0x40000000),
    spin: intOption(0, 1_000_000),
    maxMessageSize: intOption(0, 0xffffffff),
    global: boolOption,
    sddl: textOption,
  },
  listen: (a, { size, ...o }) => Promise.resolve(ShmServer.listen(a.path, { ...o, capacity: size })),
});
