/**
 * Call checking for Windows Sockets: the only code that reads WSAGetLastError (see check.ts for
 * why the code is read inside the helper). Kept apart so that only socket code loads ws2_32.
 * @module
 */
import { ws2_32 } from "./ws2_32.ts";
import type { Attempt } from "./check.ts";
import { WsaError } from "./error.ts";

/** A Windows Sockets call: reads WSAGetLastError when `failed(value)` says it failed. */
export function attemptWsa<T>(call: () => T, failed: (value: T) => boolean): Attempt<T> {
  const value = call();
  return { value, error: failed(value) ? ws2_32().sync.WSAGetLastError() : 0 };
}

/** A Windows Sockets call: returns its result, or throws {@link WsaError} when `failed`. */
export function checkWsa<T>(api: string, call: () => T, failed: (value: T) => boolean): T {
  const r = attemptWsa(call, failed);
  if (failed(r.value)) throw new WsaError(api, r.error);
  return r.value;
}
