/**
 * One ring channel in shared memory, the transport of `shm:` and `dll:`: a ring header and two
 * single-producer/single-consumer byte rings (server→client, client→server) carrying
 * length-prefixed frames, so empty messages and messages larger than a ring both work (a large
 * one streams through in pieces). Named auto-reset events wake a peer that waits for data or
 * space, so an idle channel uses no CPU; `spin` (µs) polls briefly first, trading CPU for
 * latency. Each client gets a ring of its own (see shm_channel.ts for how a listener hands them
 * out).
 *
 * Everything read from shared memory is untrusted: the capacity is taken once and checked against
 * the region's size, every head/tail is checked (used bytes within capacity, our own index not
 * changed behind our back), frame lengths against `maxMessageSize`. All access is through
 * bounds-checked arrays. A corrupted header is a ProtocolError, never a wild read.
 *
 * The peer's process handle is part of every wait: a peer that dies ends the channel with
 * ChannelClosedError at once. An end that sees the channel end (the peer closed or died) lets go
 * of the ring at once, even before `close()`: a DLL section has a fixed number of rings, and a
 * server that never closes its finished channels must not run out of them.
 * @module
 */
import { kernel32 } from "../../ffi/kernel32.ts";
import { PROCESS_QUERY_LIMITED_INFORMATION, SYNCHRONIZE } from "../../ffi/headers/winnt.ts";
import { checkHandle } from "../../ffi/check.ts";
import { OwnedHandle } from "../../ffi/handle.ts";
import { waitAny } from "../../kernel/wait.ts";
import type { KernelEvent } from "../../kernel/sync.ts";
import type { SharedRegion } from "../../kernel/shared_memory.ts";
import { ChannelClosedError, ProtocolError } from "../../core/errors.ts";
import { type Channel, ChannelBase, type ChannelOptions } from "../../core/channel.ts";
import { encodeFrame, FRAME_HEADER_SIZE, FrameDecoder } from "../../core/framing.ts";

const k = kernel32.sync;

/** Spinning longer than this (ms) yields the core between polls. */
const YIELD_AFTER_MS = 0.05;
/** Polls between two clock reads while spinning. */
const POLLS_PER_CLOCK_READ = 16;

/** The first word of a ring header: "WIPC". */
export const SHM_MAGIC = 0x43504957;
/** The layout version of ring headers and rendezvous blocks; a peer with another one is refused. */
export const SHM_VERSION = 2;
/** Byte offsets in a ring's header, from where the ring starts. */
export const SHM_LAYOUT = {
  magic: 0,
  version: 4,
  capacity: 8,
  serverPid: 12,
  clientPid: 16,
  state: 20,
  /** How many ends still hold the ring (2 while offered or connected); 0 frees a DLL slot. */
  refs: 24,
  /** A random number per use of the ring: an end whose epoch no longer matches lost the ring. */
  epoch: 28,
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
/** Ring `state` values. */
export const RING_STATE = { listening: 0, connected: 1, closed: 2 } as const;
/** Ring bytes per direction when no capacity is given: 1 MiB. */
export const DEFAULT_SHM_CAPACITY = 1024 * 1024;

/** The bytes a ring of `capacity` bytes per direction takes, header included. */
export function shmMappingSize(capacity: number): number {
  return SHM_LAYOUT.data + 2 * capacity;
}

/** Options for a shared-memory channel. */
export interface ShmChannelOptions extends ChannelOptions {
  /** Microseconds to poll before waiting on an event. Default 0 (wait at once). */
  spin?: number;
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

/** A side's outgoing and incoming rings. */
function ringsOf(side: "server" | "client", capacity: number, events: readonly KernelEvent[]) {
  const serverToClient = ringAt(0, capacity, events);
  const clientToServer = ringAt(1, capacity, events);
  return side === "server"
    ? { out: serverToClient, in: clientToServer }
    : { out: clientToServer, in: serverToClient };
}

/**
 * Writes a fresh ring header for the server (the ring's control words zeroed, both ends counted,
 * a new epoch); the magic goes last, so a client never sees half a header.
 */
export function initRingHeader(words: Int32Array, capacity: number): void {
  words.fill(0, 0, SHM_LAYOUT.data / 4);
  Atomics.store(words, SHM_LAYOUT.capacity / 4, capacity);
  Atomics.store(words, SHM_LAYOUT.version / 4, SHM_VERSION);
  Atomics.store(words, SHM_LAYOUT.serverPid / 4, k.GetCurrentProcessId());
  Atomics.store(words, SHM_LAYOUT.refs / 4, 2);
  Atomics.store(words, SHM_LAYOUT.epoch / 4, (Math.random() * 0x7fffffff) | 1);
  Atomics.store(words, SHM_LAYOUT.state / 4, RING_STATE.listening);
  Atomics.store(words, SHM_LAYOUT.magic / 4, SHM_MAGIC);
}

/**
 * Tells the peer that `side` is done with the ring: no more data from it, and it reads no more,
 * and wakes the peer whichever way it waits.
 */
export function markEndClosed(words: Int32Array, side: "server" | "client", events: readonly KernelEvent[]) {
  const r = ringsOf(side, 0, events);
  Atomics.store(words, r.out.writerClosed, 1);
  Atomics.store(words, r.in.readerClosed, 1);
  r.out.reader.wake.set();
  r.in.writer.wake.set();
}

/** Whether `side` has marked its end of the ring closed (see {@link markEndClosed}). */
export function isEndClosed(words: Int32Array, side: "server" | "client"): boolean {
  const r = ringsOf(side, 0, []);
  return Atomics.load(words, r.out.writerClosed) !== 0 && Atomics.load(words, r.in.readerClosed) !== 0;
}

/**
 * Drops `count` ends' hold on the ring, unless it has been handed to someone else meanwhile
 * (another epoch). Returns true when nobody holds it any more.
 */
export function letGoOfRing(words: Int32Array, epoch: number, count: 1 | 2): boolean {
  const i = SHM_LAYOUT.refs / 4;
  if (Atomics.load(words, SHM_LAYOUT.epoch / 4) !== epoch) return false;
  let n = Atomics.load(words, i);
  while (n > 0) {
    const seen = Atomics.compareExchange(words, i, n, Math.max(0, n - count));
    if (seen === n) return n - count <= 0;
    n = seen;
  }
  return false;
}

/** What one end of a channel is made of; the channel owns all of it from construction on. */
export interface ShmEnd {
  readonly address: string;
  /** The region that holds the ring (closed with the channel). */
  readonly memory: SharedRegion;
  /** Where the ring's header starts in `memory` (a multiple of 4). */
  readonly offset: number;
  /** Ring bytes per direction, as validated against the region's size. */
  readonly capacity: number;
  readonly side: "server" | "client";
  /** The ring events d0, s0, d1, s1 (data and space of ring 0 and ring 1). */
  readonly events: readonly KernelEvent[];
  /** The peer's process: its exit ends the channel. */
  readonly peer: OwnedHandle;
  /** Set when this end lets go of the ring (the `dll:` listener then looks for free slots). */
  readonly freed?: KernelEvent;
}

/**
 * One end of a shared-memory channel: a {@link Channel} whose messages go through a ring in
 * shared memory. Made by `connectShm` and `ShmServer` (and `connectDll`, `listenDll`).
 */
export class ShmChannel extends ChannelBase implements Channel {
  readonly #end: ShmEnd;
  readonly #bytes: Uint8Array;
  readonly #words: Int32Array;
  readonly #capacity: number;
  readonly #epoch: number;
  readonly #out: Ring;
  readonly #in: Ring;
  readonly #spinMs: number;
  readonly #decoder: FrameDecoder;
  #localHead: number;
  #localTail: number;
  #detached = false;
  #spunInVain = false;
  /** A frame header staged for the ring, and read from it (the fast paths). */
  readonly #headerBytes = new Uint8Array(FRAME_HEADER_SIZE);
  readonly #header = new DataView(this.#headerBytes.buffer);

  /** @internal Use `connectShm` or `ShmServer.listen` (or their `dll:` twins). */
  constructor(end: ShmEnd, opts: ShmChannelOptions = {}) {
    super(end.address, opts);
    this.#end = end;
    const view = end.memory.whole;
    this.#bytes = view.bytes.subarray(end.offset, end.offset + shmMappingSize(end.capacity));
    this.#words = view.int32(end.offset, SHM_LAYOUT.data);
    this.#capacity = end.capacity;
    this.#epoch = Atomics.load(this.#words, SHM_LAYOUT.epoch / 4);
    ({ out: this.#out, in: this.#in } = ringsOf(end.side, end.capacity, end.events));
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
      Atomics.load(w, SHM_LAYOUT.capacity / 4) !== this.#capacity ||
      Atomics.load(w, SHM_LAYOUT.epoch / 4) !== this.#epoch
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
   * Polls `ready` for the spin time (synchronously: the user traded CPU for latency). After the
   * first microseconds each poll also yields the core (SwitchToThread): on a machine with few
   * cores the peer, or the thread that delivers its data, may be waiting for this one.
   */
  #spin(ready: () => boolean): boolean {
    const start = performance.now();
    const until = start + this.#spinMs;
    for (let now = start; now < until; now = performance.now()) {
      // A clock read costs several polls (about 0.5 us in Deno under Wine): poll in batches.
      for (let i = 0; i < POLLS_PER_CLOCK_READ; i++) if (ready()) return true;
      if (now - start > YIELD_AFTER_MS) k.SwitchToThread();
    }
    return ready();
  }

  /**
   * Polls `ready` for the spin time (unless `spin` is false: the caller just did), then raises
   * `me`'s flag and sleeps on its event or the peer's exit. False when the peer process ended.
   */
  async #await(ready: () => boolean, me: Sleeper, signal: AbortSignal, spin = true): Promise<boolean> {
    if (spin && this.#spinMs > 0 && this.#spin(ready)) return true;
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
    this.#copyIn(chunk);
    this.#publish();
  }

  /** Copies `chunk` (at most the free space) after the local head, unpublished. */
  #copyIn(chunk: Uint8Array): void {
    const out = this.#out;
    const pos = this.#localHead % this.#capacity;
    const first = Math.min(chunk.byteLength, this.#capacity - pos);
    this.#bytes.set(chunk.subarray(0, first), out.dataOffset + pos);
    if (chunk.byteLength > first) this.#bytes.set(chunk.subarray(first), out.dataOffset);
    this.#localHead = (this.#localHead + chunk.byteLength) >>> 0;
  }

  /** Makes the bytes copied in visible to the reader, and wakes it if it sleeps. */
  #publish(): void {
    const out = this.#out;
    Atomics.store(this.#words, out.head, this.#localHead | 0);
    if (Atomics.load(this.#words, out.reader.flag) !== 0) out.reader.wake.set();
  }

  /** Copies `into.length` bytes from `offset` bytes past the local tail of the incoming ring. */
  #copyOut(offset: number, into: Uint8Array): void {
    const inn = this.#in;
    const pos = (this.#localTail + offset) % this.#capacity;
    const first = Math.min(into.byteLength, this.#capacity - pos);
    into.set(this.#bytes.subarray(inn.dataOffset + pos, inn.dataOffset + pos + first));
    if (into.byteLength > first) {
      into.set(this.#bytes.subarray(inn.dataOffset, inn.dataOffset + into.byteLength - first), first);
    }
  }

  /** Frees `count` bytes of the incoming ring, and wakes the writer if it waits for space. */
  #release(count: number): void {
    const inn = this.#in;
    this.#localTail = (this.#localTail + count) >>> 0;
    Atomics.store(this.#words, inn.tail, this.#localTail | 0);
    if (Atomics.load(this.#words, inn.writer.flag) !== 0) inn.writer.wake.set();
  }

  /**
   * The fast path of send: the whole frame goes into the ring at once when it fits, straight
   * from `message` (no frame copy), published once.
   */
  protected override sendNow(message: Uint8Array): boolean {
    if (this.#detached || Atomics.load(this.#words, this.#out.readerClosed) !== 0) return false;
    if (this.#free() < FRAME_HEADER_SIZE + message.byteLength) return false;
    this.#header.setUint32(0, message.byteLength, true);
    this.#copyIn(this.#headerBytes);
    this.#copyIn(message);
    this.#publish();
    return true;
  }

  /**
   * The fast path of receive: a message already in the ring (or, with `spin`, one that arrives
   * within the spin time). Undefined sends the call down the queued path, which then sleeps
   * without spinning again.
   */
  protected override receiveNow(): Uint8Array | undefined {
    const m = this.#nextReady();
    if (m || this.#spinMs === 0 || this.#detached) return m;
    const inn = this.#in;
    // The poll reads two words only; what it finds is validated by #nextReady.
    const w = this.#words;
    const tail = this.#localTail | 0;
    if (this.#spin(() => Atomics.load(w, inn.head) !== tail || Atomics.load(w, inn.writerClosed) !== 0)) {
      return this.#nextReady();
    }
    this.#spunInVain = true;
    return undefined;
  }

  /**
   * The next message from what is already in the ring, or undefined. A whole frame with nothing
   * buffered before it is copied straight out of the ring; anything else goes through the decoder.
   */
  #nextReady(): Uint8Array | undefined {
    const decoded = this.#decoder.next();
    if (decoded || this.#detached) return decoded;
    const avail = this.#available();
    if (avail === 0) return undefined;
    if (this.#decoder.atFrameStart && avail >= FRAME_HEADER_SIZE) {
      this.#copyOut(0, this.#headerBytes);
      const length = this.#header.getUint32(0, true);
      // An oversized frame goes through the decoder, which refuses it and skips its payload.
      if (length <= this.maxMessageSize && avail >= FRAME_HEADER_SIZE + length) {
        const message = new Uint8Array(length);
        this.#copyOut(FRAME_HEADER_SIZE, message);
        this.#release(FRAME_HEADER_SIZE + length);
        return message;
      }
    }
    this.#take(avail);
    return this.#decoder.next();
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
    this.#release(count);
  }

  /** Writes the message's frame into the ring, sleeping while the ring is full. */
  protected async sendMessage(message: Uint8Array, signal: AbortSignal): Promise<void> {
    const frame = encodeFrame(message);
    const w = this.#words;
    const out = this.#out;
    let sent = 0;
    while (sent < frame.byteLength) {
      if (this.#detached || Atomics.load(w, out.readerClosed) !== 0) {
        this.#detach(false);
        throw new ChannelClosedError(`${this.address}: the peer closed`);
      }
      const free = this.#free();
      if (free === 0) {
        const ok = await this.#await(
          () => this.#free() > 0 || Atomics.load(w, out.readerClosed) !== 0,
          out.writer,
          signal,
        );
        if (!ok) {
          this.#detach(true);
          throw new ChannelClosedError(`${this.address}: the peer process ended`);
        }
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
    let spin = !this.#spunInVain; // receiveNow spun just before: sleep at once
    this.#spunInVain = false;
    while (true) {
      const m = this.#decoder.next();
      if (m) return m;
      if (this.#detached) return null;
      const avail = this.#available();
      if (avail > 0) {
        this.#take(avail);
        continue;
      }
      if (Atomics.load(w, inn.writerClosed) !== 0) return this.#detach(false);
      const ok = await this.#await(
        () => this.#available() > 0 || Atomics.load(w, inn.writerClosed) !== 0,
        inn.reader,
        signal,
        spin,
      );
      spin = true;
      if (!ok && this.#available() === 0) return this.#detach(true); // the peer process ended
    }
  }

  /**
   * The channel has ended (the peer closed, its process ended, or this end closes): tells the peer
   * and lets go of the ring, for the peer too when its process is gone. Once; never throws (the
   * header may be gone or hostile). Returns null for receiveMessage's "ended".
   */
  #detach(peerGone: boolean): null {
    if (this.#detached) return null;
    this.#detached = true;
    const end = this.#end;
    try {
      if (Atomics.load(this.#words, SHM_LAYOUT.epoch / 4) !== this.#epoch) return null; // not ours now
      markEndClosed(this.#words, end.side, end.events);
      letGoOfRing(this.#words, this.#epoch, peerGone ? 2 : 1);
      end.freed?.set();
    } catch { /* closing goes on */ }
    return null;
  }

  /** Tells the peer this end is closed, then releases the events, the peer handle and the memory. */
  protected closeTransport(): void {
    const end = this.#end;
    this.#detach(false);
    for (const e of end.events) e.close();
    end.freed?.close();
    end.peer.close();
    end.memory.close();
  }
}

/** A waitable handle on the peer's process; the id comes from shared memory, so it is untrusted. */
export function openPeerProcess(pid: number): OwnedHandle {
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

/** {@link openPeerProcess}, or undefined when the process is gone (or the id is garbage). */
export function tryOpenPeerProcess(pid: number): OwnedHandle | undefined {
  try {
    return openPeerProcess(pid);
  } catch {
    return undefined;
  }
}

/**
 * The ring capacity a ring header states, checked against the region that holds it (the header
 * is untrusted). A zeroed header (a DLL section nobody serves) is NotFound to the caller: it
 * returns undefined.
 */
export function ringCapacity(memory: SharedRegion, offset: number, address: string): number | undefined {
  if (memory.size < offset + SHM_LAYOUT.data) throw new ProtocolError(`${address}: ring region too small`);
  const w = memory.whole.int32(offset, SHM_LAYOUT.data);
  const magic = Atomics.load(w, SHM_LAYOUT.magic / 4);
  if (magic === 0) return undefined;
  if (magic !== SHM_MAGIC || Atomics.load(w, SHM_LAYOUT.version / 4) !== SHM_VERSION) {
    throw new ProtocolError(`${address}: not a winipc channel (or another version)`);
  }
  const capacity = Atomics.load(w, SHM_LAYOUT.capacity / 4);
  if (capacity < 16 || offset + shmMappingSize(capacity) > memory.size) {
    throw new ProtocolError(
      `${address}: capacity ${capacity} does not fit the region of ${memory.size} bytes`,
    );
  }
  return capacity;
}
