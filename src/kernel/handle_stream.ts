/**
 * An overlapped byte stream over a file handle (a pipe end): reads and writes through
 * {@link Overlapped}, each direction queued on its own {@link OpQueue}, so one read and one write
 * can be in flight at once and each is cancellable. It is the {@link ByteStream} under framed
 * channels on pipes (byte-mode named pipes, a child's stdio), and knows one pipe-specific thing
 * more: in a message-mode pipe a read may stop inside a message (ERROR_MORE_DATA).
 * @module
 */
import {
  ERROR_BROKEN_PIPE,
  ERROR_HANDLE_EOF,
  ERROR_MORE_DATA,
  ERROR_NO_DATA,
  ERROR_PIPE_NOT_CONNECTED,
} from "../ffi/headers/winerror.ts";
import { Win32Error } from "../ffi/error.ts";
import type { OwnedHandle } from "../ffi/handle.ts";
import { NativeMemory } from "../ffi/memory.ts";
import { ChannelClosedError, type WaitOptions } from "../core/errors.ts";
import type { ByteStream } from "../core/framed_channel.ts";
import { OpQueue } from "../core/op_queue.ts";
import { type IoResult, type NativeRange, Overlapped } from "./overlapped.ts";

/** True for the Win32 codes that mean the other end of a pipe is gone (or has closed its end). */
export function isPeerGone(code: number): boolean {
  return code === ERROR_BROKEN_PIPE || code === ERROR_PIPE_NOT_CONNECTED || code === ERROR_NO_DATA ||
    code === ERROR_HANDLE_EOF;
}

/** Options of a {@link HandleStream}. */
export interface HandleStreamOptions {
  /** What the stream is, for error messages (`pipe:orders`). */
  name: string;
  /** The native read buffer's size: the most one read returns, in bytes. Default 64 KiB. */
  readBufferSize?: number;
  /**
   * The handle is a message-mode pipe: each write is one pipe message (an empty one too) made
   * by one WriteFile. Otherwise writes loop until every byte is written, and an empty write
   * does nothing.
   */
  messageMode?: boolean;
}

/** One read: the bytes, and whether the pipe message they belong to goes on (ERROR_MORE_DATA). */
export interface HandleChunk {
  bytes: Uint8Array;
  more: boolean;
}

const DEFAULT_READ_BUFFER = 64 * 1024;

/** An overlapped byte stream over a handle it owns: read, write-all, Web streams, close. */
export class HandleStream implements ByteStream, AsyncDisposable {
  readonly name: string;
  readonly #handle: OwnedHandle;
  readonly #messageMode: boolean;
  readonly #readBufferSize: number;
  readonly #reads: OpQueue;
  readonly #writes: OpQueue;
  readonly #readOv = new Overlapped();
  readonly #writeOv = new Overlapped();
  #readBuf: NativeMemory | undefined;
  #writeBuf: NativeMemory | undefined;
  #eof = false;
  #closing: Promise<void> | undefined;
  #readable: ReadableStream<Uint8Array> | undefined;
  #writable: WritableStream<Uint8Array> | undefined;

  /** Takes ownership of `handle`, which must be open for overlapped I/O (FILE_FLAG_OVERLAPPED). */
  constructor(handle: OwnedHandle, opts: HandleStreamOptions) {
    this.name = opts.name;
    this.#handle = handle;
    this.#messageMode = opts.messageMode ?? false;
    this.#readBufferSize = opts.readBufferSize ?? DEFAULT_READ_BUFFER;
    this.#reads = new OpQueue(opts.name);
    this.#writes = new OpQueue(opts.name);
  }

  /** The raw HANDLE (owned by this stream). */
  get handle(): bigint {
    return this.#handle.value;
  }

  /** The next bytes as they arrive (any chunking), or null at end-of-stream. */
  async read(opts?: WaitOptions): Promise<Uint8Array | null> {
    return (await this.readChunk(opts))?.bytes ?? null;
  }

  /** One overlapped ReadFile, or null at end-of-stream (the other end closed). */
  readChunk(opts?: WaitOptions): Promise<HandleChunk | null> {
    return this.#reads.run(opts, async (signal) => {
      if (this.#eof) return null;
      const buf = this.#readBuf ??= new NativeMemory(this.#readBufferSize);
      const r = await this.#readOv.readFile(this.handle, { address: buf.address, length: buf.size }, {
        signal,
      });
      if (isPeerGone(r.error)) {
        this.#eof = true;
        return null;
      }
      if (r.error !== 0 && r.error !== ERROR_MORE_DATA) throw new Win32Error("ReadFile", r.error);
      return { bytes: buf.bytes.slice(0, r.bytes), more: r.error === ERROR_MORE_DATA };
    });
  }

  /**
   * Writes all of `bytes` (in message mode: as one message).
   * @throws {ChannelClosedError} the other end is gone, or a write stopped short.
   */
  write(bytes: Uint8Array, opts?: WaitOptions): Promise<void> {
    return this.#writes.run(opts, async (signal) => {
      if (bytes.byteLength === 0 && !this.#messageMode) return;
      const r = await this.#writeStaged(this.#stage(bytes), signal);
      if (isPeerGone(r.error)) throw new ChannelClosedError(`${this.name}: the other end closed the pipe`);
      if (r.error !== 0) throw new Win32Error("WriteFile", r.error);
      if (r.bytes !== bytes.byteLength) {
        throw new ChannelClosedError(`${this.name}: short write (${r.bytes} of ${bytes.byteLength} bytes)`);
      }
    });
  }

  /** Copies `bytes` into the native write buffer (grown as needed; the kernel reads it later). */
  #stage(bytes: Uint8Array): NativeRange {
    if (!this.#writeBuf || this.#writeBuf.size < bytes.byteLength) {
      this.#writeBuf?.[Symbol.dispose]();
      this.#writeBuf = new NativeMemory(Math.max(bytes.byteLength, 4096));
    }
    this.#writeBuf.bytes.set(bytes);
    return { address: this.#writeBuf.address, length: bytes.byteLength };
  }

  #writeStaged(data: NativeRange, signal: AbortSignal): Promise<IoResult> {
    // A message must not be split: one call, and a short write is an error, not a second message.
    return this.#messageMode
      ? this.#writeOv.writeFile(this.handle, data, { signal })
      : this.#writeOv.writeAll(this.handle, data, { signal });
  }

  /** The bytes as a Web stream (ends at end-of-stream; cancelling it closes the stream). */
  get readable(): ReadableStream<Uint8Array> {
    return this.#readable ??= new ReadableStream<Uint8Array>({
      pull: async (c) => {
        const chunk = await this.read();
        if (chunk) c.enqueue(chunk);
        else c.close();
      },
      cancel: () => this.close(),
    }, { highWaterMark: 0 });
  }

  /** A Web stream over {@link write}; closing or aborting it closes the stream. */
  get writable(): WritableStream<Uint8Array> {
    return this.#writable ??= new WritableStream<Uint8Array>({
      write: (chunk) => this.write(chunk),
      close: () => this.close(),
      abort: () => this.close(),
    });
  }

  /**
   * Lets queued writes finish, ends a pending read (it rejects with ChannelClosedError), then
   * closes the handle (CloseHandle: the other end still reads what was written). Runs once.
   */
  close(): Promise<void> {
    return this.#closing ??= this.#close();
  }

  async #close(): Promise<void> {
    await this.#writes.idle();
    await Promise.all([this.#reads.close(), this.#writes.close()]);
    this.#handle.close();
    this.#readOv[Symbol.dispose]();
    this.#writeOv[Symbol.dispose]();
    this.#readBuf?.[Symbol.dispose]();
    this.#writeBuf?.[Symbol.dispose]();
  }

  /** `await using`: {@link close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
