/**
 * A toy transport: a channel over the clipboard (`clipboard:NAME`). Each message is written in a
 * private registered format with a sequence number, and the receiver answers with an
 * acknowledgement in the same format; change notifications (WM_CLIPBOARDUPDATE) drive both
 * sides, so nothing polls. One message is in flight at a time, it replaces whatever the user
 * had on the clipboard, and anything else that writes the clipboard meanwhile makes the sender
 * time out. For demonstrations only: use any other mechanism for real work.
 * @module
 */
import { ChannelClosedError, TimeoutError, type WaitOptions } from "../../core/errors.ts";
import { ChannelBase, type ChannelOptions, ListenerBase } from "../../core/channel.ts";
import { callScope } from "../../core/op_queue.ts";
import { Clipboard } from "./clipboard.ts";
import type { Scheme } from "../../core/scheme.ts";

const MAGIC = 0x42434957; // "WICB"
const DATA = 1, ACK = 2, HELLO = 3, BYE = 4;
const CLIENT = 1, SERVER = 2;
/** How long a send waits for the acknowledgement by default (ms). */
export const CLIPBOARD_ACK_TIMEOUT = 5000;

interface Entry {
  kind: number;
  from: number;
  seq: number;
  /** The highest sequence number the writer has received from the other side. */
  ack: number;
  payload: Uint8Array;
}
const HEADER = 16;

function encode(kind: number, from: number, seq: number, ack: number, payload?: Uint8Array): Uint8Array {
  const body = payload ?? new Uint8Array(0);
  const b = new Uint8Array(HEADER + body.byteLength);
  const v = new DataView(b.buffer);
  v.setUint32(0, MAGIC, true);
  v.setUint8(4, kind);
  v.setUint8(5, from);
  v.setUint32(8, seq, true);
  v.setUint32(12, ack, true);
  b.set(body, HEADER);
  return b;
}

function decode(b: Uint8Array | null): Entry | undefined {
  if (!b || b.byteLength < HEADER) return undefined;
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  if (v.getUint32(0, true) !== MAGIC) return undefined;
  return {
    kind: v.getUint8(4),
    from: v.getUint8(5),
    seq: v.getUint32(8, true),
    ack: v.getUint32(12, true),
    payload: b.slice(HEADER),
  };
}

/** Waits (on change notifications) until the clipboard holds an entry matching `want`. */
async function waitFor(
  clip: Clipboard,
  format: string,
  want: (e: Entry) => boolean,
  signal: AbortSignal,
): Promise<Entry> {
  await clip.listen();
  while (true) {
    const since = clip.changeCount; // before reading: a change after the read still wakes us
    const e = decode(await clip.readBytes(format).catch(() => null));
    if (e && want(e)) return e;
    await clip.waitForChange(since, signal);
  }
}

/** One end of a clipboard channel. */
export class ClipboardChannel extends ChannelBase {
  #sendSeq = 0;
  #recvSeq = 0;

  /** @internal */
  constructor(
    address: string,
    private readonly clip: Clipboard,
    private readonly format: string,
    private readonly me: number,
  ) {
    super(address, opts());
  }

  get #peer(): number {
    return this.me === CLIENT ? SERVER : CLIENT;
  }

  protected async sendMessage(message: Uint8Array, signal: AbortSignal): Promise<void> {
    const seq = ++this.#sendSeq;
    await this.clip.writeBytes(this.format, encode(DATA, this.me, seq, this.#recvSeq, message));
    const scope = callScope(signal, { timeout: CLIPBOARD_ACK_TIMEOUT });
    try {
      const e = await waitFor(
        this.clip,
        this.format,
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

  protected async receiveMessage(signal: AbortSignal): Promise<Uint8Array | null> {
    const seq = this.#recvSeq + 1;
    const e = await waitFor(
      this.clip,
      this.format,
      (e) => e.from === this.#peer && (e.kind === DATA && e.seq === seq || e.kind === BYE),
      signal,
    );
    if (e.kind === BYE) return null;
    this.#recvSeq = seq;
    await this.clip.writeBytes(this.format, encode(ACK, this.me, 0, seq));
    return e.payload;
  }

  protected async closeTransport(): Promise<void> {
    await this.clip.writeBytes(this.format, encode(BYE, this.me, 0, this.#recvSeq)).catch(() => {});
    await this.clip.close();
  }
}

function opts(): ChannelOptions {
  return { maxMessageSize: 16 * 1024 * 1024 };
}

const formatFor = (name: string) => `winipc-clipboard-channel:${name}`;

/** The server end: waits for one client's hello. */
export class ClipboardChannelServer extends ListenerBase<ClipboardChannel> {
  constructor(readonly name: string) {
    super(`clipboard:${name}`);
  }

  protected async acceptChannel(signal: AbortSignal): Promise<ClipboardChannel> {
    const clip = await Clipboard.open();
    try {
      await waitFor(clip, formatFor(this.name), (e) => e.kind === HELLO && e.from === CLIENT, signal);
      await clip.writeBytes(formatFor(this.name), encode(ACK, SERVER, 0, 0));
      return new ClipboardChannel(this.address, clip, formatFor(this.name), SERVER);
    } catch (e) {
      await clip.close();
      throw e;
    }
  }

  protected closeListener(): void {}
}

/** Connects to a clipboard channel server (which must be waiting in accept). */
export async function connectClipboard(name: string, o: WaitOptions = {}): Promise<ClipboardChannel> {
  const clip = await Clipboard.open();
  const scope = callScope(new AbortController().signal, {
    signal: o.signal,
    timeout: o.timeout ?? CLIPBOARD_ACK_TIMEOUT,
  });
  try {
    await clip.writeBytes(formatFor(name), encode(HELLO, CLIENT, 0, 0));
    await waitFor(
      clip,
      formatFor(name),
      // Its ACK, or already its first DATA (which may have overwritten the ACK).
      (e) => e.from === SERVER,
      scope.signal,
    );
    return new ClipboardChannel(`clipboard:${name}`, clip, formatFor(name), CLIENT);
  } catch (e) {
    await clip.close();
    throw e;
  } finally {
    scope.done();
  }
}

/** The `clipboard:` scheme of `connect` and `listen`. */
export const clipboardScheme: Scheme = {
  connect: (a, o) => connectClipboard(a.path, o),
  listen: (a) => Promise.resolve(new ClipboardChannelServer(a.path)),
};
