/**
 * Per-call cancellation ({@link callScope}) and the one-at-a-time operation queue
 * ({@link OpQueue}) that channels, listeners and byte streams share.
 * @module
 */
import { ChannelClosedError, TimeoutError, type WaitOptions } from "./errors.ts";
import { nextTurn, turnSpent } from "./event_loop.ts";

/** Signal for one call: the caller's signal, the channel's closing, and the call's timeout. */
export interface CallScope {
  signal: AbortSignal;
  done(): void;
}

const noop = () => {};

/**
 * The longest delay a timer can have (2^31 - 1 ms, 24.8 days): a longer one would fire at once,
 * so a timeout beyond it means no limit.
 */
export const MAX_TIMER_MS = 0x7fffffff;

/**
 * Checks a call's {@link WaitOptions} before it starts: every wait (callScope, the kernel's
 * waitAny, connect) validates them here, so a bad one fails the same way everywhere.
 * @throws {TypeError} `opts` is not an object, `timeout` not a number, or `signal` not an AbortSignal.
 * @throws {RangeError} `timeout` is negative or NaN.
 */
export function checkWaitOptions(opts: WaitOptions | undefined): void {
  if (opts === undefined) return;
  if (typeof opts !== "object" || opts === null) {
    throw new TypeError(`wait options must be an object like { timeout, signal }, got ${describe(opts)}`);
  }
  const { timeout, signal } = opts;
  if (timeout !== undefined && typeof timeout !== "number") {
    throw new TypeError(`timeout must be a number of ms (or Infinity), got ${describe(timeout)}`);
  }
  if (timeout !== undefined && !(timeout >= 0)) {
    throw new RangeError(`timeout must be >= 0 ms, got ${timeout}`);
  }
  if (signal !== undefined && !(signal instanceof AbortSignal)) {
    throw new TypeError(`signal must be an AbortSignal, got ${describe(signal)}`);
  }
}

function describe(value: unknown): string {
  return typeof value === "string"
    ? `the string ${JSON.stringify(value)}`
    : `${String(value)} (${typeof value})`;
}

/** Combines a caller's WaitOptions (checked here) with an owner's abort signal into one signal for a call. */
export function callScope(owner: AbortSignal, opts: WaitOptions = {}): CallScope {
  checkWaitOptions(opts);
  // The common case, no caller signal and no timeout, allocates nothing (this is per message).
  const limited = opts.timeout !== undefined && opts.timeout <= MAX_TIMER_MS;
  if (!opts.signal && !limited) return { signal: owner, done: noop };
  const signals = [owner];
  if (opts.signal) signals.push(opts.signal);
  let timer: ReturnType<typeof setTimeout> | undefined;
  if (limited) {
    const t = new AbortController();
    timer = setTimeout(() => t.abort(new TimeoutError(`timed out after ${opts.timeout} ms`)), opts.timeout);
    signals.push(t.signal);
  }
  return { signal: AbortSignal.any(signals), done: () => clearTimeout(timer) };
}

/**
 * Runs one direction's operations one after another (a read never overlaps a read), each with the
 * caller's signal and timeout; `close()` aborts what waits and makes later calls fail with
 * ChannelClosedError. The byte streams (sockets, child pipes, serial ports) share it.
 */
export class OpQueue {
  #tail: Promise<unknown> = Promise.resolve();
  readonly #closing = new AbortController();
  #queued = 0;

  readonly what: string;
  constructor(what: string) {
    this.what = what;
  }

  /** Whether an operation is queued or running (a caller's fast path must then wait its turn). */
  get busy(): boolean {
    return this.#queued > 0;
  }

  get closed(): boolean {
    return this.#closing.signal.aborted;
  }

  /** Queues `op`; it gets a signal that aborts on the caller's signal, timeout, or close. */
  run<T>(opts: WaitOptions | undefined, op: (signal: AbortSignal) => Promise<T>): Promise<T> {
    this.#queued++;
    const run = this.#tail.then(async () => {
      if (turnSpent()) await nextTurn(); // operations that complete at once must not starve the loop
      if (this.closed) throw new ChannelClosedError(`${this.what} is closed`);
      const scope = callScope(this.#closing.signal, opts);
      try {
        return await op(scope.signal);
      } catch (e) {
        if (this.closed) throw new ChannelClosedError(`${this.what} is closed`, { cause: e });
        throw e;
      } finally {
        scope.done();
      }
    }).finally(() => this.#queued--);
    this.#tail = run.catch(() => {});
    return run;
  }

  /** Resolves when nothing queued is left (without closing). */
  idle(): Promise<unknown> {
    return this.#tail;
  }

  /** Aborts what waits, refuses what comes, and resolves once nothing runs. Idempotent. */
  async close(): Promise<void> {
    this.#closing.abort(new ChannelClosedError(`${this.what} is closed`));
    await this.#tail;
  }
}

/** Settles like `p`, or rejects with `signal.reason` as soon as `signal` aborts. */
export function raceAbort<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    p.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}

/** Resolves after `ms`, or rejects with `signal.reason` as soon as `signal` aborts. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal.addEventListener("abort", onAbort, { once: true });
  });
}
