/**
 * A channel whose messages arrive by delivery (a callback pushes them into an {@link Inbox}) and
 * leave through a function: the shape of the channels built on another mechanism's own calls
 * (DDE's POKEs and link updates, COM's method calls).
 * @module
 */
import { ChannelBase, type ChannelOptions } from "./channel.ts";
import { Inbox } from "./inbox.ts";

/** One end of a channel fed by deliveries. */
export class InboxChannel extends ChannelBase {
  /** @internal Where the peer's messages are delivered (null: the peer closed; an Error: it failed). */
  readonly inbox: Inbox<Uint8Array> = new Inbox();
  readonly #send: (m: Uint8Array) => Promise<unknown>;
  readonly #close: () => Promise<void>;

  /** @internal Made by a mechanism's connect or listen. */
  constructor(
    address: string,
    send: (m: Uint8Array) => Promise<unknown>,
    close: () => Promise<void>,
    opts: ChannelOptions = {},
  ) {
    super(address, opts);
    this.#send = send;
    this.#close = close;
  }

  /** Sends one message with the mechanism's call. */
  protected async sendMessage(message: Uint8Array, signal: AbortSignal): Promise<void> {
    signal.throwIfAborted();
    await this.#send(message);
  }

  /** The next message delivered; null once the peer closed. */
  protected receiveMessage(signal: AbortSignal): Promise<Uint8Array | null> {
    return this.inbox.take(signal);
  }

  /** Ends the mechanism's side of the channel. */
  protected closeTransport(): Promise<void> {
    return this.#close();
  }
}
