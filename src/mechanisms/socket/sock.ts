/**
 * One socket and its network events (WSAEventSelect), and the steps every socket goes through:
 * create, bind and listen, connect, tune.
 * @module
 */
import { createEvent, waitAny } from "../../kernel/wait.ts";
import { OwnedHandle } from "../../ffi/handle.ts";
import { WsaError } from "../../ffi/error.ts";
import type { Attempt } from "../../ffi/check.ts";
import { attemptWsa, checkWsa } from "../../ffi/check_wsa.ts";
import {
  AddressInUseError,
  ChannelClosedError,
  NotFoundError,
  TimeoutError,
  type WaitOptions,
} from "../../core/errors.ts";
import { callScope } from "../../core/op_queue.ts";
import {
  AF_UNIX,
  FD_CLOSE,
  FD_CONNECT,
  FD_CONNECT_BIT,
  FD_READ,
  FD_WRITE,
  IPPROTO_TCP,
  IPPROTO_UDP,
  SO_EXCLUSIVEADDRUSE,
  SO_KEEPALIVE,
  SOCK_DGRAM,
  SOCK_STREAM,
  SOL_SOCKET,
  TCP_NODELAY,
  WSA_FLAG_NO_HANDLE_INHERIT,
  WSA_FLAG_OVERLAPPED,
  WSAEADDRINUSE,
  WSAECONNREFUSED,
  WSAEWOULDBLOCK,
} from "../../ffi/headers/winsock2.ts";
import { type SockaddrResult, type SocketAddress, withSockaddr } from "./socket_address.ts";
import { nonZero, w, wsa } from "./winsock.ts";

/** What WSASocketW makes besides the address family: the socket type and protocol. */
export interface SocketKind {
  type: number;
  protocol: number;
}
export const TCP: SocketKind = { type: SOCK_STREAM, protocol: IPPROTO_TCP };
export const UNIX_STREAM: SocketKind = { type: SOCK_STREAM, protocol: 0 };
export const UDP: SocketKind = { type: SOCK_DGRAM, protocol: IPPROTO_UDP };

/**
 * One socket with its WSAEventSelect event. Only one kernel wait per socket runs at a time; it
 * collects network events and hands them to the JS waiters that want them, so a send and a
 * receive in flight together never steal each other's wake-up.
 */
export class Sock {
  readonly handle: OwnedHandle;
  readonly #event = createEvent(true);
  #seen = 0;
  #errors = new Int32Array(10);
  readonly #waiters = new Set<{ mask: number; done: (e?: unknown) => void }>();
  #pump: AbortController | undefined;

  readonly family: number;
  private constructor(value: bigint, family: number) {
    this.family = family;
    this.handle = new OwnedHandle(value, (s) => w().closesocket(s));
  }

  /** A new overlapped socket; `select` false leaves it without WSAEventSelect (listeners). */
  static create(family: number, kind: SocketKind, select = true): Sock {
    const flags = WSA_FLAG_OVERLAPPED | WSA_FLAG_NO_HANDLE_INHERIT;
    const value = checkWsa(
      "WSASocketW",
      () => wsa().WSASocketW(family, kind.type, kind.protocol, 0n, 0, flags),
      (v) => v === 0xffffffffffffffffn, // INVALID_SOCKET
    );
    const sock = new Sock(value, family);
    try {
      if (select) sock.selectEvents();
      return sock;
    } catch (e) {
      sock.close();
      throw e;
    }
  }

  /** Routes the socket's network events to its event (this also makes it non-blocking). */
  selectEvents(): void {
    const mask = FD_READ | FD_WRITE | FD_CONNECT | FD_CLOSE;
    checkWsa("WSAEventSelect", () => w().WSAEventSelect(this.value, this.#event.value, mask), nonZero);
  }

  /** setsockopt: an int option, or a SOCKET-sized one when `value` is a bigint; `what` names it in errors. */
  setOption(level: number, name: number, value: number | bigint, what: string): void {
    const v = typeof value === "bigint" ? new BigUint64Array([value]) : new Int32Array([value]);
    checkWsa(`setsockopt(${what})`, () => w().setsockopt(this.value, level, name, v, v.byteLength), nonZero);
  }

  /** The bound address (getsockname), or undefined if the system does not tell. */
  localAddress(): SocketAddress | undefined {
    return withSockaddr((name, len) => w().getsockname(this.value, name, len)).address;
  }

  /** The peer's address (getpeername), or the WSA error code. */
  peerAddress(): SockaddrResult {
    return withSockaddr((name, len) => w().getpeername(this.value, name, len));
  }

  /**
   * Makes a non-blocking call, and again each time `mask` is reported, while it fails with
   * WSAEWOULDBLOCK. Returns the first other outcome.
   */
  async retryWhen<R extends Attempt<unknown>>(mask: number, signal: AbortSignal, call: () => R): Promise<R> {
    while (true) {
      const r = call();
      if (r.error !== WSAEWOULDBLOCK) return r;
      await this.wait(mask, signal);
    }
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

/** TCP options of a connection (ignored by AF_UNIX sockets). */
export interface TcpOptions {
  /** TCP_NODELAY: send small writes at once instead of coalescing them. Default true. */
  noDelay?: boolean;
  /** SO_KEEPALIVE: probe an idle connection so a dead peer is noticed. Default false. */
  keepAlive?: boolean;
}

/** TCP tuning of a connected socket (AF_UNIX sockets have none). */
export function tuneTcp(s: Sock, opts: TcpOptions): void {
  if (s.family === AF_UNIX) return;
  s.setOption(IPPROTO_TCP, TCP_NODELAY, opts.noDelay === false ? 0 : 1, "TCP_NODELAY");
  if (opts.keepAlive) s.setOption(SOL_SOCKET, SO_KEEPALIVE, 1, "SO_KEEPALIVE");
}

/**
 * A new socket bound to `addr` (an IP port exclusively: SO_EXCLUSIVEADDRUSE) and its bound
 * address; listening when a `backlog` is given. Closed again if any step fails.
 */
export function bindSocket(
  addr: SocketAddress,
  kind: SocketKind,
  backlog?: number,
): { sock: Sock; local: SocketAddress } {
  const sock = Sock.create(addr.family, kind, backlog === undefined); // listeners accept overlapped: no events
  try {
    if (addr.family !== AF_UNIX) sock.setOption(SOL_SOCKET, SO_EXCLUSIVEADDRUSE, 1, "SO_EXCLUSIVEADDRUSE");
    const r = attemptWsa(() => w().bind(sock.value, addr.bytes, addr.bytes.length), nonZero);
    if (r.value !== 0) {
      const cause = new WsaError(`bind(${addr.text})`, r.error);
      if (r.error === WSAEADDRINUSE) throw new AddressInUseError(`${addr.text} is in use`, { cause });
      throw cause;
    }
    if (backlog !== undefined) checkWsa("listen", () => w().listen(sock.value, backlog), nonZero);
    // An AF_UNIX socket is named by the path asked for; an IP one may have been given a port.
    const local = addr.family === AF_UNIX ? addr : sock.localAddress() ?? addr;
    return { sock, local };
  } catch (e) {
    sock.close();
    throw e;
  }
}

/** Connects a new socket to `a`; tuned per `opts` once connected. */
async function connectOne(
  a: SocketAddress,
  kind: SocketKind,
  opts: TcpOptions & { signal: AbortSignal },
): Promise<Sock> {
  const s = Sock.create(a.family, kind);
  try {
    const r = attemptWsa(() => w().connect(s.value, a.bytes, a.bytes.length), nonZero);
    if (r.value !== 0) {
      if (r.error !== WSAEWOULDBLOCK) throw new WsaError(`connect(${a.text})`, r.error);
      await s.wait(FD_CONNECT, opts.signal);
      const err = s.errorFor(FD_CONNECT_BIT);
      if (err === WSAECONNREFUSED) {
        throw new NotFoundError(`nothing listens at ${a.text}`, { cause: new WsaError("connect", err) });
      }
      if (err !== 0) throw new WsaError(`connect(${a.text})`, err);
    }
    tuneTcp(s, opts);
    return s;
  } catch (e) {
    s.close();
    throw e;
  }
}

/** Connects to the first of `addrs` that accepts, within `opts.timeout` (default 10 s) in all. */
export async function connectSock(
  addrs: SocketAddress[],
  kind: SocketKind,
  opts: TcpOptions & WaitOptions,
): Promise<Sock> {
  const scope = callScope(new AbortController().signal, {
    signal: opts.signal,
    timeout: opts.timeout ?? 10_000,
  });
  let lastErr: unknown;
  try {
    for (const a of addrs) {
      try {
        return await connectOne(a, kind, { ...opts, signal: scope.signal });
      } catch (e) {
        if (e instanceof TimeoutError || scope.signal.aborted) throw e;
        lastErr = e;
      }
    }
    throw lastErr;
  } finally {
    scope.done();
  }
}
