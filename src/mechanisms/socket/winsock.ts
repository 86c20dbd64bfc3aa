/**
 * The Winsock library for the socket mechanism: ws2_32 started once per process, and the
 * return and error conventions its calls share.
 * @module
 */
import process from "node:process";
import { ws2_32 } from "../../ffi/ws2_32.ts";
import { WsaError } from "../../ffi/error.ts";
import { WSAECONNABORTED, WSAECONNRESET, WSAENOTCONN, WSAESHUTDOWN } from "../../ffi/headers/winsock2.ts";

/** The ws2_32 functions (WSAStartup not necessarily called: see {@link wsa}). */
export const w = () => ws2_32().sync;

let started = false;
/** WSAStartup once per process; WSACleanup when the process exits. */
export function wsa() {
  if (started) return w();
  const data = new Uint8Array(408); // WSADATA (x64)
  const r = w().WSAStartup(0x0202, data);
  if (r !== 0) throw new WsaError("WSAStartup", r);
  started = true;
  process.on("exit", () => w().WSACleanup());
  return w();
}

/** Most Winsock calls return 0, or SOCKET_ERROR on failure. */
export const nonZero = (r: number) => r !== 0;
/** WSA codes that mean the peer is gone. */
export const isDisconnect = (code: number) =>
  code === WSAECONNRESET || code === WSAECONNABORTED || code === WSAENOTCONN || code === WSAESHUTDOWN;
