/**
 * `connect(address)` and `listen(address)`: dispatch on the address scheme through one explicit
 * table, so importing any subpath can never lose a scheme.
 * @module
 */
import { AddressError, type WaitOptions } from "./core/errors.ts";
import { type Address, parseAddress, parseOptions } from "./core/address.ts";
import { checkWaitOptions } from "./core/op_queue.ts";
import type { Channel, Listener } from "./core/channel.ts";
import type { Scheme } from "./core/scheme.ts";
import { pipeScheme } from "./mechanisms/pipe/named_pipe.ts";
import { shmScheme } from "./mechanisms/shm/shm_channel.ts";
import { dllScheme } from "./mechanisms/dll/dll_channel.ts";
import { tcpScheme, unixScheme } from "./mechanisms/socket/socket.ts";
import { copydataScheme } from "./mechanisms/window/copydata.ts";
import { clipboardScheme } from "./mechanisms/clipboard/clipboard_channel.ts";
import { ddeScheme } from "./mechanisms/dde/dde_channel.ts";
import { comScheme } from "./mechanisms/com/com_channel.ts";
import { rpcScheme } from "./mechanisms/rpc/rpc_channel.ts";

/** Every scheme `connect` and `listen` understand. */
const schemes: Readonly<Record<string, Scheme>> = {
  pipe: pipeScheme,
  shm: shmScheme,
  dll: dllScheme,
  tcp: tcpScheme,
  unix: unixScheme,
  copydata: copydataScheme,
  clipboard: clipboardScheme,
  dde: ddeScheme,
  com: comScheme,
  rpc: rpcScheme,
};

function lookup(address: Address, what: "connect" | "listen"): Scheme {
  const scheme = Object.hasOwn(schemes, address.scheme) ? schemes[address.scheme] : undefined;
  if (!scheme?.[what]) {
    const known = Object.entries(schemes).filter(([, v]) => v[what]).map(([k]) => `${k}:`).join(", ");
    throw new AddressError(
      `${address.text}: no mechanism can ${what} on '${address.scheme}:' (known: ${known})`,
    );
  }
  return scheme;
}

/**
 * Connects to the server at `address` and returns a two-way message channel.
 *
 * Addresses: `pipe:NAME`, `shm:NAME`, `dll:NAME`, `tcp:HOST:PORT`, `unix:PATH`,
 * `copydata:NAME`, `clipboard:NAME`, `dde:SERVICE/TOPIC`, `com:NAME`, each with `?option=value` options of its mechanism.
 *
 * @example
 * ```ts
 * import { connect } from "@winipc/winipc";
 * await using channel = await connect("pipe:orders", { timeout: 5_000 });
 * await channel.send(new TextEncoder().encode("hello"));
 * const reply = await channel.receive();
 * ```
 * @throws {AddressError} the address cannot be parsed, names no known scheme, or has an option
 *   the scheme's connect does not know or a bad value (checked before any system call).
 * @throws {TypeError} `opts.timeout` is not a number or `opts.signal` not an AbortSignal.
 * @throws {NotFoundError} nothing serves the address.
 * @throws {TimeoutError} the server did not answer within `timeout`.
 */
export async function connect(address: string, opts: WaitOptions = {}): Promise<Channel> {
  checkWaitOptions(opts);
  const a = parseAddress(address);
  const scheme = lookup(a, "connect");
  const options = parseOptions(a, scheme.connectOptions ?? {}, "connect");
  return await scheme.connect!(a, options, opts);
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
 * @throws {AddressError} the address cannot be parsed, names no known scheme, or has an option
 *   the scheme's listen does not know or a bad value (checked before any system call).
 * @throws {AddressInUseError} another server already serves the address.
 */
export async function listen(address: string): Promise<Listener> {
  const a = parseAddress(address);
  const scheme = lookup(a, "listen");
  const options = parseOptions(a, scheme.listenOptions ?? {}, "listen");
  return await scheme.listen!(a, options);
}
