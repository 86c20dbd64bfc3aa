/**
 * The names of the named pipes on this machine: a directory listing of the pipe file system
 * (FindFirstFileW/FindNextFileW over `\\.\pipe\*`), as Windows' own tools make it.
 * @module
 */
import { kernel32 } from "../../ffi/kernel32.ts";
import { attemptRepeatable } from "../../ffi/check.ts";
import { isInvalidHandle, OwnedHandle } from "../../ffi/handle.ts";
import { Win32Error } from "../../ffi/error.ts";
import { fromWstr, wstr } from "../../ffi/wstr.ts";
import { WIN32_FIND_DATAW } from "../../ffi/headers/winbase.ts";
import { ERROR_BAD_DEV_TYPE, ERROR_FILE_NOT_FOUND, ERROR_NO_MORE_FILES } from "../../ffi/headers/winerror.ts";
import { WinipcError } from "../../core/errors.ts";

const k = kernel32.sync;
const PATTERN = "\\\\.\\pipe\\*";
/** A bound on one listing, so a pipe file system that never says "no more files" cannot loop us. */
const MAX_PIPES = 1_000_000;

/**
 * The system's pipe file system cannot list its pipes. Wine 10 is such a system: its
 * FindFirstFileW on `\\.\pipe\*` fails with ERROR_BAD_DEV_TYPE (66). The `cause` is that
 * {@link Win32Error}.
 */
export class PipeListingUnsupportedError extends WinipcError {}

/**
 * The names of the named pipes that exist now (as `NAME` in `\\.\pipe\NAME`; a name may itself
 * contain backslashes), in the order the system lists them. Pipes made by any process are
 * listed, including ones this process could not open. The listing is not a snapshot: a pipe
 * created or closed while it runs may or may not appear.
 *
 * @example
 * ```ts
 * import { listNamedPipes } from "@winipc/winipc/pipe";
 * console.log(listNamedPipes().filter((name) => name.startsWith("orders")));
 * ```
 * @throws {PipeListingUnsupportedError} on a system whose pipe file system cannot be listed
 *   (Wine 10: FindFirstFileW fails with ERROR_BAD_DEV_TYPE).
 * @throws {Win32Error} when the listing fails for another reason.
 */
export function listNamedPipes(): string[] {
  const data = new Uint8Array(WIN32_FIND_DATAW.size);
  const first = attemptRepeatable(() => k.FindFirstFileW(wstr(PATTERN), data), isInvalidHandle);
  if (isInvalidHandle(first.value)) {
    if (first.error === ERROR_FILE_NOT_FOUND || first.error === ERROR_NO_MORE_FILES) return [];
    const cause = new Win32Error(`FindFirstFileW(${PATTERN})`, first.error);
    if (first.error === ERROR_BAD_DEV_TYPE) {
      throw new PipeListingUnsupportedError(
        `named pipes cannot be listed on this system: FindFirstFileW(${PATTERN}) fails with ` +
          `ERROR_BAD_DEV_TYPE (Wine's pipe file system has no directory listing)`,
        { cause },
      );
    }
    throw cause;
  }
  using search = new OwnedHandle(first.value, (h) => void k.FindClose(h));
  const names: string[] = [];
  for (;;) {
    // read() checks that the struct fits the buffer; cFileName ends at its NUL or its 260th unit.
    const name = fromWstr(Uint16Array.from(WIN32_FIND_DATAW.read(data).cFileName));
    if (name !== "") names.push(name);
    if (names.length >= MAX_PIPES) break;
    // A failed FindNextFileW moves nothing, so repeating it (to learn an overwritten code) skips none.
    const next = attemptRepeatable(() => k.FindNextFileW(search.value, data), (ok) => ok === 0);
    if (next.value !== 0) continue;
    if (next.error === ERROR_NO_MORE_FILES) break;
    throw new Win32Error("FindNextFileW", next.error);
  }
  return names;
}
