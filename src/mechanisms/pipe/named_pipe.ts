/**
 * Named pipes: `\\.\pipe\NAME`. A {@link NamedPipeServer} keeps one listening instance ready and
 * hands out one channel per client (one pipe instance each); {@link connectNamedPipe} opens the
 * client end, waiting with WaitNamedPipeW while every instance is busy. All I/O is overlapped.
 *
 * Modes: `message` (default) maps one channel message to one pipe message; messages larger than
 * the pipe buffer are reassembled from ERROR_MORE_DATA reads. `byte` uses length-prefixed frames
 * on a byte stream. The client follows the server's mode (GetNamedPipeInfo), or, if it names a
 * mode, fails with ProtocolError when the server's differs. {@link NamedPipeServer.acceptStream}
 * and {@link connectNamedPipeStream} give the raw bytes instead ({@link NamedPipeStream}), for
 * peers that are not winipc.
 *
 * `maxInstances`: the client that takes the last instance is accepted like any other. When an
 * accepted channel or stream closes, the next listening instance is made at once; an accept at
 * the limit waits for that (clients wait in WaitNamedPipeW meanwhile).
 *
 * Secure by default: FILE_FLAG_FIRST_PIPE_INSTANCE (a second server on the same name fails with
 * AddressInUseError instead of silently sharing it), PIPE_REJECT_REMOTE_CLIENTS, and an
 * owner-only security descriptor (pass `sddl` to choose another).
 * @module
 */
import { kernel32 } from "../../ffi/kernel32.ts";
import {
  FILE_FLAG_FIRST_PIPE_INSTANCE,
  FILE_FLAG_OVERLAPPED,
  NMPWAIT_NOWAIT,
  OPEN_EXISTING,
  PIPE_ACCESS_DUPLEX,
  PIPE_READMODE_BYTE,
  PIPE_READMODE_MESSAGE,
  PIPE_REJECT_REMOTE_CLIENTS,
  PIPE_TYPE_BYTE,
  PIPE_TYPE_MESSAGE,
  PIPE_UNLIMITED_INSTANCES,
  PIPE_WAIT,
  SECURITY_IDENTIFICATION,
  SECURITY_SQOS_PRESENT,
} from "../../ffi/headers/winbase.ts";
import {
  ERROR_ACCESS_DENIED,
  ERROR_FILE_NOT_FOUND,
  ERROR_INVALID_NAME,
  ERROR_NO_DATA,
  ERROR_PIPE_BUSY,
  ERROR_PIPE_CONNECTED,
  ERROR_SEM_TIMEOUT,
} from "../../ffi/headers/winerror.ts";
import { GENERIC_READ, GENERIC_WRITE } from "../../ffi/headers/winnt.ts";
import { Win32Error } from "../../ffi/error.ts";
import { attempt, attemptRepeatable, check } from "../../ffi/check.ts";
import { isInvalidHandle, OwnedHandle } from "../../ffi/handle.ts";
import { checkIo, Overlapped } from "../../kernel/overlapped.ts";
import { HandleStream } from "../../kernel/handle_stream.ts";
import { ownerOnlySddl, SecurityAttributes } from "../../kernel/security.ts";
import { wstr } from "../../ffi/wstr.ts";
import {
  AddressError,
  AddressInUseError,
  ChannelClosedError,
  MessageTooLargeError,
  NotFoundError,
  ProtocolError,
  TimeoutError,
  type WaitOptions,
} from "../../core/errors.ts";
import {
  type Channel,
  type ChannelOptions,
  DEFAULT_MAX_MESSAGE_SIZE,
  type Listener,
  ListenerBase,
} from "../../core/channel.ts";
import {
  type ByteStream,
  type FrameCodec,
  FramedChannel,
  lengthPrefixCodec,
} from "../../core/framed_channel.ts";
import { callScope, raceAbort, sleep } from "../../core/op_queue.ts";
import { boolOption, enumOption, intOption, textOption } from "../../core/address.ts";
import { defineScheme, type Scheme } from "../../core/scheme.ts";
import { NamedPipeStream } from "./named_pipe_stream.ts";

const k = kernel32.sync;

/** `message`: pipe messages carry channel messages. `byte`: a byte stream with framing. */
export type PipeMode = "message" | "byte";

/** Options for {@link NamedPipeServer.listen}. */
export interface NamedPipeServerOptions extends ChannelOptions {
  /** Default `message`. */
  mode?: PipeMode;
  /** In and out buffer size the system is asked for, in bytes. Default 64 KiB. */
  bufferSize?: number;
  /** Concurrent instances (clients), 1 to 254, or 255 for unlimited (default). */
  maxInstances?: number;
  /** Security descriptor in SDDL. Default: owner-only (the current user and SYSTEM). */
  sddl?: string;
  /** Fail if another server already serves this name. Default true. */
  firstInstance?: boolean;
  /** Refuse clients on other machines. Default true. */
  rejectRemoteClients?: boolean;
}

/** Options for {@link connectNamedPipe}. */
export interface NamedPipeConnectOptions extends ChannelOptions, WaitOptions {
  /**
   * Keep retrying while the pipe does not exist yet (a server still starting), until the
   * timeout. Default false: a missing pipe fails at once with NotFoundError.
   */
  waitForServer?: boolean;
  /** Read buffer size in bytes. Default 64 KiB. */
  bufferSize?: number;
  /**
   * The mode the client expects. Default: whatever the server's pipe is. When given and the
   * server's differs, the connection fails with ProtocolError (a byte-mode frame read as a
   * message, or the reverse, would be garbage).
   */
  mode?: PipeMode;
}

/** Default connect timeout when none is given, in ms. */
export const DEFAULT_CONNECT_TIMEOUT = 10_000;
const DEFAULT_BUFFER_SIZE = 64 * 1024;
const MAX_PIPE_PATH = 256;

/**
 * The full path `\\.\pipe\NAME` for a pipe name (or a full path, checked). A name may be nested,
 * `lrpc\epmapper` (Wine's local RPC pipes are). An empty part (a leading, trailing or doubled
 * backslash) is refused as a mistake.
 * @throws {AddressError} the name is empty, has an empty part, or makes a path over 256 characters.
 */
export function pipePath(name: string): string {
  const full = /^\\\\[^\\]+\\pipe\\(.+)$/i.exec(name);
  const bare = full ? full[1] : name;
  if (bare.length === 0 || bare.split("\\").some((part) => part.length === 0)) {
    throw new AddressError(
      `bad pipe name '${name}': it must be non-empty, with no empty part between backslashes`,
    );
  }
  const path = full ? name : `\\\\.\\pipe\\${name}`;
  if (path.length > MAX_PIPE_PATH) {
    throw new AddressError(
      `bad pipe name '${name}': the full path is limited to ${MAX_PIPE_PATH} characters`,
    );
  }
  return path;
}

/** How a {@link NamedPipeChannel} wraps a connected pipe handle. */
export interface NamedPipeChannelOptions extends ChannelOptions {
  /** The channel's address, for messages and errors (`pipe:NAME`). */
  address: string;
  /** The pipe's mode; the handle must read in it (PIPE_READMODE_MESSAGE or _BYTE). */
  mode: PipeMode;
  /** Read buffer size in bytes. Default 64 KiB. */
  bufferSize?: number;
}

/**
 * A message-mode pipe as a byte stream whose reads are whole pipe messages: pieces ending in
 * ERROR_MORE_DATA are joined, bounded by the channel's limit. Pieces read before an aborted
 * read are kept for the next one, not lost. A message over the limit is read through to its end
 * without being kept, then refused with its whole size; the next message follows.
 */
class PipeMessageStream implements ByteStream {
  #parts: Uint8Array[] = [];
  #size = 0;

  readonly stream: HandleStream;
  readonly limit: number;
  constructor(stream: HandleStream, limit: number) {
    this.stream = stream;
    this.limit = limit;
  }

  async read(opts: WaitOptions): Promise<Uint8Array | null> {
    while (true) {
      const chunk = await this.stream.readChunk(opts);
      if (!chunk) return null;
      this.#size += chunk.bytes.byteLength;
      if (this.#size > this.limit) this.#parts = []; // over the limit: nothing more is kept
      else this.#parts.push(chunk.bytes);
      if (chunk.more) continue;
      if (this.#size > this.limit) {
        const size = this.#size;
        this.#size = 0;
        throw new MessageTooLargeError(size, this.limit);
      }
      return this.#take();
    }
  }

  #take(): Uint8Array {
    const parts = this.#parts;
    const out = parts.length === 1 ? parts[0] : new Uint8Array(this.#size);
    if (parts.length !== 1) {
      let at = 0;
      for (const p of parts) {
        out.set(p, at);
        at += p.byteLength;
      }
    }
    this.#parts = [];
    this.#size = 0;
    return out;
  }

  write(bytes: Uint8Array, opts: WaitOptions): Promise<void> {
    return this.stream.write(bytes, opts);
  }

  close(): Promise<void> {
    return this.stream.close();
  }
}

/** The pipe's own framing: each read of a {@link PipeMessageStream} is one whole message. */
const pipeMessages: FrameCodec = {
  encode: (message) => message,
  decoder: () => {
    const queue: Uint8Array[] = [];
    return { push: (chunk) => queue.push(chunk), next: () => queue.shift() };
  },
};

/**
 * One connected pipe instance (either end) as a message channel: a framed channel over the
 * pipe handle, with the pipe's own message framing in message mode and length-prefixed frames
 * in byte mode.
 */
export class NamedPipeChannel extends FramedChannel implements Channel {
  /** The pipe's mode (a client follows its server's). */
  readonly mode: PipeMode;
  readonly #stream: HandleStream;
  #fatal: Error | undefined;

  /**
   * Wraps a connected pipe handle opened for overlapped I/O; the channel owns it. Channels
   * usually come from {@link NamedPipeServer.accept} or {@link connectNamedPipe}.
   */
  constructor(handle: OwnedHandle, opts: NamedPipeChannelOptions) {
    const message = opts.mode === "message";
    const stream = new HandleStream(handle, {
      name: opts.address,
      readBufferSize: opts.bufferSize,
      messageMode: message,
    });
    super(opts.address, message ? new PipeMessageStream(stream, maxMessageSize(opts)) : stream, {
      maxMessageSize: opts.maxMessageSize,
      codec: message ? pipeMessages : lengthPrefixCodec,
    });
    this.mode = opts.mode;
    this.#stream = stream;
  }

  /** The raw pipe HANDLE (owned by this channel). */
  get handle(): bigint {
    return this.#stream.handle;
  }

  /** Sends one message; in byte mode a failed send ends the channel (it may have cut a frame). */
  protected override async sendMessage(message: Uint8Array, signal: AbortSignal): Promise<void> {
    if (this.#fatal) throw this.#fatal;
    try {
      await super.sendMessage(message, signal);
    } catch (e) {
      // A byte stream cut inside a frame cannot be resynchronised: end the channel.
      if (this.mode === "byte") {
        this.#fatal ??= new ChannelClosedError(`${this.address}: a send failed mid-frame`, { cause: e });
      }
      throw e;
    }
  }
}

function maxMessageSize(opts: ChannelOptions): number {
  return opts.maxMessageSize ?? DEFAULT_MAX_MESSAGE_SIZE;
}

/**
 * A server's pipe instance handles: how many are open, and a wake-up for an accept that waits for
 * one to close. Every close of one (an accepted channel or stream closing, or the safety net
 * collecting one) calls `closed()`, which also tells the server (`onClosed`).
 */
class InstanceCount {
  open = 0;
  #freed = Promise.withResolvers<void>();

  readonly onClosed: () => void;
  constructor(onClosed: () => void) {
    this.onClosed = onClosed;
  }

  /** Resolves at the next close; take it before CreateNamedPipeW, so no close is missed. */
  next(): Promise<void> {
    return this.#freed.promise;
  }

  closed(): void {
    this.open--;
    this.#freed.resolve();
    this.#freed = Promise.withResolvers();
    this.onClosed();
  }
}

/** Longest pause between instance retries while a closed instance lingers (see `#listening`). */
const MAX_INSTANCE_RETRY_MS = 1000;

/**
 * A named pipe server: keeps one listening instance ready and accepts clients, one
 * {@link NamedPipeChannel} each ({@link NamedPipeServer.accept}, or iterate the server) or one
 * raw {@link NamedPipeStream} each ({@link NamedPipeServer.acceptStream}); it keeps accepting
 * after clients disconnect. At `maxInstances`, an accept waits for an instance to be freed.
 *
 * @example Echo every message back
 * ```ts
 * import { NamedPipeServer } from "@winipc/winipc/pipe";
 *
 * await using server = NamedPipeServer.listen("orders");
 * for await (const channel of server) {
 *   for await (const message of channel) await channel.send(message);
 * }
 * ```
 */
export class NamedPipeServer extends ListenerBase<NamedPipeChannel> implements Listener<NamedPipeChannel> {
  /** The full pipe path, `\\.\pipe\NAME`. */
  readonly path: string;
  /** The mode of every instance (clients follow it). */
  readonly mode: PipeMode;
  readonly #opts: NamedPipeServerOptions;
  readonly #security: SecurityAttributes;
  readonly #connectOv = new Overlapped();
  readonly #instances: InstanceCount;
  #next: OwnedHandle | undefined;

  private constructor(name: string, opts: NamedPipeServerOptions) {
    const path = pipePath(name);
    super(`pipe:${name}`);
    this.path = path;
    this.mode = opts.mode ?? "message";
    checkServerOptions(this.mode, opts);
    this.#opts = opts;
    this.#security = new SecurityAttributes(opts.sddl ?? ownerOnlySddl());
    const server = new WeakRef(this); // instance handles must not keep a dropped server alive
    this.#instances = new InstanceCount(() => {
      const live = server.deref();
      if (live) live.#refill();
    });
    try {
      const first = opts.firstInstance ?? true;
      this.#next = this.#tryCreate(first);
      if (!this.#next) throw this.#createError(ERROR_PIPE_BUSY, first);
    } catch (e) {
      this.#security[Symbol.dispose]();
      this.#connectOv[Symbol.dispose]();
      throw e;
    }
  }

  /**
   * Starts serving `\\.\pipe\NAME` (a name, or a full `\\.\pipe\` path).
   *
   * @example A server and a client in one process
   * ```ts
   * import { connectNamedPipe, NamedPipeServer } from "@winipc/winipc/pipe";
   *
   * await using server = NamedPipeServer.listen("orders", { mode: "byte" });
   * await using client = await connectNamedPipe("orders");
   * await using channel = await server.accept({ timeout: 5_000 });
   * await client.send(new TextEncoder().encode("hello"));
   * console.log(new TextDecoder().decode(await channel.receive({ timeout: 5_000 })));
   * ```
   * @throws {AddressInUseError} another server already serves the name.
   * @throws {AddressError} the name is not a valid pipe name.
   * @throws {RangeError} `mode`, `maxInstances` or `bufferSize` is out of range.
   * @throws {Win32Error} the system refused otherwise (a malformed `sddl`, ...).
   */
  static listen(name: string, opts: NamedPipeServerOptions = {}): NamedPipeServer {
    return new NamedPipeServer(name, opts);
  }

  /** A new instance, or undefined at the instance limit (ERROR_PIPE_BUSY) unless `first`. */
  #tryCreate(first: boolean): OwnedHandle | undefined {
    if (first && this.#served()) {
      throw new AddressInUseError(`${this.path} is already served by another server`);
    }
    const r = attempt(() => this.#createNamedPipe(first), isInvalidHandle);
    if (!isInvalidHandle(r.value)) return this.#own(r.value);
    if (r.error === ERROR_PIPE_BUSY && !first) return undefined;
    throw this.#createError(r.error, first);
  }

  /** Owns an instance handle; its close (by anyone, once) is counted and wakes a waiting accept. */
  #own(value: bigint): OwnedHandle {
    const instances = this.#instances; // not `this`: the safety net must not keep the server alive
    instances.open++;
    return new OwnedHandle(value, (v) => {
      k.CloseHandle(v);
      instances.closed();
    });
  }

  #createNamedPipe(first: boolean): bigint {
    const o = this.#opts;
    const typeBits = this.mode === "message"
      ? PIPE_TYPE_MESSAGE | PIPE_READMODE_MESSAGE
      : PIPE_TYPE_BYTE | PIPE_READMODE_BYTE;
    const size = o.bufferSize ?? DEFAULT_BUFFER_SIZE;
    return k.CreateNamedPipeW(
      wstr(this.path),
      PIPE_ACCESS_DUPLEX | FILE_FLAG_OVERLAPPED | (first ? FILE_FLAG_FIRST_PIPE_INSTANCE : 0),
      typeBits | PIPE_WAIT | ((o.rejectRemoteClients ?? true) ? PIPE_REJECT_REMOTE_CLIENTS : 0),
      o.maxInstances ?? PIPE_UNLIMITED_INSTANCES,
      size,
      size,
      0,
      this.#security.bytes,
    );
  }

  #createError(code: number, first: boolean): Error {
    const cause = new Win32Error("CreateNamedPipeW", code);
    if ((code === ERROR_ACCESS_DENIED || code === ERROR_PIPE_BUSY) && first) {
      return new AddressInUseError(`${this.path} is already served by another server`, { cause });
    }
    if (code === ERROR_PIPE_BUSY) {
      return new AddressInUseError(`${this.path}: every instance is in use by another server`, { cause });
    }
    if (code === ERROR_INVALID_NAME) return new AddressError(`bad pipe name ${this.path}`, { cause });
    return cause;
  }

  /**
   * Whether some server already has this name. FILE_FLAG_FIRST_PIPE_INSTANCE is the real guard on
   * Windows; Wine 10 ignores that flag, so a WaitNamedPipeW probe (no wait, no connection made)
   * catches the same mistake there too.
   */
  #served(): boolean {
    const r = attempt(() => k.WaitNamedPipeW(wstr(this.path), NMPWAIT_NOWAIT), (ok) => !ok);
    return r.value !== 0 || r.error === ERROR_SEM_TIMEOUT || r.error === ERROR_PIPE_BUSY;
  }

  /**
   * The next client as a raw byte stream (no framing: for peers that are not winipc). Accepts of
   * both kinds queue together.
   *
   * @example Serve a client that is not winipc (Node's net.connect on \\.\pipe\orders)
   * ```ts
   * import { NamedPipeServer } from "@winipc/winipc/pipe";
   *
   * await using server = NamedPipeServer.listen("orders", { mode: "byte" });
   * await using stream = await server.acceptStream({ timeout: 5_000 });
   * for await (const bytes of stream.readable) await stream.write(bytes); // echo
   * ```
   * @throws {ChannelClosedError} the server was closed.
   * @throws {TimeoutError} no client came within `timeout`.
   */
  acceptStream(opts?: WaitOptions): Promise<NamedPipeStream> {
    return this.runAccept(opts, async (signal) => {
      const handle = await this.#acceptHandle(signal);
      return new NamedPipeStream(handle, {
        address: this.address,
        mode: this.mode,
        bufferSize: this.#opts.bufferSize,
      });
    });
  }

  /** Waits for the next client and returns its channel (what `accept()` and iteration give). */
  protected async acceptChannel(signal: AbortSignal): Promise<NamedPipeChannel> {
    const handle = await this.#acceptHandle(signal);
    const o = this.#opts;
    try {
      const opts = { address: this.address, mode: this.mode, bufferSize: o.bufferSize };
      return new NamedPipeChannel(handle, { ...opts, maxMessageSize: o.maxMessageSize });
    } catch (e) {
      handle.close();
      throw e;
    }
  }

  /** The next client's connected instance; the next listening one is made if the limit allows. */
  async #acceptHandle(signal: AbortSignal): Promise<OwnedHandle> {
    while (true) {
      const listening = this.#next ?? await this.#listening(signal);
      const h = listening.value;
      const r = await this.#connectOv.run(h, (ov) => k.ConnectNamedPipe(h, ov), { signal });
      if (r.error === ERROR_NO_DATA) {
        k.DisconnectNamedPipe(h); // the client came and went before the accept: recycle the instance
        continue;
      }
      checkIo("ConnectNamedPipe", r, ERROR_PIPE_CONNECTED);
      this.#next = undefined;
      this.#readyNext();
      return listening;
    }
  }

  /**
   * The listening instance, made now or, at the instance limit, once one is freed. With all
   * `maxInstances` of this server's handles open, it waits for one of them to close (no CPU).
   * With fewer open and still ERROR_PIPE_BUSY, instances it cannot see hold the places: Windows
   * deletes an instance only when its last handle closes (CreateNamedPipe, Remarks), so one this
   * server closed lingers until its client closes its end, and another server may share the name
   * (`firstInstance: false`). Nothing signals those, so then it retries with backoff (50 ms to 1 s).
   */
  async #listening(signal: AbortSignal): Promise<OwnedHandle> {
    const max = this.#opts.maxInstances ?? PIPE_UNLIMITED_INSTANCES;
    let backoff = 50;
    while (true) {
      const freed = this.#instances.next();
      this.#next ??= this.#tryCreate(false);
      if (this.#next) return this.#next;
      const unseen = this.#instances.open < max;
      await raceAbort(unseen ? Promise.race([freed, sleep(backoff, signal)]) : freed, signal);
      if (unseen) backoff = Math.min(2 * backoff, MAX_INSTANCE_RETRY_MS);
    }
  }

  /** An instance handle closed: make the next listening instance now, so a client finds one. */
  #refill(): void {
    if (!this.closed && !this.#next) this.#readyNext();
  }

  /**
   * Makes the next listening instance now, so a client arriving between accepts finds one. At
   * the limit, or on any failure, the next accept makes it (and reports why it cannot).
   */
  #readyNext(): void {
    try {
      this.#next = this.#tryCreate(false);
    } catch {
      // This client is served either way; the next accept tries again and throws the error.
    }
  }

  /** Removes the listening instance. Accepted channels stay open. */
  protected closeListener(): void {
    this.#next?.close();
    this.#next = undefined;
    this.#connectOv[Symbol.dispose]();
    this.#security[Symbol.dispose]();
  }
}

function checkMode(mode: PipeMode): void {
  if (mode !== "message" && mode !== "byte") throw new TypeError(`bad pipe mode '${mode}'`);
}

function checkServerOptions(mode: PipeMode, opts: NamedPipeServerOptions): void {
  checkMode(mode);
  const max = opts.maxInstances ?? PIPE_UNLIMITED_INSTANCES;
  if (!Number.isInteger(max) || max < 1 || max > PIPE_UNLIMITED_INSTANCES) {
    throw new RangeError(`maxInstances must be 1 to 255, got ${max}`);
  }
  const size = opts.bufferSize ?? DEFAULT_BUFFER_SIZE;
  if (!Number.isInteger(size) || size < 1 || size > 0x7fffffff) {
    throw new RangeError(`bad bufferSize ${size}`);
  }
}

/**
 * Connects to the server at `\\.\pipe\NAME`. While every instance is busy it waits
 * (WaitNamedPipeW) and retries, within `timeout` (default 10 s); an instance that vanishes
 * between the wait and the open is retried too. The channel takes the server's mode (or, with
 * `mode`, insists on one).
 *
 * @example
 * ```ts
 * import { connectNamedPipe } from "@winipc/winipc/pipe";
 *
 * await using channel = await connectNamedPipe("orders", { timeout: 5_000 });
 * await channel.send(new TextEncoder().encode("hello"));
 * const reply = await channel.receive({ timeout: 5_000 });
 * ```
 * @throws {NotFoundError} no server has the name (unless `waitForServer` is set).
 * @throws {TimeoutError} no instance became free (or no server came) within `timeout`.
 * @throws {ProtocolError} `mode` was given and the server's pipe is in the other mode.
 * @throws {AddressError} the name is not a valid pipe name.
 */
export async function connectNamedPipe(
  name: string,
  opts: NamedPipeConnectOptions = {},
): Promise<NamedPipeChannel> {
  const { handle, mode } = await openClientEnd(name, opts, true);
  try {
    const channel = { address: `pipe:${name}`, mode, bufferSize: opts.bufferSize };
    return new NamedPipeChannel(handle, { ...channel, maxMessageSize: opts.maxMessageSize });
  } catch (e) {
    handle.close();
    throw e;
  }
}

/**
 * Connects to the server at `\\.\pipe\NAME` like {@link connectNamedPipe}, as a raw byte stream
 * (no framing: for servers that are not winipc, such as Node's `net` on a pipe). On a
 * message-mode pipe it reads in byte mode (no boundaries) and each write is one message.
 *
 * @example
 * ```ts
 * import { connectNamedPipeStream } from "@winipc/winipc/pipe";
 *
 * await using stream = await connectNamedPipeStream("orders", { timeout: 5_000 });
 * await stream.write(new TextEncoder().encode("hello"));
 * const reply = await stream.read({ timeout: 5_000 });
 * ```
 * @throws {NotFoundError} no server has the name (unless `waitForServer` is set).
 * @throws {TimeoutError} no instance became free (or no server came) within `timeout`.
 * @throws {ProtocolError} `mode` was given and the server's pipe is in the other mode.
 * @throws {AddressError} the name is not a valid pipe name.
 */
export async function connectNamedPipeStream(
  name: string,
  opts: NamedPipeConnectOptions = {},
): Promise<NamedPipeStream> {
  const { handle, mode } = await openClientEnd(name, opts, false);
  return new NamedPipeStream(handle, { address: `pipe:${name}`, mode, bufferSize: opts.bufferSize });
}

/** Opens the client end within the timeout; its mode is the server's (checked against `opts.mode`). */
async function openClientEnd(
  name: string,
  opts: NamedPipeConnectOptions,
  messageReads: boolean,
): Promise<{ handle: OwnedHandle; mode: PipeMode }> {
  const path = pipePath(name);
  if (opts.mode !== undefined) checkMode(opts.mode);
  const timeout = opts.timeout ?? DEFAULT_CONNECT_TIMEOUT;
  const scope = callScope(new AbortController().signal, { signal: opts.signal, timeout });
  try {
    const retry = { waitForServer: opts.waitForServer ?? false, deadline: Date.now() + timeout };
    const handle = await openPipe(path, { ...retry, signal: scope.signal });
    try {
      return { handle, mode: clientMode(handle, `pipe:${name}`, opts.mode, messageReads) };
    } catch (e) {
      handle.close();
      throw e;
    }
  } catch (e) {
    if (e instanceof TimeoutError) {
      throw new TimeoutError(`connecting to ${path} timed out after ${timeout} ms`);
    }
    throw e;
  } finally {
    scope.done();
  }
}

/** How {@link openPipe} retries. */
interface OpenRetry {
  waitForServer: boolean;
  deadline: number;
  signal: AbortSignal;
}

/** Opens the client end, retrying while every instance is busy (or, if asked, the pipe is missing). */
async function openPipe(path: string, retry: OpenRetry): Promise<OwnedHandle> {
  const wpath = wstr(path);
  let sawServer = false;
  while (true) {
    retry.signal.throwIfAborted();
    const r = attemptRepeatable(() => createFile(wpath), isInvalidHandle);
    if (!isInvalidHandle(r.value)) return new OwnedHandle(r.value);
    const left = Math.max(1, retry.deadline - Date.now());
    if (r.error === ERROR_FILE_NOT_FOUND) {
      if (!sawServer && !retry.waitForServer) {
        throw new NotFoundError(`no server at ${path}`, { cause: new Win32Error("CreateFileW", r.error) });
      }
      await sleep(Math.min(20, left), retry.signal); // the server is between instances, or starting
    } else if (r.error === ERROR_PIPE_BUSY) {
      sawServer = true;
      await raceAbort(kernel32.async.WaitNamedPipeW(wpath, Math.min(250, left)), retry.signal);
    } else {
      throw new Win32Error("CreateFileW", r.error);
    }
  }
}

function createFile(wpath: Uint16Array): bigint {
  return k.CreateFileW(
    wpath,
    (GENERIC_READ | GENERIC_WRITE) >>> 0,
    0,
    0n,
    OPEN_EXISTING,
    FILE_FLAG_OVERLAPPED | SECURITY_SQOS_PRESENT | SECURITY_IDENTIFICATION,
    0n,
  );
}

/**
 * The server's mode (GetNamedPipeInfo); a client that asked for the other one gets a
 * ProtocolError rather than silently the server's. With `messageReads`, a message pipe is set to
 * read whole messages (a client end starts in byte read mode).
 */
function clientMode(
  handle: OwnedHandle,
  address: string,
  want: PipeMode | undefined,
  messageReads: boolean,
): PipeMode {
  const h = handle.value;
  const flags = new Uint32Array(1);
  check("GetNamedPipeInfo", () => k.GetNamedPipeInfo(h, flags, null, null, null));
  const mode: PipeMode = flags[0] & PIPE_TYPE_MESSAGE ? "message" : "byte";
  if (want !== undefined && want !== mode) {
    throw new ProtocolError(
      `${address}: the server's pipe is in ${mode} mode, but mode '${want}' was asked for`,
    );
  }
  if (mode === "message" && messageReads) {
    const readMode = new Uint32Array([PIPE_READMODE_MESSAGE]);
    check("SetNamedPipeHandleState", () => k.SetNamedPipeHandleState(h, readMode, 0n, 0n));
  }
  return mode;
}

const modeOption = enumOption(["message", "byte"] as const);

/** The `pipe:` scheme of `connect` and `listen`, with the options each knows. */
export const pipeScheme: Scheme = defineScheme({
  connectOptions: {
    mode: modeOption,
    maxMessageSize: intOption(0, 0xffffffff),
    bufferSize: intOption(1, 0x7fffffff),
    waitForServer: boolOption,
    timeout: intOption(0, 0x7fffffff),
  },
  connect: (a, o, wait) => connectNamedPipe(a.path, { ...o, ...wait, timeout: wait.timeout ?? o.timeout }),
  listenOptions: {
    mode: modeOption,
    bufferSize: intOption(1, 0x7fffffff),
    maxInstances: intOption(1, 255),
    maxMessageSize: intOption(0, 0xffffffff),
    firstInstance: boolOption,
    rejectRemoteClients: boolOption,
    sddl: textOption,
  },
  listen: (a, o) => Promise.resolve(NamedPipeServer.listen(a.path, o)),
});
