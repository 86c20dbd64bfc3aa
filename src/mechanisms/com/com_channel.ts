/**
 * The `com:NAME` face of COM in the shared channel API. The listener publishes a hub object in the
 * Running Object Table (file moniker `C:\winipc-com\NAME`); a client gets it, calls
 * `connect(sink, pid)` with a sink object of its own, and gets a connection object back. Each
 * message is one call carrying the bytes as a SAFEARRAY of VT_UI1: the client calls the
 * connection's `send`, the server the sink's `receive`. Calls from one apartment arrive in order,
 * so messages do. Each side watches the other's process: a dead peer ends the channel at once,
 * and its references to this side's object are dropped (CoDisconnectObject).
 * @module
 */
import { type ChannelOptions, ListenerBase } from "../../core/channel.ts";
import { InboxChannel } from "../../core/inbox_channel.ts";
import {
  AddressError,
  ChannelClosedError,
  MessageTooLargeError,
  NotFoundError,
  type WaitOptions,
} from "../../core/errors.ts";
import { Inbox } from "../../core/inbox.ts";
import { defineScheme, type Scheme } from "../../core/scheme.ts";
import { kernel32 } from "../../ffi/kernel32.ts";
import { waitAny } from "../../kernel/wait.ts";
import { tryOpenPeerProcess } from "../shm/ring_channel.ts";
import { getRunningObject } from "./activation.ts";
import { disconnectObject, whenObjectDropped } from "./runtime.ts";
import { callMember, ComObject } from "./com_object.ts";
import { ComError, HRESULT } from "./com_errors.ts";
import { publishObject } from "./publish.ts";

/** The moniker a `com:NAME` listener's hub is registered under. */
export function comChannelMoniker(name: string): string {
  if (name === "" || /[\\/\0]/.test(name)) {
    throw new AddressError(`com:${name}: a name without slashes is needed`);
  }
  return `C:\\winipc-com\\${name}`;
}

/** One end of a `com:` channel. */
export class ComChannel extends InboxChannel {
  readonly #stopWatching = new AbortController();
  /** This side's object the peer holds (its sink, or its connection): cut off if the peer dies. */
  own: object | undefined;

  #cutOff(): void {
    if (this.own) disconnectObject(this.own);
  }

  /** @internal A message from the peer (refused when larger than this end accepts). */
  deliver(bytes: unknown): void {
    if (!(bytes instanceof Uint8Array)) throw new TypeError(`${this.address}: a message must be bytes`);
    if (bytes.length > this.maxMessageSize) {
      throw new MessageTooLargeError(bytes.length, this.maxMessageSize);
    }
    this.inbox.push(bytes);
  }

  /** @internal Ends the channel once the peer's process `pid` exits. */
  watch(pid: number): void {
    const process = tryOpenPeerProcess(pid);
    if (!process) return void this.inbox.push(new ChannelClosedError(`${this.address}: the peer is gone`));
    waitAny([process.value], { signal: this.#stopWatching.signal }).then(
      () => {
        // A dead peer's references would stay with COM for minutes: drop them now.
        this.#cutOff();
        this.inbox.push(new ChannelClosedError(`${this.address}: the peer's process exited`));
      },
      () => {}, // stopped: the channel closed first
    ).finally(() => process.close());
  }

  /**
   * Tells the peer (best effort) and releases its object; the peer releases ours. (Cutting our
   * object off here too raced with the peer's own last calls on it under Wine, and its reference
   * was then never dropped: only a dead peer's is.)
   */
  protected override async closeTransport(): Promise<void> {
    await super.closeTransport();
    // The peer's release of our object may still be on its way, and a peer that exits first
    // never sends it (COM under Wine would hold the object, and this process, forever): keep
    // watching the peer until our object is let go, and cut it off if the peer dies first.
    const own = this.own;
    if (own) void whenObjectDropped(own).then(() => this.#stopWatching.abort());
    else this.#stopWatching.abort();
  }
}

const myPid = () => kernel32.sync.GetCurrentProcessId();

/**
 * The peer's object as a COM call handed it over: a ComObject (another process or apartment), or
 * the JS object itself when both ends are in this process.
 */
class PeerObject {
  readonly target: unknown;
  constructor(target: unknown) {
    this.target = target;
  }

  call(name: string, ...args: unknown[]): Promise<unknown> {
    return callMember(this.target, name, ...args);
  }

  get(name: string): Promise<unknown> {
    const t = this.target;
    return t instanceof ComObject ? t.get(name) : Promise.resolve((t as Record<string, unknown>)[name]);
  }

  /** Tells it the channel closed (bounded: a hung peer does not hold up close()), then lets it go. */
  async close(): Promise<void> {
    const t = this.target;
    const told = t instanceof ComObject
      ? t.invoke("close", { timeout: CLOSE_NOTICE_MS })
      : this.call("close");
    await told.catch(() => {});
    if (t instanceof ComObject) t.release();
  }
}
/** How long a closing side waits for the peer to hear of it. */
const CLOSE_NOTICE_MS = 1000;

/**
 * Connects to `com:NAME`.
 * @throws {NotFoundError} nothing listens on NAME.
 */
export async function connectCom(name: string, opts: ChannelOptions & WaitOptions = {}): Promise<ComChannel> {
  const moniker = comChannelMoniker(name);
  let hub: ComObject;
  try {
    hub = await getRunningObject(moniker);
  } catch (e) {
    if (e instanceof ComError && e.hresult === HRESULT.MK_E_UNAVAILABLE) {
      throw new NotFoundError(`com:${name}: nothing listens there`, { cause: e });
    }
    throw e;
  }
  let connection: PeerObject | undefined;
  const channel: ComChannel = new ComChannel(
    `com:${name}`,
    (m) => connection!.call("send", m),
    async () => await connection?.close(),
    opts,
  );
  const sink = {
    receive: (bytes: unknown) => channel.deliver(bytes),
    close: () => channel.inbox.push(null),
  };
  channel.own = sink;
  try {
    connection = new PeerObject(
      await hub.invoke("connect", { args: [sink, myPid()], timeout: opts.timeout, signal: opts.signal }),
    );
    channel.watch(await connection.get("pid") as number);
    return channel;
  } catch (e) {
    if (connection?.target instanceof ComObject) connection.target.release();
    throw e;
  } finally {
    hub.release();
  }
}

/** A `com:NAME` server: each client's connect is a channel. */
export class ComListener extends ListenerBase<ComChannel> {
  readonly #ready = new Inbox<ComChannel>();
  #registration: { revoke(): Promise<void> } | undefined;

  private constructor(name: string) {
    super(`com:${name}`);
  }

  /** Publishes NAME's hub in the Running Object Table. */
  static async listen(name: string, opts: ChannelOptions = {}): Promise<ComListener> {
    const moniker = comChannelMoniker(name);
    const listener = new ComListener(name);
    const hub = {
      connect: (sinkObject: unknown, pid: unknown) => {
        if (typeof sinkObject !== "object" || sinkObject === null || typeof pid !== "number") {
          throw new TypeError("connect(sink, pid)");
        }
        const sink = new PeerObject(sinkObject);
        const channel = new ComChannel(
          listener.address,
          (m) => sink.call("receive", m),
          () => sink.close(),
          opts,
        );
        const connection = {
          pid: myPid(),
          send: (bytes: unknown) => channel.deliver(bytes),
          close: () => channel.inbox.push(null),
        };
        channel.own = connection;
        channel.watch(pid);
        listener.#ready.push(channel);
        return connection;
      },
    };
    listener.#registration = await publishObject(hub, moniker);
    return listener;
  }

  /** The next client that connected. */
  protected async acceptChannel(signal: AbortSignal): Promise<ComChannel> {
    return (await this.#ready.take(signal))!; // never ended: closing the listener aborts `signal`
  }

  /** Revokes the hub (channels already made go on). */
  protected async closeListener(): Promise<void> {
    await this.#registration?.revoke();
  }
}

/** `com:NAME` in the scheme table. */
export const comScheme: Scheme = defineScheme({
  connect: (a, _o, wait) => connectCom(a.path, wait),
  listen: (a) => ComListener.listen(a.path),
});
