/**
 * A toy transport: a channel over the clipboard (`clipboard:NAME`). Each message is written in a
 * private registered format with a sequence number, and the receiver answers with an
 * acknowledgement in the same format; change notifications (WM_CLIPBOARDUPDATE) drive both
 * sides, so nothing polls. One message is in flight at a time, it replaces whatever the user
 * had on the clipboard, and anything else that writes the clipboard meanwhile makes the sender
 * time out. Every entry carries its writer's process id, and each side watches the other's
 * process from the handshake on: a peer that dies ends the channel at once. For demonstrations
 * only: use any other mechanism for real work.
 * @module
 */
import { AddressInUseError, ChannelClosedError, TimeoutError, type WaitOptions } from "../../core/errors.ts";
import { type Channel, ChannelBase, type Listener, ListenerBase } from "../../core/channel.ts";
import { callScope } from "../../core/op_queue.ts";
import { Clipboard } from "./clipboard.ts";
import { defineScheme, type Scheme } from "../../core/scheme.ts";
import { KernelEvent } from "../../kernel/sync.ts";
import { waitAny } from "../../kernel/wait.ts";
import { kernel32 } from "../../ffi/kernel32.ts";
import { tryOpenPeerProcess } from "../shm/ring_channel.ts";

const MAGIC = 0x42434957; // "WICB"
const DATA = 1, ACK = 2, HELLO = 3, BYE = 4;
const CLIENT = 1, SERVER = 2;
/** How long a send waits for the acknowledgement, and a connect for the server, by default (ms). */
export const CLIPBOARD_ACK_TIMEOUT = 5000;
/** The largest message a clipboard channel carries (bytes): 16 MiB. */
export const CLIPBOARD_MAX_MESSAGE_SIZE = 16 * 1024 * 1024;

/** One entry of the channel's format: a header and, for DATA, the message. */
interface Entry {
  kind: number;
  from: number;
  seq: number;
  /** The highest sequence number the writer has received from the other side. */
  ack: number;
  /** The writer's process id (written by `encode`; untrusted when read). */
  pid?: number;
  payload?: Uint8Array;
}
const HEADER = 20;
const myPid = () => kernel32.sync.GetCurrentProcessId();

function encode(e: Entry): Uint8Array {
  const { kind, from, seq, ack } = e;
  const body = e.payload ?? new Uint8Array(0);
  const b = new Uint8Array(HEADER + body.byteLength);
  const v = new DataView(b.buffer);
  v.setUint32(0, MAGIC, true);
  v.setUint8(4, kind);
  v.setUint8(5, from);
  v.setUint32(8, seq, true);
  v.setUint32(12, ack, true);
  v.setUint32(16, myPid(), true);
  b.set(body, HEADER);
  return b;
}

function decode(b: Uint8Array | null): Required<Entry> | undefined {
  if (!b || b.byteLength < HEADER) return undefined;
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  if (v.getUint32(0, true) !== MAGIC) return undefined;
  return {
    kind: v.getUint8(4),
    from: v.getUint8(5),
    seq: v.getUint32(8, true),
    ack: v.getUint32(12, true),
    pid: v.getUint32(16, true),
    payload: b.slice(HEADER),
  };
}

/** The channel `name`'s private clipboard format, seen through one side's Clipboard object. */
class Slot {
  readonly format: string;

  readonly clip: Clipboard;
  readonly name: string;
  constructor(clip: Clipboard, name: string) {
    this.clip = clip;
    this.name = name;
    this.format = `winipc-clipboard-channel:${name}`;
  }

  /** Opens this side's Clipboard object for the channel `name`. */
  static async open(name: string): Promise<Slot> {
    return new Slot(await Clipboard.open(), name);
  }

  /** Replaces the clipboard's contents with `e`. */
  put(e: Entry): Promise<void> {
    return this.clip.writeBytes(this.format, encode(e));
  }

  /** The entry on the clipboard now, if it is one of this channel's. */
  async read(): Promise<Entry | undefined> {
    return decode(await this.clip.readBytes(this.format).catch(() => null));
  }

  /** Waits (on change notifications) until the clipboard holds an entry matching `want`. */
  async waitFor(want: (e: Entry) => boolean, signal: AbortSignal): Promise<Entry> {
    await this.clip.listen();
    while (true) {
      const since = this.clip.changeCount; // before reading: a change after the read still wakes us
      const e = await this.read();
      if (e && want(e)) return e;
      await this.clip.waitForChange(since, { signal });
    }
  }

  close(): Promise<void> {
    return this.clip.close();
  }
}

/**
 * One end of a clipboard channel: a {@link Channel} of at most one message in flight, each
 * acknowledged, up to {@link CLIPBOARD_MAX_MESSAGE_SIZE} bytes. A toy: see the module doc.
 */
export class ClipboardChannel extends ChannelBase implements Channel {
  readonly #slot: Slot;
  readonly #me: number;
  #sendSeq = 0;
  #recvSeq = 0;
  /** Aborts when the peer's process has exited. */
  readonly #peerGone = new AbortController();
  readonly #stopWatching = new AbortController();

  /**
   * @internal Use {@link connectClipboard} or {@link ClipboardChannelServer}. `peerPid` (from
   * the handshake; untrusted) is watched: its exit ends the channel.
   */
  constructor(slot: Slot, me: typeof CLIENT | typeof SERVER, peerPid?: number) {
    super(`clipboard:${slot.name}`, { maxMessageSize: CLIPBOARD_MAX_MESSAGE_SIZE });
    this.#slot = slot;
    this.#me = me;
    if (peerPid !== undefined) this.#watch(peerPid);
  }

  #watch(pid: number): void {
    const gone = () =>
      this.#peerGone.abort(new ChannelClosedError(`${this.address}: the peer's process exited`));
    const process = tryOpenPeerProcess(pid);
    if (!process) return gone();
    waitAny([process.value], { signal: this.#stopWatching.signal })
      .then(gone, () => {}) // rejected: this side closed first
      .finally(() => process.close());
  }

  /**
   * {@link Slot.waitFor}, ended by the peer's death too. An entry it wrote just before it died is
   * still on the clipboard: one last look finds it.
   */
  async #waitFor(want: (e: Entry) => boolean, signal: AbortSignal): Promise<Entry> {
    const gone = this.#peerGone.signal;
    try {
      return await this.#slot.waitFor(want, AbortSignal.any([signal, gone]));
    } catch (e) {
      if (!gone.aborted || signal.aborted) throw e;
      const last = await this.#slot.read();
      if (last && want(last)) return last;
      throw gone.reason;
    }
  }

  get #peer(): number {
    return this.#me === CLIENT ? SERVER : CLIENT;
  }

  /** Writes the message and waits for the peer's acknowledgement (or its bye). */
  protected async sendMessage(message: Uint8Array, signal: AbortSignal): Promise<void> {
    const seq = ++this.#sendSeq;
    await this.#slot.put({ kind: DATA, from: this.#me, seq, ack: this.#recvSeq, payload: message });
    const scope = callScope(signal, { timeout: CLIPBOARD_ACK_TIMEOUT });
    try {
      const e = await this.#waitFor(
        (e) => e.from === this.#peer && (e.ack >= seq || e.kind === BYE),
        scope.signal,
      );
      // A bye that acknowledges this message still means it arrived.
      if (e.kind === BYE && e.ack < seq) throw new ChannelClosedError(`${this.address}: the peer closed`);
    } catch (e) {
      if (e instanceof TimeoutError) {
        throw new TimeoutError(
          `${this.address}: no acknowledgement (did something else write the clipboard?)`,
        );
      }
      throw e;
    } finally {
      scope.done();
    }
  }

  /** Waits for the peer's next message (or its bye) and acknowledges it. */
  protected async receiveMessage(signal: AbortSignal): Promise<Uint8Array | null> {
    const seq = this.#recvSeq + 1;
    const e = await this.#waitFor(
      (e) => e.from === this.#peer && (e.kind === DATA && e.seq === seq || e.kind === BYE),
      signal,
    );
    if (e.kind === BYE) return null;
    this.#recvSeq = seq;
    await this.#slot.put({ kind: ACK, from: this.#me, seq: 0, ack: seq });
    return e.payload ?? new Uint8Array(0);
  }

  /** Writes a bye (acknowledging what arrived), then closes this side's Clipboard object. */
  protected async closeTransport(): Promise<void> {
    this.#stopWatching.abort();
    await this.#slot.put({ kind: BYE, from: this.#me, seq: 0, ack: this.#recvSeq }).catch(() => {});
    await this.#slot.close();
  }
}

/** The server end of `clipboard:NAME`: each accept waits for one client's hello. */
export class ClipboardChannelServer extends ListenerBase<ClipboardChannel>
  implements Listener<ClipboardChannel> {
  /** Owning this named event is what makes this the only server of the name (until close). */
  readonly #claim: KernelEvent;

  /** The channel's name. */
  readonly name: string;
  /**
   * Serves the clipboard channel `name`: claims the name at once (in this session), then
   * nothing happens until `accept`.
   * @throws {AddressInUseError} another server (in this process or another) serves `name`.
   */
  constructor(
    name: string,
  ) {
    super(`clipboard:${name}`);
    this.name = name;
    try {
      this.#claim = KernelEvent.create(`winipc-clipboard-${name.replaceAll("\\", "/")}`, { mode: "create" });
    } catch (e) {
      if (e instanceof AddressInUseError) throw new AddressInUseError(`${this.address} is already served`);
      throw e;
    }
  }

  /** Waits for a client's hello and acknowledges it. */
  protected async acceptChannel(signal: AbortSignal): Promise<ClipboardChannel> {
    const slot = await Slot.open(this.name);
    try {
      const hello = await slot.waitFor((e) => e.kind === HELLO && e.from === CLIENT, signal);
      await slot.put({ kind: ACK, from: SERVER, seq: 0, ack: 0 });
      return new ClipboardChannel(slot, SERVER, hello.pid);
    } catch (e) {
      await slot.close();
      throw e;
    }
  }

  /** Gives up the name; each accept's Clipboard object belongs to its channel, or is closed. */
  protected closeListener(): void {
    this.#claim.close();
  }
}

/**
 * Connects to a clipboard channel server, which must be waiting in accept.
 *
 * @example
 * ```ts
 * import { connectClipboard } from "@winipc/winipc/clipboard";
 *
 * await using channel = await connectClipboard("demo", { timeout: 5_000 });
 * await channel.send(new TextEncoder().encode("over the clipboard"));
 * ```
 * @throws {TimeoutError} when no server answers within `timeout` (default {@link CLIPBOARD_ACK_TIMEOUT}).
 */
export async function connectClipboard(name: string, o: WaitOptions = {}): Promise<ClipboardChannel> {
  const slot = await Slot.open(name);
  const scope = callScope(new AbortController().signal, {
    signal: o.signal,
    timeout: o.timeout ?? CLIPBOARD_ACK_TIMEOUT,
  });
  try {
    await slot.put({ kind: HELLO, from: CLIENT, seq: 0, ack: 0 });
    // Its ACK, or already its first DATA (which may have overwritten the ACK).
    const answer = await slot.waitFor((e) => e.from === SERVER, scope.signal);
    return new ClipboardChannel(slot, CLIENT, answer.pid);
  } catch (e) {
    await slot.close();
    throw e;
  } finally {
    scope.done();
  }
}

/** The `clipboard:` scheme of `connect` and `listen` (neither takes options). */
export const clipboardScheme: Scheme = defineScheme({
  connect: (a, _o, wait) => connectClipboard(a.path, wait),
  listen: (a) => Promise.resolve(new ClipboardChannelServer(a.path)),
});
