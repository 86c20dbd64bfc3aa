/**
 * ws2_32.dll: Windows Sockets. SOCKET is a pointer-sized handle (`ptr`). Declared once for every
 * runtime, each argument with its C prototype.
 * @module
 */
import { backend } from "./runtime.ts";
import type { Library, SymbolTable } from "./types.ts";

export const ws2_32Symbols = {
  WSAStartup: {
    args: [
      "u16", // WORD wVersionRequested
      "buf", // LPWSADATA lpWSAData
    ],
    returns: "i32",
  },
  // int WSACleanup(void)
  WSACleanup: { args: [], returns: "i32" },
  // int WSAGetLastError(void)
  WSAGetLastError: { args: [], returns: "i32" },
  WSASocketW: {
    args: [
      "i32", // int af
      "i32", // int type
      "i32", // int protocol
      "ptr", // LPWSAPROTOCOL_INFOW lpProtocolInfo
      "u32", // GROUP g
      "u32", // DWORD dwFlags
    ],
    returns: "ptr", // SOCKET
  },
  // int closesocket(SOCKET s)
  closesocket: { args: ["ptr"], returns: "i32" },
  bind: {
    args: [
      "ptr", // SOCKET s
      "buf", // const sockaddr *name
      "i32", // int namelen
    ],
    returns: "i32",
  },
  listen: {
    args: [
      "ptr", // SOCKET s
      "i32", // int backlog
    ],
    returns: "i32",
  },
  accept: {
    args: [
      "ptr", // SOCKET s
      "buf", // sockaddr *addr
      "buf", // int *addrlen
    ],
    returns: "ptr", // SOCKET
  },
  connect: {
    args: [
      "ptr", // SOCKET s
      "buf", // const sockaddr *name
      "i32", // int namelen
    ],
    returns: "i32",
  },
  send: {
    args: [
      "ptr", // SOCKET s
      "buf", // const char *buf
      "i32", // int len
      "i32", // int flags
    ],
    returns: "i32",
  },
  recv: {
    args: [
      "ptr", // SOCKET s
      "buf", // char *buf
      "i32", // int len
      "i32", // int flags
    ],
    returns: "i32",
  },
  sendto: {
    args: [
      "ptr", // SOCKET s
      "buf", // const char *buf
      "i32", // int len
      "i32", // int flags
      "buf", // const sockaddr *to
      "i32", // int tolen
    ],
    returns: "i32",
  },
  recvfrom: {
    args: [
      "ptr", // SOCKET s
      "buf", // char *buf
      "i32", // int len
      "i32", // int flags
      "buf", // sockaddr *from
      "buf", // int *fromlen
    ],
    returns: "i32",
  },
  shutdown: {
    args: [
      "ptr", // SOCKET s
      "i32", // int how
    ],
    returns: "i32",
  },
  setsockopt: {
    args: [
      "ptr", // SOCKET s
      "i32", // int level
      "i32", // int optname
      "buf", // const char *optval
      "i32", // int optlen
    ],
    returns: "i32",
  },
  getsockname: {
    args: [
      "ptr", // SOCKET s
      "buf", // sockaddr *name
      "buf", // int *namelen
    ],
    returns: "i32",
  },
  getpeername: {
    args: [
      "ptr", // SOCKET s
      "buf", // sockaddr *name
      "buf", // int *namelen
    ],
    returns: "i32",
  },
  GetAddrInfoW: {
    args: [
      "buf", // PCWSTR pNodeName
      "buf", // PCWSTR pServiceName
      "buf", // const ADDRINFOW *pHints
      "buf", // PADDRINFOW *ppResult
    ],
    returns: "i32",
  },
  // void FreeAddrInfoW(PADDRINFOW pAddrInfo)
  FreeAddrInfoW: { args: ["ptr"], returns: "void" },
  WSAEventSelect: {
    args: [
      "ptr", // SOCKET s
      "ptr", // WSAEVENT hEventObject
      "i32", // long lNetworkEvents
    ],
    returns: "i32",
  },
  WSAEnumNetworkEvents: {
    args: [
      "ptr", // SOCKET s
      "ptr", // WSAEVENT hEventObject (reset by the call)
      "buf", // LPWSANETWORKEVENTS lpNetworkEvents
    ],
    returns: "i32",
  },
} as const satisfies SymbolTable;

let lib: Library<typeof ws2_32Symbols> | undefined;
/** ws2_32.dll, loaded on first use. */
export function ws2_32(): Library<typeof ws2_32Symbols> {
  return lib ??= backend.open("ws2_32.dll", ws2_32Symbols);
}
