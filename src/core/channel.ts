/**
 * The shared channel API: every mechanism's channel face. A channel carries whole messages
 * (boundaries kept on every mechanism), one send or receive at a time per direction (calls queue),
 * every wait cancellable with an AbortSignal and bounded by a timeout.
 * @module
 */
import { ChannelClosedError, MessageTooLargeError, type WaitOptions } from "./errors.ts";
import { callScope } from "./op_queue.ts";

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
  readonly closed: boolean;
}

/** The sending half of a channel. */
export interface SendChannel extends AsyncDisposable {
  readonly address: string;
  /** Sends one whole message. Resolves when the transport has accepted all of it. */
  send(message: Uint8Array, opts?: WaitOptions): Promise<void>;
  /** A Web stream whose every chunk is sent as one message. */
  readonly writable: WritableStream<Uint8Array>;
  close(): Promise<void>;
  readonly closed: boolean;
  /** The largest message this channel sends or accepts, in bytes. */
  readonly maxMessageSize: number;
}

/** A two-way message channel. */
export interface Channel extends ReceiveChannel, SendChannel {}

/** A server endpoint: accepts one channel per connecting peer. */
export interface Listener<C = Channel> extends AsyncIterable<C>, AsyncDisposable {
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

export const DEFAULT_MAX_MESSAGE_SIZE = 64 * 1024 * 1024;

/**
 * The shared implementation of {@link Channel}: queues calls, applies timeouts, signals and the
 * message size limit, turns a close into ChannelClosedError, and derives iteration and streams.
 * A mechanism implements the four protected methods; `null` from `receiveMessage` means the peer
 * closed.
 */
export abstract class ChannelBase implements Channel {
  readonly maxMessageSize: number;
  readonly #closing = new AbortController();
  #sendTail: Promise<unknown> = Promise.resolve();
  #receiveTail: Promise<unknown> = Promise.resolve();
  #ended: ChannelClosedError | undefined;
  #closePromise: Promise<void> | undefined;
  #readable: ReadableStream<Uint8Array> | undefined;
  #writable: WritableStream<Uint8Array> | undefined;

  constructor(readonly address: string, opts: ChannelOptions = {}) {
    const max = opts.maxMessageSize ?? DEFAULT_MAX_MESSAGE_SIZE;
    if (!Number.isSafeInteger(max) || max < 0 || max > 0xffffffff) {
      throw new RangeError(`maxMessageSize must be an integer from 0 to 2^32-1, got ${max}`);
    }
    this.maxMessageSize = max;
  }

  /** Sends one message; `signal` aborts it. */
  protected abstract sendMessage(message: Uint8Array, signal: AbortSignal): Promise<void>;
  /** Receives one message, or null when the peer has closed. */
  protected abstract receiveMessage(signal: AbortSignal): Promise<Uint8Array | null>;
  /** Releases the transport once no call is in flight. */
  protected abstract closeTransport(): void | Promise<void>;

  get closed(): boolean {
    return this.#closing.signal.aborted;
  }

  send(message: Uint8Array, opts?: WaitOptions): Promise<void> {
    if (!(message instanceof Uint8Array)) {
      return Promise.reject(new TypeError("send() takes a Uint8Array"));
    }
    if (message.byteLength > this.maxMessageSize) {
      return Promise.reject(new MessageTooLargeError(message.byteLength, this.maxMessageSize));
    }
    return this.#queue("send", (signal) => this.sendMessage(message, signal), opts);
  }

  receive(opts?: WaitOptions): Promise<Uint8Array> {
    return this.#queue("receive", async (signal) => {
      const m = await this.receiveMessage(signal);
      if (m === null) throw this.#end(new ChannelClosedError(`${this.address}: the peer closed the channel`));
      return m;
    }, opts);
  }

  #queue<T>(
    dir: "send" | "receive",
    op: (signal: AbortSignal) => Promise<T>,
    opts?: WaitOptions,
  ): Promise<T> {
    const tail = dir === "send" ? this.#sendTail : this.#receiveTail;
    const run = tail.then(async () => {
      if (this.#ended) throw this.#ended;
      if (this.closed) throw new ChannelClosedError(`${this.address}: channel is closed`);
      const scope = callScope(this.#closing.signal, opts);
      try {
        return await op(scope.signal);
      } catch (e) {
        if (this.#closing.signal.aborted && scope.signal.reason === this.#closing.signal.reason) {
          throw new ChannelClosedError(`${this.address}: channel is closed`, { cause: e });
        }
        if (e instanceof ChannelClosedError) throw this.#end(e);
        throw e;
      } finally {
        scope.done();
      }
    });
    const settled = run.catch(() => {});
    if (dir === "send") this.#sendTail = settled;
    else this.#receiveTail = settled;
    return run;
  }

  #end(e: ChannelClosedError): ChannelClosedError {
    this.#ended ??= e;
    return this.#ended;
  }

  /** Closes the channel; pending calls reject with ChannelClosedError. Runs once. */
  close(): Promise<void> {
    this.#closePromise ??= (async () => {
      this.#closing.abort(new ChannelClosedError(`${this.address}: channel is closed`));
      await Promise.all([this.#sendTail, this.#receiveTail]);
      await this.closeTransport();
    })();
    return this.#closePromise;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    while (true) {
      try {
        yield await this.receive();
      } catch (e) {
        if (e instanceof ChannelClosedError) return;
        throw e;
      }
    }
  }

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

  get writable(): WritableStream<Uint8Array> {
    return this.#writable ??= new WritableStream<Uint8Array>({
      write: (chunk) => this.send(chunk),
      close: () => this.close(),
      abort: () => this.close(),
    });
  }
}

/** The shared implementation of {@link Listener}'s iteration and disposal. */
export abstract class ListenerBase<C = Channel> implements Listener<C> {
  abstract readonly address: string;
  abstract accept(opts?: WaitOptions): Promise<C>;
  abstract close(): Promise<void>;

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<C> {
    while (true) {
      try {
        yield await this.accept();
      } catch (e) {
        if (e instanceof ChannelClosedError) return;
        throw e;
      }
    }
  }
}
