/**
 * What a mechanism provides for its address scheme: how `connect` and `listen` reach it. The
 * table of schemes is explicit (src/schemes.ts), never filled by import side effects.
 * @module
 */
import type { Address } from "./address.ts";
import type { Channel, Listener } from "./channel.ts";
import type { WaitOptions } from "./errors.ts";

/** A mechanism's `connect` and/or `listen` for addresses of its scheme. */
export interface Scheme {
  /** Connects to the server at `address`. */
  connect?(address: Address, opts: WaitOptions): Promise<Channel>;
  /** Starts serving `address`. */
  listen?(address: Address): Promise<Listener>;
}
