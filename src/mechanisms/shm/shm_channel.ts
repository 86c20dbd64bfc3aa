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
import { PROCESS_QUERY_LIMITED_INFORMATION, SYNCHRONIZE } from "../../ffi/headers/winnt.ts";
import { checkHandle } from "../../ffi/check.ts";
import { OwnedHandle } from "../../ffi/handle.ts";
import { waitAny } from "../../kernel/wait.ts";
import { KernelEvent, type KernelObjectOptions } from "../../kernel/sync.ts";
import { AddressInUseError, ChannelClosedError, NotFoundError, ProtocolError } from "../../core/errors.ts";
import {
  type Channel,
  ChannelBase,
  type ChannelOptions,
  type Listener,
  ListenerBase,
} from "../../core/channel.ts";
import { raceAbort } from "../../core/op_queue.ts";
import { encodeFrame, FrameDecoder } from "../../core/framing.ts";
import { SharedMemory, type SharedRegion } from "../../kernel/shared_memory.ts";
import { boolParam, intParam } from "../../core/address.ts";
import type { Scheme } from "../../core/scheme.ts";

const k = kernel32.sync;

/** The first word of a channel's mapping: "WIPC". */
export const SHM_MAGIC = 0x43504957;
/** The header layout version; a peer with another one is refused. */
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
/** Ring bytes per direction when {@link ShmServerOptions.capacity} is not given: 1 MiB. */
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
  /** Ring bytes per direction, 16 B to 1 GiB. Default {@link DEFAULT_SHM_CAPACITY}. */
  capacity?: number;
}

/** Options for {@link connectShm}. */
export interface ShmConnectOptions extends ShmChannelOptions {
  /** The server's objects are in `Global\` (it listened with `global: true`), not `Local\`. */
  global?: boolean;
}

/** A side's "I am waiting" flag in the header, and the event that wakes it. */
interface Sleeper {
  /** Int32Array index of the flag. */
  readonly flag: number;
  readonly wake: KernelEvent;
}

/** One direction: Int32Array indices of its control words, where its bytes start, who sleeps on it. */
interface Ring {
  readonly head: number;
  readonly tail: number;
  readonly writerClosed: number;
  readonly readerClosed: number;
  readonly dataOffset: number;
  /** Sleeps until data arrives. */
  readonly reader: Sleeper;
  /** Sleeps until space frees up. */
  readonly writer: Sleeper;
}

/** Ring `i` (0: server to client, 1: client to server); `events` are d0, s0, d1, s1. */
function ringAt(i: 0 | 1, capacity: number, events: readonly KernelEvent[]): Ring {
  const word = (offset: number) => (SHM_LAYOUT.ring[i] + offset) / 4;
  return {
    head: word(SHM_LAYOUT.head),
    tail: word(SHM_LAYOUT.tail),
    writerClosed: word(SHM_LAYOUT.writerClosed),
    readerClosed: word(SHM_LAYOUT.readerClosed),
    dataOffset: SHM_LAYOUT.data + i * capacity,
    reader: { flag: word(SHM_LAYOUT.readerWaiting), wake: events[2 * i] },
    writer: { flag: word(SHM_LAYOUT.writerWaiting), wake: events[2 * i + 1] },
  };
}

/** Where a channel's memory comes from: a file mapping (`shm:`) or a DLL shared section (`dll:`). */
export interface RegionKind {
  readonly scheme: string;
  /** Makes the server's region; fails if it exists (file mappings) or leaves that to the events (DLLs). */
  create(name: string, size: number, opts: Pick<KernelObjectOptions, "global" | "sddl">): SharedRegion;
  /** Opens the server's region; `capacity` is for regions whose size cannot be discovered. */
  open(name: string, opts: { global?: boolean; capacity?: number }): SharedRegion;
  /** Prefix of the channel's event names. */
  eventPrefix(name: string): string;
}

const fileMappingRegion: RegionKind = {
  scheme: "shm",
  create: (name, size, o) => SharedMemory.create(name, { ...o, size, mode: "create" }),
  open: (name, o) => SharedMemory.open(name, { global: o.global }),
  eventPrefix: (name) => name,
};

/** The names of a channel's events: data and space of ring 0 and ring 1, and the accept event. */
function eventNames(prefix: string) {
  return {
    d0: `${prefix}-d0`,
    s0: `${prefix}-s0`,
    d1: `${prefix}-d1`,
    s1: `${prefix}-s1`,
    accept: `${prefix}-accept`,
  };
}

/** What one end of a channel is made of; the channel owns all of it from construction on. */
export interface ShmEnd {
  readonly address: string;
  readonly memory: SharedRegion;
  /** Ring bytes per direction, as validated against the mapping's size. */
  readonly capacity: number;
  readonly side: "server" | "client";
  /** The ring events d0, s0, d1, s1 (see `eventNames`). */
  readonly events: readonly KernelEvent[];
  /** The peer's process: its exit ends the channel. */
  readonly peer: OwnedHandle;
  /** Called once, after the channel has released everything. */
  readonly onClose?: () => void;
}

/**
 * One end of a shared-memory channel: a {@link Channel} whose messages go through a ring in
 * shared memory. Made by {@link connectShm} and {@link ShmServer}.
 */
export class ShmChannel extends ChannelBase implements Channel {
  readonly #end: ShmEnd;
  readonly #bytes: Uint8Array;
  readonly #words: Int32Array;
  readonly #capacity: number;
  readonly #out: Ring;
  readonly #in: Ring;
  readonly #spinMs: number;
  readonly #decoder: FrameDecoder;
  #localHead: number;
  #localTail: number;

  /** @internal Use {@link connectShm} or {@link ShmServer.listen}. */
  constructor(end: ShmEnd, opts: ShmChannelOptions = {}) {
    super(end.address, opts);
    this.#end = end;
    const view = end.memory.whole;
    this.#bytes = view.bytes;
    this.#words = view.int32(0, SHM_LAYOUT.data);
    this.#capacity = end.capacity;
    const serverToClient = ringAt(0, end.capacity, end.events);
    const clientToServer = ringAt(1, end.capacity, end.events);
    [this.#out, this.#in] = end.side === "server"
      ? [serverToClient, clientToServer]
      : [clientToServer, serverToClient];
    this.#localHead = Atomics.load(this.#words, this.#out.head);
    this.#localTail = Atomics.load(this.#words, this.#in.tail);
    this.#spinMs = (opts.spin ?? 0) / 1000;
    this.#decoder = new FrameDecoder(this.maxMessageSize);
  }

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

  /**
   * Polls `ready` for the spin time, then raises `me`'s flag and sleeps on its event or the
   * peer's exit. False when the peer process ended.
   */
  async #await(ready: () => boolean, me: Sleeper, signal: AbortSignal): Promise<boolean> {
    if (this.#spinMs > 0) {
      const until = performance.now() + this.#spinMs;
      while (performance.now() < until) if (ready()) return true;
    }
    Atomics.store(this.#words, me.flag, 1);
    try {
      if (ready()) return true; // re-check after flagging: the peer may have acted in between
      const r = await waitAny([me.wake.handle, this.#end.peer.value], { signal });
      return r.index === 0;
    } finally {
      Atomics.store(this.#words, me.flag, 0);
    }
  }

  /** Copies `chunk` (at most the free space) into the outgoing ring and publishes it. */
  #put(chunk: Uint8Array): void {
    const out = this.#out;
    const pos = this.#localHead % this.#capacity;
    const first = Math.min(chunk.byteLength, this.#capacity - pos);
    this.#bytes.set(chunk.subarray(0, first), out.dataOffset + pos);
    if (chunk.byteLength > first) this.#bytes.set(chunk.subarray(first), out.dataOffset);
    this.#localHead = (this.#localHead + chunk.byteLength) >>> 0;
    Atomics.store(this.#words, out.head, this.#localHead | 0);
    if (Atomics.load(this.#words, out.reader.flag) !== 0) out.reader.wake.set();
  }

  /** Moves `count` available bytes from the incoming ring into the decoder and frees them. */
  #take(count: number): void {
    const inn = this.#in;
    const pos = this.#localTail % this.#capacity;
    const first = Math.min(count, this.#capacity - pos);
    this.#decoder.push(this.#bytes.subarray(inn.dataOffset + pos, inn.dataOffset + pos + first));
    if (count > first) {
      this.#decoder.push(this.#bytes.subarray(inn.dataOffset, inn.dataOffset + count - first));
    }
    this.#localTail = (this.#localTail + count) >>> 0;
    Atomics.store(this.#words, inn.tail, this.#localTail | 0);
    if (Atomics.load(this.#words, inn.writer.flag) !== 0) inn.writer.wake.set();
  }

  /** Writes the message's frame into the ring, sleeping while the ring is full. */
  protected async sendMessage(message: Uint8Array, signal: AbortSignal): Promise<void> {
    const frame = encodeFrame(message);
    const w = this.#words;
    const out = this.#out;
    let sent = 0;
    while (sent < frame.byteLength) {
      if (Atomics.load(w, out.readerClosed) !== 0) {
        throw new ChannelClosedError(`${this.address}: the peer closed`);
      }
      const free = this.#free();
      if (free === 0) {
        const ok = await this.#await(
          () => this.#free() > 0 || Atomics.load(w, out.readerClosed) !== 0,
          out.writer,
          signal,
        );
        if (!ok) throw new ChannelClosedError(`${this.address}: the peer process ended`);
        continue;
      }
      const n = Math.min(free, frame.byteLength - sent);
      this.#put(frame.subarray(sent, sent + n));
      sent += n;
    }
  }

  /** Decodes the next message from the ring, sleeping while it is empty; null once the peer is gone. */
  protected async receiveMessage(signal: AbortSignal): Promise<Uint8Array | null> {
    const w = this.#words;
    const inn = this.#in;
    while (true) {
      const m = this.#decoder.next();
      if (m) return m;
      const avail = this.#available();
      if (avail > 0) {
        this.#take(avail);
        continue;
      }
      if (Atomics.load(w, inn.writerClosed) !== 0) return null;
      const ok = await this.#await(
        () => this.#available() > 0 || Atomics.load(w, inn.writerClosed) !== 0,
        inn.reader,
        signal,
      );
      if (!ok && this.#available() === 0) return null; // the peer process ended
    }
  }

  /** Tells the peer this end is closed, then releases the events, the peer handle and the memory. */
  protected closeTransport(): void {
    const end = this.#end;
    try {
      // No more data from us, and we read no more: wake the peer whichever way it waits.
      Atomics.store(this.#words, this.#out.writerClosed, 1);
      Atomics.store(this.#words, this.#in.readerClosed, 1);
      this.#out.reader.wake.set();
      this.#in.writer.wake.set();
    } catch { /* the header may be gone or hostile; closing goes on */ }
    for (const e of end.events) e.close();
    end.peer.close();
    end.memory.close();
    end.onClose?.();
  }
}

/** A waitable handle on the peer's process; the id comes from the shared header, so it is untrusted. */
function openPeerProcess(pid: number): OwnedHandle {
  if (!Number.isInteger(pid) || pid <= 0) {
    throw new ProtocolError(`bad peer process id ${pid} in the shared header`);
  }
  return new OwnedHandle(
    checkHandle(
      `OpenProcess(${pid})`,
      () => k.OpenProcess(SYNCHRONIZE | PROCESS_QUERY_LIMITED_INFORMATION, 0, pid),
    ),
  );
}

/**
 * A shared-memory channel server (`shm:NAME`): owns the mapping and its events and serves one
 * client at a time; once that client's channel closes, the next accept makes a fresh mapping.
 *
 * @example
 * ```ts
 * import { connectShm, ShmServer } from "@winipc/winipc/shm";
 *
 * await using server = ShmServer.listen("frames", { capacity: 64 * 1024 });
 * // Usually in another process:
 * await using client = connectShm("frames");
 * await client.send(new TextEncoder().encode("hello"));
 *
 * await using channel = await server.accept({ timeout: 5_000 });
 * console.log(new TextDecoder().decode(await channel.receive()));
 * ```
 */
export class ShmServer extends ListenerBase<ShmChannel> implements Listener<ShmChannel> {
  /** Ring bytes per direction. */
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

  /**
   * Creates the mapping and events for `name` (`Local\NAME` unless `global`; owner-only
   * unless `sddl` says otherwise) and starts serving.
   * @throws {AddressInUseError} when another server already serves `name`.
   * @throws {RangeError} when `capacity` is not 16 bytes to 1 GiB.
   */
  static listen(name: string, opts: ShmServerOptions = {}): ShmServer {
    return new ShmServer(name, opts, fileMappingRegion);
  }

  /** @internal Serves a channel in another kind of region (the `dll:` mechanism). */
  static listenRegion(kind: RegionKind, name: string, opts: ShmServerOptions = {}): ShmServer {
    return new ShmServer(name, opts, kind);
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
    const events = this.#events;
    this.#events = [];
    return new ShmChannel(
      { address: this.address, memory, capacity: this.capacity, side: "server", events, peer, onClose: done },
      this.#opts,
    );
  }

  /** Releases the mapping and events of the generation no client has taken. */
  protected closeListener(): void {
    this.#memory?.close();
    for (const e of this.#events) e.close();
    this.#accept?.close();
  }
}

/**
 * Connects to the shared-memory server `name` (made by {@link ShmServer.listen}, in this process
 * or another). Does not wait: the server must exist and have no client.
 *
 * @example
 * ```ts
 * import { connectShm } from "@winipc/winipc/shm";
 *
 * await using channel = connectShm("frames");
 * await channel.send(new Uint8Array([1, 2, 3]));
 * const reply = await channel.receive({ timeout: 5_000 });
 * ```
 * @throws {NotFoundError} when nothing serves `name`.
 * @throws {AddressInUseError} when the server already has a client.
 * @throws {ProtocolError} when the mapping's header is not a winipc channel's.
 */
export function connectShm(name: string, opts: ShmConnectOptions = {}): ShmChannel {
  return connectRegion(fileMappingRegion, name, opts);
}

/** Opens the server's region; NotFoundError names the address. */
function openRegion(
  kind: RegionKind,
  name: string,
  opts: ShmConnectOptions & { capacity?: number },
): SharedRegion {
  try {
    return kind.open(name, opts);
  } catch (e) {
    if (e instanceof NotFoundError) {
      throw new NotFoundError(`no server at ${kind.scheme}:${name}`, { cause: e });
    }
    throw e;
  }
}

/** The ring capacity a server's header states, checked against the region (the header is untrusted). */
function serverCapacity(memory: SharedRegion, address: string): number {
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
  return capacity;
}

/** The client side of {@link connectShm}, for any kind of region (`dll:` uses it too). */
export function connectRegion(
  kind: RegionKind,
  name: string,
  opts: ShmConnectOptions & { capacity?: number },
): ShmChannel {
  const address = `${kind.scheme}:${name}`;
  const memory = openRegion(kind, name, opts);
  const cleanup: Disposable[] = [memory];
  const own = <T extends Disposable>(d: T): T => (cleanup.push(d), d);
  try {
    const capacity = serverCapacity(memory, address);
    const n = eventNames(kind.eventPrefix(name));
    const open = (e: string) => own(KernelEvent.open(e, { global: opts.global }));
    const events = [n.d0, n.s0, n.d1, n.s1].map(open);
    const accept = open(n.accept);
    const w = memory.whole.int32(0, SHM_LAYOUT.data);
    const peer = own(openPeerProcess(Atomics.load(w, SHM_LAYOUT.serverPid / 4)));
    Atomics.store(w, SHM_LAYOUT.clientPid / 4, k.GetCurrentProcessId());
    if (
      Atomics.compareExchange(w, SHM_LAYOUT.state / 4, STATE_LISTENING, STATE_CONNECTED) !== STATE_LISTENING
    ) {
      throw new AddressInUseError(`${address} already has a client`);
    }
    accept.set();
    accept.close();
    return new ShmChannel({ address, memory, capacity, side: "client", events, peer }, opts);
  } catch (e) {
    for (const c of cleanup) c[Symbol.dispose]();
    if (e instanceof NotFoundError) throw new NotFoundError(`no server at ${address}`, { cause: e });
    throw e;
  }
}

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
