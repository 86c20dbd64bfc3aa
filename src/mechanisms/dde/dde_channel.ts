/**
 * The `dde:SERVICE/TOPIC` face of DDE in the shared channel API: a client's messages are POKEs
 * of the item `winipc-channel`, the server's are updates of a hot link the client holds on that
 * item (with ACK-requested flow control: none lost, in order), all in winipc's bytes format. A
 * conversation becomes a channel on the server once its client has the link.
 * @module
 */
import { type ChannelOptions, DEFAULT_MAX_MESSAGE_SIZE, ListenerBase } from "../../core/channel.ts";
import { InboxChannel } from "../../core/inbox_channel.ts";
import { AddressInUseError, ChannelClosedError, NotFoundError, type WaitOptions } from "../../core/errors.ts";
import { Inbox } from "../../core/inbox.ts";
import { defineScheme, type Scheme } from "../../core/scheme.ts";
import { DdeClient } from "./dde_client.ts";
import { DdeServer, type ServerConversation } from "./dde_server.ts";
import { ddeBytesFormat } from "./dde_value.ts";
import { parseDdeAddress } from "./dde_format.ts";

/** The item a `dde:` channel's messages travel under. */
export const DDE_CHANNEL_ITEM = "winipc-channel";

/**
 * How long a server channel's close waits for its client's next ACK of what was sent (ms): it
 * waits as long as they keep coming, since a fixed wait would cut off a client that is still
 * working through a long queue of updates.
 */
const DRAIN_IDLE = 10_000;

/**
 * The largest DDE value a channel takes: a message of `maxMessageSize` bytes travels as a value
 * of 4 more (winipc's bytes format prefixes the length).
 */
function valueLimit(opts: ChannelOptions): number {
  return (opts.maxMessageSize ?? DEFAULT_MAX_MESSAGE_SIZE) + 4;
}

/** One end of a `dde:` channel: a POKE (client) or an update of the client's link (server) per message. */
export class DdeChannel extends InboxChannel {}

/**
 * Connects to `dde:SERVICE/TOPIC`: a conversation, and a hot link on {@link DDE_CHANNEL_ITEM}.
 * @throws {NotFoundError} no server answered.
 */
export async function connectDde(path: string, opts: ChannelOptions & WaitOptions = {}): Promise<DdeChannel> {
  const { service, topic } = parseDdeAddress(path);
  const client = await DdeClient.connect(service, topic, { ...opts, maxValueSize: valueLimit(opts) });
  try {
    const format = ddeBytesFormat();
    const link = await client.hotLink(DDE_CHANNEL_ITEM, { format, ackReq: true, timeout: opts.timeout });
    const channel = new DdeChannel(
      `dde:${path}`,
      (m) => client.poke(DDE_CHANNEL_ITEM, m, { format }),
      () => client.close(),
      opts,
    );
    (async () => {
      try {
        for await (const m of link) channel.inbox.push(m.slice());
        channel.inbox.push(null);
      } catch (e) {
        channel.inbox.push(e instanceof ChannelClosedError ? null : e as Error);
      }
    })();
    return channel;
  } catch (e) {
    await client.close();
    throw e;
  }
}

/** A `dde:SERVICE/TOPIC` server: each client that takes the channel's link is a channel. */
export class DdeListener extends ListenerBase<DdeChannel> {
  readonly #server: DdeServer;
  readonly #channels = new Map<ServerConversation, DdeChannel>();
  readonly #ready = new Inbox<DdeChannel>();

  private constructor(server: DdeServer, path: string, opts: ChannelOptions) {
    super(`dde:${path}`);
    this.#server = server;
    const format = ddeBytesFormat();
    server.onAdvise = (t) => {
      if (t.item !== DDE_CHANNEL_ITEM || t.format !== format || this.#channels.has(t.conversation)) {
        return false;
      }
      const c = t.conversation;
      const channel = new DdeChannel(
        this.address,
        (m) => {
          if (c.closed) return Promise.reject(new ChannelClosedError(`${this.address}: the client is gone`));
          c.publish(DDE_CHANNEL_ITEM, m, format);
          return Promise.resolve();
        },
        // Updates the sends handed over reach the client before the conversation ends.
        () => c.drained(DRAIN_IDLE).then(() => c.terminate()),
        opts,
      );
      this.#channels.set(c, channel);
      this.#ready.push(channel);
    };
    server.onPoke = (t, value) => {
      const channel = this.#channels.get(t.conversation);
      if (t.item !== DDE_CHANNEL_ITEM || t.format !== format || !channel) return false;
      channel.inbox.push(value.slice());
    };
    server.onConversationEnd = (c) => {
      this.#channels.get(c)?.inbox.push(null);
      this.#channels.delete(c);
    };
    server.onRequest = () => undefined;
  }

  /** Serves `dde:SERVICE/TOPIC` (a message-only window: winipc clients find it). */
  static async listen(path: string, opts: ChannelOptions = {}): Promise<DdeListener> {
    const { service, topic } = parseDdeAddress(path);
    await refuseServed(service, topic);
    const server = await DdeServer.create(service, {
      topics: [topic],
      topLevel: false,
      maxValueSize: valueLimit(opts),
    });
    return new DdeListener(server, path, opts);
  }

  /** The next conversation whose client took the channel's link. */
  protected async acceptChannel(signal: AbortSignal): Promise<DdeChannel> {
    return (await this.#ready.take(signal))!; // never ended: closing the listener aborts `signal`
  }

  /** Ends every conversation and the server's window. */
  protected closeListener(): Promise<void> {
    return this.#server.close();
  }
}

/**
 * One listener per address: DDE itself lets any number of servers answer for a service (clients
 * would be split between them, or taken by a squatter), so a served SERVICE/TOPIC is refused.
 * @throws {AddressInUseError} a server, in any process, answers for `service`/`topic`.
 */
async function refuseServed(service: string, topic: string): Promise<void> {
  let existing: DdeClient | undefined;
  try {
    existing = await DdeClient.connect(service, topic, { timeout: 5_000 });
  } catch (e) {
    if (e instanceof NotFoundError) return;
    throw e;
  }
  await existing.close();
  throw new AddressInUseError(`dde:${service}/${topic} is already served`);
}

/** `dde:SERVICE/TOPIC` in the scheme table. */
export const ddeScheme: Scheme = defineScheme({
  connect: (a, _o, wait) => connectDde(a.path, wait),
  listen: (a) => DdeListener.listen(a.path),
});
