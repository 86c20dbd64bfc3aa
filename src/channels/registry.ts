/** `connect(address)` and `listen(address)`: dispatch on the address scheme to a mechanism. @module */
import { AddressError, type WaitOptions } from "../errors.ts";
import { type Address, parseAddress } from "./address.ts";
import type { Channel, Listener } from "./channel.ts";

/** What a mechanism registers for its scheme. */
export interface Mechanism {
  connect?(address: Address, opts: WaitOptions): Promise<Channel>;
  listen?(address: Address): Promise<Listener>;
}

const mechanisms = new Map<string, Mechanism>();

/** Registers the mechanism that serves `scheme:` addresses. */
export function registerMechanism(scheme: string, mechanism: Mechanism): void {
  mechanisms.set(scheme, mechanism);
}

function lookup<W extends "connect" | "listen">(address: Address, what: W): NonNullable<Mechanism[W]> {
  const m = mechanisms.get(address.scheme);
  const fn = m?.[what];
  if (!m || !fn) {
    const known = [...mechanisms].filter(([, v]) => v[what]).map(([k]) => `${k}:`).join(", ");
    throw new AddressError(
      `${address.text}: no mechanism can ${what} on '${address.scheme}:' (known: ${known})`,
    );
  }
  return fn.bind(m) as NonNullable<Mechanism[W]>;
}

/** Connects to a server at `address` (e.g. `pipe:orders`). */
export async function connect(address: string, opts: WaitOptions = {}): Promise<Channel> {
  const a = parseAddress(address);
  return await lookup(a, "connect")(a, opts);
}

/** Starts serving `address` (e.g. `pipe:orders`). */
export async function listen(address: string): Promise<Listener> {
  const a = parseAddress(address);
  return await lookup(a, "listen")(a);
}
