/**
 * ws2_32.dll: Windows Sockets. SOCKET is a pointer-sized handle (`ptr`). Declared once for every
 * runtime, each symbol under its C prototype.
 * @module
 */
import { backend } from "./runtime.ts";
import type { Library, SymbolTable } from "./types.ts";

export const ws2_32Symbols = {
  // int WSAStartup(WORD wVersionRequested, LPWSADATA lpWSAData)
  WSAStartup: { args: ["u16", "buf"], returns: "i32" },
  // int WSACleanup(void)
  WSACleanup: { args: [], returns: "i32" },
  // int WSAGetLastError(void)
  WSAGetLastError: { args: [], returns: "i32" },
  // SOCKET WSASocketW(int af, int type, int protocol, LPWSAPROTOCOL_INFOW lpProtocolInfo, GROUP g,
  //   DWORD dwFlags)
  WSASocketW: { args: ["i32", "i32", "i32", "ptr", "u32", "u32"], returns: "ptr" },
  // int closesocket(SOCKET s)
  closesocket: { args: ["ptr"], returns: "i32" },
  // int bind(SOCKET s, const sockaddr *name, int namelen)
  bind: { args: ["ptr", "buf", "i32"], returns: "i32" },
  // int listen(SOCKET s, int backlog)
  listen: { args: ["ptr", "i32"], returns: "i32" },
  // SOCKET accept(SOCKET s, sockaddr *addr, int *addrlen)
  accept: { args: ["ptr", "buf", "buf"], returns: "ptr" },
  // int connect(SOCKET s, const sockaddr *name, int namelen)
  connect: { args: ["ptr", "buf", "i32"], returns: "i32" },
  // int send(SOCKET s, const char *buf, int len, int flags)
  send: { args: ["ptr", "buf", "i32", "i32"], returns: "i32" },
  // int recv(SOCKET s, char *buf, int len, int flags)
  recv: { args: ["ptr", "buf", "i32", "i32"], returns: "i32" },
  // int sendto(SOCKET s, const char *buf, int len, int flags, const sockaddr *to, int tolen)
  sendto: { args: ["ptr", "buf", "i32", "i32", "buf", "i32"], returns: "i32" },
  // int recvfrom(SOCKET s, char *buf, int len, int flags, sockaddr *from, int *fromlen)
  recvfrom: { args: ["ptr", "buf", "i32", "i32", "buf", "buf"], returns: "i32" },
  // int shutdown(SOCKET s, int how)
  shutdown: { args: ["ptr", "i32"], returns: "i32" },
  // int setsockopt(SOCKET s, int level, int optname, const char *optval, int optlen)
  setsockopt: { args: ["ptr", "i32", "i32", "buf", "i32"], returns: "i32" },
  // int getsockname(SOCKET s, sockaddr *name, int *namelen)
  getsockname: { args: ["ptr", "buf", "buf"], returns: "i32" },
  // int getpeername(SOCKET s, sockaddr *name, int *namelen)
  getpeername: { args: ["ptr", "buf", "buf"], returns: "i32" },
  // int GetAddrInfoW(PCWSTR pNodeName, PCWSTR pServiceName, const ADDRINFOW *pHints, PADDRINFOW *ppResult)
  GetAddrInfoW: { args: ["buf", "buf", "buf", "buf"], returns: "i32" },
  // void FreeAddrInfoW(PADDRINFOW pAddrInfo)
  FreeAddrInfoW: { args: ["ptr"], returns: "void" },
  // int WSAEventSelect(SOCKET s, WSAEVENT hEventObject, long lNetworkEvents)
  WSAEventSelect: { args: ["ptr", "ptr", "i32"], returns: "i32" },
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
