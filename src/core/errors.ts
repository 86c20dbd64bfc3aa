/**
 * The typed errors every part of winipc throws. Win32 failures that have no more specific
 * meaning are {@link Win32Error}s (src/ffi/error.ts).
 * @module
 */

/** Base class of winipc's own errors. */
export class WinipcError extends Error {
  /** Sets `name` to the subclass's name, so logs say which error it is. */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The channel is closed: by this side, or the peer went away. Receiving ends here. */
export class ChannelClosedError extends WinipcError {}

/** A wait ran past its `timeout`. */
export class TimeoutError extends WinipcError {}

/** A message exceeds the channel's `maxMessageSize` (or the mechanism's own limit). */
export class MessageTooLargeError extends WinipcError {
  /** The message's size in bytes. */
  readonly size: number;
  /** The largest size allowed, in bytes. */
  readonly limit: number;

  /** A message of `size` bytes over `limit`. */
  constructor(size: number, limit: number, options?: ErrorOptions) {
    super(`message of ${size} bytes exceeds the limit of ${limit} bytes`, options);
    this.size = size;
    this.limit = limit;
  }
}

/** An address string that cannot be parsed, or names an unknown mechanism. */
export class AddressError extends WinipcError {}

/** Another server already serves this address. */
export class AddressInUseError extends WinipcError {}

/** Nothing serves this address. */
export class NotFoundError extends WinipcError {}

/** The peer sent bytes that break the protocol (bad frame header, bad magic, bad length). */
export class ProtocolError extends WinipcError {}

/** A system DLL or one of its symbols could not be loaded (not Windows, or Deno without --allow-ffi). */
export class FfiLoadError extends WinipcError {
  /** The DLL that failed to load. */
  readonly dll: string;

  /** `dll` failed to load; `cause` is the runtime's own error. */
  constructor(dll: string, options: { cause: unknown }) {
    super(`winipc: cannot load ${dll} (is this Windows? Deno also needs --allow-ffi)`, options);
    this.dll = dll;
  }
}

/**
 * Options every call that can wait accepts, checked before the call starts (a `timeout` that is
 * not a number, or a `signal` that is not an AbortSignal, is a TypeError; a negative or NaN
 * `timeout` a RangeError).
 *
 * The two end a wait differently. `timeout` rejects with winipc's {@link TimeoutError}. An aborted
 * `signal` rejects with `signal.reason`, whatever it is: `AbortSignal.timeout(ms)` therefore
 * rejects with the platform's `DOMException` named "TimeoutError" (not a winipc TimeoutError),
 * and `controller.abort(reason)` with `reason`.
 */
export interface WaitOptions {
  /** Aborts the wait; the call rejects with `signal.reason` (see {@link WaitOptions}). */
  signal?: AbortSignal;
  /**
   * Milliseconds before the call rejects with {@link TimeoutError}: a number >= 0, or Infinity.
   * Default: no limit (so is anything beyond 2^31 - 1 ms, about 24.8 days).
   */
  timeout?: number;
}
