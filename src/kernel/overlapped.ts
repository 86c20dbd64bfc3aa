/**
 * Overlapped I/O: one OVERLAPPED in native memory per direction of a handle, completed through the
 * wait multiplexer (wait.ts), cancelled with CancelIoEx on abort or timeout.
 * @module
 */
import { kernel32 } from "../ffi/kernel32.ts";
import { ERROR_IO_INCOMPLETE, ERROR_IO_PENDING, ERROR_OPERATION_ABORTED } from "../ffi/headers/winerror.ts";
import { STATUS_PENDING, STATUS_SUCCESS } from "../ffi/headers/ntstatus.ts";
import { ntdll } from "../ffi/ntdll.ts";
import { Win32Error } from "../ffi/error.ts";
import { attempt, attemptRepeatable, isOverwrittenError } from "../ffi/check.ts";
import { NativeMemory } from "../ffi/memory.ts";
import { type WaitOptions, WinipcError } from "../core/errors.ts";
import { createEvent, waitAny } from "./wait.ts";

const k = kernel32.sync;

/** A start's verdict: the operation runs on (the kernel owns its buffer until it completes). */
const PENDING = Symbol("pending");

/** The Win32 error code for an NTSTATUS, as the Win32 wrappers report it. */
function toWin32(status: number): number {
  return ntdll().sync.RtlNtStatusToDosError(status);
}

/** The result of one overlapped operation: bytes transferred and the Win32 code (0 = success). */
export interface IoResult {
  bytes: number;
  error: number;
}

/** Bytes in native memory: where an I/O call reads from or writes to. */
export interface NativeRange {
  readonly address: bigint;
  readonly length: number;
}

/**
 * An OVERLAPPED structure in native memory with its own manual-reset event, reused across
 * operations on one handle (one operation at a time).
 */
export class Overlapped implements Disposable {
  readonly #mem = new NativeMemory(32);
  readonly #event = createEvent(true);
  readonly #count = new Uint32Array(1);
  #busy = false;

  constructor() {
    this.#mem.view().setBigUint64(24, this.#event.value, true); // OVERLAPPED.hEvent
  }

  /**
   * Starts an operation with `start(lpOverlapped)` (which returns the call's BOOL) and waits for
   * it. On abort or timeout the operation is cancelled with CancelIoEx and waited for, so no
   * memory is freed while the kernel still uses it; if it completed anyway, its result is
   * returned rather than lost.
   */
  run(file: bigint, start: (overlapped: bigint) => number, opts: WaitOptions = {}): Promise<IoResult> {
    return this.#run(file, opts, () => {
      k.ResetEvent(this.#event.value);
      const started = attempt(() => start(this.#mem.address), (ok) => !ok);
      if (started.value) return undefined;
      const error = isOverwrittenError(started.error) ? this.#startError(file) : started.error;
      return error === ERROR_IO_PENDING ? PENDING : { bytes: this.#transferred(), error };
    });
  }

  /**
   * {@link run} for a native call that returns its NTSTATUS (NtReadFile, NtWriteFile): the outcome
   * is the return value, never a thread's last-error code, which the runtime may overwrite
   * between two FFI calls (check.ts). The call resets the event itself.
   */
  #runNative(file: bigint, start: (overlapped: bigint) => number, opts: WaitOptions): Promise<IoResult> {
    return this.#run(file, opts, () => {
      const status = start(this.#mem.address);
      // A call that fails at once may leave OVERLAPPED unwritten: its status is the return value.
      return status === STATUS_PENDING ? PENDING : this.#outcome(status);
    });
  }

  /** `start` returns undefined when the operation completed at once (its result is in OVERLAPPED). */
  async #run(
    file: bigint,
    opts: WaitOptions,
    start: () => IoResult | typeof PENDING | undefined,
  ): Promise<IoResult> {
    if (this.#busy) throw new WinipcError("winipc: overlapped operation already in progress");
    this.#busy = true;
    try {
      this.#mem.bytes.fill(0, 0, 24);
      const started = start();
      if (started === undefined) return this.#result();
      if (started !== PENDING) return started;
      try {
        await waitAny([this.#event.value], opts);
      } catch (e) {
        k.CancelIoEx(file, this.#mem.address);
        await waitAny([this.#event.value], { timeout: 30_000 });
        const res = await this.#completed();
        if (res.error === ERROR_OPERATION_ABORTED) throw e;
        return res;
      }
      return await this.#completed();
    } finally {
      this.#busy = false;
    }
  }

  /**
   * The real outcome of a start whose error code the runtime overwrote (check.ts): the kernel
   * marks a pending operation STATUS_PENDING in OVERLAPPED.Internal, and GetOverlappedResult
   * (no wait) gives the code of one that already failed. Telling a pending operation apart
   * matters most: the kernel still owns its buffer.
   */
  #startError(file: bigint): number {
    if (this.#status() === STATUS_PENDING) return ERROR_IO_PENDING;
    const r = attemptRepeatable(
      () => k.GetOverlappedResult(file, this.#mem.address, this.#count, 0),
      (ok) => !ok,
    );
    return r.error === ERROR_IO_INCOMPLETE ? ERROR_IO_PENDING : r.error;
  }

  /** OVERLAPPED.Internal: the operation's NTSTATUS (STATUS_PENDING while it runs). */
  #status(): number {
    return this.#mem.view().getUint32(0, true);
  }

  /** An operation's result: `status` (an NTSTATUS) as a Win32 code, and the bytes transferred. */
  #outcome(status: number): IoResult {
    return { bytes: this.#transferred(), error: status === STATUS_SUCCESS ? 0 : toWin32(status) };
  }

  #transferred(): number {
    return Number(this.#mem.view().getBigUint64(8, true)); // OVERLAPPED.InternalHigh
  }

  /**
   * The outcome of a finished operation, read from OVERLAPPED itself (as GetOverlappedResult
   * does, but with no last-error code in between).
   */
  #result(): IoResult {
    return this.#outcome(this.#status());
  }

  /**
   * {@link #result} once the event has fired. The kernel writes OVERLAPPED before it sets the
   * event, so the status is final; should it still read pending, look again shortly (bounded).
   */
  async #completed(): Promise<IoResult> {
    for (let i = 0; i < 1000 && this.#status() === STATUS_PENDING; i++) {
      await new Promise((r) => setTimeout(r, 1));
    }
    return this.#result();
  }

  /** One overlapped ReadFile of up to `into.length` bytes. */
  readFile(file: bigint, into: NativeRange, opts: WaitOptions = {}): Promise<IoResult> {
    return this.#runNative(
      file,
      (ov) =>
        ntdll().sync.NtReadFile(file, this.#event.value, 0n, ov, ov, into.address, into.length, ov + 16n, 0n),
      opts,
    );
  }

  /** One overlapped WriteFile of `data` (it may write fewer bytes: see {@link writeAll}). */
  writeFile(file: bigint, data: NativeRange, opts: WaitOptions = {}): Promise<IoResult> {
    return this.#runNative(
      file,
      (ov) =>
        ntdll().sync.NtWriteFile(
          file,
          this.#event.value,
          0n,
          ov,
          ov,
          data.address,
          data.length,
          ov + 16n,
          0n,
        ),
      opts,
    );
  }

  /**
   * The write-all loop: WriteFile again for the rest after a short write (a byte pipe or a port
   * may take fewer bytes than asked), until all of `data` is written, a call fails, or a call
   * writes nothing. Resolves with the bytes written and the code that stopped it (0 = success).
   */
  async writeAll(file: bigint, data: NativeRange, opts: WaitOptions = {}): Promise<IoResult> {
    let done = 0;
    while (done < data.length) {
      const rest = { address: data.address + BigInt(done), length: data.length - done };
      const r = await this.writeFile(file, rest, opts);
      done += r.bytes;
      if (r.error !== 0 || r.bytes === 0) return { bytes: done, error: r.error };
    }
    return { bytes: done, error: 0 };
  }

  [Symbol.dispose](): void {
    if (this.#busy) return; // still in use by the kernel: the GC safety net frees it later
    this.#mem[Symbol.dispose]();
    this.#event.close();
  }
}

/** Throws a Win32Error for `api` unless `result.error` is 0 or listed in `ok`. */
export function checkIo(api: string, result: IoResult, ...ok: number[]): IoResult {
  if (result.error !== 0 && !ok.includes(result.error)) throw new Win32Error(api, result.error);
  return result;
}
