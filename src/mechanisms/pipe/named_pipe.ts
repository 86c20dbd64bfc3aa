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
  ERROR_ACCESS_DENIED,
  ERROR_BROKEN_PIPE,
  ERROR_FILE_NOT_FOUND,
  ERROR_HANDLE_EOF,
  ERROR_INVALID_NAME,
  ERROR_MORE_DATA,
  ERROR_NO_DATA,
  ERROR_PIPE_BUSY,
  ERROR_PIPE_CONNECTED,
  ERROR_PIPE_NOT_CONNECTED,
  ERROR_SEM_TIMEOUT,
  FILE_FLAG_FIRST_PIPE_INSTANCE,
  FILE_FLAG_OVERLAPPED,
  GENERIC_READ,
  GENERIC_WRITE,
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
} from "../../ffi/constants.ts";
import { lastError, Win32Error } from "../../ffi/error.ts";
import { isInvalidHandle, OwnedHandle } from "../../ffi/handle.ts";
import { NativeMemory } from "../../ffi/memory.ts";
import { Overlapped } from "../../kernel/overlapped.ts";
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
import { ChannelBase, type ChannelOptions, ListenerBase } from "../../core/channel.ts";
import { callScope, raceAbort, sleep } from "../../core/op_queue.ts";
import { encodeFrame, FrameDecoder } from "../../core/framing.ts";
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

/** True for the codes that mean the other end of the pipe is gone. */
function isPeerGone(code: number): boolean {
  return code === ERROR_BROKEN_PIPE || code === ERROR_PIPE_NOT_CONNECTED || code === ERROR_NO_DATA ||
    code === ERROR_HANDLE_EOF;
}

/** One connected pipe instance (either end) as a message channel. */
export class NamedPipeChannel extends ChannelBase {
  readonly mode: PipeMode;
  readonly #handle: OwnedHandle;
  readonly #readOv = new Overlapped();
  readonly #writeOv = new Overlapped();
  readonly #readBuf: NativeMemory;
  #writeBuf: NativeMemory | undefined;
  readonly #decoder: FrameDecoder;
  #partial: Uint8Array[] = []; // message-mode pieces read before an abort; kept, not lost
  #partialSize = 0;
  #fatal: Error | undefined;

  /** @internal Use {@link connectNamedPipe} or {@link NamedPipeServer}. */
  constructor(
    handle: OwnedHandle,
    address: string,
    mode: PipeMode,
    opts: ChannelOptions & { bufferSize?: number },
  ) {
    super(address, opts);
    this.#handle = handle;
    this.mode = mode;
    this.#readBuf = new NativeMemory(opts.bufferSize ?? DEFAULT_BUFFER_SIZE);
    this.#decoder = new FrameDecoder(this.maxMessageSize);
  }

  /** The raw pipe HANDLE (owned by this channel). */
  get handle(): bigint {
    return this.#handle.value;
  }

  protected async sendMessage(message: Uint8Array, signal: AbortSignal): Promise<void> {
    if (this.#fatal) throw this.#fatal;
    const data = this.mode === "byte" ? encodeFrame(message) : message;
    const buf = this.#writeBufferFor(data.byteLength);
    buf.bytes.set(data);
    const h = this.#handle.value;
    let r;
    try {
      r = await this.#writeOv.run(h, (ov) => k.WriteFile(h, buf.address, data.byteLength, null, ov), {
        signal,
      });
    } catch (e) {
      // A byte stream cut inside a frame cannot be resynchronised: end the channel.
      if (this.mode === "byte") {
        this.#fatal = new ChannelClosedError(`${this.address}: a send was aborted mid-frame`);
      }
      throw e;
    }
    if (isPeerGone(r.error)) throw new ChannelClosedError(`${this.address}: the peer closed the pipe`);
    if (r.error !== 0) throw new Win32Error("WriteFile", r.error);
    if (r.bytes !== data.byteLength) {
      this.#fatal = new ChannelClosedError(`${this.address}: short write (${r.bytes} of ${data.byteLength})`);
      throw this.#fatal;
    }
  }

  #writeBufferFor(size: number): NativeMemory {
    if (!this.#writeBuf || this.#writeBuf.size < size) {
      this.#writeBuf?.[Symbol.dispose]();
      this.#writeBuf = new NativeMemory(Math.max(size, 4096));
    }
    return this.#writeBuf;
  }

  async #read(signal: AbortSignal) {
    const h = this.#handle.value;
    const buf = this.#readBuf;
    return await this.#readOv.run(h, (ov) => k.ReadFile(h, buf.address, buf.size, null, ov), { signal });
  }

  protected async receiveMessage(signal: AbortSignal): Promise<Uint8Array | null> {
    if (this.#fatal) throw this.#fatal;
    try {
      return this.mode === "byte" ? await this.#receiveFrame(signal) : await this.#receivePipeMessage(signal);
    } catch (e) {
      if (e instanceof MessageTooLargeError) this.#fatal = e;
      throw e;
    }
  }

  async #receivePipeMessage(signal: AbortSignal): Promise<Uint8Array | null> {
    while (true) {
      const r = await this.#read(signal);
      if (isPeerGone(r.error)) return null;
      if (r.error !== 0 && r.error !== ERROR_MORE_DATA) throw new Win32Error("ReadFile", r.error);
      this.#partialSize += r.bytes;
      if (this.#partialSize > this.maxMessageSize) {
        throw new MessageTooLargeError(this.#partialSize, this.maxMessageSize);
      }
      this.#partial.push(this.#readBuf.bytes.slice(0, r.bytes));
      if (r.error === 0) return this.#takePartial();
    }
  }

  #takePartial(): Uint8Array {
    const parts = this.#partial;
    const out = parts.length === 1 ? parts[0] : new Uint8Array(this.#partialSize);
    if (parts.length !== 1) {
      let at = 0;
      for (const p of parts) {
        out.set(p, at);
        at += p.byteLength;
      }
    }
    this.#partial = [];
    this.#partialSize = 0;
    return out;
  }

  async #receiveFrame(signal: AbortSignal): Promise<Uint8Array | null> {
    while (true) {
      const m = this.#decoder.next();
      if (m) return m;
      const r = await this.#read(signal);
      if (isPeerGone(r.error)) return null;
      if (r.error !== 0) throw new Win32Error("ReadFile", r.error);
      this.#decoder.push(this.#readBuf.bytes.subarray(0, r.bytes));
    }
  }

  protected closeTransport(): void {
    // CloseHandle (not DisconnectNamedPipe) so the peer can still read what was written.
    this.#handle.close();
    this.#readOv[Symbol.dispose]();
    this.#writeOv[Symbol.dispose]();
    this.#readBuf[Symbol.dispose]();
    this.#writeBuf?.[Symbol.dispose]();
  }
}

/** A named pipe server: accepts clients, one {@link NamedPipeChannel} each. */
export class NamedPipeServer extends ListenerBase<NamedPipeChannel> {
  readonly path: string;
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
    if (this.mode !== "message" && this.mode !== "byte") throw new TypeError(`bad pipe mode '${this.mode}'`);
    const max = opts.maxInstances ?? PIPE_UNLIMITED_INSTANCES;
    if (!Number.isInteger(max) || max < 1 || max > PIPE_UNLIMITED_INSTANCES) {
      throw new RangeError(`maxInstances must be 1 to 255, got ${max}`);
    }
    const size = opts.bufferSize ?? DEFAULT_BUFFER_SIZE;
    if (!Number.isInteger(size) || size < 1 || size > 0x7fffffff) {
      throw new RangeError(`bad bufferSize ${size}`);
    }
    this.#opts = opts;
    this.#security = new SecurityAttributes(opts.sddl ?? ownerOnlySddl());
    try {
      this.#next = this.#createInstance(opts.firstInstance ?? true);
    } catch (e) {
      this.#security[Symbol.dispose]();
      throw e;
    }
  }

  /** Starts serving `\\.\pipe\NAME`. Throws AddressInUseError if another server has it. */
  static listen(name: string, opts: NamedPipeServerOptions = {}): NamedPipeServer {
    return new NamedPipeServer(name, opts);
  }

  #createInstance(first: boolean): OwnedHandle {
    const o = this.#opts;
    if (first && this.#served()) {
      throw new AddressInUseError(`${this.path} is already served by another server`);
    }
    const typeBits = this.mode === "message"
      ? PIPE_TYPE_MESSAGE | PIPE_READMODE_MESSAGE
      : PIPE_TYPE_BYTE | PIPE_READMODE_BYTE;
    const size = o.bufferSize ?? DEFAULT_BUFFER_SIZE;
    const h = k.CreateNamedPipeW(
      wstr(this.path),
      PIPE_ACCESS_DUPLEX | FILE_FLAG_OVERLAPPED | (first ? FILE_FLAG_FIRST_PIPE_INSTANCE : 0),
      typeBits | PIPE_WAIT | ((o.rejectRemoteClients ?? true) ? PIPE_REJECT_REMOTE_CLIENTS : 0),
      o.maxInstances ?? PIPE_UNLIMITED_INSTANCES,
      size,
      size,
      0,
      this.#security.bytes,
    );
    if (isInvalidHandle(h)) {
      const code = lastError();
      if (code === ERROR_ACCESS_DENIED && first) {
        throw new AddressInUseError(`${this.path} is already served by another server`, {
          cause: new Win32Error("CreateNamedPipeW", code),
        });
      }
      if (code === ERROR_PIPE_BUSY) {
        throw new AddressInUseError(`${this.path}: all ${o.maxInstances} instances are in use`, {
          cause: new Win32Error("CreateNamedPipeW", code),
        });
      }
      if (code === ERROR_INVALID_NAME) throw new AddressError(`bad pipe name ${this.path}`);
      throw new Win32Error("CreateNamedPipeW", code);
    }
    return new OwnedHandle(h);
  }

  /**
   * Whether some server already has this name. FILE_FLAG_FIRST_PIPE_INSTANCE is the real guard on
   * Windows; Wine 10 ignores that flag, so a WaitNamedPipeW probe (no wait, no connection made)
   * catches the same mistake there too.
   */
  #served(): boolean {
    if (k.WaitNamedPipeW(wstr(this.path), NMPWAIT_NOWAIT)) return true;
    const code = lastError();
    return code === ERROR_SEM_TIMEOUT || code === ERROR_PIPE_BUSY;
  }

  /** Waits for the next client and returns its channel. A new instance is ready before it returns. */
  protected async acceptChannel(signal: AbortSignal): Promise<NamedPipeChannel> {
    while (true) {
      if (!this.#next) throw new ChannelClosedError(`${this.address}: server closed`);
      const h = this.#next.value;
      const r = await this.#connectOv.run(h, (ov) => k.ConnectNamedPipe(h, ov), { signal });
      if (r.error === ERROR_NO_DATA) {
        // The client came and went before the accept: recycle the instance.
        k.DisconnectNamedPipe(h);
        continue;
      }
      if (r.error !== 0 && r.error !== ERROR_PIPE_CONNECTED) {
        throw new Win32Error("ConnectNamedPipe", r.error);
      }
      const connected = this.#next;
      this.#next = undefined;
      this.#next = this.#createInstance(false);
      return new NamedPipeChannel(connected, this.address, this.mode, this.#opts);
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

/**
 * Connects to the server at `\\.\pipe\NAME`. While every instance is busy it waits
 * (WaitNamedPipeW) and retries, within `timeout` (default 10 s); an instance that vanishes
 * between the wait and the open is retried too. A pipe that does not exist fails at once with
 * NotFoundError unless `waitForServer` is set.
 */
export async function connectNamedPipe(
  name: string,
  opts: NamedPipeConnectOptions = {},
): Promise<NamedPipeChannel> {
  const path = pipePath(name);
  const wpath = wstr(path);
  const never = new AbortController().signal;
  const timeout = opts.timeout ?? DEFAULT_CONNECT_TIMEOUT;
  const scope = callScope(never, { signal: opts.signal, timeout });
  const started = Date.now();
  let sawServer = false;
  try {
    while (true) {
      scope.signal.throwIfAborted();
      const h = k.CreateFileW(
        wpath,
        (GENERIC_READ | GENERIC_WRITE) >>> 0,
        0,
        0n,
        OPEN_EXISTING,
        FILE_FLAG_OVERLAPPED | SECURITY_SQOS_PRESENT | SECURITY_IDENTIFICATION,
        0n,
      );
      if (!isInvalidHandle(h)) return openClient(new OwnedHandle(h), name, opts);
      const code = lastError();
      const left = Math.max(1, timeout - (Date.now() - started));
      if (code === ERROR_FILE_NOT_FOUND) {
        if (!sawServer && !opts.waitForServer) {
          throw new NotFoundError(`no server at ${path}`, { cause: new Win32Error("CreateFileW", code) });
        }
        await sleep(Math.min(20, left), scope.signal); // the server is between instances, or starting
      } else if (code === ERROR_PIPE_BUSY) {
        sawServer = true;
        await raceAbort(kernel32.async.WaitNamedPipeW(wpath, Math.min(250, left)), scope.signal);
      } else {
        throw new Win32Error("CreateFileW", code);
      }
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

function openClient(handle: OwnedHandle, name: string, opts: NamedPipeConnectOptions): NamedPipeChannel {
  try {
    const flags = new Uint32Array(1);
    if (!k.GetNamedPipeInfo(handle.value, flags, null, null, null)) {
      throw new Win32Error("GetNamedPipeInfo", lastError());
    }
    const mode: PipeMode = flags[0] & PIPE_TYPE_MESSAGE ? "message" : "byte";
    if (
      mode === "message" &&
      !k.SetNamedPipeHandleState(handle.value, new Uint32Array([PIPE_READMODE_MESSAGE]), 0n, 0n)
    ) {
      throw new Win32Error("SetNamedPipeHandleState", lastError());
    }
    return new NamedPipeChannel(handle, `pipe:${name}`, mode, opts);
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
