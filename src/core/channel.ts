/**
 * The shared channel API: every mechanism's channel face. A channel carries whole messages
 * (boundaries kept on every mechanism), one send or receive at a time per direction (calls queue),
 * every wait cancellable with an AbortSignal and bounded by a timeout.
 * @module
 */
import { ChannelClosedError, MessageTooLargeError, type WaitOptions } from "./errors.ts";
import { checkWaitOptions, OpQueue } from "./op_queue.ts";
import { turnSpent } from "./event_loop.ts";

const RESOLVED: Promise<void> = Promise.resolve();

/** The receiving half of a channel. */
export interface ReceiveChannel extends AsyncIterable<Uint8Array>, AsyncDisposable {
  /** Human-readable address of this channel (`pipe:name`, ...). */
  readonly address: string;
  /** Resolves with the next whole message. Rejects with ChannelClosedError once the channel ends. */
  receive(opts?: WaitOptions): Promise<Uint8Array>;
  /** The messages as a Web stream (ends when the peer closes). */
  readonly readable: ReadableStream<Uint8Array>;
  /** Closes the channel: pending calls reject with ChannelClosedError. Idempotent. */
  close(): Promise<void>;
  /** True once `close()` was called. */
  readonly closed: boolean;
}

/** The sending half of a channel. */
export interface SendChannel extends AsyncDisposable {
  /** Human-readable address of this channel (`pipe:name`, ...). */
  readonly address: string;
  /** Sends one whole message. Resolves when the transport has accepted all of it. */
  send(message: Uint8Array, opts?: WaitOptions): Promise<void>;
  /** A Web stream whose every chunk is sent as one message. */
  readonly writable: WritableStream<Uint8Array>;
  /** Closes the channel: pending calls reject with ChannelClosedError. Idempotent. */
  close(): Promise<void>;
  /** True once `close()` was called. */
  readonly closed: boolean;
  /** The largest message this channel sends or accepts, in bytes. */
  readonly maxMessageSize: number;
}

/** A two-way message channel. */
export interface Channel extends ReceiveChannel, SendChannel {}

/** A server endpoint: accepts one channel per connecting peer. */
export interface Listener<C = Channel> extends AsyncIterable<C>, AsyncDisposable {
  /** The address this listener serves (`pipe:name`, `tcp:127.0.0.1:9000`, ...). */
  readonly address: string;
  /** Resolves with the next connected peer's channel. */
  accept(opts?: WaitOptions): Promise<C>;
  /** Stops accepting; channels already accepted stay open. Idempotent. */
  close(): Promise<void>;
}

/** Options every channel accepts. */
export interface ChannelOptions {
  /** Largest message in bytes, both directions. Default 64 MiB. */
  maxMessageSize?: number;
}

/** The default {@link ChannelOptions.maxMessageSize}: 64 MiB. */
export const DEFAULT_MAX_MESSAGE_SIZE = 64 * 1024 * 1024;

/**
 * The shared implementation of {@link Channel}: queues calls, applies timeouts, signals and the
 * message size limit, turns a close into ChannelClosedError, and derives iteration and streams.
 * A mechanism implements the three protected methods; `null` from `receiveMessage` means the peer
 * closed.
 * @internal Not public API: a mechanism's channel class declares `implements Channel`.
 */
export abstract class ChannelBase implements Channel {
  readonly maxMessageSize: number;
  readonly #sends: OpQueue;
  readonly #receives: OpQueue;
  #ended: ChannelClosedError | undefined;
  #closePromise: Promise<void> | undefined;
  #readable: ReadableStream<Uint8Array> | undefined;
  #writable: WritableStream<Uint8Array> | undefined;

  readonly address: string;
  /**
   * @param address the channel's address, for messages and errors.
   * @throws {RangeError} `maxMessageSize` is not an integer from 0 to 2^32-1.
   */
  constructor(address: string, opts: ChannelOptions = {}) {
    this.address = address;
    const max = opts.maxMessageSize ?? DEFAULT_MAX_MESSAGE_SIZE;
    if (!Number.isSafeInteger(max) || max < 0 || max > 0xffffffff) {
      throw new RangeError(`maxMessageSize must be an integer from 0 to 2^32-1, got ${max}`);
    }
    this.maxMessageSize = max;
    this.#sends = new OpQueue(`${address}: channel`);
    this.#receives = new OpQueue(`${address}: channel`);
  }

  /** Sends one message; `signal` aborts it. */
  protected abstract sendMessage(message: Uint8Array, signal: AbortSignal): Promise<void>;
  /** Receives one message, or null when the peer has closed. */
  protected abstract receiveMessage(signal: AbortSignal): Promise<Uint8Array | null>;
  /** Releases the transport once no call is in flight. */
  protected abstract closeTransport(): void | Promise<void>;

  /**
   * The synchronous fast path of `send`, tried when no send is queued: sends `message` at once
   * and returns true, or returns false (nothing done) so the queued path runs. What it throws
   * rejects the call, as the queued path would. Default: never.
   */
  protected sendNow(_message: Uint8Array): boolean {
    return false;
  }

  /**
   * The synchronous fast path of `receive`, tried when no receive is queued: the next message if
   * one is ready now, else undefined (the queued path runs). What it throws rejects the call, as
   * the queued path would. Default: never.
   */
  protected receiveNow(): Uint8Array | undefined {
    return undefined;
  }

  /** True once `close()` was called. */
  get closed(): boolean {
    return this.#sends.closed;
  }

  /**
   * Sends one whole message; calls queue.
   * @throws {MessageTooLargeError} the message is larger than `maxMessageSize`.
   * @throws {ChannelClosedError} the channel is closed or the peer went away.
   */
  send(message: Uint8Array, opts?: WaitOptions): Promise<void> {
    if (!(message instanceof Uint8Array)) {
      return Promise.reject(new TypeError("send() takes a Uint8Array"));
    }
    if (message.byteLength > this.maxMessageSize) {
      return Promise.reject(new MessageTooLargeError(message.byteLength, this.maxMessageSize));
    }
    // Past the turn's budget the queue runs the call, after a yield to the event loop.
    if (!turnSpent() && this.#canRunNow(this.#sends, opts)) {
      try {
        if (this.sendNow(message)) return RESOLVED;
      } catch (e) {
        return Promise.reject(e);
      }
    }
    return this.#run(this.#sends, (signal) => this.sendMessage(message, signal), opts);
  }

  /**
   * Resolves with the next whole message; calls queue.
   * @throws {ChannelClosedError} the channel is closed or the peer went away.
   * @throws {TimeoutError} nothing arrived within `timeout`.
   */
  receive(opts?: WaitOptions): Promise<Uint8Array> {
    if (!turnSpent() && this.#canRunNow(this.#receives, opts)) {
      try {
        const m = this.receiveNow();
        if (m) return Promise.resolve(m);
      } catch (e) {
        return Promise.reject(e);
      }
    }
    return this.#run(this.#receives, async (signal) => {
      const m = await this.receiveMessage(signal);
      if (m === null) throw new ChannelClosedError(`${this.address}: the peer closed the channel`);
      return m;
    }, opts);
  }

  /**
   * Whether a call may take its fast path: nothing queued before it (order is kept), the channel
   * open, and its options valid and not already aborted (the queued path reports those).
   */
  #canRunNow(queue: OpQueue, opts: WaitOptions | undefined): boolean {
    if (queue.busy || queue.closed || this.#ended) return false;
    if (opts === undefined) return true;
    try {
      checkWaitOptions(opts);
    } catch {
      return false;
    }
    return !opts.signal?.aborted;
  }

  /** Runs `op` in its direction's queue; a peer that went away ends both directions for good. */
  #run<T>(queue: OpQueue, op: (signal: AbortSignal) => Promise<T>, opts?: WaitOptions): Promise<T> {
    return queue.run(opts, async (signal) => {
      if (this.#ended) throw this.#ended;
      try {
        return await op(signal);
      } catch (e) {
        if (e instanceof ChannelClosedError && !queue.closed) throw (this.#ended ??= e);
        throw e;
      }
    });
  }

  /** Closes the channel; pending calls reject with ChannelClosedError. Runs once. */
  close(): Promise<void> {
    this.#closePromise ??= (async () => {
      await Promise.all([this.#sends.close(), this.#receives.close()]);
      await this.closeTransport();
    })();
    return this.#closePromise;
  }

  /** `await using`: closes the channel. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /** The messages until the peer closes (a ChannelClosedError ends the loop quietly). */
  [Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    return untilClosed(() => this.receive());
  }

  /** The messages as a Web stream (ends when the peer closes). */
  get readable(): ReadableStream<Uint8Array> {
    return this.#readable ??= new ReadableStream<Uint8Array>({
      pull: async (controller) => {
        try {
          controller.enqueue(await this.receive());
        } catch (e) {
          if (e instanceof ChannelClosedError) controller.close();
          else controller.error(e);
        }
      },
      cancel: () => this.close(),
    }, { highWaterMark: 0 });
  }

  /** A Web stream whose every chunk is sent as one message. */
  get writable(): WritableStream<Uint8Array> {
    return this.#writable ??= new WritableStream<Uint8Array>({
      write: (chunk) => this.send(chunk),
      close: () => this.close(),
      abort: () => this.close(),
    });
  }
}

/**
 * The shared implementation of {@link Listener}: accepts run one at a time, each with the
 * caller's signal and timeout; `close()` ends a pending accept with ChannelClosedError, then
 * releases the listener once. A mechanism implements `acceptChannel` and `closeListener`.
 * @internal Not public API: a mechanism's server class declares `implements Listener`.
 */
export abstract class ListenerBase<C = Channel> implements Listener<C> {
  readonly #accepts: OpQueue;
  #closePromise: Promise<void> | undefined;

  readonly address: string;
  /** @param address the address this listener serves. */
  constructor(address: string) {
    this.address = address;
    this.#accepts = new OpQueue(`${address}: server`);
  }

  /** Waits for the next peer and returns its channel; `signal` aborts on timeout, abort or close. */
  protected abstract acceptChannel(signal: AbortSignal): Promise<C>;
  /** Releases what the listener holds, once no accept is running. */
  protected abstract closeListener(): void | Promise<void>;

  /** True once `close()` was called. */
  get closed(): boolean {
    return this.#accepts.closed;
  }

  /**
   * Resolves with the next connected peer's channel; accepts queue.
   * @throws {ChannelClosedError} the listener was closed.
   * @throws {TimeoutError} no peer came within `timeout`.
   */
  accept(opts?: WaitOptions): Promise<C> {
    return this.runAccept(opts, (signal) => this.acceptChannel(signal));
  }

  /** Queues an accept-like operation (for listeners with more than one kind of accept). */
  protected runAccept<T>(opts: WaitOptions | undefined, op: (signal: AbortSignal) => Promise<T>): Promise<T> {
    return this.#accepts.run(opts, op);
  }

  /** Stops accepting; channels already accepted stay open. Runs once. */
  close(): Promise<void> {
    this.#closePromise ??= (async () => {
      await this.#accepts.close();
      await this.closeListener();
    })();
    return this.#closePromise;
  }

  /** `await using`: closes the listener. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /** The accepted channels until the listener is closed. */
  [Symbol.asyncIterator](): AsyncIterator<C> {
    return untilClosed(() => this.accept());
  }
}

/** Yields `next()` until it rejects with ChannelClosedError, which ends the iteration quietly. */
async function* untilClosed<T>(next: () => Promise<T>): AsyncGenerator<T> {
  while (true) {
    try {
      yield await next();
    } catch (e) {
      if (e instanceof ChannelClosedError) return;
      throw e;
    }
  }
}
