/**
 * mswsock.dll: the Microsoft Windows Sockets extensions. AcceptEx is exported here as well as
 * reachable through WSAIoctl(SIO_GET_EXTENSION_FUNCTION_POINTER); the export is the form plain
 * FFI can call.
 * @module
 */
import { backend } from "./runtime.ts";
import type { Library, SymbolTable } from "./types.ts";

export const mswsockSymbols = {
  AcceptEx: {
    args: [
      "ptr", // SOCKET sListenSocket
      "ptr", // SOCKET sAcceptSocket
      "ptr", // PVOID lpOutputBuffer
      "u32", // DWORD dwReceiveDataLength
      "u32", // DWORD dwLocalAddressLength
      "u32", // DWORD dwRemoteAddressLength
      "ptr", // LPDWORD lpdwBytesReceived
      "ptr", // LPOVERLAPPED lpOverlapped
    ],
    returns: "i32", // BOOL
  },
} as const satisfies SymbolTable;

let lib: Library<typeof mswsockSymbols> | undefined;
/** mswsock.dll, loaded on first use (only listening sockets need it). */
export function mswsock(): Library<typeof mswsockSymbols> {
  return lib ??= backend.open("mswsock.dll", mswsockSymbols);
}
