/**
 * Child processes with anonymous pipes, started through CreateProcessW (not the runtime's own
 * subprocess API), and handle passing between processes.
 *
 * The pipes: CreatePipe makes both ends synchronous, and a synchronous read can be neither
 * waited on alongside other objects nor cancelled without a thread per read. So `spawn` makes
 * each pair the way CreatePipe itself does (a pipe with a unique name: anonymous pipes are named
 * pipes with generated names in Windows), but with overlapped I/O on the parent's end; the
 * child's end is an ordinary synchronous, inheritable handle, exactly as CreatePipe would give
 * it. Node's libuv does the same for child stdio. {@link createPipe} is the plain CreatePipe,
 * for callers who want raw handles.
 *
 * Only the child's ends are inheritable, and they are passed in an explicit handle list
 * (PROC_THREAD_ATTRIBUTE_HANDLE_LIST); the parent's copies of them are closed right after the
 * child starts, so the parent sees end-of-stream when the child exits.
 * @module
 */
import { kernel32 } from "../../ffi/kernel32.ts";
import {
  CREATE_NO_WINDOW,
  CREATE_UNICODE_ENVIRONMENT,
  DUPLICATE_CLOSE_SOURCE,
  DUPLICATE_SAME_ACCESS,
  ERROR_BROKEN_PIPE,
  ERROR_HANDLE_EOF,
  ERROR_NO_DATA,
  ERROR_PIPE_NOT_CONNECTED,
  EXTENDED_STARTUPINFO_PRESENT,
  FILE_FLAG_FIRST_PIPE_INSTANCE,
  FILE_FLAG_OVERLAPPED,
  FILE_SHARE_READ,
  FILE_SHARE_WRITE,
  GENERIC_READ,
  GENERIC_WRITE,
  OPEN_EXISTING,
  PIPE_ACCESS_INBOUND,
  PIPE_ACCESS_OUTBOUND,
  PIPE_READMODE_BYTE,
  PIPE_REJECT_REMOTE_CLIENTS,
  PIPE_TYPE_BYTE,
  PIPE_WAIT,
  PROC_THREAD_ATTRIBUTE_HANDLE_LIST,
  PROCESS_DUP_HANDLE,
  STARTF_USESTDHANDLES,
  STD_ERROR_HANDLE,
  STD_INPUT_HANDLE,
  STD_OUTPUT_HANDLE,
  STILL_ACTIVE,
} from "../../ffi/constants.ts";
import { lastError, Win32Error } from "../../ffi/error.ts";
import { isInvalidHandle, OwnedHandle } from "../../ffi/handle.ts";
import { NativeMemory } from "../../ffi/memory.ts";
import { waitAny } from "../../kernel/wait.ts";
import { Overlapped } from "../../kernel/overlapped.ts";
import { ownerOnlySddl, SecurityAttributes } from "../../kernel/security.ts";
import { wstr } from "../../ffi/wstr.ts";
import { backend } from "../../ffi/runtime.ts";
import { ChannelClosedError, type WaitOptions } from "../../core/errors.ts";
import { ChannelBase, type ChannelOptions } from "../../core/channel.ts";
import { OpQueue } from "../../core/op_queue.ts";
import { encodeFrame, FrameDecoder } from "../../core/framing.ts";
import { ReceiveOnlyChannel, SendOnlyChannel } from "../../core/one_way.ts";

const k = kernel32.sync;
const PIPE_BUFFER = 64 * 1024;
let pipeSerial = 0;

const peerGone = (code: number) =>
  code === ERROR_BROKEN_PIPE || code === ERROR_HANDLE_EOF || code === ERROR_NO_DATA ||
  code === ERROR_PIPE_NOT_CONNECTED;

/** An inheritable SECURITY_ATTRIBUTES (no descriptor: the default for the process). */
function inheritable(): Uint8Array {
  const sa = new Uint8Array(24);
  const v = new DataView(sa.buffer);
  v.setUint32(0, 24, true);
  v.setInt32(16, 1, true); // bInheritHandle
  return sa;
}

/** The parent's end of a child pipe: reads with overlapped I/O. */
export class PipeReader implements AsyncDisposable {
  readonly #handle: OwnedHandle;
  readonly #ov = new Overlapped();
  readonly #buf = new NativeMemory(PIPE_BUFFER);
  readonly #reads = new OpQueue("pipe reader");
  #eof = false;
  #readable: ReadableStream<Uint8Array> | undefined;

  /** @internal */
  constructor(handle: OwnedHandle) {
    this.#handle = handle;
  }

  /** The next bytes as they arrive (any chunking), or null at end-of-stream. */
  read(opts?: WaitOptions): Promise<Uint8Array | null> {
    return this.#reads.run(opts, async (signal) => {
      if (this.#eof) return null;
      const h = this.#handle.value;
      const buf = this.#buf;
      const r = await this.#ov.run(h, (ov) => k.ReadFile(h, buf.address, buf.size, null, ov), { signal });
      if (peerGone(r.error)) {
        this.#eof = true;
        return null;
      }
      if (r.error !== 0) throw new Win32Error("ReadFile", r.error);
      return buf.bytes.slice(0, r.bytes);
    });
  }

  /** Everything until end-of-stream, as one array. */
  async readAll(opts?: WaitOptions): Promise<Uint8Array> {
    const parts: Uint8Array[] = [];
    for (let c = await this.read(opts); c; c = await this.read(opts)) parts.push(c);
    const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of parts) {
      out.set(p, at);
      at += p.length;
    }
    return out;
  }

  /** The bytes as a Web stream (ends at end-of-stream). */
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

  /** A receive-only channel of length-prefixed messages over this pipe (use it or read(), not both). */
  messages(opts: ChannelOptions = {}): ReceiveOnlyChannel {
    return new ReceiveOnlyChannel(new FramedPipeChannel("pipe (child)", this, undefined, opts));
  }

  async close(): Promise<void> {
    if (this.#reads.closed) return;
    await this.#reads.close();
    this.#handle.close();
    this.#ov[Symbol.dispose]();
    this.#buf[Symbol.dispose]();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

/** The parent's end of a child's input pipe: writes with overlapped I/O. */
export class PipeWriter implements AsyncDisposable {
  readonly #handle: OwnedHandle;
  readonly #ov = new Overlapped();
  readonly #writes = new OpQueue("pipe writer");
  #buf: NativeMemory | undefined;
  #writable: WritableStream<Uint8Array> | undefined;

  /** @internal */
  constructor(handle: OwnedHandle) {
    this.#handle = handle;
  }

  /** Writes all of `bytes`; ChannelClosedError if the child closed its end. */
  write(bytes: Uint8Array, opts?: WaitOptions): Promise<void> {
    return this.#writes.run(opts, async (signal) => {
      if (bytes.byteLength === 0) return;
      if (!this.#buf || this.#buf.size < bytes.byteLength) {
        this.#buf?.[Symbol.dispose]();
        this.#buf = new NativeMemory(Math.max(bytes.byteLength, 4096));
      }
      const buf = this.#buf;
      buf.bytes.set(bytes);
      const h = this.#handle.value;
      let done = 0;
      while (done < bytes.byteLength) {
        const r = await this.#ov.run(
          h,
          (ov) => k.WriteFile(h, buf.address + BigInt(done), bytes.byteLength - done, null, ov),
          { signal },
        );
        if (peerGone(r.error)) throw new ChannelClosedError("the child closed its end of the pipe");
        if (r.error !== 0) throw new Win32Error("WriteFile", r.error);
        done += r.bytes;
      }
    });
  }

  get writable(): WritableStream<Uint8Array> {
    return this.#writable ??= new WritableStream<Uint8Array>({
      write: (chunk) => this.write(chunk),
      close: () => this.close(),
      abort: () => this.close(),
    });
  }

  /** A send-only channel of length-prefixed messages over this pipe. */
  messages(opts: ChannelOptions = {}): SendOnlyChannel {
    return new SendOnlyChannel(new FramedPipeChannel("pipe (child)", undefined, this, opts));
  }

  /** Closes the parent's end once queued writes are done: the child then reads end-of-stream. */
  async close(): Promise<void> {
    if (this.#writes.closed) return;
    await this.#writes.idle();
    await this.#writes.close();
    this.#handle.close();
    this.#ov[Symbol.dispose]();
    this.#buf?.[Symbol.dispose]();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

/** Length-prefixed messages over a PipeReader and/or PipeWriter. */
class FramedPipeChannel extends ChannelBase {
  readonly #decoder: FrameDecoder;
  constructor(
    address: string,
    readonly reader: PipeReader | undefined,
    readonly writer: PipeWriter | undefined,
    opts: ChannelOptions,
  ) {
    super(address, opts);
    this.#decoder = new FrameDecoder(this.maxMessageSize);
  }
  protected async sendMessage(message: Uint8Array, signal: AbortSignal): Promise<void> {
    await this.writer!.write(encodeFrame(message), { signal });
  }
  protected async receiveMessage(signal: AbortSignal): Promise<Uint8Array | null> {
    while (true) {
      const m = this.#decoder.next();
      if (m) return m;
      const chunk = await this.reader!.read({ signal });
      if (!chunk) return null;
      this.#decoder.push(chunk);
    }
  }
  protected async closeTransport(): Promise<void> {
    await this.reader?.close();
    await this.writer?.close();
  }
}

/** Makes a pipe pair: the parent's overlapped end and the child's synchronous, inheritable end. */
function childPipe(parentReads: boolean): { parent: OwnedHandle; child: OwnedHandle } {
  const name = `\\\\.\\pipe\\winipc-anon-${k.GetCurrentProcessId()}-${++pipeSerial}-${
    Math.random().toString(36).slice(2)
  }`;
  using sa = new SecurityAttributes(ownerOnlySddl());
  const server = k.CreateNamedPipeW(
    wstr(name),
    (parentReads ? PIPE_ACCESS_INBOUND : PIPE_ACCESS_OUTBOUND) | FILE_FLAG_OVERLAPPED |
      FILE_FLAG_FIRST_PIPE_INSTANCE,
    PIPE_TYPE_BYTE | PIPE_READMODE_BYTE | PIPE_WAIT | PIPE_REJECT_REMOTE_CLIENTS,
    1,
    PIPE_BUFFER,
    PIPE_BUFFER,
    0,
    sa.bytes,
  );
  if (isInvalidHandle(server)) throw new Win32Error("CreateNamedPipeW", lastError());
  const parent = new OwnedHandle(server);
  const access = parentReads ? GENERIC_WRITE : GENERIC_READ;
  const inherit = inheritable(); // referenced until the call returns
  const client = k.CreateFileW(
    wstr(name),
    access >>> 0,
    0,
    backend.addressOf(inherit),
    OPEN_EXISTING,
    0,
    0n,
  );
  if (isInvalidHandle(client)) {
    const code = lastError();
    parent.close();
    throw new Win32Error("CreateFileW", code);
  }
  return { parent, child: new OwnedHandle(client) };
}

/** An inheritable handle for the child to use as a standard handle. */
function stdHandle(kind: StdioOption, which: number, pipeParentReads: boolean) {
  if (kind === "pipe") return childPipe(pipeParentReads);
  if (kind === "null") {
    const inherit = inheritable();
    const h = k.CreateFileW(
      wstr("NUL"),
      (GENERIC_READ | GENERIC_WRITE) >>> 0,
      FILE_SHARE_READ | FILE_SHARE_WRITE,
      backend.addressOf(inherit),
      OPEN_EXISTING,
      0,
      0n,
    );
    if (isInvalidHandle(h)) throw new Win32Error("CreateFileW(NUL)", lastError());
    return { parent: undefined, child: new OwnedHandle(h) };
  }
  // "inherit": an inheritable duplicate of our own standard handle (or NUL if we have none).
  const own = k.GetStdHandle(which);
  if (isInvalidHandle(own)) return stdHandle("null", which, pipeParentReads);
  const out = new BigUint64Array(1);
  const self = k.GetCurrentProcess();
  if (!k.DuplicateHandle(self, own, self, out, 0, 1, DUPLICATE_SAME_ACCESS)) {
    return stdHandle("null", which, pipeParentReads);
  }
  return { parent: undefined, child: new OwnedHandle(out[0]) };
}

/** What each standard handle of the child is connected to. */
export type StdioOption = "pipe" | "null" | "inherit";

/** Options for {@link spawn}. */
export interface SpawnOptions {
  args?: readonly string[];
  /** Working directory. Default: this process's. */
  cwd?: string;
  /** The whole environment of the child. Default: this process's. */
  env?: Readonly<Record<string, string>>;
  /** Default "pipe". */
  stdin?: StdioOption;
  /** Default "pipe". */
  stdout?: StdioOption;
  /** Default "inherit". */
  stderr?: StdioOption;
}

/** Quotes one argument so that CommandLineToArgvW (and the C runtime) give it back unchanged. */
export function quoteWindowsArg(arg: string): string {
  if (arg.length > 0 && !/[ \t\n\v"]/.test(arg)) return arg;
  let out = '"';
  for (let i = 0;; i++) {
    let slashes = 0;
    while (i < arg.length && arg[i] === "\\") {
      i++;
      slashes++;
    }
    if (i === arg.length) {
      out += "\\".repeat(slashes * 2);
      break;
    }
    if (arg[i] === '"') out += "\\".repeat(slashes * 2 + 1) + '"';
    else out += "\\".repeat(slashes) + arg[i];
  }
  return out + '"';
}

/** A child process started by {@link spawn}. */
export class ChildProcess implements AsyncDisposable {
  readonly #process: OwnedHandle;
  #exitCode: number | null = null;

  /** @internal */
  constructor(
    process: OwnedHandle,
    readonly pid: number,
    readonly stdin: PipeWriter | undefined,
    readonly stdout: PipeReader | undefined,
    readonly stderr: PipeReader | undefined,
  ) {
    this.#process = process;
  }

  /** The process HANDLE (owned; valid until dispose). */
  get handle(): bigint {
    return this.#process.value;
  }

  /** The exit code once the process has ended, else null. */
  get exitCode(): number | null {
    if (this.#exitCode !== null || this.#process.closed) return this.#exitCode;
    const code = new Uint32Array(1);
    if (k.GetExitCodeProcess(this.#process.value, code) && code[0] !== STILL_ACTIVE) this.#exitCode = code[0];
    else if (k.WaitForSingleObject(this.#process.value, 0) === 0) this.#exitCode = code[0];
    return this.#exitCode;
  }

  /** Resolves with the exit code when the process ends. */
  async wait(opts?: WaitOptions): Promise<number> {
    if (this.exitCode !== null) return this.exitCode;
    await waitAny([this.#process.value], opts);
    const code = new Uint32Array(1);
    if (!k.GetExitCodeProcess(this.#process.value, code)) {
      throw new Win32Error("GetExitCodeProcess", lastError());
    }
    this.#exitCode = code[0];
    return code[0];
  }

  /** Ends the process (TerminateProcess) with `exitCode`. */
  kill(exitCode = 1): void {
    if (this.exitCode !== null) return;
    if (!k.TerminateProcess(this.#process.value, exitCode)) {
      const code = lastError();
      if (this.exitCode === null) throw new Win32Error("TerminateProcess", code);
    }
  }

  /** Kills the process if it still runs, waits for it, and closes the pipes and the handle. */
  async [Symbol.asyncDispose](): Promise<void> {
    if (this.exitCode === null) this.kill();
    await this.wait({ timeout: 10_000 }).catch(() => {});
    await this.stdin?.close();
    await this.stdout?.close();
    await this.stderr?.close();
    this.#process.close();
  }
}

/**
 * Starts `file` (an executable path, or a name found on PATH) with CreateProcessW. Standard
 * handles are pipes (default for stdin/stdout), NUL, or inherited from this process.
 */
export function spawn(file: string, opts: SpawnOptions = {}): ChildProcess {
  const cmdline = [file, ...(opts.args ?? [])].map(quoteWindowsArg).join(" ");
  if (cmdline.length >= 32767) throw new RangeError("command line longer than 32767 characters");
  const created: { parent?: OwnedHandle; child: OwnedHandle }[] = [];
  try {
    const stdin = stdHandle(opts.stdin ?? "pipe", STD_INPUT_HANDLE, false);
    created.push(stdin);
    const stdout = stdHandle(opts.stdout ?? "pipe", STD_OUTPUT_HANDLE, true);
    created.push(stdout);
    const stderr = stdHandle(opts.stderr ?? "inherit", STD_ERROR_HANDLE, true);
    created.push(stderr);
    const childHandles = [stdin.child.value, stdout.child.value, stderr.child.value];

    // The explicit list of handles the child inherits.
    using handleList = new NativeMemory(childHandles.length * 8);
    childHandles.forEach((h, i) => handleList.view().setBigUint64(i * 8, h, true));
    const size = new BigUint64Array(1);
    k.InitializeProcThreadAttributeList(0n, 1, 0, size);
    using attrs = new NativeMemory(Number(size[0]));
    if (!k.InitializeProcThreadAttributeList(attrs.address, 1, 0, size)) {
      throw new Win32Error("InitializeProcThreadAttributeList", lastError());
    }
    try {
      if (
        !k.UpdateProcThreadAttribute(
          attrs.address,
          0,
          BigInt(PROC_THREAD_ATTRIBUTE_HANDLE_LIST),
          handleList.address,
          BigInt(handleList.size),
          0n,
          0n,
        )
      ) throw new Win32Error("UpdateProcThreadAttribute", lastError());

      const si = new Uint8Array(112); // STARTUPINFOEXW
      const v = new DataView(si.buffer);
      v.setUint32(0, 112, true); // cb
      v.setUint32(60, STARTF_USESTDHANDLES, true); // dwFlags
      v.setBigUint64(80, stdin.child.value, true);
      v.setBigUint64(88, stdout.child.value, true);
      v.setBigUint64(96, stderr.child.value, true);
      v.setBigUint64(104, attrs.address, true); // lpAttributeList
      const pi = new Uint8Array(24); // PROCESS_INFORMATION
      let envBlock: Uint16Array | null = null;
      if (opts.env) {
        const entries = Object.entries(opts.env).map(([key, val]) => `${key}=${val}`).sort((a, b) =>
          a.toUpperCase() < b.toUpperCase() ? -1 : 1
        );
        envBlock = wstr(entries.join("\0") + "\0");
      }
      const ok = k.CreateProcessW(
        null,
        wstr(cmdline),
        0n,
        0n,
        1,
        EXTENDED_STARTUPINFO_PRESENT | CREATE_UNICODE_ENVIRONMENT | CREATE_NO_WINDOW,
        envBlock,
        opts.cwd === undefined ? null : wstr(opts.cwd),
        si,
        pi,
      );
      if (!ok) throw new Win32Error(`CreateProcessW(${cmdline.slice(0, 200)})`, lastError());
      const pv = new DataView(pi.buffer);
      const proc = new OwnedHandle(pv.getBigUint64(0, true));
      k.CloseHandle(pv.getBigUint64(8, true)); // the primary thread: not needed
      return new ChildProcess(
        proc,
        pv.getUint32(16, true),
        stdin.parent && new PipeWriter(stdin.parent),
        stdout.parent && new PipeReader(stdout.parent),
        stderr.parent && new PipeReader(stderr.parent),
      );
    } finally {
      k.DeleteProcThreadAttributeList(attrs.address);
    }
  } catch (e) {
    for (const c of created) c.parent?.close();
    throw e;
  } finally {
    // The parent's copies of the child's ends: closed so that end-of-stream works.
    for (const c of created) c.child.close();
  }
}

/** A plain anonymous pipe (CreatePipe): synchronous handles, for passing to other processes. */
export function createPipe(
  opts: { inheritable?: boolean; size?: number } = {},
): { read: OwnedHandle; write: OwnedHandle } {
  const r = new BigUint64Array(1);
  const w = new BigUint64Array(1);
  if (!k.CreatePipe(r, w, opts.inheritable ? inheritable() : null, opts.size ?? 0)) {
    throw new Win32Error("CreatePipe", lastError());
  }
  return { read: new OwnedHandle(r[0]), write: new OwnedHandle(w[0]) };
}

/**
 * Duplicates `handle` into another process (by process id or an open process handle), returning
 * the handle's value in that process. Send the value over any channel; the receiver adopts it with
 * {@link adoptHandle}. With `closeSource` the handle here is closed in the same call.
 */
export function duplicateHandleTo(
  handle: bigint | OwnedHandle,
  target: number | bigint,
  opts: { closeSource?: boolean; inheritable?: boolean } = {},
): bigint {
  const source = typeof handle === "bigint" ? handle : handle.value;
  let targetProcess = typeof target === "bigint" ? target : 0n;
  let opened: OwnedHandle | undefined;
  if (typeof target === "number") {
    const h = k.OpenProcess(PROCESS_DUP_HANDLE, 0, target);
    if (isInvalidHandle(h)) throw new Win32Error(`OpenProcess(${target})`, lastError());
    opened = new OwnedHandle(h);
    targetProcess = h;
  }
  try {
    const out = new BigUint64Array(1);
    const options = DUPLICATE_SAME_ACCESS | (opts.closeSource ? DUPLICATE_CLOSE_SOURCE : 0);
    if (
      !k.DuplicateHandle(
        k.GetCurrentProcess(),
        source,
        targetProcess,
        out,
        0,
        opts.inheritable ? 1 : 0,
        options,
      )
    ) {
      throw new Win32Error("DuplicateHandle", lastError());
    }
    // DUPLICATE_CLOSE_SOURCE closed it in the kernel: forget it here without a second close.
    if (opts.closeSource && typeof handle !== "bigint") handle.release();
    return out[0];
  } finally {
    opened?.close();
  }
}

/** Takes ownership of a handle value that another process duplicated into this one. */
export function adoptHandle(value: bigint): OwnedHandle {
  if (typeof value !== "bigint" || isInvalidHandle(value)) {
    throw new TypeError(`not a handle value: ${value}`);
  }
  if (!k.GetHandleInformation(value, new Uint32Array(1))) {
    throw new Win32Error("GetHandleInformation", lastError());
  }
  return new OwnedHandle(value);
}

/** Waits for several child processes; resolves with the index of the first to end. */
export async function waitForChild(children: readonly ChildProcess[], opts?: WaitOptions): Promise<number> {
  return (await waitAny(children.map((c) => c.handle), opts)).index;
}
