/**
 * One-way channels: the receiving or sending half of the channel API alone, for mechanisms that
 * carry data one way (mailslots, one end of an anonymous pipe). They delegate to a ChannelBase
 * and expose only the half the mechanism has.
 * @module
 */
import type { WaitOptions } from "./errors.ts";
import type { ChannelBase, ReceiveChannel, SendChannel } from "./channel.ts";

/** A receive-only channel over a ChannelBase whose sendMessage is never called. */
export class ReceiveOnlyChannel implements ReceiveChannel {
  constructor(protected readonly inner: ChannelBase) {}
  get address(): string {
    return this.inner.address;
  }
  get closed(): boolean {
    return this.inner.closed;
  }
  get maxMessageSize(): number {
    return this.inner.maxMessageSize;
  }
  receive(opts?: WaitOptions): Promise<Uint8Array> {
    return this.inner.receive(opts);
  }
  get readable(): ReadableStream<Uint8Array> {
    return this.inner.readable;
  }
  close(): Promise<void> {
    return this.inner.close();
  }
  [Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    return this.inner[Symbol.asyncIterator]();
  }
  [Symbol.asyncDispose](): Promise<void> {
    return this.inner.close();
  }
}

/** A send-only channel over a ChannelBase whose receiveMessage is never called. */
export class SendOnlyChannel implements SendChannel {
  constructor(protected readonly inner: ChannelBase) {}
  get address(): string {
    return this.inner.address;
  }
  get closed(): boolean {
    return this.inner.closed;
  }
  get maxMessageSize(): number {
    return this.inner.maxMessageSize;
  }
  send(message: Uint8Array, opts?: WaitOptions): Promise<void> {
    return this.inner.send(message, opts);
  }
  get writable(): WritableStream<Uint8Array> {
    return this.inner.writable;
  }
  close(): Promise<void> {
    return this.inner.close();
  }
  [Symbol.asyncDispose](): Promise<void> {
    return this.inner.close();
  }
}
