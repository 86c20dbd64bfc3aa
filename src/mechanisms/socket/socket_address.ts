/**
 * Socket addresses: sockaddr bytes with a printable form, `host:port` parsing, name resolution
 * (GetAddrInfoW), and reading the sockaddr a Winsock call writes.
 * @module
 */
import { backend } from "../../ffi/runtime.ts";
import { wstr } from "../../ffi/wstr.ts";
import { WsaError } from "../../ffi/error.ts";
import type { Attempt } from "../../ffi/check.ts";
import { attemptWsa } from "../../ffi/check_wsa.ts";
import { AddressError, NotFoundError } from "../../core/errors.ts";
import {
  AF_INET,
  AF_INET6,
  AF_UNIX,
  SOCK_DGRAM,
  SOCK_STREAM,
  SOCKADDR_IN,
  SOCKADDR_IN6,
  SOCKADDR_UN,
  WSAHOST_NOT_FOUND,
  WSANO_DATA,
} from "../../ffi/headers/winsock2.ts";
import { wsa } from "./winsock.ts";

/** A socket address in its sockaddr bytes, with a printable form. */
export interface SocketAddress {
  /** The address family: {@link AF_INET}, {@link AF_INET6} or {@link AF_UNIX}. */
  family: number;
  /** The sockaddr structure as the system reads and writes it. */
  bytes: Uint8Array;
  /** `1.2.3.4:80`, `[2001:db8:0:0:0:0:0:1]:80`, or an AF_UNIX path. */
  text: string;
}

function ipv4(host: string): Uint8Array | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(host);
  if (!m) return undefined;
  const parts = m.slice(1).map(Number);
  return parts.every((p) => p <= 255) ? new Uint8Array(parts) : undefined;
}

function sockaddrIn(addr: Uint8Array, port: number): Uint8Array {
  return SOCKADDR_IN.encode({ sin_family: AF_INET, sin_port: port, sin_addr: addr });
}

/** Reads a sockaddr the system wrote (bounded by `length`). */
export function decodeSockaddr(bytes: Uint8Array): SocketAddress {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const family = bytes.length >= 2 ? v.getUint16(0, true) : 0;
  if (family === AF_INET && bytes.length >= SOCKADDR_IN.size) {
    const a = SOCKADDR_IN.read(bytes);
    return {
      family,
      bytes: bytes.slice(0, SOCKADDR_IN.size),
      text: `${[...a.sin_addr].join(".")}:${a.sin_port}`,
    };
  }
  if (family === AF_INET6 && bytes.length >= SOCKADDR_IN6.size) {
    const a = SOCKADDR_IN6.read(bytes);
    const words = new DataView(a.sin6_addr.buffer);
    const groups = [];
    for (let i = 0; i < 8; i++) groups.push(words.getUint16(i * 2, false).toString(16));
    return { family, bytes: bytes.slice(0, SOCKADDR_IN6.size), text: `[${groups.join(":")}]:${a.sin6_port}` };
  }
  if (family === AF_UNIX) {
    const path = SOCKADDR_UN.offsets.sun_path; // the system's sockaddr_un may be shorter than the struct
    const end = bytes.indexOf(0, path);
    return {
      family,
      bytes: bytes.slice(),
      text: new TextDecoder().decode(bytes.subarray(path, end < 0 ? undefined : end)),
    };
  }
  return { family, bytes: bytes.slice(), text: `family ${family}` };
}

/**
 * Splits `host:port` or `[v6]:port` into its parts.
 * @throws {AddressError} when the text is not of that form or the port is not 0 to 65535.
 */
export function splitHostPort(text: string): {
  /** The host: a name, an IPv4 literal, or an IPv6 literal without its brackets. */
  host: string;
  /** The port, 0 to 65535. */
  port: number;
} {
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(text) ?? /^([^:]+):(\d+)$/.exec(text);
  const port = m ? Number(m[2]) : NaN;
  if (!m || !(port >= 0 && port <= 65535)) throw new AddressError(`bad host:port '${text}'`);
  return { host: m[1], port };
}

/**
 * Resolves a host and port to socket addresses: an IPv4 literal directly, anything else with
 * GetAddrInfoW (IPv6 literals, names; both families).
 * @throws {NotFoundError} when the name does not resolve.
 * @throws {WsaError} when the resolver fails otherwise.
 */
export function resolve(host: string, port: number, socktype: "stream" | "dgram"): SocketAddress[] {
  const v4 = ipv4(host);
  if (v4) return [decodeSockaddr(sockaddrIn(v4, port))];
  const api = wsa();
  const hints = new Uint8Array(48); // ADDRINFOW
  const hv = new DataView(hints.buffer);
  hv.setInt32(4, 0, true); // ai_family: AF_UNSPEC
  hv.setInt32(8, socktype === "stream" ? SOCK_STREAM : SOCK_DGRAM, true);
  const out = new BigUint64Array(1);
  const r = api.GetAddrInfoW(wstr(host), wstr(String(port)), hints, out);
  if (r !== 0) {
    if (r === WSAHOST_NOT_FOUND || r === WSANO_DATA) {
      throw new NotFoundError(`cannot resolve '${host}'`, { cause: new WsaError("GetAddrInfoW", r) });
    }
    throw new WsaError(`GetAddrInfoW(${host})`, r);
  }
  const found: SocketAddress[] = [];
  try {
    for (let p = out[0], n = 0; p !== 0n && n < 64; n++) {
      const ai = new DataView(backend.memory(p, 48).slice(0));
      const len = Number(ai.getBigUint64(16, true));
      const addr = ai.getBigUint64(32, true);
      if (addr !== 0n && len > 0 && len <= 128) {
        found.push(decodeSockaddr(new Uint8Array(backend.memory(addr, len).slice(0))));
      }
      p = ai.getBigUint64(40, true);
    }
  } finally {
    api.FreeAddrInfoW(out[0]);
  }
  if (found.length === 0) throw new NotFoundError(`no address for '${host}'`);
  return found;
}

export function unixSockaddr(path: string): Uint8Array {
  const enc = new TextEncoder().encode(path);
  if (enc.length === 0 || enc.length > 107) {
    throw new AddressError(`bad AF_UNIX path '${path}': 1 to 107 bytes`);
  }
  return SOCKADDR_UN.encode({ sun_family: AF_UNIX, sun_path: enc });
}

/** A sockaddr the system wrote, with the call's result and error code. */
export interface SockaddrResult extends Attempt<number> {
  /** Undefined when the call failed. */
  address: SocketAddress | undefined;
}

/** Makes a call that writes a sockaddr and its length into the buffers it is given. */
export function withSockaddr(call: (name: Uint8Array, length: Int32Array) => number): SockaddrResult {
  const name = new Uint8Array(128); // room for any sockaddr here (sockaddr_un is 110 bytes)
  const len = new Int32Array([name.length]);
  const r = attemptWsa(() => call(name, len), (n) => n < 0);
  return { ...r, address: r.value < 0 ? undefined : decodeSockaddr(name.subarray(0, len[0])) };
}

/** The port of an IP socket address. */
export function portOf(a: SocketAddress): number {
  return new DataView(a.bytes.buffer, a.bytes.byteOffset).getUint16(2, false);
}
