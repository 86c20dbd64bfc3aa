/** Win32 failures as typed errors carrying the API name, the code and the system text. @module */
import { kernel32 } from "./kernel32.ts";
import { FORMAT_MESSAGE_FROM_SYSTEM, FORMAT_MESSAGE_IGNORE_INSERTS } from "./headers/winbase.ts";
import { fromWstr } from "./wstr.ts";
import { WinipcError } from "../core/errors.ts";

/** The system's text for a Win32 error code (FormatMessageW), without the trailing newline. */
export function systemMessage(code: number): string {
  const buf = new Uint16Array(512);
  const n = kernel32.sync.FormatMessageW(
    FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_IGNORE_INSERTS,
    0n,
    code,
    0,
    buf,
    buf.length,
    0n,
  );
  return n === 0 ? `error ${code}` : fromWstr(buf.subarray(0, n)).trim();
}

/** A failed Win32 call: `api` failed with `code` (GetLastError), message from the system. */
export class Win32Error extends WinipcError {
  /** The function (and, where useful, its argument) that failed. */
  readonly api: string;
  /** The Win32 error code (GetLastError or an I/O completion status). */
  readonly code: number;

  /** `api` failed with `code`; the message adds the system's text for the code. */
  constructor(api: string, code: number, options?: ErrorOptions) {
    super(`${api} failed: ${systemMessage(code)} (Win32 error ${code})`, options);
    this.api = api;
    this.code = code;
  }
}

/** A failed Windows Sockets call: the API, WSAGetLastError's code and the system's text. */
export class WsaError extends WinipcError {
  /** The function (and, where useful, its argument) that failed. */
  readonly api: string;
  /** The WSA error code (WSAGetLastError). */
  readonly code: number;

  /** `api` failed with `code`; the message adds the system's text for the code. */
  constructor(api: string, code: number, options?: ErrorOptions) {
    super(`${api} failed: ${systemMessage(code)} (WSA error ${code})`, options);
    this.api = api;
    this.code = code;
  }
}
