/**
 * The byte streams RPC runs over: a named pipe ({@link NamedPipeStream}) for ncacn_np and a TCP
 * connection ({@link SocketStream}) for ncacn_ip_tcp. PDUs carry their own length, so both are
 * read as plain bytes; on a message-mode pipe each write is one pipe message, as rpcrt4 writes
 * one fragment per message.
 * @module
 */
import type { WaitOptions } from "../../core/errors.ts";
import { connectNamedPipeStream } from "../pipe/mod.ts";
import { connectTcpStream } from "../socket/mod.ts";
import type { RpcBinding } from "./binding.ts";

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
    return {
      remote: stream.address,
      read: (o) => stream.read(o),
      write: (b, o) => stream.write(b, o),
      close: () => stream.close(),
    };
  }
  const stream = await connectTcpStream(binding.host, binding.port, opts);
  return {
    remote: stream.remote,
    read: (o) => stream.read(o),
    write: (b, o) => stream.write(b, o),
    close: () => stream.close(),
  };
}
