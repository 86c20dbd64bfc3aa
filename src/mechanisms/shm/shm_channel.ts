/**
 * A message channel over shared memory (`shm:NAME`): one mapping holds a header and two
 * single-producer/single-consumer byte rings (server→client, client→server) carrying
 * length-prefixed frames, so empty messages and messages larger than a ring both work (a large
 * one streams through in pieces). Named auto-reset events wake a peer that waits for data or
 * space, so an idle channel uses no CPU; `spin` (µs) polls briefly first, trading CPU for
 * latency.
 *
 * Everything read from the mapping is untrusted: the capacity is taken once and checked against
 * the mapping's size, every head/tail is checked (used bytes within capacity, our own index not
 * changed behind our back), frame lengths against `maxMessageSize`. All access is through
 * bounds-checked arrays. A corrupted header is a ProtocolError, never a wild read.
 *
 * The peer's process handle is part of every wait: a peer that dies ends the channel with
 * ChannelClosedError at once.
 * @module
 */
import { kernel32 } from "../../ffi/kernel32.ts";
import { PROCESS_QUERY_LIMITED_INFORMATION, SYNCHRONIZE } from "../../ffi/constants.ts";
import { lastError, Win32Error } from "../../ffi/error.ts";
import { isInvalidHandle, OwnedHandle } from "../../ffi/handle.ts";
import { waitAny } from "../../kernel/wait.ts";
import { KernelEvent, type KernelObjectOptions } from "../../kernel/sync.ts";
import {
  AddressInUseError,
  ChannelClosedError,
  NotFoundError,
  ProtocolError,
} from "../../core/errors.ts";
import { ChannelBase, type ChannelOptions, ListenerBase } from "../../core/channel.ts";
import { raceAbort } from "../../core/op_queue.ts";
import { encodeFrame, FrameDecoder } from "../../core/framing.ts";
import { SharedMemory, type SharedRegion, type SharedView } from "../../kernel/shared_memory.ts";
import { DllSharedMemory } from "../dll/dll_shared.ts";
import { boolParam, intParam } from "../../core/address.ts";
import type { Scheme } from "../../core/scheme.ts";

const k = kernel32.sync;

export const SHM_MAGIC = 0x43504957; // "WIPC"
export const SHM_VERSION = 1;
/** Byte offsets in the mapping. */
export const SHM_LAYOUT = {
  magic: 0,
  version: 4,
  capacity: 8,
  serverPid: 12,
  clientPid: 16,
  state: 20,
  /** Ring control blocks: 128 bytes each, head side and tail side on separate cache lines. */
  ring: [64, 192],
  head: 0,
  writerClosed: 4,
  writerWaiting: 8,
  tail: 64,
  readerClosed: 68,
  readerWaiting: 72,
  data: 320,
} as const;
const STATE_LISTENING = 0;
const STATE_CONNECTED = 1;
export const DEFAULT_SHM_CAPACITY = 1024 * 1024;

/** The mapping size for a ring capacity. */
export function shmMappingSize(capacity: number): number {
  return SHM_LAYOUT.data + 2 * capacity;
}

/** Options for a shared-memory channel. */
export interface ShmChannelOptions extends ChannelOptions {
  /** Microseconds to poll before waiting on an event. Default 0 (wait at once). */
  spin?: number;
}

/** Options for {@link ShmServer.listen}. */
export interface ShmServerOptions extends ShmChannelOptions, Pick<KernelObjectOptions, "global" | "sddl"> {
  /** Bytes per direction. Default 1 MiB. */
  capacity?: number;
}

interface Ring {
  /** Control words: Int32Array indices. */
  head: number;
  tail: number;
  writerClosed: number;
  writerWaiting: number;
  readerClosed: number;
  readerWaiting: number;
  dataOffset: number;
  /** Wakes this ring's reader / writer. */
  dataEvent: KernelEvent;
  spaceEvent: KernelEvent;
}

/** Where a channel's memory comes from: a file mapping (`shm:`) or a DLL shared section (`dll:`). */
export interface RegionKind {
  readonly scheme: "shm" | "dll";
  /** Makes the server's region; fails if it exists (file mappings) or leaves that to the events (DLLs). */
  create(name: string, size: number, opts: Pick<KernelObjectOptions, "global" | "sddl">): SharedRegion;
  open(name: string, size: number | undefined, opts: { global?: boolean }): SharedRegion;
  /** Prefix of the channel's event names. */
  eventPrefix(name: string): string;
}

export const fileMappingRegion: RegionKind = {
  scheme: "shm",
  create: (name, size, o) => SharedMemory.create(name, { ...o, size, mode: "create" }),
  open: (name, _size, o) => SharedMemory.open(name, { global: o.global }),
  eventPrefix: (name) => name,
};

export const dllSectionRegion: RegionKind = {
  scheme: "dll",
  create: (name, size) => DllSharedMemory.load(name, size),
  open: (name, size) => DllSharedMemory.load(name, size ?? shmMappingSize(DEFAULT_SHM_CAPACITY)),
  eventPrefix: (name) => `winipc-dll-${name}`,
};

function eventNames(prefix: string) {
  return {
    d0: `${prefix}-d0`,
    s0: `${prefix}-s0`,
    d1: `${prefix}-d1`,
    s1: `${prefix}-s1`,
    accept: `${prefix}-accept`,
  };
}

/** One end of a shared-memory channel. */
export class ShmChannel extends ChannelBase {
  readonly #memory: SharedRegion;
  readonly #view: SharedView;
  readonly #bytes: Uint8Array;
  readonly #words: Int32Array;
  readonly #capacity: number;
  readonly #out: Ring;
  readonly #in: Ring;
  readonly #peer: OwnedHandle;
  readonly #spinMs: number;
  readonly #decoder: FrameDecoder;
  readonly #onClose: () => void;
  #localHead: number;
  #localTail: number;

  /** @internal */
  constructor(
    address: string,
    memory: SharedRegion,
    capacity: number,
    side: "server" | "client",
    events: KernelEvent[],
    peer: OwnedHandle,
    opts: ShmChannelOptions,
    onClose: () => void = () => {},
  ) {
    super(address, opts);
    this.#memory = memory;
    this.#view = memory.whole;
    this.#bytes = this.#view.bytes;
    this.#words = this.#view.int32(0, SHM_LAYOUT.data);
    this.#capacity = capacity;
    const [d0, s0, d1, s1] = events;
    const ring = (i: 0 | 1, dataEvent: KernelEvent, spaceEvent: KernelEvent): Ring => {
      const base = SHM_LAYOUT.ring[i];
      return {
        head: (base + SHM_LAYOUT.head) / 4,
        tail: (base + SHM_LAYOUT.tail) / 4,
        writerClosed: (base + SHM_LAYOUT.writerClosed) / 4,
        writerWaiting: (base + SHM_LAYOUT.writerWaiting) / 4,
        readerClosed: (base + SHM_LAYOUT.readerClosed) / 4,
        readerWaiting: (base + SHM_LAYOUT.readerWaiting) / 4,
        dataOffset: SHM_LAYOUT.data + i * capacity,
        dataEvent,
        spaceEvent,
      };
    };
    const r0 = ring(0, d0, s0); // server -> client
    const r1 = ring(1, d1, s1); // client -> server
    [this.#out, this.#in] = side === "server" ? [r0, r1] : [r1, r0];
    this.#localHead = Atomics.load(this.#words, this.#out.head);
    this.#localTail = Atomics.load(this.#words, this.#in.tail);
    this.#peer = peer;
    this.#spinMs = (opts.spin ?? 0) / 1000;
    this.#decoder = new FrameDecoder(this.maxMessageSize);
    this.#onClose = onClose;
    this.#events = events;
  }
  readonly #events: KernelEvent[];

  /** Checks the parts of the header that never change; a peer that rewrote them is hostile or broken. */
  #checkHeader(): void {
    const w = this.#words;
    if (
      Atomics.load(w, SHM_LAYOUT.magic / 4) !== SHM_MAGIC ||
      Atomics.load(w, SHM_LAYOUT.version / 4) !== SHM_VERSION ||
      Atomics.load(w, SHM_LAYOUT.capacity / 4) !== this.#capacity
    ) {
      throw new ProtocolError(`${this.address}: the shared header was overwritten`);
    }
  }

  /** Bytes ready in the incoming ring, validated. */
  #available(): number {
    this.#checkHeader();
    const w = this.#words;
    if (Atomics.load(w, this.#in.tail) !== this.#localTail) {
      throw new ProtocolError(`${this.address}: the read index was changed by the peer`);
    }
    const used = (Atomics.load(w, this.#in.head) - this.#localTail) >>> 0;
    if (used > this.#capacity) {
      throw new ProtocolError(`${this.address}: ring claims ${used} bytes of ${this.#capacity}`);
    }
    return used;
  }

  /** Free bytes in the outgoing ring, validated. */
  #free(): number {
    this.#checkHeader();
    const w = this.#words;
    if (Atomics.load(w, this.#out.head) !== this.#localHead) {
      throw new ProtocolError(`${this.address}: the write index was changed by the peer`);
    }
    const used = (this.#localHead - Atomics.load(w, this.#out.tail)) >>> 0;
    if (used > this.#capacity) {
      throw new ProtocolError(`${this.address}: ring claims ${used} bytes of ${this.#capacity}`);
    }
    return this.#capacity - used;
  }

  /** Polls `ready` for the spin time, then waits on `event` (flagging `waitingWord`) or peer death. */
  async #await(
    ready: () => boolean,
    waitingWord: number,
    event: KernelEvent,
    signal: AbortSignal,
  ): Promise<boolean> {
    if (this.#spinMs > 0) {
      const until = performance.now() + this.#spinMs;
      while (performance.now() < until) if (ready()) return true;
    }
    Atomics.store(this.#words, waitingWord, 1);
    try {
      if (ready()) return true; // re-check after flagging: the peer may have acted in between
      const r = await waitAny([event.handle, this.#peer.value], { signal });
      return r.index === 0;
    } finally {
      Atomics.store(this.#words, waitingWord, 0);
    }
  }

  protected async sendMessage(message: Uint8Array, signal: AbortSignal): Promise<void> {
    const frame = encodeFrame(message);
    const w = this.#words;
    const out = this.#out;
    let sent = 0;
    while (sent < frame.byteLength) {
      if (Atomics.load(w, out.readerClosed) !== 0) {
        throw new ChannelClosedError(`${this.address}: the peer closed`);
      }
      let free = this.#free();
      if (free === 0) {
        const ok = await this.#await(
          () => this.#free() > 0 || Atomics.load(w, out.readerClosed) !== 0,
          out.writerWaiting,
          out.spaceEvent,
          signal,
        );
        if (!ok) throw new ChannelClosedError(`${this.address}: the peer process ended`);
        continue;
      }
      const n = Math.min(free, frame.byteLength - sent);
      const pos = this.#localHead % this.#capacity;
      const first = Math.min(n, this.#capacity - pos);
      this.#bytes.set(frame.subarray(sent, sent + first), out.dataOffset + pos);
      if (n > first) this.#bytes.set(frame.subarray(sent + first, sent + n), out.dataOffset);
      sent += n;
      free -= n;
      this.#localHead = (this.#localHead + n) >>> 0;
      Atomics.store(w, out.head, this.#localHead | 0);
      if (Atomics.load(w, out.readerWaiting) !== 0) out.dataEvent.set();
    }
  }

  protected async receiveMessage(signal: AbortSignal): Promise<Uint8Array | null> {
    const w = this.#words;
    const inn = this.#in;
    while (true) {
      const m = this.#decoder.next();
      if (m) return m;
      const avail = this.#available();
      if (avail === 0) {
        if (Atomics.load(w, inn.writerClosed) !== 0) return null;
        const ok = await this.#await(
          () => this.#available() > 0 || Atomics.load(w, inn.writerClosed) !== 0,
          inn.readerWaiting,
          inn.dataEvent,
          signal,
        );
        if (!ok && this.#available() === 0) return null; // the peer process ended
        continue;
      }
      const pos = this.#localTail % this.#capacity;
      const first = Math.min(avail, this.#capacity - pos);
      this.#decoder.push(this.#bytes.subarray(inn.dataOffset + pos, inn.dataOffset + pos + first));
      if (avail > first) {
        this.#decoder.push(this.#bytes.subarray(inn.dataOffset, inn.dataOffset + avail - first));
      }
      this.#localTail = (this.#localTail + avail) >>> 0;
      Atomics.store(w, inn.tail, this.#localTail | 0);
      if (Atomics.load(w, inn.writerWaiting) !== 0) inn.spaceEvent.set();
    }
  }

  protected closeTransport(): void {
    try {
      // Tell the peer: no more data from us, and we read no more. Wake it whichever way it waits.
      Atomics.store(this.#words, this.#out.writerClosed, 1);
      Atomics.store(this.#words, this.#in.readerClosed, 1);
      this.#out.dataEvent.set();
      this.#in.spaceEvent.set();
    } catch { /* the header may be gone or hostile; closing goes on */ }
    for (const e of this.#events) e.close();
    this.#peer.close();
    this.#memory.close();
    this.#onClose();
  }
}

function openPeerProcess(pid: number): OwnedHandle {
  if (!Number.isInteger(pid) || pid <= 0) {
    throw new ProtocolError(`bad peer process id ${pid} in the shared header`);
  }
  const h = k.OpenProcess(SYNCHRONIZE | PROCESS_QUERY_LIMITED_INFORMATION, 0, pid);
  if (isInvalidHandle(h)) throw new Win32Error(`OpenProcess(${pid})`, lastError());
  return new OwnedHandle(h);
}

/** A shared-memory channel server: owns the mapping; one client at a time. */
export class ShmServer extends ListenerBase<ShmChannel> {
  readonly capacity: number;
  readonly #name: string;
  readonly #opts: ShmServerOptions;
  readonly #kind: RegionKind;
  #memory: SharedRegion | undefined;
  #events: KernelEvent[] = [];
  #accept: KernelEvent | undefined;
  #current: Promise<void> = Promise.resolve();

  private constructor(name: string, opts: ShmServerOptions, kind: RegionKind) {
    super(`${kind.scheme}:${name}`);
    this.#name = name;
    this.#opts = opts;
    this.#kind = kind;
    const capacity = opts.capacity ?? DEFAULT_SHM_CAPACITY;
    if (!Number.isInteger(capacity) || capacity < 16 || capacity > 0x40000000) {
      throw new RangeError(`capacity must be 16 bytes to 1 GiB, got ${capacity}`);
    }
    this.capacity = capacity;
    this.#init();
  }

  /** Creates the mapping and events for `name`; AddressInUseError if it exists. */
  static listen(name: string, opts: ShmServerOptions = {}): ShmServer {
    return new ShmServer(name, opts, fileMappingRegion);
  }

  /** Serves a channel in a DLL shared section (`dll:NAME`); clients must use the same capacity. */
  static listenDll(name: string, opts: ShmServerOptions = {}): ShmServer {
    return new ShmServer(name, opts, dllSectionRegion);
  }

  #init(): void {
    const o = { global: this.#opts.global, sddl: this.#opts.sddl, mode: "create" as const };
    const n = eventNames(this.#kind.eventPrefix(this.#name));
    const events: KernelEvent[] = [];
    let memory: SharedRegion | undefined;
    try {
      // The events come first: creating them exclusively is what makes this the only server.
      for (const e of [n.d0, n.s0, n.d1, n.s1, n.accept]) events.push(KernelEvent.create(e, o));
      memory = this.#kind.create(this.#name, shmMappingSize(this.capacity), o);
    } catch (e) {
      for (const ev of events) ev.close();
      if (e instanceof AddressInUseError) {
        throw new AddressInUseError(`${this.address} is already served`, { cause: e });
      }
      throw e;
    }
    const w = memory.whole.int32(0, SHM_LAYOUT.data);
    w.fill(0); // a DLL section outlives its servers: start from a clean header
    Atomics.store(w, SHM_LAYOUT.capacity / 4, this.capacity);
    Atomics.store(w, SHM_LAYOUT.version / 4, SHM_VERSION);
    Atomics.store(w, SHM_LAYOUT.serverPid / 4, k.GetCurrentProcessId());
    Atomics.store(w, SHM_LAYOUT.state / 4, STATE_LISTENING);
    Atomics.store(w, SHM_LAYOUT.magic / 4, SHM_MAGIC); // last: a client sees a complete header
    this.#accept = events.pop();
    this.#events = events;
    this.#memory = memory;
  }

  /** Waits for a client. The next accept waits until that client's channel has closed. */
  protected async acceptChannel(signal: AbortSignal): Promise<ShmChannel> {
    await raceAbort(this.#current, signal);
    if (!this.#memory) this.#init();
    const memory = this.#memory!;
    const w = memory.whole.int32(0, SHM_LAYOUT.data);
    while (Atomics.load(w, SHM_LAYOUT.state / 4) === STATE_LISTENING) {
      await waitAny([this.#accept!.handle], { signal });
    }
    if (Atomics.load(w, SHM_LAYOUT.state / 4) !== STATE_CONNECTED) {
      throw new ProtocolError(`${this.address}: the connection state in the shared header is invalid`);
    }
    const peer = openPeerProcess(Atomics.load(w, SHM_LAYOUT.clientPid / 4));
    let done!: () => void;
    this.#current = new Promise((r) => done = r);
    // The channel owns this generation's mapping and events; the next accept makes new ones.
    this.#memory = undefined;
    this.#accept!.close();
    const channel = new ShmChannel(
      this.address,
      memory,
      this.capacity,
      "server",
      this.#events,
      peer,
      this.#opts,
      done,
    );
    this.#events = [];
    return channel;
  }

  protected closeListener(): void {
    this.#memory?.close();
    for (const e of this.#events) e.close();
    this.#accept?.close();
  }
}

/** Options for {@link connectShm}. */
export interface ShmConnectOptions extends ShmChannelOptions {
  global?: boolean;
}

/** Connects to the shared-memory server `name`. NotFoundError if none, AddressInUseError if it has a client. */
export function connectShm(name: string, opts: ShmConnectOptions = {}): ShmChannel {
  return connectRegion(name, opts, fileMappingRegion);
}

/** Connects to a `dll:NAME` server; `capacity` must match the server's. */
export function connectDll(name: string, opts: ShmConnectOptions & { capacity?: number } = {}): ShmChannel {
  return connectRegion(name, opts, dllSectionRegion, shmMappingSize(opts.capacity ?? DEFAULT_SHM_CAPACITY));
}

function connectRegion(name: string, opts: ShmConnectOptions, kind: RegionKind, size?: number): ShmChannel {
  const address = `${kind.scheme}:${name}`;
  let memory: SharedRegion;
  try {
    memory = kind.open(name, size, { global: opts.global });
  } catch (e) {
    if (e instanceof NotFoundError) throw new NotFoundError(`no server at ${address}`, { cause: e });
    throw e;
  }
  const cleanup: Disposable[] = [memory];
  try {
    if (memory.size < SHM_LAYOUT.data) throw new ProtocolError(`${address}: mapping too small`);
    const w = memory.whole.int32(0, SHM_LAYOUT.data);
    if (
      Atomics.load(w, SHM_LAYOUT.magic / 4) !== SHM_MAGIC ||
      Atomics.load(w, SHM_LAYOUT.version / 4) !== SHM_VERSION
    ) {
      // A DLL section nobody serves is all zeros: that is "no server", not a protocol error.
      if (Atomics.load(w, SHM_LAYOUT.magic / 4) === 0) throw new NotFoundError(`no server at ${address}`);
      throw new ProtocolError(`${address}: not a winipc channel (or another version)`);
    }
    const capacity = Atomics.load(w, SHM_LAYOUT.capacity / 4);
    if (capacity < 16 || shmMappingSize(capacity) > memory.size) {
      throw new ProtocolError(
        `${address}: capacity ${capacity} does not fit the mapping of ${memory.size} bytes`,
      );
    }
    const n = eventNames(kind.eventPrefix(name));
    const events = [n.d0, n.s0, n.d1, n.s1].map((e) => KernelEvent.open(e, { global: opts.global }));
    cleanup.push(...events);
    const accept = KernelEvent.open(n.accept, { global: opts.global });
    cleanup.push(accept);
    const peer = openPeerProcess(Atomics.load(w, SHM_LAYOUT.serverPid / 4));
    cleanup.push(peer);
    Atomics.store(w, SHM_LAYOUT.clientPid / 4, k.GetCurrentProcessId());
    if (
      Atomics.compareExchange(w, SHM_LAYOUT.state / 4, STATE_LISTENING, STATE_CONNECTED) !== STATE_LISTENING
    ) {
      throw new AddressInUseError(`${address} already has a client`);
    }
    accept.set();
    accept.close();
    return new ShmChannel(address, memory, capacity, "client", events, peer, opts);
  } catch (e) {
    for (const c of cleanup) c[Symbol.dispose]();
    if (e instanceof NotFoundError) throw new NotFoundError(`no server at ${address}`, { cause: e });
    throw e;
  }
}

/** The `dll:` scheme of `connect` and `listen`. */
export const dllScheme: Scheme = {
  connect: (a) =>
    Promise.resolve(connectDll(a.path, {
      capacity: intParam(a, "size", 16, 0x10000000),
      spin: intParam(a, "spin", 0, 1_000_000),
      maxMessageSize: intParam(a, "maxMessageSize", 0, 0xffffffff),
    })),
  listen: (a) =>
    Promise.resolve(ShmServer.listenDll(a.path, {
      capacity: intParam(a, "size", 16, 0x10000000),
      spin: intParam(a, "spin", 0, 1_000_000),
      maxMessageSize: intParam(a, "maxMessageSize", 0, 0xffffffff),
    })),
};

/** The `shm:` scheme of `connect` and `listen`. */
export const shmScheme: Scheme = {
  connect: (a) =>
    Promise.resolve(connectShm(a.path, {
      spin: intParam(a, "spin", 0, 1_000_000),
      maxMessageSize: intParam(a, "maxMessageSize", 0, 0xffffffff),
      global: boolParam(a, "global"),
    })),
  listen: (a) =>
    Promise.resolve(ShmServer.listen(a.path, {
      capacity: intParam(a, "size", 16, 0x40000000),
      spin: intParam(a, "spin", 0, 1_000_000),
      maxMessageSize: intParam(a, "maxMessageSize", 0, 0xffffffff),
      global: boolParam(a, "global"),
      sddl: a.params.get("sddl") ?? undefined,
    })),
};
