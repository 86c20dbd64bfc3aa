/**
 * The byte streams RPC runs over: a named pipe ({@link NamedPipeStream}) for ncacn_np and a TCP
 * connection ({@link SocketStream}) for ncacn_ip_tcp. PDUs carry their own length, so both are
 * read as plain bytes; on a message-mode pipe each write is one pipe message, as rpcrt4 writes
 * one fragment per message. {@link connectRpc} makes an {@link RpcClient} over them.
 * @module
 */
import { AddressError, type WaitOptions } from "../../core/errors.ts";
import { connectNamedPipeStream } from "../pipe/mod.ts";
import { connectTcpStream } from "../socket/mod.ts";
import { formatBinding, parseBinding, type RpcBinding } from "./binding.ts";
import { RpcClient, type RpcClientOptions } from "./client.ts";

/** One connection's bytes, either transport. */
export interface RpcTransport {
  /** Who the other end is, for messages (`pipe:NAME`, `tcp:HOST:PORT`). */
  readonly remote: string;
  /** The next bytes (any chunking), or null at end of stream. */
  read(opts?: WaitOptions): Promise<Uint8Array | null>;
  /** Writes all of `bytes` (one pipe message on a message-mode pipe). */
  write(bytes: Uint8Array, opts?: WaitOptions): Promise<void>;
  /** Closes the connection; pending reads and writes reject. Idempotent. */
  close(): Promise<void>;
}

/**
 * Opens a connection to the server of `binding`.
 * @throws {NotFoundError} nothing serves the pipe or port.
 * @throws {TimeoutError} no connection within `opts.timeout`.
 */
export async function openTransport(binding: RpcBinding, opts: WaitOptions): Promise<RpcTransport> {
  if (binding.protocol === "ncacn_np") {
    const path = binding.host ? `\\\\${binding.host}\\pipe\\${binding.pipe}` : binding.pipe;
    const stream = await connectNamedPipeStream(path, { ...opts, waitForServer: false });
    return streamTransport(stream.address, stream);
  }
  const stream = await connectTcpStream(binding.host, binding.port, opts);
  return streamTransport(stream.remote, stream);
}

/** A winipc byte stream (a pipe's or a socket's, either end) as the transport of a connection to `remote`. */
export function streamTransport(remote: string, stream: Omit<RpcTransport, "remote">): RpcTransport {
  return {
    remote,
    read: (o) => stream.read(o),
    write: (b, o) => stream.write(b, o),
    close: () => stream.close(),
  };
}

/**
 * Connects to the RPC server at `binding` (a string binding: `ncacn_np:[\pipe\NAME]`,
 * `ncacn_np:HOST[\pipe\NAME]` or `ncacn_ip_tcp:HOST[PORT]`) and binds `opts.interfaces`.
 *
 * @example Ask the Service Control Manager for a service's state
 * ```ts
 * import { connectRpc, parseServiceStatusProcess, SC_MANAGER_READ, SERVICE_QUERY_STATUS, svcctl } from "@winipc/winipc/rpc";
 *
 * await using client = await connectRpc("ncacn_np:[\\pipe\\svcctl]", { interfaces: [svcctl], timeout: 5_000 });
 * const scm = client.proxy(svcctl);
 * const manager = await scm.OpenSCManagerW({ machine: null, database: null, access: SC_MANAGER_READ });
 * const service = await scm.OpenServiceW({ manager: manager.handle, service: "RpcSs", access: SERVICE_QUERY_STATUS });
 * const status = await scm.QueryServiceStatusEx({ service: service.handle, infoLevel: 0, bufSize: 36 });
 * console.log(parseServiceStatusProcess(status.buffer).currentState); // 4: SERVICE_RUNNING
 * await scm.CloseServiceHandle({ handle: service.handle });
 * await scm.CloseServiceHandle({ handle: manager.handle });
 * ```
 * @throws {AddressError} a malformed or unsupported binding, or port 0.
 * @throws {NotFoundError} nothing serves the endpoint.
 * @throws {RpcBindError} the server refused the bind or every interface.
 * @throws {TimeoutError} no bound connection within `opts.timeout` (default 10 s).
 * @throws {RangeError} an option is out of range.
 */
export function connectRpc(binding: string | RpcBinding, opts: RpcClientOptions): Promise<RpcClient> {
  const b = typeof binding === "string" ? parseBinding(binding) : binding;
  if (b.protocol === "ncacn_ip_tcp" && b.port === 0) {
    return Promise.reject(new AddressError(`an RPC client needs a port: '${formatBinding(b)}'`));
  }
  return RpcClient.connectWith((o) => openTransport(b, o), opts, b);
}
