/**
 * Windows Sockets through ws2_32 (not the runtime's net API): TCP and AF_UNIX (Windows 10 1803+)
 * byte streams, message channels over them, and stream servers. Connected sockets are
 * non-blocking with WSAEventSelect: a wait is a kernel wait on the socket's event (sock.ts);
 * servers accept with overlapped AcceptEx. Nothing blocks the event loop and an idle socket costs
 * no CPU. UDP is in udp_socket.ts, addresses and name resolution in socket_address.ts.
 *
 * Addresses: `tcp:HOST:PORT` and `unix:PATH`. HOST is an IPv4 or IPv6 literal (`[::1]`) or a
 * name resolved with GetAddrInfoW.
 * Listening sockets use SO_EXCLUSIVEADDRUSE, so no other process can bind the same port.
 * @module
 */
import { Overlapped } from "../../kernel/overlapped.ts";
import { mswsock } from "../../ffi/mswsock.ts";
import { NativeMemory } from "../../ffi/memory.ts";
import { WsaError } from "../../ffi/error.ts";
import type { Attempt } from "../../ffi/check.ts";
import { attemptWsa, checkWsa } from "../../ffi/check_wsa.ts";
import { ChannelClosedError, type WaitOptions } from "../../core/errors.ts";
import { type Channel, type ChannelOptions, type Listener, ListenerBase } from "../../core/channel.ts";
import { OpQueue } from "../../core/op_queue.ts";
import { FramedChannel } from "../../core/framed_channel.ts";
import { boolOption, intOption } from "../../core/address.ts";
import { defineScheme, type Scheme } from "../../core/scheme.ts";
import {
  AF_UNIX,
  FD_READ,
  FD_WRITE,
  SD_SEND,
  SO_UPDATE_ACCEPT_CONTEXT,
  SOL_SOCKET,
} from "../../ffi/headers/winsock2.ts";
import { ERROR_CONNECTION_ABORTED, ERROR_NETNAME_DELETED } from "../../ffi/headers/winerror.ts";
import {
  decodeSockaddr,
  portOf,
  resolve,
  type SocketAddress,
  splitHostPort,
  unixSockaddr,
} from "./socket_address.ts";
import {
  bindSocket,
  connectSock,
  Sock,
  type SocketKind,
  TCP,
  type TcpOptions,
  tuneTcp,
  UNIX_STREAM,
} from "./sock.ts";
import { isDisconnect, nonZero, w } from "./winsock.ts";

/** AcceptEx completion codes (Win32, from GetOverlappedResult) for a client that gave up. */
const isAcceptDisconnect = (code: number) =>
  code === ERROR_NETNAME_DELETED || code === ERROR_CONNECTION_ABORTED ||
  isDisconnect(code);
/** AcceptEx address space: the largest sockaddr here (sockaddr_un, 110 bytes) + 16, rounded. */
const ACCEPT_ADDRESS_SPACE = 128 + 16;

/** Bytes one send() call is given at most. */
const MAX_SEND = 1024 * 1024;

/** Makes streams for module code: the {@link SocketStream} constructor is private to users. */
let newStream: (sock: Sock, remote: string) => SocketStream;

/**
 * A connected stream socket as raw bytes (TCP or AF_UNIX): reads return bytes as they arrive,
 * writes send everything, and a half-close ends the sending side only. Reads and writes each
 * queue (one at a time per direction) and may run together. {@link SocketStream.messages} frames
 * the stream into a message channel.
 */
export class SocketStream implements AsyncDisposable {
  readonly #sock: Sock;
  readonly #buf = new Uint8Array(64 * 1024);
  #drained = false;
  readonly #reads: OpQueue;
  readonly #writes: OpQueue;
  #eof = false;
  /** The peer: `tcp:HOST:PORT` (as connected to, or the accepted client's address) or `unix:PATH`. */
  readonly remote: string;

  static {
    newStream = (sock, remote) => new SocketStream(sock, remote);
  }

  private constructor(sock: Sock, remote: string) {
    this.#sock = sock;
    this.remote = remote;
    this.#reads = new OpQueue(`${remote}: socket`);
    this.#writes = new OpQueue(`${remote}: socket`);
  }

  /**
   * The next bytes as they arrive (any chunking), or null once the peer has shut down its side
   * or the connection is gone.
   * @throws {ChannelClosedError} when the stream is closed.
   * @throws {TimeoutError} when `opts.timeout` passes first.
   */
  read(opts?: WaitOptions): Promise<Uint8Array | null> {
    return this.#reads.run(opts, async (signal) => {
      if (this.#eof) return null;
      // After a recv that left nothing behind, the next data is announced by FD_READ (recv
      // re-enables it): wait for it instead of a recv bound to fail, two wineserver calls under
      // Wine. While data streams in (full reads), read at once.
      if (this.#drained) await this.#sock.wait(FD_READ, signal);
      const r = await this.#sock.retryWhen(FD_READ, signal, () => this.#recv());
      this.#drained = r.value < this.#buf.length;
      if (r.value > 0) return this.#buf.slice(0, r.value);
      if (r.value === 0 || isDisconnect(r.error)) {
        this.#eof = true;
        return null;
      }
      throw new WsaError("recv", r.error);
    });
  }

  #recv(): Attempt<number> {
    return attemptWsa(() => w().recv(this.#sock.value, this.#buf, this.#buf.length, 0), (n) => n < 0);
  }

  /**
   * Sends all of `bytes`; resolves once the system has taken the last of them.
   * @throws {ChannelClosedError} when the peer is gone or the stream is closed.
   * @throws {TimeoutError} when `opts.timeout` passes first.
   */
  write(bytes: Uint8Array, opts?: WaitOptions): Promise<void> {
    return this.#writes.run(opts, async (signal) => {
      for (let done = 0; done < bytes.length;) {
        const part = bytes.subarray(done, done + MAX_SEND);
        const r = await this.#sock.retryWhen(FD_WRITE, signal, () => this.#send(part));
        if (r.value > 0) done += r.value;
        else if (isDisconnect(r.error)) {
          throw new ChannelClosedError(`${this.remote}: the peer closed the connection`);
        } else throw new WsaError("send", r.error);
      }
    });
  }

  #send(part: Uint8Array): Attempt<number> {
    return attemptWsa(() => w().send(this.#sock.value, part, part.length, 0), (n) => n <= 0);
  }

  /**
   * Half-close: no more writes (after those queued); the peer reads end-of-stream after what was
   * sent, and this side can still read.
   */
  async shutdownWrite(): Promise<void> {
    await this.#writes.idle();
    checkWsa("shutdown", () => w().shutdown(this.#sock.value, SD_SEND), nonZero);
  }

  /**
   * A message channel over this stream (length-prefixed frames); closing the channel closes the
   * stream. Read or write the stream no more once a channel uses it.
   * @throws {RangeError} when `opts.maxMessageSize` is out of range.
   */
  messages(opts: ChannelOptions = {}): SocketChannel {
    return new SocketChannel(this, opts);
  }

  /** Closes the socket; pending reads and writes reject with ChannelClosedError. Idempotent. */
  async close(): Promise<void> {
    if (this.#reads.closed) return;
    await Promise.all([this.#reads.close(), this.#writes.close()]);
    this.#sock.close();
  }

  /** Same as {@link SocketStream.close}, for `await using`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

/**
 * A message channel over a stream socket: each message is a frame of a 4-byte little-endian
 * length and the bytes, so a peer in any language can speak it. Get one from
 * {@link connectTcp}, {@link connectUnix}, {@link SocketServer.accept} or
 * {@link SocketStream.messages}.
 */
export class SocketChannel extends FramedChannel implements Channel {
  /** The byte stream under the frames (for its half-close; writing to it breaks the framing). */
  readonly stream: SocketStream;

  /**
   * Frames `stream`; the channel owns it from now on (closing the channel closes it).
   * @throws {RangeError} when `opts.maxMessageSize` is out of range.
   */
  constructor(stream: SocketStream, opts: ChannelOptions = {}) {
    super(stream.remote, stream, { maxMessageSize: opts.maxMessageSize });
    this.stream = stream;
  }
}

/** `stream` as a message channel; the stream is closed if the options are refused. */
async function framed(stream: SocketStream, opts: ChannelOptions): Promise<SocketChannel> {
  try {
    return stream.messages(opts);
  } catch (e) {
    await stream.close();
    throw e;
  }
}

/** Options of {@link connectTcp}, {@link connectTcpStream} and {@link connectUnix}. */
export interface StreamConnectOptions extends ChannelOptions, WaitOptions, TcpOptions {}

/**
 * Opens a TCP connection as a raw byte stream. HOST is an IPv4 or IPv6 literal or a name; each
 * address it resolves to is tried in turn.
 *
 * @example
 * ```ts
 * import { connectTcpStream } from "@winipc/winipc/socket";
 * await using stream = await connectTcpStream("example.com", 80, { timeout: 5_000 });
 * await stream.write(new TextEncoder().encode("HEAD / HTTP/1.0\r\n\r\n"));
 * const head = await stream.read();
 * ```
 * @throws {NotFoundError} when nothing listens there or the name does not resolve.
 * @throws {TimeoutError} when no connection is made within `opts.timeout` (default 10 s).
 * @throws {WsaError} when the system refuses the connection otherwise.
 */
export async function connectTcpStream(
  host: string,
  port: number,
  opts: StreamConnectOptions = {},
): Promise<SocketStream> {
  const s = await connectSock(resolve(host, port, "stream"), TCP, opts);
  return newStream(s, `tcp:${host}:${port}`);
}

/**
 * Opens a TCP connection as a message channel (length-prefixed frames): the client side of
 * {@link SocketServer.listenTcp}, and of `listen("tcp:HOST:PORT")`.
 *
 * @example
 * ```ts
 * import { connectTcp } from "@winipc/winipc/socket";
 * await using channel = await connectTcp("127.0.0.1", 9000, { timeout: 5_000 });
 * await channel.send(new TextEncoder().encode("hello"));
 * const reply = await channel.receive();
 * ```
 * @throws {NotFoundError} when nothing listens there or the name does not resolve.
 * @throws {TimeoutError} when no connection is made within `opts.timeout` (default 10 s).
 * @throws {WsaError} when the system refuses the connection otherwise.
 */
export async function connectTcp(
  host: string,
  port: number,
  opts: StreamConnectOptions = {},
): Promise<SocketChannel> {
  return await framed(await connectTcpStream(host, port, opts), opts);
}

/**
 * Opens an AF_UNIX stream connection as a message channel.
 * @throws {AddressError} when the path is empty or longer than 107 bytes.
 * @throws {NotFoundError} when nothing listens at the path.
 * @throws {TimeoutError} when no connection is made within `opts.timeout` (default 10 s).
 */
export async function connectUnix(path: string, opts: StreamConnectOptions = {}): Promise<SocketChannel> {
  const s = await connectSock([decodeSockaddr(unixSockaddr(path))], UNIX_STREAM, opts);
  return await framed(newStream(s, `unix:${path}`), opts);
}

// --- servers ---

/** Options of {@link SocketServer.listenTcp} and {@link SocketServer.listenUnix}. */
export interface SocketServerOptions extends ChannelOptions, TcpOptions {
  /** Connections the system queues until they are accepted (the listen backlog). Default 128. */
  backlog?: number;
}

/**
 * A listening stream socket (TCP or AF_UNIX): accepts each connection as a message channel
 * ({@link SocketServer.accept}, or iterate the server) or as a raw byte stream
 * ({@link SocketServer.acceptStream}). Connections are taken with overlapped AcceptEx, so an idle
 * server costs no CPU, and a client that gives up before it is taken is skipped.
 *
 * @example
 * ```ts
 * import { SocketServer } from "@winipc/winipc/socket";
 * await using server = SocketServer.listenTcp("127.0.0.1", 0);
 * console.log(`listening on port ${server.port}`);
 * for await (const channel of server) {
 *   for await (const message of channel) await channel.send(message); // echo
 * }
 * ```
 */
export class SocketServer extends ListenerBase<SocketChannel> implements Listener<SocketChannel> {
  readonly #sock: Sock;
  readonly #kind: SocketKind;
  readonly #opts: SocketServerOptions;
  // One AcceptEx at a time (accepts queue): its OVERLAPPED, and its output buffer with room for
  // both addresses and the byte count.
  readonly #overlapped = new Overlapped();
  readonly #acceptBuf = new NativeMemory(2 * ACCEPT_ADDRESS_SPACE + 8);
  /** The bound address (with the real port when port 0 was asked for). */
  readonly local: SocketAddress;

  private constructor(o: { sock: Sock; kind: SocketKind; local: SocketAddress; opts: SocketServerOptions }) {
    super(`${o.local.family === AF_UNIX ? "unix" : "tcp"}:${o.local.text}`);
    this.#sock = o.sock;
    this.#kind = o.kind;
    this.#opts = o.opts;
    this.local = o.local;
  }

  /** The bound TCP port. */
  get port(): number {
    return portOf(this.local);
  }

  /**
   * Listens on HOST:PORT (port 0: any free port, then read {@link SocketServer.port}).
   * SO_EXCLUSIVEADDRUSE is set, so no other process can bind the same port.
   *
   * @example
   * ```ts
   * import { SocketServer } from "@winipc/winipc/socket";
   * await using server = SocketServer.listenTcp("0.0.0.0", 9000, { backlog: 16 });
   * await using channel = await server.accept();
   * ```
   * @throws {AddressInUseError} when the port is taken.
   * @throws {NotFoundError} when HOST does not resolve.
   */
  static listenTcp(host: string, port: number, opts: SocketServerOptions = {}): SocketServer {
    const [addr] = resolve(host, port, "stream");
    return SocketServer.#listen(addr, TCP, opts);
  }

  /**
   * Listens on an AF_UNIX path (Windows 10 1803 or later); the file must not exist.
   * @throws {AddressError} when the path is empty or longer than 107 bytes.
   * @throws {AddressInUseError} when the path exists.
   */
  static listenUnix(path: string, opts: SocketServerOptions = {}): SocketServer {
    return SocketServer.#listen(decodeSockaddr(unixSockaddr(path)), UNIX_STREAM, opts);
  }

  static #listen(addr: SocketAddress, kind: SocketKind, opts: SocketServerOptions): SocketServer {
    const { sock, local } = bindSocket(addr, kind, opts.backlog ?? 128);
    return new SocketServer({ sock, kind, local, opts });
  }

  /**
   * The next connection as a raw byte stream (accepts of both kinds queue together).
   * @throws {ChannelClosedError} when the server is closed.
   * @throws {TimeoutError} when `opts.timeout` passes first.
   */
  acceptStream(opts?: WaitOptions): Promise<SocketStream> {
    return this.runAccept(opts, (signal) => this.#acceptStream(signal));
  }

  /** The next connection as a message channel (what `accept()` and iteration give). */
  protected async acceptChannel(signal: AbortSignal): Promise<SocketChannel> {
    return await framed(await this.#acceptStream(signal), this.#opts);
  }

  async #acceptStream(signal: AbortSignal): Promise<SocketStream> {
    while (true) {
      const stream = await this.#acceptOne(signal);
      if (stream) return stream;
    }
  }

  /** One connection; null when the client gave up before it was taken. */
  async #acceptOne(signal: AbortSignal): Promise<SocketStream | null> {
    const c = Sock.create(this.#sock.family, this.#kind, false);
    let stream: SocketStream | null = null;
    try {
      if (await this.#acceptEx(c, signal)) stream = this.#adopt(c);
      return stream;
    } finally {
      if (!stream) c.close();
    }
  }

  /**
   * One overlapped AcceptEx into `c`: the kernel completes it when a connection arrives, so no
   * wake-up can be missed. (accept() after FD_ACCEPT can: Wine 10 may report FD_ACCEPT for a
   * connection an earlier accept() already took, and then stop watching the listener until an
   * accept() succeeds, which leaves later connections queued with no event.) False when the
   * client gave up before it was taken.
   */
  async #acceptEx(c: Sock, signal: AbortSignal): Promise<boolean> {
    const listener = this.#sock.value;
    const buf = this.#acceptBuf.address;
    const space = ACCEPT_ADDRESS_SPACE;
    const result = await this.#overlapped.run(
      listener,
      (ov) => mswsock().sync.AcceptEx(listener, c.value, buf, 0, space, space, buf + BigInt(2 * space), ov),
      { signal },
    );
    if (result.error === 0) return true;
    if (isAcceptDisconnect(result.error)) return false;
    throw new WsaError("AcceptEx", result.error);
  }

  /** The accepted socket as a stream; null when the client is already gone. */
  #adopt(c: Sock): SocketStream | null {
    // Gives the accepted socket the listener's properties, so getpeername and shutdown work.
    c.setOption(SOL_SOCKET, SO_UPDATE_ACCEPT_CONTEXT, this.#sock.value, "SO_UPDATE_ACCEPT_CONTEXT");
    c.selectEvents();
    tuneTcp(c, this.#opts);
    if (c.family === AF_UNIX) return newStream(c, this.address);
    const peer = c.peerAddress();
    if (peer.address) return newStream(c, `tcp:${peer.address.text}`);
    if (isDisconnect(peer.error)) return null;
    throw new WsaError("getpeername", peer.error);
  }

  /** Closes the listening socket once no accept runs. */
  protected closeListener(): void {
    this.#sock.close();
    this.#overlapped[Symbol.dispose]();
    this.#acceptBuf[Symbol.dispose]();
  }
}

/** The options of a `tcp:` or `unix:` address: the same for connect and listen. */
const streamOptions = {
  maxMessageSize: intOption(0, 0xffffffff),
  noDelay: boolOption,
  keepAlive: boolOption,
};

/** The `tcp:` scheme of `connect` and `listen`. */
export const tcpScheme: Scheme = defineScheme({
  connectOptions: streamOptions,
  connect: (a, o, wait) => {
    const { host, port } = splitHostPort(a.path);
    return connectTcp(host, port, { ...o, ...wait });
  },
  listenOptions: streamOptions,
  listen: (a, o) => {
    const { host, port } = splitHostPort(a.path);
    return Promise.resolve(SocketServer.listenTcp(host, port, o));
  },
});

/** The `unix:` scheme of `connect` and `listen`. */
export const unixScheme: Scheme = defineScheme({
  connectOptions: streamOptions,
  connect: (a, o, wait) => connectUnix(a.path, { ...o, ...wait }),
  listenOptions: streamOptions,
  listen: (a, o) => Promise.resolve(SocketServer.listenUnix(a.path, o)),
});
