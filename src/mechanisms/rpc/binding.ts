/**
 * String bindings, the addresses of DCE/RPC (MS-RPCE 2.1; RpcStringBindingCompose's format):
 * `[OBJECT_UUID@]PROTSEQ:[NETWORK_ADDRESS][ENDPOINT]`. Two protocol sequences are spoken:
 * `ncacn_np:[\pipe\NAME]` (message-mode named pipes, a host before the bracket for another
 * machine) and `ncacn_ip_tcp:HOST[PORT]`. Pure.
 * @module
 */
import { AddressError } from "../../core/errors.ts";
import { isGuid } from "../../core/guid.ts";

/** Where an RPC server is, parsed from a string binding. */
export type RpcBinding = PipeBinding | TcpBinding;

/** `ncacn_np:[\pipe\NAME]`, or `ncacn_np:HOST[\pipe\NAME]` on another machine. */
export interface PipeBinding {
  /** The protocol sequence. */
  readonly protocol: "ncacn_np";
  /** The machine, or null for this one (an empty network address, `.` or `localhost`). */
  readonly host: string | null;
  /** The pipe's name after `\pipe\` (may be nested: `lrpc\epmapper`). */
  readonly pipe: string;
  /** The object UUID requests carry, or null. */
  readonly object: string | null;
}

/** `ncacn_ip_tcp:HOST[PORT]`. */
export interface TcpBinding {
  /** The protocol sequence. */
  readonly protocol: "ncacn_ip_tcp";
  /** The host name or address literal. */
  readonly host: string;
  /** The TCP port. */
  readonly port: number;
  /** The object UUID requests carry, or null. */
  readonly object: string | null;
}

const FORM = /^(?:([0-9a-fA-F-]{36})@)?([a-z_]+):([^[\]]*)(?:\[([^\]]*)\])?$/;

/**
 * The binding a string binding names.
 * @throws {AddressError} malformed, a protocol sequence other than ncacn_np and ncacn_ip_tcp, an
 * endpoint missing or not of that protocol's form, or endpoint options (`[ep,opt=val]`).
 */
export function parseBinding(text: string): RpcBinding {
  if (typeof text !== "string") {
    throw new AddressError("an RPC binding is a string like 'ncacn_np:[\\pipe\\NAME]'");
  }
  const m = FORM.exec(text);
  if (!m) throw new AddressError(`bad RPC string binding '${text}'`);
  const [, object = null, protocol, address, endpoint] = m;
  if (object !== null && !isGuid(object)) throw new AddressError(`bad object UUID in '${text}'`);
  const objectUuid = object?.toLowerCase() ?? null;
  if (endpoint === undefined || endpoint === "") {
    throw new AddressError(
      `'${text}' has no endpoint: the endpoint mapper is not consulted, name one in brackets`,
    );
  }
  if (endpoint.includes(",")) throw new AddressError(`'${text}': endpoint options are not supported`);
  if (protocol === "ncacn_np") {
    const pipe = /^\\{1,2}pipe\\{1,2}(.+)$/i.exec(endpoint);
    if (!pipe) throw new AddressError(`'${text}': an ncacn_np endpoint is \\pipe\\NAME`);
    // A C string binding doubles its backslashes; either form names the same pipe.
    const name = pipe[1].replace(/\\\\/g, "\\");
    const host = address === "" || address === "." || address.toLowerCase() === "localhost"
      ? null
      : address.replace(/^\\\\/, "");
    return { protocol, host, pipe: name, object: objectUuid };
  }
  if (protocol === "ncacn_ip_tcp") {
    if (address === "") throw new AddressError(`'${text}': ncacn_ip_tcp needs a host`);
    if (!/^\d{1,5}$/.test(endpoint) || Number(endpoint) > 65535) {
      throw new AddressError(
        `'${text}': an ncacn_ip_tcp endpoint is a port, 0 to 65535 (0: any, for a server)`,
      );
    }
    return { protocol, host: address, port: Number(endpoint), object: objectUuid };
  }
  if (protocol === "ncalrpc") {
    throw new AddressError(
      `'${text}': ncalrpc is ALPC on Windows, which winipc does not speak; use ncacn_np`,
    );
  }
  throw new AddressError(
    `'${text}': protocol sequence '${protocol}' is not supported (ncacn_np, ncacn_ip_tcp)`,
  );
}

/** The string binding of `b` (what {@link parseBinding} reads back). */
export function formatBinding(b: RpcBinding): string {
  const object = b.object ? `${b.object}@` : "";
  if (b.protocol === "ncacn_np") return `${object}ncacn_np:${b.host ?? ""}[\\pipe\\${b.pipe}]`;
  return `${object}ncacn_ip_tcp:${b.host}[${b.port}]`;
}

/** The secondary address a server's bind_ack names for this endpoint (C706 12.6.4.4). */
export function secondaryAddressOf(b: RpcBinding): string {
  return b.protocol === "ncacn_np" ? `\\PIPE\\${b.pipe}` : String(b.port);
}
