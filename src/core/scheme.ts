/**
 * What a mechanism provides for its address scheme: how `connect` and `listen` reach it, and the
 * `?option=` names each of them knows. The table of schemes is explicit (src/schemes.ts), never
 * filled by import side effects.
 * @module
 */
import type { Address, OptionTable, OptionValues } from "./address.ts";
import type { Channel, Listener } from "./channel.ts";
import type { WaitOptions } from "./errors.ts";

/**
 * A mechanism's `connect` and/or `listen` for addresses of its scheme. Each declares the options
 * it knows once, with the reader that validates each value; `connect()` and `listen()` parse
 * them with `parseOptions` before calling it, so an unknown or bad option is an AddressError
 * before any system call, and the scheme gets typed values.
 */
export interface Scheme<C extends OptionTable = OptionTable, L extends OptionTable = OptionTable> {
  /** The options `connect` knows; without it, `connect` takes none. */
  readonly connectOptions?: C;
  /** Connects to the server at `address`, with its options parsed. */
  connect?(address: Address, options: OptionValues<C>, wait: WaitOptions): Promise<Channel>;
  /** The options `listen` knows; without it, `listen` takes none. */
  readonly listenOptions?: L;
  /** Starts serving `address`, with its options parsed. */
  listen?(address: Address, options: OptionValues<L>): Promise<Listener>;
}

type None = Record<never, never>;

/** A scheme, with the types of its options inferred from its tables. */
export function defineScheme<C extends OptionTable = None, L extends OptionTable = None>(
  scheme: Scheme<C, L>,
): Scheme<C, L> {
  return scheme;
}
