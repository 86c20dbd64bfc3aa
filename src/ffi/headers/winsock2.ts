/**
 * winsock2.h and the headers it pulls in (ws2def.h, ws2ipdef.h, afunix.h, mswsock.h): address
 * families, socket options, event bits, Windows Sockets error codes, and the sockaddr structs.
 * @module
 */
import { bytes, struct } from "../struct.ts";

// Address families and their socket addresses
/** AF_UNIX: local stream sockets named by a file path. */
export const AF_UNIX = 1;
/** AF_INET: IPv4. */
export const AF_INET = 2;
/** AF_INET6: IPv6. */
export const AF_INET6 = 23;

/** sockaddr_in (ws2def.h). The port is in network byte order; `sin_addr` is the IN_ADDR union. */
export const SOCKADDR_IN = struct({
  sin_family: "u16",
  sin_port: "u16be",
  sin_addr: bytes(4, 4),
  sin_zero: bytes(8),
});

/** sockaddr_in6 (ws2ipdef.h). `sin6_addr` is the IN6_ADDR union (16 bytes or 8 WORDs). */
export const SOCKADDR_IN6 = struct({
  sin6_family: "u16",
  sin6_port: "u16be",
  sin6_flowinfo: "u32",
  sin6_addr: bytes(16, 2),
  sin6_scope_id: "u32",
});

/** sockaddr_un (afunix.h): a NUL-terminated path of up to 107 bytes. */
export const SOCKADDR_UN = struct({
  sun_family: "u16",
  sun_path: bytes(108),
});

// Socket types and protocols
export const SOCK_STREAM = 1;
export const SOCK_DGRAM = 2;
export const IPPROTO_TCP = 6;
export const IPPROTO_UDP = 17;

// Socket options and flags
export const SOL_SOCKET = 0xffff;
export const SO_EXCLUSIVEADDRUSE = ~4; // ~SO_REUSEADDR
export const SO_KEEPALIVE = 8;
export const SO_UPDATE_ACCEPT_CONTEXT = 0x700b;
export const TCP_NODELAY = 1;
export const WSA_FLAG_OVERLAPPED = 0x01;
export const WSA_FLAG_NO_HANDLE_INHERIT = 0x80;
export const SD_SEND = 1;

// WSAEventSelect network events, and the bit index of FD_CONNECT's error code
export const FD_READ = 1;
export const FD_WRITE = 2;
export const FD_CONNECT = 16;
export const FD_CLOSE = 32;
export const FD_CONNECT_BIT = 4;

// Error codes (WSAGetLastError)
export const WSAEWOULDBLOCK = 10035;
export const WSAEMSGSIZE = 10040;
export const WSAEADDRINUSE = 10048;
export const WSAECONNREFUSED = 10061;
// ... a lost connection
export const WSAECONNABORTED = 10053;
export const WSAECONNRESET = 10054;
export const WSAENOTCONN = 10057;
export const WSAESHUTDOWN = 10058;
// ... GetAddrInfoW's (returned, not read with WSAGetLastError)
export const WSAHOST_NOT_FOUND = 11001;
export const WSANO_DATA = 11004;
