/**
 * Windows Sockets through ws2_32 (not the runtime's net API): TCP message channels and byte
 * streams, UDP datagrams, AF_UNIX stream sockets (Windows 10 1803+). Connected sockets are
 * non-blocking with WSAEventSelect: a wait is a kernel wait on the socket's event (async.ts);
 * listeners accept with overlapped AcceptEx. Nothing blocks the event loop and an idle socket
 * costs no CPU.
 *
 * Addresses: `tcp:HOST:PORT`, `udp:HOST:PORT` (connect only: a connected datagram channel),
 * `unix:PATH`. HOST is an IPv4 or IPv6 literal (`[::1]`) or a name resolved with GetAddrInfoW.
 * Listening sockets use SO_EXCLUSIVEADDRUSE, so no other process can bind the same port.
 * @module
 */
import { ws2_32 } from "../../ffi/ws2_32.ts";
import { createEvent, waitAny } from "../../kernel/wait.ts";
import { Overlapped } from "../../kernel/overlapped.ts";
import { mswsock } from "../../ffi/mswsock.ts";
import { NativeMemory } from "../../ffi/memory.ts";
import { WsaError } from "../../ffi/error.ts";
import { OwnedHandle } from "../../ffi/handle.ts";
import { backend } from "../../ffi/runtime.ts";
import { wstr } from "../../ffi/wstr.ts";
import {
  AddressError,
  AddressInUseError,
  ChannelClosedError,
  MessageTooLargeError,
  NotFoundError,
  TimeoutError,
  type WaitOptions,
} from "../../core/errors.ts";
import { ChannelBase, type ChannelOptions, ListenerBase } from "../../core/channel.ts";
import { callScope, OpQueue } from "../../core/op_queue.ts";
import { encodeFrame, FrameDecoder } from "../../core/framing.ts";
import { type Address, boolParam, intParam } from "../../core/address.ts";
import type { Scheme } from "../../core/scheme.ts";
import process from "node:process";

const w = () => ws2_32().sync;

// winsock2.h
export const AF_UNIX = 1;
export const AF_INET = 2;
export const AF_INET6 = 23;
const SOCK_STREAM = 1;
const SOCK_DGRAM = 2;
const IPPROTO_TCP = 6;
const IPPROTO_UDP = 17;
const SOL_SOCKET = 0xffff;
const SO_EXCLUSIVEADDRUSE = ~4; // ~SO_REUSEADDR
const SO_KEEPALIVE = 8;
const SO_UPDATE_ACCEPT_CONTEXT = 0x700b;
const TCP_NODELAY = 1;
const WSA_FLAG_OVERLAPPED = 0x01;
const WSA_FLAG_NO_HANDLE_INHERIT = 0x80;
const FD_READ = 1, FD_WRITE = 2, FD_CONNECT = 16, FD_CLOSE = 32; // (FD_ACCEPT unused: see #acceptOne)
const FD_CONNECT_BIT = 4;
const SD_SEND = 1;
const WSAEWOULDBLOCK = 10035;
const WSAEMSGSIZE = 10040;
const WSAEADDRINUSE = 10048;
const WSAECONNABORTED = 10053;
const WSAECONNRESET = 10054;
const WSAENOTCONN = 10057;
const WSAESHUTDOWN = 10058;
const WSAECONNREFUSED = 10061;
const WSAHOST_NOT_FOUND = 11001;
const WSANO_DATA = 11004;

let started = false;
/** WSAStartup once per process; WSACleanup when the process exits. */
function wsa() {
  if (started) return w();
  const data = new Uint8Array(408); // WSADATA (x64)
  const r = w().WSAStartup(0x0202, data);
  if (r !== 0) throw new WsaError("WSAStartup", r);
  started = true;
  process.on("exit", () => w().WSACleanup());
  return w();
}

const lastWsaError = () => w().WSAGetLastError();
const isDisconnect = (code: number) =>
  code === WSAECONNRESET || code === WSAECONNABORTED || code === WSAENOTCONN || code === WSAESHUTDOWN;
/** AcceptEx completion codes (Win32, from GetOverlappedResult) for a client that gave up. */
const isAcceptDisconnect = (code: number) =>
  code === 64 /* ERROR_NETNAME_DELETED */ || code === 1236 /* ERROR_CONNECTION_ABORTED */ ||
  isDisconnect(code);
/** AcceptEx address space: the largest sockaddr here (sockaddr_un, 110 bytes) + 16, rounded. */
const ACCEPT_ADDRESS_SPACE = 128 + 16;

// --- addresses ---

/** A socket address in its sockaddr bytes, with a printable form. */
export interface SocketAddress {
  family: number;
  bytes: Uint8Array;
  text: string;
}

function ipv4(host: string): Uint8Array | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(host);
  if (!m) return undefined;
  const parts = m.slice(1).map(Number);
  return parts.every((p) => p <= 255) ? new Uint8Array(parts) : undefined;
}

function sockaddrIn(addr: Uint8Array, port: number): Uint8Array {
  const b = new Uint8Array(16);
  const v = new DataView(b.buffer);
  v.setUint16(0, AF_INET, true);
  v.setUint16(2, port, false);
  b.set(addr, 4);
  return b;
}

/** Reads a sockaddr the system wrote (bounded by `length`). */
function decodeSockaddr(bytes: Uint8Array): SocketAddress {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const family = bytes.length >= 2 ? v.getUint16(0, true) : 0;
  if (family === AF_INET && bytes.length >= 16) {
    return {
      family,
      bytes: bytes.slice(0, 16),
      text: `${[...bytes.subarray(4, 8)].join(".")}:${v.getUint16(2, false)}`,
    };
  }
  if (family === AF_INET6 && bytes.length >= 28) {
    const groups = [];
    for (let i = 0; i < 8; i++) groups.push(v.getUint16(8 + i * 2, false).toString(16));
    return { family, bytes: bytes.slice(0, 28), text: `[${groups.join(":")}]:${v.getUint16(2, false)}` };
  }
  if (family === AF_UNIX) {
    const end = bytes.indexOf(0, 2);
    return {
      family,
      bytes: bytes.slice(),
      text: new TextDecoder().decode(bytes.subarray(2, end < 0 ? undefined : end)),
    };
  }
  return { family, bytes: bytes.slice(), text: `family ${family}` };
}

/** Splits `host:port` / `[v6]:port`. */
export function splitHostPort(text: string): { host: string; port: number } {
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(text) ?? /^([^:]+):(\d+)$/.exec(text);
  const port = m ? Number(m[2]) : NaN;
  if (!m || !(port >= 0 && port <= 65535)) throw new AddressError(`bad host:port '${text}'`);
  return { host: m[1], port };
}

/** Resolves a host and port to socket addresses (IPv4 literals directly, else GetAddrInfoW). */
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

function unixSockaddr(path: string): Uint8Array {
  const enc = new TextEncoder().encode(path);
  if (enc.length === 0 || enc.length > 107) {
    throw new AddressError(`bad AF_UNIX path '${path}': 1 to 107 bytes`);
  }
  const b = new Uint8Array(110);
  new DataView(b.buffer).setUint16(0, AF_UNIX, true);
  b.set(enc, 2);
  return b;
}

// --- the socket and its events ---

/**
 * One socket with its WSAEventSelect event. Only one kernel wait per socket runs at a time; it
 * collects network events and hands them to the JS waiters that want them, so a send and a
 * receive in flight together never steal each other's wake-up.
 */
class Sock {
  readonly handle: OwnedHandle;
  readonly #event = createEvent(true);
  #seen = 0;
  #errors = new Int32Array(10);
  readonly #waiters = new Set<{ mask: number; done: (e?: unknown) => void }>();
  #pump: AbortController | undefined;

  constructor(value: bigint, readonly family: number, select = true) {
    this.handle = new OwnedHandle(value, (s) => w().closesocket(s));
    if (select) this.selectEvents();
  }

  /** Routes the socket's network events to its event (this also makes it non-blocking). */
  selectEvents(): void {
    const mask = FD_READ | FD_WRITE | FD_CONNECT | FD_CLOSE;
    if (w().WSAEventSelect(this.value, this.#event.value, mask) !== 0) {
      const code = lastWsaError();
      this.close();
      throw new WsaError("WSAEventSelect", code);
    }
  }

  /** A new overlapped socket; `select` false leaves it without WSAEventSelect (listeners). */
  static create(family: number, type: number, protocol: number, select = true): Sock {
    const s = wsa().WSASocketW(
      family,
      type,
      protocol,
      0n,
      0,
      WSA_FLAG_OVERLAPPED | WSA_FLAG_NO_HANDLE_INHERIT,
    );
    if (s === 0xffffffffffffffffn) throw new WsaError("WSASocketW", lastWsaError());
    return new Sock(s, family, select);
  }

  get value(): bigint {
    return this.handle.value;
  }

  /** The error code the system reported with a network event (e.g. a failed connect). */
  errorFor(bit: number): number {
    return this.#errors[bit];
  }

  #collect(): void {
    const ne = new Int32Array(11); // WSANETWORKEVENTS: lNetworkEvents + iErrorCode[10]
    if (w().WSAEnumNetworkEvents(this.value, this.#event.value, ne) !== 0) return;
    this.#seen |= ne[0];
    for (let i = 0; i < 10; i++) if (ne[0] & (1 << i)) this.#errors[i] = ne[1 + i];
    for (const wt of [...this.#waiters]) {
      if (this.#seen & wt.mask) {
        this.#waiters.delete(wt);
        wt.done();
      }
    }
  }

  /** Waits for any of `mask` (FD_* bits) to be reported since the last take of those bits. */
  wait(mask: number, signal: AbortSignal): Promise<void> {
    this.#collect();
    if (this.#seen & (mask | FD_CLOSE)) {
      this.#seen &= ~(mask & ~FD_CLOSE); // FD_CLOSE stays: the peer does not come back
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      const wt = {
        mask: mask | FD_CLOSE,
        done: (e?: unknown) => {
          signal.removeEventListener("abort", onAbort);
          if (e !== undefined) return reject(e);
          this.#seen &= ~(mask & ~FD_CLOSE);
          resolve();
        },
      };
      const onAbort = () => {
        if (this.#waiters.delete(wt)) wt.done(signal.reason);
        if (this.#waiters.size === 0) this.#pump?.abort();
      };
      signal.addEventListener("abort", onAbort, { once: true });
      this.#waiters.add(wt);
      void this.#runPump();
    });
  }

  async #runPump(): Promise<void> {
    // An aborted pump is still unwinding: it will not look at waiters added now, so start anew.
    if (this.#pump && !this.#pump.signal.aborted) return;
    const pump = this.#pump = new AbortController();
    try {
      while (this.#waiters.size > 0 && !pump.signal.aborted) {
        await waitAny([this.#event.value], { signal: pump.signal }).catch(() => {});
        if (this.handle.closed) break;
        this.#collect();
      }
    } finally {
      if (this.#pump === pump) this.#pump = undefined;
    }
  }

  close(): void {
    for (const wt of this.#waiters) wt.done(new ChannelClosedError("socket closed"));
    this.#waiters.clear();
    this.#pump?.abort();
    this.handle.close();
    this.#event.close();
  }
}

function setOpt(s: Sock, level: number, name: number, value: number): void {
  const v = new Int32Array([value]);
  if (w().setsockopt(s.value, level, name, v, 4) !== 0) {
    throw new WsaError(`setsockopt(${name})`, lastWsaError());
  }
}

async function connectSock(
  addrs: SocketAddress[],
  type: number,
  protocol: number,
  opts: WaitOptions,
): Promise<Sock> {
  const scope = callScope(new AbortController().signal, opts);
  let lastErr: unknown;
  try {
    for (const a of addrs) {
      const s = Sock.create(a.family, type, protocol);
      try {
        if (w().connect(s.value, a.bytes, a.bytes.length) !== 0) {
          const code = lastWsaError();
          if (code !== WSAEWOULDBLOCK) throw new WsaError(`connect(${a.text})`, code);
          await s.wait(FD_CONNECT, scope.signal);
          const err = s.errorFor(FD_CONNECT_BIT);
          if (err === WSAECONNREFUSED) {
            throw new NotFoundError(`nothing listens at ${a.text}`, { cause: new WsaError("connect", err) });
          }
          if (err !== 0) throw new WsaError(`connect(${a.text})`, err);
        }
        return s;
      } catch (e) {
        s.close();
        if (e instanceof TimeoutError || scope.signal.aborted) throw e;
        lastErr = e;
      }
    }
    throw lastErr;
  } finally {
    scope.done();
  }
}

// --- streams and channels ---

/** A connected stream socket as raw bytes (TCP or AF_UNIX). */
export class SocketStream implements AsyncDisposable {
  readonly #sock: Sock;
  readonly #buf = new Uint8Array(64 * 1024);
  readonly #reads: OpQueue;
  readonly #writes: OpQueue;
  #eof = false;

  /** @internal */
  constructor(sock: Sock, readonly remote: string) {
    this.#sock = sock;
    this.#reads = new OpQueue(`${remote}: socket`);
    this.#writes = new OpQueue(`${remote}: socket`);
  }

  /** The next bytes as they arrive, or null when the peer has shut down its side. */
  read(opts?: WaitOptions): Promise<Uint8Array | null> {
    return this.#reads.run(opts, async (signal) => {
      while (true) {
        if (this.#eof) return null;
        const n = w().recv(this.#sock.value, this.#buf, this.#buf.length, 0);
        if (n > 0) return this.#buf.slice(0, n);
        const code = n === 0 ? 0 : lastWsaError();
        if (n === 0 || isDisconnect(code)) {
          this.#eof = true;
          return null;
        }
        if (code !== WSAEWOULDBLOCK) throw new WsaError("recv", code);
        await this.#sock.wait(FD_READ, signal);
      }
    });
  }

  /** Sends all of `bytes`. ChannelClosedError if the peer is gone. */
  write(bytes: Uint8Array, opts?: WaitOptions): Promise<void> {
    return this.#writes.run(opts, async (signal) => {
      let done = 0;
      while (done < bytes.length) {
        const part = bytes.subarray(done, done + 1024 * 1024);
        const n = w().send(this.#sock.value, part, part.length, 0);
        if (n > 0) {
          done += n;
          continue;
        }
        const code = lastWsaError();
        if (isDisconnect(code)) {
          throw new ChannelClosedError(`${this.remote}: the peer closed the connection`);
        }
        if (code !== WSAEWOULDBLOCK) throw new WsaError("send", code);
        await this.#sock.wait(FD_WRITE, signal);
      }
    });
  }

  /** Half-close: no more writes; the peer reads end-of-stream after what was sent. */
  async shutdownWrite(): Promise<void> {
    await this.#writes.idle();
    if (w().shutdown(this.#sock.value, SD_SEND) !== 0) throw new WsaError("shutdown", lastWsaError());
  }

  async close(): Promise<void> {
    if (this.#reads.closed) return;
    await Promise.all([this.#reads.close(), this.#writes.close()]);
    this.#sock.close();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

/** A message channel over a stream socket: length-prefixed frames. */
export class SocketChannel extends ChannelBase {
  readonly #decoder: FrameDecoder;
  constructor(readonly stream: SocketStream, address: string, opts: ChannelOptions = {}) {
    super(address, opts);
    this.#decoder = new FrameDecoder(this.maxMessageSize);
  }
  protected async sendMessage(message: Uint8Array, signal: AbortSignal): Promise<void> {
    await this.stream.write(encodeFrame(message), { signal });
  }
  protected async receiveMessage(signal: AbortSignal): Promise<Uint8Array | null> {
    while (true) {
      const m = this.#decoder.next();
      if (m) return m;
      const chunk = await this.stream.read({ signal });
      if (!chunk) return null;
      this.#decoder.push(chunk);
    }
  }
  protected closeTransport(): Promise<void> {
    return this.stream.close();
  }
}

/** Options for stream connections. */
export interface StreamConnectOptions extends ChannelOptions, WaitOptions {
  /** TCP_NODELAY (default true: messages go out at once). */
  noDelay?: boolean;
  /** SO_KEEPALIVE (default false). */
  keepAlive?: boolean;
}

function tuneTcp(s: Sock, opts: StreamConnectOptions) {
  if (s.family === AF_UNIX) return;
  setOpt(s, IPPROTO_TCP, TCP_NODELAY, opts.noDelay === false ? 0 : 1);
  if (opts.keepAlive) setOpt(s, SOL_SOCKET, SO_KEEPALIVE, 1);
}

/** Opens a TCP connection as a raw byte stream. */
export async function connectTcpStream(
  host: string,
  port: number,
  opts: StreamConnectOptions = {},
): Promise<SocketStream> {
  const addrs = resolve(host, port, "stream");
  const s = await connectSock(addrs, SOCK_STREAM, IPPROTO_TCP, {
    signal: opts.signal,
    timeout: opts.timeout ?? 10_000,
  });
  tuneTcp(s, opts);
  return new SocketStream(s, `tcp:${host}:${port}`);
}

/** Opens a TCP connection as a message channel. */
export async function connectTcp(
  host: string,
  port: number,
  opts: StreamConnectOptions = {},
): Promise<SocketChannel> {
  return new SocketChannel(await connectTcpStream(host, port, opts), `tcp:${host}:${port}`, opts);
}

/** Opens an AF_UNIX stream connection as a message channel. */
export async function connectUnix(path: string, opts: StreamConnectOptions = {}): Promise<SocketChannel> {
  const a = decodeSockaddr(unixSockaddr(path));
  const s = await connectSock([a], SOCK_STREAM, 0, { signal: opts.signal, timeout: opts.timeout ?? 10_000 });
  return new SocketChannel(new SocketStream(s, `unix:${path}`), `unix:${path}`, opts);
}

/** Options for {@link SocketServer.listenTcp}. */
export interface SocketServerOptions extends ChannelOptions {
  backlog?: number;
  noDelay?: boolean;
  keepAlive?: boolean;
}

/** A listening stream socket (TCP or AF_UNIX). */
export class SocketServer extends ListenerBase<SocketChannel> {
  readonly #sock: Sock;
  readonly #opts: SocketServerOptions;
  readonly #protocol: number;
  // One AcceptEx at a time (accepts queue in the ListenerBase): its OVERLAPPED, and its output buffer with
  // room for both addresses and the byte count.
  readonly #overlapped = new Overlapped();
  readonly #acceptBuf = new NativeMemory(2 * ACCEPT_ADDRESS_SPACE + 8);
  /** The bound address (with the real port when 0 was asked for). */
  readonly local: SocketAddress;

  private constructor(
    sock: Sock,
    protocol: number,
    address: string,
    local: SocketAddress,
    opts: SocketServerOptions,
  ) {
    super(address);
    this.#sock = sock;
    this.#protocol = protocol;
    this.local = local;
    this.#opts = opts;
  }

  /** The bound TCP port. */
  get port(): number {
    return new DataView(this.local.bytes.buffer).getUint16(2, false);
  }

  /** Listens on HOST:PORT (port 0: any free port). SO_EXCLUSIVEADDRUSE is set. */
  static listenTcp(host: string, port: number, opts: SocketServerOptions = {}): SocketServer {
    const [addr] = resolve(host, port, "stream");
    return SocketServer.#listen(addr, SOCK_STREAM, IPPROTO_TCP, "tcp", opts);
  }

  /** Listens on an AF_UNIX path (the file must not exist). */
  static listenUnix(path: string, opts: SocketServerOptions = {}): SocketServer {
    return SocketServer.#listen(decodeSockaddr(unixSockaddr(path)), SOCK_STREAM, 0, "unix", opts);
  }

  static #listen(
    addr: SocketAddress,
    type: number,
    protocol: number,
    scheme: string,
    opts: SocketServerOptions,
  ) {
    const s = Sock.create(addr.family, type, protocol, false); // accepts are overlapped: no events
    try {
      if (addr.family !== AF_UNIX) setOpt(s, SOL_SOCKET, SO_EXCLUSIVEADDRUSE, 1);
      if (w().bind(s.value, addr.bytes, addr.bytes.length) !== 0) {
        const code = lastWsaError();
        if (code === WSAEADDRINUSE) {
          throw new AddressInUseError(`${addr.text} is in use`, { cause: new WsaError("bind", code) });
        }
        throw new WsaError(`bind(${addr.text})`, code);
      }
      if (w().listen(s.value, opts.backlog ?? 128) !== 0) throw new WsaError("listen", lastWsaError());
      const name = new Uint8Array(128);
      const len = new Int32Array([name.length]);
      const local = w().getsockname(s.value, name, len) === 0
        ? decodeSockaddr(name.subarray(0, len[0]))
        : addr;
      const text = addr.family === AF_UNIX ? addr.text : local.text;
      return new SocketServer(s, protocol, `${scheme}:${text}`, addr.family === AF_UNIX ? addr : local, opts);
    } catch (e) {
      s.close();
      throw e;
    }
  }

  /** The next connection as a raw byte stream. */
  acceptStream(opts?: WaitOptions): Promise<SocketStream> {
    return this.runAccept(opts, (signal) => this.#acceptStream(signal));
  }

  async #acceptStream(signal: AbortSignal): Promise<SocketStream> {
    while (true) {
      const stream = await this.#acceptOne(signal);
      if (stream) return stream;
    }
  }

  /**
   * One overlapped AcceptEx: the kernel completes it when a connection arrives, so no wake-up can
   * be missed. (accept() after FD_ACCEPT can: Wine 10 may report FD_ACCEPT for a connection an
   * earlier accept() already took, and then stop watching the listener until an accept()
   * succeeds, which leaves later connections queued with no event.) Null when the client gave up
   * before it was taken.
   */
  async #acceptOne(signal: AbortSignal): Promise<SocketStream | null> {
    const listener = this.#sock.value;
    const c = Sock.create(this.#sock.family, SOCK_STREAM, this.#protocol, false);
    let taken = false;
    try {
      const buf = this.#acceptBuf.address;
      const space = ACCEPT_ADDRESS_SPACE;
      const result = await this.#overlapped.run(
        listener,
        (ov) => mswsock().sync.AcceptEx(listener, c.value, buf, 0, space, space, buf + BigInt(2 * space), ov),
        { signal },
      );
      if (result.error !== 0) {
        if (isAcceptDisconnect(result.error)) return null;
        throw new WsaError("AcceptEx", result.error);
      }
      // Gives the accepted socket the listener's properties, so getpeername and shutdown work.
      const ctx = new BigUint64Array([listener]);
      if (w().setsockopt(c.value, SOL_SOCKET, SO_UPDATE_ACCEPT_CONTEXT, ctx, 8) !== 0) {
        throw new WsaError("setsockopt(SO_UPDATE_ACCEPT_CONTEXT)", lastWsaError());
      }
      c.selectEvents();
      tuneTcp(c, this.#opts);
      let remote = this.address;
      if (this.#sock.family !== AF_UNIX) {
        const peer = new Uint8Array(128);
        const len = new Int32Array([peer.length]);
        if (w().getpeername(c.value, peer, len) !== 0) {
          const code = lastWsaError();
          if (isDisconnect(code)) return null;
          throw new WsaError("getpeername", code);
        }
        remote = `tcp:${decodeSockaddr(peer.subarray(0, len[0])).text}`;
      }
      taken = true;
      return new SocketStream(c, remote);
    } finally {
      if (!taken) c.close();
    }
  }

  /** The next connection as a message channel. */
  protected async acceptChannel(signal: AbortSignal): Promise<SocketChannel> {
    const stream = await this.#acceptStream(signal);
    return new SocketChannel(stream, stream.remote, this.#opts);
  }

  protected closeListener(): void {
    this.#sock.close();
    this.#overlapped[Symbol.dispose]();
    this.#acceptBuf[Symbol.dispose]();
  }
}

/** The largest UDP payload over IPv4. */
export const MAX_UDP_PAYLOAD = 65507;

/** A UDP socket: datagrams keep their boundaries; delivery and order are not guaranteed. */
export class UdpSocket implements AsyncDisposable {
  readonly #sock: Sock;
  readonly #closing = new AbortController();
  readonly #buf = new Uint8Array(65536);
  readonly local: SocketAddress;

  private constructor(sock: Sock, local: SocketAddress) {
    this.#sock = sock;
    this.local = local;
  }

  get port(): number {
    return new DataView(this.local.bytes.buffer).getUint16(2, false);
  }

  /** Binds HOST:PORT (port 0: any free port). */
  static bind(host = "127.0.0.1", port = 0): UdpSocket {
    const [addr] = resolve(host, port, "dgram");
    const s = Sock.create(addr.family, SOCK_DGRAM, IPPROTO_UDP);
    try {
      setOpt(s, SOL_SOCKET, SO_EXCLUSIVEADDRUSE, 1);
      if (w().bind(s.value, addr.bytes, addr.bytes.length) !== 0) {
        const code = lastWsaError();
        if (code === WSAEADDRINUSE) throw new AddressInUseError(`${addr.text} is in use`);
        throw new WsaError(`bind(${addr.text})`, code);
      }
      const name = new Uint8Array(128);
      const len = new Int32Array([name.length]);
      w().getsockname(s.value, name, len);
      return new UdpSocket(s, decodeSockaddr(name.subarray(0, len[0])));
    } catch (e) {
      s.close();
      throw e;
    }
  }

  /** Sends one datagram (at most 65 507 bytes). */
  sendTo(data: Uint8Array, host: string, port: number): void {
    if (data.length > MAX_UDP_PAYLOAD) throw new MessageTooLargeError(data.length, MAX_UDP_PAYLOAD);
    const [addr] = resolve(host, port, "dgram");
    const n = w().sendto(this.#sock.value, data, data.length, 0, addr.bytes, addr.bytes.length);
    if (n < 0) {
      const code = lastWsaError();
      if (code === WSAEMSGSIZE) throw new MessageTooLargeError(data.length, MAX_UDP_PAYLOAD);
      throw new WsaError("sendto", code);
    }
  }

  /** The next datagram and its sender. */
  async receiveFrom(opts?: WaitOptions): Promise<{ data: Uint8Array; from: SocketAddress }> {
    const scope = callScope(this.#closing.signal, opts);
    try {
      while (true) {
        const from = new Uint8Array(128);
        const len = new Int32Array([from.length]);
        const n = w().recvfrom(this.#sock.value, this.#buf, this.#buf.length, 0, from, len);
        if (n >= 0) return { data: this.#buf.slice(0, n), from: decodeSockaddr(from.subarray(0, len[0])) };
        const code = lastWsaError();
        // WSAECONNRESET on UDP: an ICMP "port unreachable" for an earlier send; not fatal.
        if (code !== WSAEWOULDBLOCK && code !== WSAECONNRESET) throw new WsaError("recvfrom", code);
        if (code === WSAEWOULDBLOCK) await this.#sock.wait(FD_READ, scope.signal);
      }
    } catch (e) {
      if (this.#closing.signal.aborted) throw new ChannelClosedError("UDP socket closed", { cause: e });
      throw e;
    } finally {
      scope.done();
    }
  }

  close(): Promise<void> {
    this.#closing.abort();
    this.#sock.close();
    return Promise.resolve();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

function streamOpts(a: Address): SocketServerOptions & StreamConnectOptions {
  return {
    maxMessageSize: intParam(a, "maxMessageSize", 0, 0xffffffff),
    noDelay: boolParam(a, "noDelay"),
    keepAlive: boolParam(a, "keepAlive"),
  };
}

/** The `tcp:` scheme of `connect` and `listen`. */
export const tcpScheme: Scheme = {
  connect: (a, opts) => {
    const { host, port } = splitHostPort(a.path);
    return connectTcp(host, port, { ...streamOpts(a), ...opts });
  },
  listen: (a) => {
    const { host, port } = splitHostPort(a.path);
    return Promise.resolve(SocketServer.listenTcp(host, port, streamOpts(a)));
  },
};

/** The `unix:` scheme of `connect` and `listen`. */
export const unixScheme: Scheme = {
  connect: (a, opts) => connectUnix(a.path, { ...streamOpts(a), ...opts }),
  listen: (a) => Promise.resolve(SocketServer.listenUnix(a.path, streamOpts(a))),
};
