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
  EXTENDED_STARTUPINFO_PRESENT,
  FILE_FLAG_FIRST_PIPE_INSTANCE,
  FILE_FLAG_OVERLAPPED,
  OPEN_EXISTING,
  PIPE_ACCESS_INBOUND,
  PIPE_ACCESS_OUTBOUND,
  PIPE_READMODE_BYTE,
  PIPE_REJECT_REMOTE_CLIENTS,
  PIPE_TYPE_BYTE,
  PIPE_WAIT,
  PROC_THREAD_ATTRIBUTE_HANDLE_LIST,
  PROCESS_INFORMATION,
  SECURITY_ATTRIBUTES,
  STARTF_USESTDHANDLES,
  STARTUPINFOEXW,
  STD_ERROR_HANDLE,
  STD_INPUT_HANDLE,
  STD_OUTPUT_HANDLE,
  STILL_ACTIVE,
} from "../../ffi/headers/winbase.ts";
import {
  DUPLICATE_CLOSE_SOURCE,
  DUPLICATE_SAME_ACCESS,
  FILE_SHARE_READ,
  FILE_SHARE_WRITE,
  GENERIC_READ,
  GENERIC_WRITE,
  PROCESS_DUP_HANDLE,
} from "../../ffi/headers/winnt.ts";
import { Win32Error } from "../../ffi/error.ts";
import { attempt, check, checkHandle } from "../../ffi/check.ts";
import { isInvalidHandle, OwnedHandle } from "../../ffi/handle.ts";
import { NativeMemory } from "../../ffi/memory.ts";
import { waitAny } from "../../kernel/wait.ts";
import { HandleStream } from "../../kernel/handle_stream.ts";
import { ownerOnlySddl, SecurityAttributes } from "../../kernel/security.ts";
import { wstr } from "../../ffi/wstr.ts";
import { backend } from "../../ffi/runtime.ts";
import type { WaitOptions } from "../../core/errors.ts";
import type { ChannelOptions } from "../../core/channel.ts";
import { FramedChannel } from "../../core/framed_channel.ts";
import { ReceiveOnlyChannel, SendOnlyChannel } from "../../core/one_way.ts";

const k = kernel32.sync;
const PIPE_BUFFER = 64 * 1024;
let pipeSerial = 0;

/** An inheritable SECURITY_ATTRIBUTES (no descriptor: the default for the process). */
function inheritable(): Uint8Array {
  return SECURITY_ATTRIBUTES.encode({ nLength: SECURITY_ATTRIBUTES.size, bInheritHandle: 1 });
}

/**
 * The parent's end of a child's output pipe: reads with overlapped I/O, so a read waits off the
 * JS thread and can be cancelled.
 */
export class PipeReader implements AsyncDisposable {
  readonly #stream: HandleStream;

  /** Wraps the read end of a pipe opened for overlapped I/O (FILE_FLAG_OVERLAPPED); it owns `handle`. */
  constructor(handle: OwnedHandle) {
    this.#stream = new HandleStream(handle, { name: "pipe (child)", readBufferSize: PIPE_BUFFER });
  }

  /** The next bytes as they arrive (any chunking), or null at end-of-stream. */
  read(opts?: WaitOptions): Promise<Uint8Array | null> {
    return this.#stream.read(opts);
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

  /** The bytes as a Web stream (ends at end-of-stream; cancelling it closes the pipe). */
  get readable(): ReadableStream<Uint8Array> {
    return this.#stream.readable;
  }

  /** A receive-only channel of length-prefixed messages over this pipe (use it or read(), not both). */
  messages(opts: ChannelOptions = {}): ReceiveOnlyChannel {
    return new ReceiveOnlyChannel(new FramedChannel("pipe (child)", this.#stream, opts));
  }

  /** Ends a pending read (ChannelClosedError) and closes the pipe. Idempotent. */
  close(): Promise<void> {
    return this.#stream.close();
  }

  /** `await using`: {@link close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

/** The parent's end of a child's input pipe: writes with overlapped I/O. */
export class PipeWriter implements AsyncDisposable {
  readonly #stream: HandleStream;

  /** Wraps the write end of a pipe opened for overlapped I/O (FILE_FLAG_OVERLAPPED); it owns `handle`. */
  constructor(handle: OwnedHandle) {
    this.#stream = new HandleStream(handle, { name: "pipe (child)" });
  }

  /**
   * Writes all of `bytes`.
   * @throws {ChannelClosedError} the child closed its end (or exited), or this end is closed.
   */
  write(bytes: Uint8Array, opts?: WaitOptions): Promise<void> {
    return this.#stream.write(bytes, opts);
  }

  /** A Web stream over {@link write}; closing it closes the pipe. */
  get writable(): WritableStream<Uint8Array> {
    return this.#stream.writable;
  }

  /** A send-only channel of length-prefixed messages over this pipe. */
  messages(opts: ChannelOptions = {}): SendOnlyChannel {
    return new SendOnlyChannel(new FramedChannel("pipe (child)", this.#stream, opts));
  }

  /** Closes the parent's end once queued writes are done: the child then reads end-of-stream. */
  close(): Promise<void> {
    return this.#stream.close();
  }

  /** `await using`: {@link close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

/** Makes a pipe pair: the parent's overlapped end and the child's synchronous, inheritable end. */
function childPipe(parentReads: boolean): Required<StdHandle> {
  const name = `\\\\.\\pipe\\winipc-anon-${k.GetCurrentProcessId()}-${++pipeSerial}-${
    Math.random().toString(36).slice(2)
  }`;
  using sa = new SecurityAttributes(ownerOnlySddl());
  const server = checkHandle("CreateNamedPipeW", () =>
    k.CreateNamedPipeW(
      wstr(name),
      (parentReads ? PIPE_ACCESS_INBOUND : PIPE_ACCESS_OUTBOUND) | FILE_FLAG_OVERLAPPED |
        FILE_FLAG_FIRST_PIPE_INSTANCE,
      PIPE_TYPE_BYTE | PIPE_READMODE_BYTE | PIPE_WAIT | PIPE_REJECT_REMOTE_CLIENTS,
      1,
      PIPE_BUFFER,
      PIPE_BUFFER,
      0,
      sa.bytes,
    ));
  const parent = new OwnedHandle(server);
  try {
    return { parent, child: openInheritable(name, parentReads ? GENERIC_WRITE : GENERIC_READ, 0) };
  } catch (e) {
    parent.close();
    throw e;
  }
}

/** Opens `path` (synchronous I/O) as an inheritable handle. */
function openInheritable(path: string, access: number, share: number): OwnedHandle {
  const inherit = inheritable(); // referenced until the call returns
  const open = () =>
    k.CreateFileW(wstr(path), access >>> 0, share, backend.addressOf(inherit), OPEN_EXISTING, 0, 0n);
  return new OwnedHandle(checkHandle(`CreateFileW(${path})`, open));
}

/** A standard handle for the child (inheritable), and the parent's end when it is a pipe. */
interface StdHandle {
  parent?: OwnedHandle;
  child: OwnedHandle;
}

/** An inheritable handle for the child to use as a standard handle. */
function stdHandle(kind: StdioOption, which: number, pipeParentReads: boolean): StdHandle {
  if (kind === "pipe") return childPipe(pipeParentReads);
  if (kind === "null") {
    const nul = openInheritable("NUL", GENERIC_READ | GENERIC_WRITE, FILE_SHARE_READ | FILE_SHARE_WRITE);
    return { parent: undefined, child: nul };
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
  /** The arguments after `file`, each quoted as needed ({@link quoteWindowsArg}). */
  args?: readonly string[];
  /** Working directory. Default: this process's. */
  cwd?: string;
  /** The whole environment of the child. Default: this process's. */
  env?: Readonly<Record<string, string>>;
  /** The child's stdin. Default "pipe" ({@link ChildProcess.stdin}). */
  stdin?: StdioOption;
  /** The child's stdout. Default "pipe" ({@link ChildProcess.stdout}). */
  stdout?: StdioOption;
  /** The child's stderr. Default "inherit". */
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

/** The parts of a {@link ChildProcess}, as {@link spawn} hands them over. */
export interface ChildProcessParts {
  /** The process handle; the ChildProcess owns it from now on. */
  process: OwnedHandle;
  /** The process id. */
  pid: number;
  /** The parent's end of the child's stdin pipe, if it has one. */
  stdin?: PipeWriter;
  /** The parent's end of the child's stdout pipe, if it has one. */
  stdout?: PipeReader;
  /** The parent's end of the child's stderr pipe, if it has one. */
  stderr?: PipeReader;
}

/** A child process started by {@link spawn}. */
export class ChildProcess implements AsyncDisposable {
  /** The process id. */
  readonly pid: number;
  /** Writes to the child's stdin (when `stdin` is "pipe"). */
  readonly stdin: PipeWriter | undefined;
  /** Reads the child's stdout (when `stdout` is "pipe"). */
  readonly stdout: PipeReader | undefined;
  /** Reads the child's stderr (when `stderr` is "pipe"). */
  readonly stderr: PipeReader | undefined;
  readonly #process: OwnedHandle;
  #exitCode: number | null = null;

  /** Adopts a started process and the parent's ends of its pipes; it owns them from now on. */
  constructor(parts: ChildProcessParts) {
    this.#process = parts.process;
    this.pid = parts.pid;
    this.stdin = parts.stdin;
    this.stdout = parts.stdout;
    this.stderr = parts.stderr;
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

  /**
   * Resolves with the exit code when the process ends.
   * @throws {TimeoutError} the process still runs after `timeout`.
   */
  async wait(opts?: WaitOptions): Promise<number> {
    if (this.exitCode !== null) return this.exitCode;
    await waitAny([this.#process.value], opts);
    const code = new Uint32Array(1);
    check("GetExitCodeProcess", () => k.GetExitCodeProcess(this.#process.value, code));
    this.#exitCode = code[0];
    return code[0];
  }

  /** Ends the process (TerminateProcess) with `exitCode`; does nothing once it has ended. */
  kill(exitCode = 1): void {
    if (this.exitCode !== null) return;
    const r = attempt(() => k.TerminateProcess(this.#process.value, exitCode), (ok) => !ok);
    // It may have ended on its own in between: then there is nothing to report.
    if (!r.value && this.exitCode === null) throw new Win32Error("TerminateProcess", r.error);
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
 *
 * @example Run a command and read its output
 * ```ts
 * import { spawn } from "@winipc/winipc/process";
 *
 * await using child = spawn("cmd.exe", { args: ["/c", "echo hello"], stdin: "null" });
 * const out = new TextDecoder().decode(await child.stdout!.readAll({ timeout: 10_000 }));
 * console.log(out.trim(), await child.wait({ timeout: 10_000 })); // hello 0
 * ```
 * @throws {RangeError} the command line is longer than 32767 characters.
 * @throws {Win32Error} the process could not be started (CreateProcessW: no such file, ...).
 */
export function spawn(file: string, opts: SpawnOptions = {}): ChildProcess {
  const cmdline = [file, ...(opts.args ?? [])].map(quoteWindowsArg).join(" ");
  if (cmdline.length >= 32767) throw new RangeError("command line longer than 32767 characters");
  const created: StdHandle[] = [];
  try {
    const stdin = stdHandle(opts.stdin ?? "pipe", STD_INPUT_HANDLE, false);
    created.push(stdin);
    const stdout = stdHandle(opts.stdout ?? "pipe", STD_OUTPUT_HANDLE, true);
    created.push(stdout);
    const stderr = stdHandle(opts.stderr ?? "inherit", STD_ERROR_HANDLE, true);
    created.push(stderr);
    const std = [stdin.child.value, stdout.child.value, stderr.child.value] as const;
    const info = withInheritedHandles(std, (attrs) => createProcess(cmdline, opts, startupInfo(std, attrs)));
    k.CloseHandle(info.hThread); // the primary thread: not needed
    return new ChildProcess({
      process: new OwnedHandle(info.hProcess),
      pid: info.dwProcessId,
      stdin: stdin.parent && new PipeWriter(stdin.parent),
      stdout: stdout.parent && new PipeReader(stdout.parent),
      stderr: stderr.parent && new PipeReader(stderr.parent),
    });
  } catch (e) {
    for (const c of created) c.parent?.close();
    throw e;
  } finally {
    // The parent's copies of the child's ends: closed so that end-of-stream works.
    for (const c of created) c.child.close();
  }
}

/** Runs `fn` with a PROC_THREAD_ATTRIBUTE_LIST naming the only handles the child inherits. */
function withInheritedHandles<T>(handles: readonly bigint[], fn: (attrs: bigint) => T): T {
  using list = new NativeMemory(handles.length * 8);
  handles.forEach((h, i) => list.view().setBigUint64(i * 8, h, true));
  const size = new BigUint64Array(1);
  k.InitializeProcThreadAttributeList(0n, 1, 0, size); // only asks for the size: fails by design
  using attrs = new NativeMemory(Number(size[0]));
  check(
    "InitializeProcThreadAttributeList",
    () => k.InitializeProcThreadAttributeList(attrs.address, 1, 0, size),
  );
  try {
    const handleList = BigInt(PROC_THREAD_ATTRIBUTE_HANDLE_LIST);
    check(
      "UpdateProcThreadAttribute",
      () =>
        k.UpdateProcThreadAttribute(attrs.address, 0, handleList, list.address, BigInt(list.size), 0n, 0n),
    );
    return fn(attrs.address);
  } finally {
    k.DeleteProcThreadAttributeList(attrs.address);
  }
}

/** STARTUPINFOEXW with the child's standard handles and the attribute list. */
function startupInfo(std: readonly [bigint, bigint, bigint], attrs: bigint): Uint8Array {
  return STARTUPINFOEXW.encode({
    StartupInfo: {
      cb: STARTUPINFOEXW.size,
      dwFlags: STARTF_USESTDHANDLES,
      hStdInput: std[0],
      hStdOutput: std[1],
      hStdError: std[2],
    },
    lpAttributeList: attrs,
  });
}

function createProcess(cmdline: string, opts: SpawnOptions, si: Uint8Array) {
  const pi = new Uint8Array(PROCESS_INFORMATION.size);
  const env = opts.env ? environmentBlock(opts.env) : null;
  const cwd = opts.cwd === undefined ? null : wstr(opts.cwd);
  const flags = EXTENDED_STARTUPINFO_PRESENT | CREATE_UNICODE_ENVIRONMENT | CREATE_NO_WINDOW;
  check(
    `CreateProcessW(${cmdline.slice(0, 200)})`,
    () => k.CreateProcessW(null, wstr(cmdline), 0n, 0n, 1, flags, env, cwd, si, pi),
  );
  return PROCESS_INFORMATION.read(pi);
}

/** A Unicode environment block: `KEY=value` strings sorted case-insensitively, NUL-separated. */
function environmentBlock(env: Readonly<Record<string, string>>): Uint16Array {
  const entries = Object.entries(env).map(([key, val]) => `${key}=${val}`).sort((a, b) =>
    a.toUpperCase() < b.toUpperCase() ? -1 : 1
  );
  return wstr(entries.join("\0") + "\0");
}

/** Options for {@link createPipe}. */
export interface CreatePipeOptions {
  /** Make both handles inheritable by child processes. Default false. */
  inheritable?: boolean;
  /** The buffer size the system is asked for, in bytes; 0 (default) for the system's default. */
  size?: number;
}

/**
 * A plain anonymous pipe (CreatePipe): synchronous handles, for passing to other processes.
 * (For the parent's own end, {@link spawn}'s overlapped pipes are the ones to read and write.)
 *
 * @example Hand the read end to another process
 * ```ts
 * import { createPipe, duplicateHandleTo } from "@winipc/winipc/process";
 *
 * const pipe = createPipe();
 * const childPid = 1234; // a process that will adopt the read end
 * const value = duplicateHandleTo(pipe.read, childPid, { closeSource: true });
 * // send `value` to that process over any channel; it calls adoptHandle(value)
 * pipe.write.close(); // or hand the write end on the same way
 * ```
 * @throws {Win32Error} CreatePipe failed.
 */
export function createPipe(opts: CreatePipeOptions = {}): {
  /** The read end. */
  read: OwnedHandle;
  /** The write end. */
  write: OwnedHandle;
} {
  const r = new BigUint64Array(1);
  const w = new BigUint64Array(1);
  const sa = opts.inheritable ? inheritable() : null;
  check("CreatePipe", () => k.CreatePipe(r, w, sa, opts.size ?? 0));
  return { read: new OwnedHandle(r[0]), write: new OwnedHandle(w[0]) };
}

/** Options for {@link duplicateHandleTo}. */
export interface DuplicateOptions {
  /** Close the handle here in the same call (DUPLICATE_CLOSE_SOURCE). Default false. */
  closeSource?: boolean;
  /** Make the new handle inheritable in the target process. Default false. */
  inheritable?: boolean;
}

/**
 * Duplicates `handle` into another process (by process id or an open process handle), returning
 * the handle's value in that process. Send the value over any channel; the receiver adopts it with
 * {@link adoptHandle}. With `closeSource` the handle here is closed in the same call.
 * @throws {Win32Error} the target process cannot be opened, or the handle not duplicated.
 */
export function duplicateHandleTo(
  handle: bigint | OwnedHandle,
  target: number | bigint,
  opts: DuplicateOptions = {},
): bigint {
  const source = typeof handle === "bigint" ? handle : handle.value;
  using opened = typeof target === "number"
    ? new OwnedHandle(
      checkHandle(`OpenProcess(${target})`, () => k.OpenProcess(PROCESS_DUP_HANDLE, 0, target)),
    )
    : undefined;
  const targetProcess = opened?.value ?? (target as bigint);
  const out = new BigUint64Array(1);
  const options = DUPLICATE_SAME_ACCESS | (opts.closeSource ? DUPLICATE_CLOSE_SOURCE : 0);
  const inherit = opts.inheritable ? 1 : 0;
  check(
    "DuplicateHandle",
    () => k.DuplicateHandle(k.GetCurrentProcess(), source, targetProcess, out, 0, inherit, options),
  );
  // DUPLICATE_CLOSE_SOURCE closed it in the kernel: forget it here without a second close.
  if (opts.closeSource && typeof handle !== "bigint") handle.release();
  return out[0];
}

/**
 * Takes ownership of a handle value that another process duplicated into this one.
 * @throws {TypeError} `value` is not a handle value.
 * @throws {Win32Error} no such handle is open in this process.
 */
export function adoptHandle(value: bigint): OwnedHandle {
  if (typeof value !== "bigint" || isInvalidHandle(value)) {
    throw new TypeError(`not a handle value: ${value}`);
  }
  check("GetHandleInformation", () => k.GetHandleInformation(value, new Uint32Array(1)));
  return new OwnedHandle(value);
}

/**
 * Waits for several child processes; resolves with the index of the first to end.
 * @throws {TimeoutError} none ended within `timeout`.
 */
export async function waitForChild(children: readonly ChildProcess[], opts?: WaitOptions): Promise<number> {
  return (await waitAny(children.map((c) => c.handle), opts)).index;
}
