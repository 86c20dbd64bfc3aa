/**
 * Call checking: the only code that reads GetLastError (check_wsa.ts: WSAGetLastError). Each helper makes the
 * call and reads the thread's error code at once, before any other FFI call can overwrite it
 * (a GC or a runtime callback between two FFI calls may). Mechanisms never read the code
 * themselves: they call these helpers and get a value, or a typed error naming the API.
 * @module
 */
import { kernel32 } from "./kernel32.ts";
import { isInvalidHandle } from "./handle.ts";
import { Win32Error } from "./error.ts";
import { ERROR_OLD_WIN_VERSION } from "./headers/winerror.ts";

const k = kernel32.sync;

/** A call's result with the error code read right after it (0 when the call succeeded). */
export interface Attempt<T> {
  readonly value: T;
  readonly error: number;
}

/**
 * Makes a Win32 call and reads GetLastError when `failed(value)` says it failed. For callers
 * that handle some codes themselves (ERROR_PIPE_BUSY, ERROR_IO_PENDING, ...).
 */
export function attempt<T>(call: () => T, failed: (value: T) => boolean): Attempt<T> {
  return attemptWith(k, call, failed);
}

/**
 * {@link attempt} with a given kernel32: self-contained, for worker threads, whose sources
 * include its text (ffi_worker.ts) and pass their own kernel32.
 */
export function attemptWith<T>(
  kernel: { GetLastError(): number },
  call: () => T,
  failed: (value: T) => boolean,
): Attempt<T> {
  const value = call();
  return { value, error: failed(value) ? kernel.GetLastError() : 0 };
}

/**
 * Whether a code read after a failed call was overwritten by the runtime, not set by the call.
 * The thread's last error is only as good as what runs between the call and GetLastError: under
 * Wine, Deno's V8 can run a Windows version check (VerifyVersionInfo, which fails there with
 * ERROR_OLD_WIN_VERSION) while it allocates a call's 64-bit result, between our two FFI calls.
 * No call winipc makes fails with that code, so seeing it means the real code was lost (seen in
 * CI on CreateFileW and ReadFile).
 */
export function isOverwrittenError(code: number): boolean {
  return code === ERROR_OLD_WIN_VERSION;
}

/**
 * {@link attempt} for calls that acquire nothing when they fail (opens, creates, reads of state):
 * when the code read was overwritten by the runtime ({@link isOverwrittenError}), the call is
 * made again to learn the real one. Never for calls whose failure may have started something
 * (an overlapped start: see kernel/overlapped.ts).
 */
export function attemptRepeatable<T>(call: () => T, failed: (value: T) => boolean, tries = 3): Attempt<T> {
  let r = attempt(call, failed);
  for (let i = 1; i < tries && isOverwrittenError(r.error); i++) r = attempt(call, failed);
  return r;
}

/**
 * Makes a Win32 call that reports something on success too (CreateEventW and friends set
 * ERROR_ALREADY_EXISTS): clears the code first and always reads it after.
 */
export function attemptReporting<T>(call: () => T): Attempt<T> {
  k.SetLastError(0);
  const value = call();
  return { value, error: k.GetLastError() };
}

/** A BOOL call: returns its result, or throws {@link Win32Error} for `api` when it is 0. */
export function check(api: string, call: () => number): number {
  const r = attempt(call, (v) => v === 0);
  if (r.error !== 0 || r.value === 0) throw new Win32Error(api, r.error);
  return r.value;
}

/** A call returning a HANDLE: throws {@link Win32Error} on NULL or INVALID_HANDLE_VALUE. */
export function checkHandle(api: string, call: () => bigint): bigint {
  const r = attemptRepeatable(call, isInvalidHandle);
  if (isInvalidHandle(r.value)) throw new Win32Error(api, r.error);
  return r.value;
}

/** A call returning a pointer or HMODULE: throws {@link Win32Error} when it is NULL. */
export function checkPointer(api: string, call: () => bigint): bigint {
  const r = attemptRepeatable(call, (v) => v === 0n);
  if (r.value === 0n) throw new Win32Error(api, r.error);
  return r.value;
}

/** The current GetLastError code, for a call whose failure was decided elsewhere (WAIT_FAILED). */
export function lastErrorAfter<T>(call: () => T): Attempt<T> {
  const value = call();
  return { value, error: k.GetLastError() };
}
