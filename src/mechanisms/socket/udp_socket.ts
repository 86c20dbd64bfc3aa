/**
 * UDP datagrams through ws2_32: a bound socket that sends to any address and receives from any,
 * each datagram whole. Receives wait on the socket's network event, so an idle socket costs no
 * CPU.
 * @module
 */
import { WsaError } from "../../ffi/error.ts";
import { attemptWsa } from "../../ffi/check_wsa.ts";
import { ChannelClosedError, MessageTooLargeError, type WaitOptions } from "../../core/errors.ts";
import { callScope } from "../../core/op_queue.ts";
import { FD_READ, WSAECONNRESET, WSAEMSGSIZE } from "../../ffi/headers/winsock2.ts";
import { portOf, resolve, type SockaddrResult, type SocketAddress, withSockaddr } from "./socket_address.ts";
import { bindSocket, type Sock, UDP } from "./sock.ts";
import { w } from "./winsock.ts";

/** The largest UDP payload over IPv4. */
export const MAX_UDP_PAYLOAD = 65507;

/** One datagram received by {@link UdpSocket.receiveFrom}. */
export interface Datagram {
  /** The payload. */
  data: Uint8Array;
  /** The sender. */
  from: SocketAddress;
}

/**
 * A UDP socket: datagrams keep their boundaries; delivery and order are not guaranteed.
 *
 * @example
 * ```ts
 * import { UdpSocket } from "@winipc/winipc/socket";
 * await using udp = UdpSocket.bind("127.0.0.1", 0);
 * udp.sendTo(new TextEncoder().encode("ping"), "127.0.0.1", udp.port); // to itself
 * const { data, from } = await udp.receiveFrom({ timeout: 1_000 });
 * ```
 */
export class UdpSocket implements AsyncDisposable {
  readonly #sock: Sock;
  readonly #closing = new AbortController();
  readonly #buf = new Uint8Array(65536);
  /** The bound address (with the real port when port 0 was asked for). */
  readonly local: SocketAddress;

  private constructor(sock: Sock, local: SocketAddress) {
    this.#sock = sock;
    this.local = local;
  }

  /** The bound port. */
  get port(): number {
    return portOf(this.local);
  }

  /**
   * Binds HOST:PORT (port 0: any free port), exclusively.
   * @throws {AddressInUseError} when the port is taken.
   */
  static bind(host = "127.0.0.1", port = 0): UdpSocket {
    const [addr] = resolve(host, port, "dgram");
    const { sock, local } = bindSocket(addr, UDP);
    return new UdpSocket(sock, local);
  }

  /**
   * Sends one datagram (at most {@link MAX_UDP_PAYLOAD} bytes) without waiting.
   * @throws {MessageTooLargeError} when `data` does not fit in one datagram.
   */
  sendTo(data: Uint8Array, host: string, port: number): void {
    if (data.length > MAX_UDP_PAYLOAD) throw new MessageTooLargeError(data.length, MAX_UDP_PAYLOAD);
    const [addr] = resolve(host, port, "dgram");
    const r = attemptWsa(
      () => w().sendto(this.#sock.value, data, data.length, 0, addr.bytes, addr.bytes.length),
      (n) => n < 0,
    );
    if (r.value >= 0) return;
    if (r.error === WSAEMSGSIZE) throw new MessageTooLargeError(data.length, MAX_UDP_PAYLOAD);
    throw new WsaError("sendto", r.error);
  }

  /**
   * The next datagram and its sender.
   * @throws {ChannelClosedError} when the socket is closed.
   * @throws {TimeoutError} when `opts.timeout` passes first.
   */
  async receiveFrom(opts?: WaitOptions): Promise<Datagram> {
    const scope = callScope(this.#closing.signal, opts);
    try {
      while (true) {
        const r = await this.#sock.retryWhen(FD_READ, scope.signal, () => this.#recvFrom());
        if (r.address) return { data: this.#buf.slice(0, r.value), from: r.address };
        // WSAECONNRESET on UDP: an ICMP "port unreachable" for an earlier send; not fatal.
        if (r.error !== WSAECONNRESET) throw new WsaError("recvfrom", r.error);
      }
    } catch (e) {
      if (this.#closing.signal.aborted) throw new ChannelClosedError("UDP socket closed", { cause: e });
      throw e;
    } finally {
      scope.done();
    }
  }

  #recvFrom(): SockaddrResult {
    return withSockaddr((from, len) =>
      w().recvfrom(this.#sock.value, this.#buf, this.#buf.length, 0, from, len)
    );
  }

  /** Closes the socket; a pending receive rejects with ChannelClosedError. Idempotent. */
  close(): Promise<void> {
    this.#closing.abort();
    this.#sock.close();
    return Promise.resolve();
  }

  /** Same as {@link UdpSocket.close}, for `await using`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
