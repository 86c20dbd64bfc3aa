/**
 * WM_COPYDATA channels (`copydata:NAME`). Each end owns a message-only window (window_host.ts);
 * the server's window is found by class and title under HWND_MESSAGE. Every message travels as
 * one WM_COPYDATA sent with SendMessageTimeoutW (off the JS thread), so a receiver that stops
 * pumping cannot hang the sender past its timeout. `dwData` tags the message (a "WIPC" marker and
 * a kind: hello, data, bye); `wParam` is the sender's window, which is how the server tells its
 * clients apart and where it replies. The receiver copies the bytes out before the send returns,
 * after checking the size; its LRESULT says whether it took them.
 *
 * Messages over 512 KiB travel as several WM_COPYDATA pieces and are reassembled: Windows has no
 * such limit, but Wine 10 refuses a single cross-process WM_COPYDATA just under 1 MiB, and
 * smaller pieces keep the receiving window's thread responsive.
 *
 * A peer can die without its bye: each end waits (in the wait multiplexer, no timer) on the
 * process that owns the peer's window, found with GetWindowThreadProcessId, and ends the channel
 * with ChannelClosedError when it exits.
 * @module
 */
import { user32 } from "../../ffi/user32.ts";
import { kernel32 } from "../../ffi/kernel32.ts";
import { NativeMemory } from "../../ffi/memory.ts";
import { OwnedHandle } from "../../ffi/handle.ts";
import { checkHandle } from "../../ffi/check.ts";
import { wstr } from "../../ffi/wstr.ts";
import { SYNCHRONIZE } from "../../ffi/headers/winnt.ts";
import { HWND_MESSAGE, SMTO_ABORTIFHUNG, SMTO_BLOCK, WM_COPYDATA } from "../../ffi/headers/winuser.ts";
import {
  AddressError,
  AddressInUseError,
  ChannelClosedError,
  MessageTooLargeError,
  NotFoundError,
  TimeoutError,
  WinipcError,
} from "../../core/errors.ts";
import {
  type Channel,
  ChannelBase,
  type ChannelOptions,
  type Listener,
  ListenerBase,
} from "../../core/channel.ts";
import { raceAbort } from "../../core/op_queue.ts";
import { WindowHost } from "../../kernel/window_host.ts";
import { waitAny } from "../../kernel/wait.ts";
import { intOption } from "../../core/address.ts";
import { defineScheme, type Scheme } from "../../core/scheme.ts";

const u = () => user32().sync;
const SERVER_CLASS = "winipc-copydata";
const CLIENT_CLASS = "winipc-copydata-client";
const TAG_BASE = 0x5749504300000000n; // "WIPC" in the high half of dwData
const KIND_HELLO = 1n, KIND_DATA = 2n, KIND_BYE = 3n, KIND_PART = 4n;
/** The largest piece one WM_COPYDATA carries (bytes); longer messages are split. */
export const COPYDATA_PIECE_SIZE = 512 * 1024;
/** Default time a send waits for the receiver to take a message (ms). */
export const DEFAULT_COPYDATA_SEND_TIMEOUT = 10_000;
let clientSerial = 0;

/** Where a conversation's WM_COPYDATA messages go. */
interface Route {
  /** The receiving window. */
  readonly to: bigint;
  /** Our window, sent as wParam: how the receiver tells its peers apart. */
  readonly from: bigint;
  /** How long a send may wait for the receiver (ms). */
  readonly timeout: number;
}

/** Sends one WM_COPYDATA tagged with `kind`; resolves the receiver's LRESULT. */
async function sendCopyData(route: Route, kind: bigint, data: Uint8Array): Promise<bigint> {
  const { to, from, timeout } = route;
  using payload = new NativeMemory(data.byteLength);
  payload.bytes.set(data);
  using cds = new NativeMemory(24); // COPYDATASTRUCT
  const v = cds.view();
  v.setBigUint64(0, TAG_BASE | kind, true); // dwData
  v.setUint32(8, data.byteLength, true); // cbData
  v.setBigUint64(16, data.byteLength ? payload.address : 0n, true); // lpData
  const result = new BigUint64Array(1);
  const ok = await user32().async.SendMessageTimeoutW(
    to,
    WM_COPYDATA,
    from,
    cds.address,
    SMTO_BLOCK | SMTO_ABORTIFHUNG,
    Math.max(1, Math.min(timeout, 0x7fffffff)),
    result,
  );
  if (ok === 0n) {
    // The failure code was set on another thread; tell a gone window from a slow one directly.
    if (!u().IsWindow(to)) throw new ChannelClosedError("the receiving window is gone");
    throw new TimeoutError(`the receiving window did not take the message within ${timeout} ms`);
  }
  return result[0];
}

/** An async queue of incoming messages (null = the peer said bye; an Error ends it too). */
class Inbox {
  #items: (Uint8Array | null | Error)[] = [];
  #waiter: ((v: Uint8Array | null | Error) => void) | undefined;
  #parts: Uint8Array[] = [];
  #partSize = 0;

  readonly maxMessageSize: number;
  constructor(maxMessageSize: number) {
    this.maxMessageSize = maxMessageSize;
  }

  /** Takes one WM_COPYDATA's worth: a piece, the last piece of a message, or bye. */
  deliver(kind: bigint, data: Uint8Array): void {
    if (kind === KIND_BYE) return this.push(null);
    if (kind !== KIND_PART && kind !== KIND_DATA) return;
    this.#partSize += data.byteLength;
    // Over the limit, nothing more of this message is kept: a peer sending pieces without end
    // costs no memory here, and its last piece brings MessageTooLargeError.
    if (this.#partSize > this.maxMessageSize) this.#parts = [];
    else this.#parts.push(data);
    if (kind === KIND_PART) return;
    const parts = this.#parts;
    const size = this.#partSize;
    this.#parts = [];
    this.#partSize = 0;
    if (size > this.maxMessageSize) return this.push(new MessageTooLargeError(size, this.maxMessageSize));
    if (parts.length === 1) return this.push(parts[0]);
    const whole = new Uint8Array(size);
    let at = 0;
    for (const p of parts) {
      whole.set(p, at);
      at += p.byteLength;
    }
    this.push(whole);
  }

  push(m: Uint8Array | null | Error): void {
    if (this.#waiter) {
      const w = this.#waiter;
      this.#waiter = undefined;
      w(m);
    } else this.#items.push(m);
  }
  async take(signal: AbortSignal): Promise<Uint8Array | null> {
    const item = this.#items.length ? this.#items.shift()! : await this.#next(signal);
    if (item instanceof Error) throw item;
    return item;
  }

  #next(signal: AbortSignal): Promise<Uint8Array | null | Error> {
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        this.#waiter = undefined;
        reject(signal.reason);
      };
      signal.addEventListener("abort", onAbort, { once: true });
      this.#waiter = (m) => {
        signal.removeEventListener("abort", onAbort);
        resolve(m);
      };
    });
  }
}

/** What one end of a conversation is made of (the internal constructor's argument). */
export interface CopyDataEnd {
  readonly address: string;
  /** This end's window. */
  readonly own: bigint;
  /** The peer's window. */
  readonly peer: bigint;
  /** Called once when the channel closes, after the bye. */
  readonly onClose: () => Promise<void>;
}

/**
 * A waitable handle (SYNCHRONIZE) on the process that owns `hwnd`, or undefined when that is this
 * process (it cannot die while this code runs).
 * @throws {ChannelClosedError} when `hwnd` is no longer a window.
 * @throws {Win32Error} when the process cannot be opened (OpenProcess).
 */
export function openWindowProcess(hwnd: bigint): OwnedHandle | undefined {
  const pid = new Uint32Array(1);
  if (u().GetWindowThreadProcessId(hwnd, pid) === 0) {
    throw new ChannelClosedError("the peer's window is gone");
  }
  if (pid[0] === kernel32.sync.GetCurrentProcessId()) return undefined;
  return new OwnedHandle(
    checkHandle(`OpenProcess(${pid[0]})`, () => kernel32.sync.OpenProcess(SYNCHRONIZE, 0, pid[0])),
  );
}

/**
 * One end of a WM_COPYDATA conversation: a {@link Channel} between two message-only windows.
 * Made by {@link connectCopyData} and {@link CopyDataServer}.
 */
export class CopyDataChannel extends ChannelBase implements Channel {
  /** @internal */ readonly inbox: Inbox;
  readonly #route: Route;
  readonly #onClose: () => Promise<void>;
  readonly #stopWatching = new AbortController();

  /** @internal Use {@link connectCopyData} or {@link CopyDataServer.listen}. */
  constructor(end: CopyDataEnd, opts: CopyDataOptions = {}) {
    super(end.address, opts);
    this.inbox = new Inbox(this.maxMessageSize);
    this.#route = { to: end.peer, from: end.own, timeout: opts.sendTimeout ?? DEFAULT_COPYDATA_SEND_TIMEOUT };
    this.#onClose = end.onClose;
  }

  /**
   * @internal Until the channel closes, waits for the peer's process to exit (the channel owns
   * the handle; undefined: the peer is this process); then ends the inbox after the messages
   * already delivered. One wait per channel, not one per receive().
   */
  watchPeer(process: OwnedHandle | undefined): void {
    if (!process) return;
    if (this.closed) return process.close();
    waitAny([process.value], { signal: this.#stopWatching.signal }).then(
      () => this.inbox.push(new ChannelClosedError(`${this.address}: the peer's process exited`)),
      () => {}, // stopped: the channel was closed
    ).finally(() => process.close());
  }

  /** Sends the message in pieces of at most {@link COPYDATA_PIECE_SIZE}; the last one completes it. */
  protected async sendMessage(message: Uint8Array, signal: AbortSignal): Promise<void> {
    let at = 0;
    do {
      signal.throwIfAborted();
      const piece = message.subarray(at, at + COPYDATA_PIECE_SIZE);
      at += piece.byteLength;
      const last = at >= message.byteLength;
      const r = await sendCopyData(this.#route, last ? KIND_DATA : KIND_PART, piece);
      if (r === 2n) throw new MessageTooLargeError(message.byteLength, this.maxMessageSize);
      if (r !== 1n) {
        throw new ChannelClosedError(`${this.address}: the peer refused the message (LRESULT ${r})`);
      }
    } while (at < message.byteLength);
  }

  /** The next message the window procedure delivered; null after the peer's bye. */
  protected receiveMessage(signal: AbortSignal): Promise<Uint8Array | null> {
    return this.inbox.take(signal);
  }

  /** Says bye to the peer (waiting at most a second), then releases this end's window. */
  protected async closeTransport(): Promise<void> {
    this.#stopWatching.abort();
    await sendCopyData({ ...this.#route, timeout: 1000 }, KIND_BYE, new Uint8Array(0)).catch(() => {});
    await this.#onClose();
  }
}

/** Options for WM_COPYDATA channels. */
export interface CopyDataOptions extends ChannelOptions {
  /** How long a send waits for the receiver to take a message (ms). Default 10 s. */
  sendTimeout?: number;
}

function checkName(name: string): string {
  if (name.length === 0 || name.length > 200) {
    throw new AddressError(`bad copydata name '${name}': 1 to 200 characters`);
  }
  return name;
}

/** The HWND of the copydata server NAME (found by class and title under HWND_MESSAGE), or 0n. */
export function findCopyDataServer(name: string): bigint {
  return u().FindWindowExW(HWND_MESSAGE, 0n, wstr(SERVER_CLASS), wstr(name));
}

/**
 * A WM_COPYDATA server (`copydata:NAME`): a message-only window titled NAME, with one channel
 * per client window.
 *
 * @example
 * ```ts
 * import { connectCopyData, CopyDataServer } from "@winipc/winipc/window";
 *
 * await using server = await CopyDataServer.listen("notes");
 * // Usually in another process:
 * await using client = await connectCopyData("notes");
 * await client.send(new TextEncoder().encode("hello"));
 *
 * await using channel = await server.accept({ timeout: 5_000 });
 * console.log(new TextDecoder().decode(await channel.receive()));
 * ```
 */
export class CopyDataServer extends ListenerBase<CopyDataChannel> implements Listener<CopyDataChannel> {
  readonly #host: WindowHost;
  readonly #opts: CopyDataOptions;
  readonly #channels = new Map<bigint, CopyDataChannel>();
  readonly #pending: CopyDataChannel[] = [];
  #acceptWaiter: { resolve(c: CopyDataChannel): void; reject(e: Error): void } | undefined;
  #failure: ChannelClosedError | undefined;

  private constructor(host: WindowHost, name: string, opts: CopyDataOptions) {
    super(`copydata:${name}`);
    this.#host = host;
    this.#opts = opts;
    host.onCopyData = (from, tag, data) => this.#deliver(from, tag, data);
    host.onFailure = (cause) => this.#fail(cause);
  }

  /** The window's thread failed: every channel and accept ends with ChannelClosedError. */
  #fail(cause: Error): void {
    this.#failure = new ChannelClosedError(`${this.address}: the window's thread failed`, { cause });
    for (const ch of this.#channels.values()) ch.inbox.push(this.#failure);
    this.#acceptWaiter?.reject(this.#failure);
  }

  /**
   * Creates the server window (on its own thread) and starts serving `name`.
   * @throws {AddressInUseError} when a server already has this name.
   * @throws {AddressError} when `name` is empty or over 200 characters.
   */
  static async listen(name: string, opts: CopyDataOptions = {}): Promise<CopyDataServer> {
    checkName(name);
    if (findCopyDataServer(name) !== 0n) throw new AddressInUseError(`copydata:${name} is already served`);
    const host = await WindowHost.create({
      className: SERVER_CLASS,
      title: name,
      maxMessageSize: opts.maxMessageSize,
    });
    return new CopyDataServer(host, name, opts);
  }

  /** The server window's HWND. */
  get hwnd(): bigint {
    return this.#host.hwnd;
  }

  /** The window host (for registered-message notifications: `host.onMessage`). */
  get host(): WindowHost {
    return this.#host;
  }

  /** Test hook: stop pumping messages for `ms`; resolves once the thread has stopped. */
  stall(ms: number): Promise<void> {
    return this.#host.stall(ms);
  }

  #deliver(from: bigint, tag: bigint, data: Uint8Array) {
    if ((tag & 0xffffffff00000000n) !== TAG_BASE) return; // not ours: ignore
    const kind = tag & 0xffn;
    let ch = this.#channels.get(from);
    if (kind === KIND_HELLO && !ch) {
      let process: OwnedHandle | undefined;
      let gone = false;
      try {
        process = openWindowProcess(from);
      } catch (e) {
        // The client's window is gone already: it said hello, maybe sent messages, and closed
        // (or died) before this thread got here. What it sent is queued behind this hello and is
        // still delivered; its bye ends the channel, or, without one, the end below.
        gone = e instanceof ChannelClosedError;
        // Otherwise it cannot be opened (another user's process?): its death is seen by a send.
      }
      const onClose = () => {
        this.#channels.delete(from);
        return Promise.resolve();
      };
      ch = new CopyDataChannel(
        { address: this.address, own: this.#host.hwnd, peer: from, onClose },
        this.#opts,
      );
      ch.watchPeer(process);
      if (gone) {
        // Messages the client sent are already queued to this thread: they come first.
        const end = new ChannelClosedError(`${this.address}: the client's window was gone at its hello`);
        const channel = ch;
        setTimeout(() => channel.inbox.push(end), 500);
      }
      this.#channels.set(from, ch);
      if (this.#acceptWaiter) {
        const w = this.#acceptWaiter;
        this.#acceptWaiter = undefined;
        w.resolve(ch);
      } else this.#pending.push(ch);
    } else if (ch) ch.inbox.deliver(kind, data);
  }

  /** The next client that said hello (they queue while nobody accepts). */
  protected acceptChannel(signal: AbortSignal): Promise<CopyDataChannel> {
    if (this.#pending.length) return Promise.resolve(this.#pending.shift()!);
    if (this.#failure) return Promise.reject(this.#failure);
    const waiting = new Promise<CopyDataChannel>((resolve, reject) =>
      this.#acceptWaiter = { resolve, reject }
    );
    return raceAbort(waiting, signal).finally(() => this.#acceptWaiter = undefined);
  }

  /** Ends every channel's receiving side, then destroys the window. */
  protected async closeListener(): Promise<void> {
    for (const ch of this.#channels.values()) ch.inbox.push(null);
    await this.#host.close();
  }
}

/**
 * Connects to the WM_COPYDATA server NAME: makes this end's message-only window and says hello.
 *
 * @example
 * ```ts
 * import { connectCopyData } from "@winipc/winipc/window";
 *
 * await using channel = await connectCopyData("notes", { sendTimeout: 2_000 });
 * await channel.send(new TextEncoder().encode("hello"));
 * ```
 * @throws {NotFoundError} when no server has this name.
 * @throws {TimeoutError} when the server's window does not answer within `sendTimeout`.
 * @throws {AddressError} when `name` is empty or over 200 characters.
 */
export async function connectCopyData(name: string, opts: CopyDataOptions = {}): Promise<CopyDataChannel> {
  checkName(name);
  const server = findCopyDataServer(name);
  if (server === 0n) throw new NotFoundError(`no copydata server named '${name}'`);
  const host = await WindowHost.create({
    className: CLIENT_CLASS,
    sharedThread: true,
    title: `${name}#${++clientSerial}`,
    maxMessageSize: opts.maxMessageSize,
  });
  const end = { address: `copydata:${name}`, own: host.hwnd, peer: server, onClose: () => host.close() };
  const ch = new CopyDataChannel(end, opts);
  host.onFailure = (cause) =>
    ch.inbox.push(new ChannelClosedError(`${end.address}: the window's thread failed`, { cause }));
  host.onCopyData = (from, tag, data) => {
    if (from !== server || (tag & 0xffffffff00000000n) !== TAG_BASE) return;
    ch.inbox.deliver(tag & 0xffn, data);
  };
  try {
    const timeout = opts.sendTimeout ?? DEFAULT_COPYDATA_SEND_TIMEOUT;
    const r = await sendCopyData({ to: server, from: host.hwnd, timeout }, KIND_HELLO, new Uint8Array(0));
    if (r !== 1n) throw new WinipcError(`copydata:${name} refused the connection`);
    ch.watchPeer(openWindowProcess(server));
  } catch (e) {
    await host.close();
    throw e;
  }
  return ch;
}

/** The options of a `copydata:` address: the same for connect and listen. */
const copydataOptions = {
  maxMessageSize: intOption(0, 0x7fffffff),
  sendTimeout: intOption(1, 0x7fffffff),
};

/** The `copydata:` scheme of `connect` and `listen`. */
export const copydataScheme: Scheme = defineScheme({
  connectOptions: copydataOptions,
  connect: (a, o, wait) => connectCopyData(a.path, { ...o, sendTimeout: wait.timeout ?? o.sendTimeout }),
  listenOptions: copydataOptions,
  listen: (a, o) => CopyDataServer.listen(a.path, o),
});
