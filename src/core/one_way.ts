/**
 * One-way channels: the receiving or sending half of the channel API alone, for mechanisms that
 * carry data one way (mailslots, one end of an anonymous pipe). They delegate to a two-way
 * channel and expose only the half the mechanism has.
 * @module
 */
import type { WaitOptions } from "./errors.ts";
import type { Channel, ReceiveChannel, SendChannel } from "./channel.ts";

/** What both halves share: the address, the limit and closing, all the two-way channel's. */
export abstract class OneWayChannel implements AsyncDisposable {
  /** The two-way channel this half exposes. */
  protected readonly inner: Channel;

  /** Exposes one half of `inner`; closing this closes it. */
  constructor(inner: Channel) {
    this.inner = inner;
  }
  /** Human-readable address of this channel (`mailslot:name`, ...). */
  get address(): string {
    return this.inner.address;
  }
  /** True once `close()` was called. */
  get closed(): boolean {
    return this.inner.closed;
  }
  /** The largest message this channel sends or accepts, in bytes. */
  get maxMessageSize(): number {
    return this.inner.maxMessageSize;
  }
  /** Closes the channel: pending calls reject with ChannelClosedError. Idempotent. */
  close(): Promise<void> {
    return this.inner.close();
  }
  /** `await using`: closes the channel. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

/** A receive-only channel: the receiving half of a two-way channel whose send is never used. */
export class ReceiveOnlyChannel extends OneWayChannel implements ReceiveChannel {
  receive(opts?: WaitOptions): Promise<Uint8Array> {
    return this.inner.receive(opts);
  }
  get readable(): ReadableStream<Uint8Array> {
    return this.inner.readable;
  }
  /** The messages until the peer closes. */
  [Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    return this.inner[Symbol.asyncIterator]();
  }
}

/** A send-only channel: the sending half of a two-way channel whose receive is never used. */
export class SendOnlyChannel extends OneWayChannel implements SendChannel {
  send(message: Uint8Array, opts?: WaitOptions): Promise<void> {
    return this.inner.send(message, opts);
  }
  get writable(): WritableStream<Uint8Array> {
    return this.inner.writable;
  }
}
