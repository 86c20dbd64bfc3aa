/**
 * A named pipe as raw bytes, without winipc's framing: the face for pipe peers that are not
 * winipc (Node's `net` on `\\.\pipe\NAME`, an HTTP-over-pipe server, a C program). Get one from
 * `NamedPipeServer.acceptStream()` or `connectNamedPipeStream()` (named_pipe.ts).
 * @module
 */
import type { OwnedHandle } from "../../ffi/handle.ts";
import { HandleStream } from "../../kernel/handle_stream.ts";
import type { WaitOptions } from "../../core/errors.ts";
import type { PipeMode } from "./named_pipe.ts";

/** How a {@link NamedPipeStream} wraps a connected pipe handle. */
export interface NamedPipeStreamOptions {
  /** The stream's address, for messages and errors (`pipe:NAME`). */
  address: string;
  /** The pipe's type, as its server created it. */
  mode: PipeMode;
  /** Read buffer size: the most one read returns, in bytes. Default 64 KiB. */
  bufferSize?: number;
}

/**
 * One connected pipe instance (either end) as raw bytes: `read()` returns bytes as they arrive
 * (any chunking), `write()` writes all of them, nothing is added or removed. Reads and writes
 * each queue (one at a time per direction) and may run together; all I/O is overlapped.
 *
 * On a byte-mode pipe ({@link NamedPipeStream.mode} `byte`) this is a plain byte stream. On a
 * message-mode pipe each `write()` is one pipe message (an empty one too) and reads return the
 * bytes without their boundaries.
 *
 * @example Talk to a server that is not winipc (Node's net server on \\.\pipe\orders)
 * ```ts
 * import { connectNamedPipeStream } from "@winipc/winipc/pipe";
 *
 * await using stream = await connectNamedPipeStream("orders", { timeout: 5_000 });
 * await stream.write(new TextEncoder().encode("hello"));
 * const reply = await stream.read({ timeout: 5_000 }); // bytes, or null at end-of-stream
 * ```
 */
export class NamedPipeStream implements AsyncDisposable {
  /** The stream's address (`pipe:NAME`). */
  readonly address: string;
  /** The pipe's type, as its server created it. */
  readonly mode: PipeMode;
  readonly #stream: HandleStream;

  /**
   * Wraps a connected pipe handle opened for overlapped I/O; the stream owns it. Streams usually
   * come from `NamedPipeServer.acceptStream` or `connectNamedPipeStream`.
   */
  constructor(handle: OwnedHandle, opts: NamedPipeStreamOptions) {
    this.address = opts.address;
    this.mode = opts.mode;
    this.#stream = new HandleStream(handle, {
      name: opts.address,
      readBufferSize: opts.bufferSize,
      messageMode: opts.mode === "message",
    });
  }

  /** The raw pipe HANDLE (owned by this stream). */
  get handle(): bigint {
    return this.#stream.handle;
  }

  /**
   * The next bytes as they arrive (any chunking), or null once the other end has closed.
   * @throws {ChannelClosedError} the stream is closed.
   * @throws {TimeoutError} `opts.timeout` passed first (nothing is lost: later reads go on).
   */
  read(opts?: WaitOptions): Promise<Uint8Array | null> {
    return this.#stream.read(opts);
  }

  /**
   * Writes all of `bytes`; resolves once the system has taken them.
   * @throws {ChannelClosedError} the other end is gone, or the stream is closed.
   * @throws {TimeoutError} `opts.timeout` passed first.
   */
  write(bytes: Uint8Array, opts?: WaitOptions): Promise<void> {
    return this.#stream.write(bytes, opts);
  }

  /** The bytes as a Web stream (ends when the other end closes; cancelling it closes the pipe). */
  get readable(): ReadableStream<Uint8Array> {
    return this.#stream.readable;
  }

  /** A Web stream over {@link NamedPipeStream.write}; closing it closes the pipe. */
  get writable(): WritableStream<Uint8Array> {
    return this.#stream.writable;
  }

  /**
   * Lets queued writes finish, ends a pending read (ChannelClosedError) and closes the handle;
   * the other end still reads what was written. Idempotent.
   */
  close(): Promise<void> {
    return this.#stream.close();
  }

  /** `await using`: {@link NamedPipeStream.close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
