/**
 * `connect(address)` and `listen(address)`: dispatch on the address scheme through one explicit
 * table, so importing any subpath can never lose a scheme.
 * @module
 */
import { AddressError, type WaitOptions } from "./core/errors.ts";
import { type Address, parseAddress } from "./core/address.ts";
import type { Channel, Listener } from "./core/channel.ts";
import type { Scheme } from "./core/scheme.ts";
import { pipeScheme } from "./mechanisms/pipe/named_pipe.ts";
import { shmScheme } from "./mechanisms/shm/shm_channel.ts";
import { dllScheme } from "./mechanisms/dll/dll_channel.ts";
import { tcpScheme, unixScheme } from "./mechanisms/socket/socket.ts";
import { copydataScheme } from "./mechanisms/window/copydata.ts";
import { clipboardScheme } from "./mechanisms/clipboard/clipboard_channel.ts";

/** Every scheme `connect` and `listen` understand. */
const schemes: Readonly<Record<string, Scheme>> = {
  pipe: pipeScheme,
  shm: shmScheme,
  dll: dllScheme,
  tcp: tcpScheme,
  unix: unixScheme,
  copydata: copydataScheme,
  clipboard: clipboardScheme,
};

function lookup<W extends "connect" | "listen">(address: Address, what: W): NonNullable<Scheme[W]> {
  const scheme = Object.hasOwn(schemes, address.scheme) ? schemes[address.scheme] : undefined;
  const fn = scheme?.[what];
  if (!scheme || !fn) {
    const known = Object.entries(schemes).filter(([, v]) => v[what]).map(([k]) => `${k}:`).join(", ");
    throw new AddressError(
      `${address.text}: no mechanism can ${what} on '${address.scheme}:' (known: ${known})`,
    );
  }
  return fn.bind(scheme) as NonNullable<Scheme[W]>;
}

/**
 * Connects to the server at `address` and returns a two-way message channel.
 *
 * Addresses: `pipe:NAME`, `shm:NAME`, `dll:NAME`, `tcp:HOST:PORT`, `unix:PATH`,
 * `copydata:NAME`, `clipboard:NAME`, each with `?option=value` options of its mechanism.
 *
 * @example
 * ```ts
 * import { connect } from "@winipc/winipc";
 * await using channel = await connect("pipe:orders", { timeout: 5_000 });
 * await channel.send(new TextEncoder().encode("hello"));
 * const reply = await channel.receive();
 * ```
 * @throws {AddressError} the address cannot be parsed or names no known scheme.
 * @throws {NotFoundError} nothing serves the address.
 * @throws {TimeoutError} the server did not answer within `timeout`.
 */
export async function connect(address: string, opts: WaitOptions = {}): Promise<Channel> {
  const a = parseAddress(address);
  return await lookup(a, "connect")(a, opts);
}

/**
 * Starts serving `address`; the listener yields one channel per connecting peer.
 *
 * @example
 * ```ts
 * import { listen } from "@winipc/winipc";
 * await using server = await listen("pipe:orders");
 * for await (const channel of server) {
 *   for await (const message of channel) await channel.send(message); // echo
 * }
 * ```
 * @throws {AddressError} the address cannot be parsed or names no known scheme.
 * @throws {AddressInUseError} another server already serves the address.
 */
export async function listen(address: string): Promise<Listener> {
  const a = parseAddress(address);
  return await lookup(a, "listen")(a);
}
