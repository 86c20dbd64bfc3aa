/**
 * mswsock.dll: the Microsoft Windows Sockets extensions. AcceptEx is exported here as well as
 * reachable through WSAIoctl(SIO_GET_EXTENSION_FUNCTION_POINTER); the export is the form plain
 * FFI can call.
 * @module
 */
import { backend } from "./runtime.ts";
import type { Library, SymbolTable } from "./types.ts";

export const mswsockSymbols = {
  // BOOL AcceptEx(SOCKET sListenSocket, SOCKET sAcceptSocket, PVOID lpOutputBuffer,
  //   DWORD dwReceiveDataLength, DWORD dwLocalAddressLength, DWORD dwRemoteAddressLength,
  //   LPDWORD lpdwBytesReceived, LPOVERLAPPED lpOverlapped)
  AcceptEx: { args: ["ptr", "ptr", "ptr", "u32", "u32", "u32", "ptr", "ptr"], returns: "i32" },
} as const satisfies SymbolTable;

let lib: Library<typeof mswsockSymbols> | undefined;
/** mswsock.dll, loaded on first use (only listening sockets need it). */
export function mswsock(): Library<typeof mswsockSymbols> {
  return lib ??= backend.open("mswsock.dll", mswsockSymbols);
}
