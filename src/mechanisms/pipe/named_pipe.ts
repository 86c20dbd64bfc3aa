/**
 * Named pipes: `\\.\pipe\NAME`. A {@link NamedPipeServer} keeps one listening instance ready and
 * hands out one channel per client (one pipe instance each); {@link connectNamedPipe} opens the
 * client end, waiting with WaitNamedPipeW while every instance is busy. All I/O is overlapped.
 *
 * Modes: `message` (default) maps one channel message to one pipe message; messages larger than
 * the pipe buffer are reassembled from ERROR_MORE_DATA reads. `byte` uses length-prefixed frames
 * on a byte stream. The client follows the server's mode (GetNamedPipeInfo).
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
import { attempt, check } from "../../ffi/check.ts";
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
import { type Address, boolParam, enumParam, intParam } from "../../core/address.ts";
import type { Scheme } from "../../core/scheme.ts";

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
}

/** Default connect timeout when none is given, in ms. */
export const DEFAULT_CONNECT_TIMEOUT = 10_000;
const DEFAULT_BUFFER_SIZE = 64 * 1024;
const MAX_PIPE_PATH = 256;

/** The full path `\\.\pipe\NAME` for a pipe name (or a full path, checked). */
export function pipePath(name: string): string {
  const full = /^\\\\[^\\]+\\pipe\\(.+)$/i.exec(name);
  const bare = full ? full[1] : name;
  if (bare.length === 0 || bare.includes("\\")) {
    throw new AddressError(`bad pipe name '${name}': it must be non-empty and contain no backslash`);
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
 * read are kept for the next one, not lost.
 */
class PipeMessageStream implements ByteStream {
  #parts: Uint8Array[] = [];
  #size = 0;

  constructor(readonly stream: HandleStream, readonly limit: number) {}

  async read(opts: WaitOptions): Promise<Uint8Array | null> {
    while (true) {
      const chunk = await this.stream.readChunk(opts);
      if (!chunk) return null;
      this.#size += chunk.bytes.byteLength;
      if (this.#size > this.limit) throw new MessageTooLargeError(this.#size, this.limit);
      this.#parts.push(chunk.bytes);
      if (!chunk.more) return this.#take();
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

  /** Receives one message; an oversized one ends the channel (its rest cannot be skipped). */
  protected override async receiveMessage(signal: AbortSignal): Promise<Uint8Array | null> {
    if (this.#fatal) throw this.#fatal;
    try {
      return await super.receiveMessage(signal);
    } catch (e) {
      if (e instanceof MessageTooLargeError) this.#fatal = e;
      throw e;
    }
  }
}

function maxMessageSize(opts: ChannelOptions): number {
  return opts.maxMessageSize ?? DEFAULT_MAX_MESSAGE_SIZE;
}

/**
 * A named pipe server: keeps one listening instance ready and accepts clients, one
 * {@link NamedPipeChannel} each; it keeps accepting after clients disconnect.
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
  #next: OwnedHandle | undefined;

  private constructor(name: string, opts: NamedPipeServerOptions) {
    const path = pipePath(name);
    super(`pipe:${name}`);
    this.path = path;
    this.mode = opts.mode ?? "message";
    checkServerOptions(this.mode, opts);
    this.#opts = opts;
    this.#security = new SecurityAttributes(opts.sddl ?? ownerOnlySddl());
    try {
      this.#next = this.#createInstance(opts.firstInstance ?? true);
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

  #createInstance(first: boolean): OwnedHandle {
    if (first && this.#served()) {
      throw new AddressInUseError(`${this.path} is already served by another server`);
    }
    const r = attempt(() => this.#createNamedPipe(first), isInvalidHandle);
    if (isInvalidHandle(r.value)) throw this.#createError(r.error, first);
    return new OwnedHandle(r.value);
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
    if (code === ERROR_ACCESS_DENIED && first) {
      return new AddressInUseError(`${this.path} is already served by another server`, { cause });
    }
    if (code === ERROR_PIPE_BUSY) {
      return new AddressInUseError(`${this.path}: all ${this.#opts.maxInstances} instances are in use`, {
        cause,
      });
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

  /** Waits for the next client and returns its channel. A new instance is ready before it returns. */
  protected async acceptChannel(signal: AbortSignal): Promise<NamedPipeChannel> {
    while (true) {
      const listening = this.#next ??= this.#createInstance(false);
      const h = listening.value;
      const r = await this.#connectOv.run(h, (ov) => k.ConnectNamedPipe(h, ov), { signal });
      if (r.error === ERROR_NO_DATA) {
        k.DisconnectNamedPipe(h); // the client came and went before the accept: recycle the instance
        continue;
      }
      checkIo("ConnectNamedPipe", r, ERROR_PIPE_CONNECTED);
      this.#next = undefined;
      try {
        this.#readyNext();
      } catch (e) {
        listening.close();
        throw e;
      }
      const o = this.#opts;
      const opts = { address: this.address, mode: this.mode, bufferSize: o.bufferSize };
      return new NamedPipeChannel(listening, { ...opts, maxMessageSize: o.maxMessageSize });
    }
  }

  /** The next instance, so a client arriving between accepts finds one; at the instance limit, the next accept makes it. */
  #readyNext(): void {
    try {
      this.#next = this.#createInstance(false);
    } catch (e) {
      if (!(e instanceof AddressInUseError)) throw e;
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

function checkServerOptions(mode: PipeMode, opts: NamedPipeServerOptions): void {
  if (mode !== "message" && mode !== "byte") throw new TypeError(`bad pipe mode '${mode}'`);
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
 * between the wait and the open is retried too. The channel takes the server's mode.
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
 * @throws {AddressError} the name is not a valid pipe name.
 */
export async function connectNamedPipe(
  name: string,
  opts: NamedPipeConnectOptions = {},
): Promise<NamedPipeChannel> {
  const path = pipePath(name);
  const timeout = opts.timeout ?? DEFAULT_CONNECT_TIMEOUT;
  const scope = callScope(new AbortController().signal, { signal: opts.signal, timeout });
  try {
    const retry = { waitForServer: opts.waitForServer ?? false, deadline: Date.now() + timeout };
    return openClient(await openPipe(path, { ...retry, signal: scope.signal }), name, opts);
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
    const r = attempt(() => createFile(wpath), isInvalidHandle);
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

/** The channel on a freshly opened client handle, in the server's mode (GetNamedPipeInfo). */
function openClient(handle: OwnedHandle, name: string, opts: NamedPipeConnectOptions): NamedPipeChannel {
  try {
    const h = handle.value;
    const flags = new Uint32Array(1);
    check("GetNamedPipeInfo", () => k.GetNamedPipeInfo(h, flags, null, null, null));
    const mode: PipeMode = flags[0] & PIPE_TYPE_MESSAGE ? "message" : "byte";
    if (mode === "message") {
      const readMode = new Uint32Array([PIPE_READMODE_MESSAGE]);
      check("SetNamedPipeHandleState", () => k.SetNamedPipeHandleState(h, readMode, 0n, 0n));
    }
    const address = `pipe:${name}`;
    return new NamedPipeChannel(handle, {
      address,
      mode,
      bufferSize: opts.bufferSize,
      maxMessageSize: opts.maxMessageSize,
    });
  } catch (e) {
    handle.close();
    throw e;
  }
}

function serverOptions(a: Address): NamedPipeServerOptions {
  return {
    mode: enumParam(a, "mode", ["message", "byte"] as const),
    bufferSize: intParam(a, "bufferSize", 1, 0x7fffffff),
    maxInstances: intParam(a, "maxInstances", 1, 255),
    maxMessageSize: intParam(a, "maxMessageSize", 0, 0xffffffff),
    firstInstance: boolParam(a, "firstInstance"),
    rejectRemoteClients: boolParam(a, "rejectRemoteClients"),
    sddl: a.params.get("sddl") ?? undefined,
  };
}

/** The `pipe:` scheme of `connect` and `listen`. */
export const pipeScheme: Scheme = {
  connect: (a, opts) =>
    connectNamedPipe(a.path, {
      ...opts,
      maxMessageSize: intParam(a, "maxMessageSize", 0, 0xffffffff),
      bufferSize: intParam(a, "bufferSize", 1, 0x7fffffff),
      waitForServer: boolParam(a, "waitForServer"),
      timeout: opts.timeout ?? intParam(a, "timeout", 0, 0x7fffffff),
    }),
  listen: (a) => Promise.resolve(NamedPipeServer.listen(a.path, serverOptions(a))),
};
