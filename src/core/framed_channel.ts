/**
 * One message channel over any byte stream: each message travels as a frame, so boundaries
 * survive however the stream chunks the bytes. Sockets, byte-mode pipes, child pipes and serial
 * lines all use it; only the stream and the frame codec differ.
 * @module
 */
import { ChannelBase, type ChannelOptions } from "./channel.ts";
import type { WaitOptions } from "./errors.ts";
import { encodeFrame, FrameDecoder } from "./framing.ts";

/** The byte stream under a {@link FramedChannel}; a one-way stream leaves out the other half. */
export interface ByteStream {
  /** The next bytes (any chunking), or null at end-of-stream. */
  read?(opts: WaitOptions): Promise<Uint8Array | null>;
  /** Writes all of `bytes`. */
  write?(bytes: Uint8Array, opts: WaitOptions): Promise<void>;
  /** Releases the stream. */
  close(): Promise<void>;
}

/** Reassembles messages from stream bytes. */
export interface FrameDecoding {
  push(chunk: Uint8Array): void;
  /** The next whole message, or undefined while more bytes are needed. Throws on a bad frame. */
  next(): Uint8Array | undefined;
}

/** How messages become frames and back. */
export interface FrameCodec {
  encode(message: Uint8Array): Uint8Array;
  decoder(maxMessageSize: number): FrameDecoding;
}

/** The 4-byte little-endian length prefix (core/framing.ts). */
export const lengthPrefixCodec: FrameCodec = {
  encode: encodeFrame,
  decoder: (max) => new FrameDecoder(max),
};

/** Options of a {@link FramedChannel}. */
export interface FramedChannelOptions extends ChannelOptions {
  /** Default {@link lengthPrefixCodec}. */
  codec?: FrameCodec;
}

/**
 * Messages as frames on a {@link ByteStream}.
 * @internal Not public API: a mechanism's channel class declares `implements Channel`.
 */
export class FramedChannel extends ChannelBase {
  readonly #stream: ByteStream;
  readonly #codec: FrameCodec;
  readonly #decoder: FrameDecoding;

  constructor(address: string, stream: ByteStream, opts: FramedChannelOptions = {}) {
    super(address, opts);
    this.#stream = stream;
    this.#codec = opts.codec ?? lengthPrefixCodec;
    this.#decoder = this.#codec.decoder(this.maxMessageSize);
  }

  /** The decoder in use (for codec-specific counters such as skipped noise). */
  protected get decoder(): FrameDecoding {
    return this.#decoder;
  }

  protected async sendMessage(message: Uint8Array, signal: AbortSignal): Promise<void> {
    if (!this.#stream.write) throw new TypeError(`${this.address}: this channel cannot send`);
    await this.#stream.write(this.#codec.encode(message), { signal });
  }

  protected async receiveMessage(signal: AbortSignal): Promise<Uint8Array | null> {
    if (!this.#stream.read) throw new TypeError(`${this.address}: this channel cannot receive`);
    while (true) {
      const m = this.#decoder.next();
      if (m) return m;
      const chunk = await this.#stream.read({ signal });
      if (!chunk) return null;
      this.#decoder.push(chunk);
    }
  }

  protected closeTransport(): Promise<void> {
    return this.#stream.close();
  }
}
