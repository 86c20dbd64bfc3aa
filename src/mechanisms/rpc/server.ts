/**
 * The RPC server: {@link RpcDispatcher}'s interfaces served on named-pipe (ncacn_np) and TCP
 * (ncacn_ip_tcp) endpoints, each client connection on its own, calls answered in order per
 * connection and concurrently across connections.
 * @module
 */
import { AddressError, ChannelClosedError } from "../../core/errors.ts";
import { NamedPipeServer, type NamedPipeStream } from "../pipe/mod.ts";
import { SocketServer, type SocketStream } from "../socket/mod.ts";
import { formatBinding, parseBinding, type RpcBinding, secondaryAddressOf } from "./binding.ts";
import { RpcDispatcher } from "./dispatcher.ts";
import { type RpcTransport, streamTransport } from "./transport.ts";

/** Options of {@link RpcServer.listen}. */
export interface RpcListenOptions {
  /** ncacn_np: the pipe's security descriptor in SDDL (default owner-only, as every winipc pipe). */
  sddl?: string;
  /** ncacn_np: accept clients on other machines. Default false. */
  remoteClients?: boolean;
}

/** A listening endpoint of an {@link RpcServer}. */
export interface RpcEndpoint {
  /** The endpoint's string binding (with the real port when port 0 was asked for). */
  readonly binding: string;
  /** Stops listening here; connections already made go on. */
  close(): Promise<void>;
}

/**
 * A DCE/RPC server (connection-oriented, NDR 2.0, no authentication) that rpcrt4 clients and
 * {@link RpcClient} call.
 *
 * @example
 * ```ts
 * import { defineInterface, RpcServer, u32, wstring } from "@winipc/winipc/rpc";
 *
 * const greeter = defineInterface({
 *   name: "greeter",
 *   uuid: "2f7b3c1e-8a5d-4e6f-9b0c-1d2e3f405162",
 *   version: "1.0",
 *   operations: { Greet: { opnum: 0, in: [["name", wstring]], out: [["text", wstring], ["status", u32]] } },
 * });
 * await using server = new RpcServer();
 * server.register(greeter, { Greet: ({ name }) => ({ text: `hello, ${name}`, status: 0 }) });
 * server.listen("ncacn_np:[\\pipe\\greeter]");
 * ```
 */
export class RpcServer extends RpcDispatcher {
  readonly #endpoints = new Set<RpcEndpoint>();

  /**
   * Listens on `binding`: `ncacn_np:[\pipe\NAME]` (a message-mode pipe) or
   * `ncacn_ip_tcp:HOST[PORT]` (port 0: any free port, see the endpoint's `binding`).
   * @throws {AddressInUseError} the pipe name or port is taken.
   * @throws {AddressError} a malformed binding, or a pipe on another machine.
   * @throws {ChannelClosedError} the server is closed.
   */
  listen(binding: string | RpcBinding, opts: RpcListenOptions = {}): RpcEndpoint {
    if (this.closed) throw new ChannelClosedError("the RPC server is closed");
    const b = typeof binding === "string" ? parseBinding(binding) : binding;
    if (b.protocol === "ncacn_np") {
      if (b.host !== null) {
        throw new AddressError(`a server's pipe is on this machine: '${formatBinding(b)}'`);
      }
      const pipe = NamedPipeServer.listen(b.pipe, {
        mode: "message",
        sddl: opts.sddl,
        rejectRemoteClients: !(opts.remoteClients ?? false),
      });
      return this.#accept(b, pipe, (s: NamedPipeStream) => streamTransport(s.address, s));
    }
    const tcp = SocketServer.listenTcp(b.host, b.port);
    return this.#accept({ ...b, port: tcp.port }, tcp, (s: SocketStream) => streamTransport(s.remote, s));
  }

  /** Accepts connections on `listener` and serves each, until the endpoint or server closes. */
  #accept<S>(
    binding: RpcBinding,
    listener: { acceptStream(o: { signal: AbortSignal }): Promise<S>; close(): Promise<void> },
    wrap: (s: S) => RpcTransport,
  ): RpcEndpoint {
    const stop = new AbortController();
    const signal = AbortSignal.any([stop.signal, this.closing]);
    const secondary = secondaryAddressOf(binding);
    const loop = (async () => {
      while (!signal.aborted) {
        let stream: S;
        try {
          stream = await listener.acceptStream({ signal });
        } catch {
          if (signal.aborted) return;
          // A client that failed while connecting; keep accepting, without spinning if it repeats.
          await new Promise((r) => setTimeout(r, 20));
          continue;
        }
        this.serve(wrap(stream), secondary).catch(() => {}); // settles when the connection ends
      }
    })();
    const endpoint: RpcEndpoint = {
      binding: formatBinding(binding),
      close: async () => {
        if (!this.#endpoints.delete(endpoint)) return;
        stop.abort();
        await loop;
        await listener.close();
      },
    };
    this.#endpoints.add(endpoint);
    return endpoint;
  }

  /** Stops every endpoint and closes every connection (calls in progress are aborted). Idempotent. */
  override async close(): Promise<void> {
    if (this.closed) return;
    const endpoints = [...this.#endpoints];
    await Promise.all([super.close(), ...endpoints.map((e) => e.close())]);
  }
}
