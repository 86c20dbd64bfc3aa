/**
 * `rpc:NAME`, RPC's face in the channel API: a server on the pipe `\pipe\winipc-rpc\NAME` with a
 * small interface, each client an association holding a context handle. A client's message is a
 * `Send` call; the server's messages answer the client's `Receive` call, which waits on the
 * server until there is one (a long poll, on a connection of its own), so either side sends at
 * any time. A client that dies is run down with its association: the server's channel ends.
 * @module
 */
import type { ChannelOptions } from "../../core/channel.ts";
import { ListenerBase } from "../../core/channel.ts";
import {
  AddressError,
  ChannelClosedError,
  MessageTooLargeError,
  type WaitOptions,
} from "../../core/errors.ts";
import { Inbox } from "../../core/inbox.ts";
import { InboxChannel } from "../../core/inbox_channel.ts";
import { defineScheme, type Scheme } from "../../core/scheme.ts";
import { intOption } from "../../core/address.ts";
import type { RpcClient } from "./client.ts";
import { defineInterface } from "./interface.ts";
import { contextHandle, u32 } from "./ndr.ts";
import { byteArray } from "./ndr_bytes.ts";
import { RpcServer } from "./server.ts";
import { connectRpc } from "./transport.ts";

/** The interface of `rpc:` channels. */
const channelInterface = defineInterface({
  name: "winipc_channel",
  uuid: "b6f3e2a1-4c5d-4e7f-9a8b-1c2d3e4f5a6b",
  version: "1.0",
  operations: {
    Open: { opnum: 0, in: [], out: [["handle", contextHandle]] },
    Send: { opnum: 1, in: [["handle", contextHandle], ["data", byteArray]], out: [["status", u32]] },
    /** The next message (`open` 1), or the end of the channel (`open` 0, no data). */
    Receive: { opnum: 2, in: [["handle", contextHandle]], out: [["data", byteArray], ["open", u32]] },
    Close: { opnum: 3, in: [["handle", contextHandle]], out: [["handle", contextHandle]] },
  },
});

/** The pipe binding of `rpc:NAME`. */
function bindingOf(name: string): string {
  if (name === "" || /[\\/\0\]]/.test(name)) {
    throw new AddressError(`rpc:${name}: a name without slashes is needed`);
  }
  return `ncacn_np:[\\pipe\\winipc-rpc\\${name}]`;
}

/** Stub bytes beyond a message's own: the context handle, counts and alignment. */
const CALL_OVERHEAD = 64;

/** The server's side of one client: what the client's Receive calls take, in order. */
class ServerEnd {
  readonly #out: { data: Uint8Array; taken: () => void; dropped: (e: Error) => void }[] = [];
  #wake: (() => void) | undefined;
  #ended = false;
  readonly channel: InboxChannel;

  constructor(address: string, opts: ChannelOptions) {
    this.channel = new InboxChannel(
      address,
      (data) => this.#queue(data),
      () => Promise.resolve(this.end()),
      opts,
    );
  }

  /** Resolves once the client's Receive has taken `data`. */
  #queue(data: Uint8Array): Promise<void> {
    if (this.#ended) {
      return Promise.reject(new ChannelClosedError(`${this.channel.address}: the client is gone`));
    }
    return new Promise((taken, dropped) => {
      this.#out.push({ data, taken, dropped });
      this.#wake?.();
    });
  }

  /** The next message for the client's Receive; null once this side ended. */
  async next(signal: AbortSignal): Promise<Uint8Array | null> {
    while (this.#out.length === 0 && !this.#ended) {
      signal.throwIfAborted();
      await new Promise<void>((resolve) => {
        const done = () => {
          signal.removeEventListener("abort", done);
          this.#wake = undefined;
          resolve();
        };
        this.#wake = done;
        signal.addEventListener("abort", done, { once: true });
      });
    }
    const item = this.#out.shift();
    if (!item) return null;
    item.taken();
    return item.data;
  }

  /** No more messages to the client: a waiting Receive answers "closed" once the queued ones are taken. */
  end(): void {
    this.#ended = true;
    this.#wake?.();
  }

  /** The client is gone: sends waiting for it fail with `error`. */
  drop(error: Error): void {
    this.end();
    for (const item of this.#out.splice(0)) item.dropped(error);
  }
}

/** A `rpc:NAME` server: each client's Open is a channel. */
export class RpcChannelListener extends ListenerBase<InboxChannel> {
  readonly #ready = new Inbox<InboxChannel>();
  readonly #server: RpcServer;
  readonly #endpoint: { close(): Promise<void> };
  #open = 0;
  #listening = true;

  private constructor(name: string, opts: ChannelOptions) {
    super(`rpc:${name}`);
    const maxMessageSize = opts.maxMessageSize ?? 64 * 1024 * 1024;
    this.#server = new RpcServer({ maxRequestSize: maxMessageSize + CALL_OVERHEAD });
    const ended = (end: ServerEnd) => {
      end.end();
      if (--this.#open === 0 && !this.#listening) void this.#server.close();
    };
    this.#server.register(channelInterface, {
      Open: (_args, call) => {
        const end = new ServerEnd(this.address, opts);
        this.#open++;
        const handle = call.contextHandles.create(end, () => {
          // The client's association ended without a Close: it died.
          const gone = new ChannelClosedError(`${this.address}: the client is gone`);
          end.channel.inbox.push(gone);
          end.drop(gone);
          ended(end);
        });
        this.#ready.push(end.channel);
        return { handle };
      },
      Send: ({ handle, data }, call) => {
        const end = call.contextHandles.get<ServerEnd>(handle);
        if (data.length > end.channel.maxMessageSize) {
          end.channel.inbox.push(new MessageTooLargeError(data.length, end.channel.maxMessageSize));
        } else end.channel.inbox.push(data);
        return { status: 0 };
      },
      Receive: async ({ handle }, call) => {
        const data = await call.contextHandles.get<ServerEnd>(handle).next(call.signal);
        return data ? { data, open: 1 } : { data: new Uint8Array(0), open: 0 };
      },
      Close: ({ handle }, call) => {
        const end = call.contextHandles.get<ServerEnd>(handle);
        end.channel.inbox.push(null);
        end.drop(new ChannelClosedError(`${this.address}: the client closed the channel`));
        ended(end);
        return { handle: call.contextHandles.close(handle) };
      },
    });
    this.#endpoint = this.#server.listen(bindingOf(name));
  }

  /**
   * Serves `rpc:NAME`.
   * @throws {AddressInUseError} another server has NAME.
   * @throws {AddressError} NAME is empty or has a slash.
   */
  static listen(name: string, opts: ChannelOptions = {}): RpcChannelListener {
    return new RpcChannelListener(name, opts);
  }

  /** The next client that opened a channel. */
  protected async acceptChannel(signal: AbortSignal): Promise<InboxChannel> {
    return (await this.#ready.take(signal))!; // never ended: closing the listener aborts `signal`
  }

  /** Stops listening; the server lives on until the channels already made are closed. */
  protected async closeListener(): Promise<void> {
    this.#listening = false;
    await this.#endpoint.close();
    if (this.#open === 0) await this.#server.close();
  }
}

/**
 * Connects to `rpc:NAME`: binds, opens a channel, and keeps one Receive call waiting on the
 * server for its messages.
 * @throws {NotFoundError} nothing listens on NAME.
 */
export async function connectRpcChannel(
  name: string,
  opts: ChannelOptions & WaitOptions = {},
): Promise<InboxChannel> {
  const address = `rpc:${name}`;
  const client: RpcClient = await connectRpc(bindingOf(name), {
    interfaces: [channelInterface],
    maxConnections: 2, // one for the waiting Receive, one for Sends
    maxResponseSize: (opts.maxMessageSize ?? 64 * 1024 * 1024) + CALL_OVERHEAD,
    timeout: opts.timeout,
    signal: opts.signal,
  });
  const calls = client.proxy(channelInterface);
  let handle;
  try {
    handle = (await calls.Open({}, { timeout: opts.timeout, signal: opts.signal })).handle;
  } catch (e) {
    await client.close();
    throw e;
  }
  const stop = new AbortController();
  const channel = new InboxChannel(
    address,
    (data) => calls.Send({ handle, data }),
    async () => {
      stop.abort();
      await calls.Close({ handle }, { timeout: 5_000 }).catch(() => {});
      await client.close();
    },
    opts,
  );
  void (async () => {
    try {
      while (!stop.signal.aborted) {
        const r = await calls.Receive({ handle }, { signal: stop.signal });
        if (!r.open) return channel.inbox.push(null);
        if (r.data.length > channel.maxMessageSize) {
          return channel.inbox.push(new MessageTooLargeError(r.data.length, channel.maxMessageSize));
        }
        channel.inbox.push(r.data);
      }
    } catch (e) {
      if (stop.signal.aborted) return;
      channel.inbox.push(
        e instanceof ChannelClosedError
          ? e
          : new ChannelClosedError(`${address}: the server is gone`, { cause: e }),
      );
    }
  })();
  return channel;
}

/** `rpc:NAME` in the scheme table. */
export const rpcScheme: Scheme = defineScheme({
  connectOptions: { maxMessageSize: intOption(0, 0xffffffff) },
  connect: (a, o, wait) => connectRpcChannel(a.path, { ...o, ...wait }),
  listenOptions: { maxMessageSize: intOption(0, 0xffffffff) },
  listen: (a, o) => Promise.resolve(RpcChannelListener.listen(a.path, o)),
});
