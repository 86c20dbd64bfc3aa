/**
 * The one place where a wait becomes a Promise. Waits run off the JS thread (Deno: a
 * `nonblocking` FFI call; Bun: a pooled worker), so the event loop never blocks and an idle wait
 * costs no CPU. Every wait also waits on a private cancel event, which an AbortSignal sets.
 * @module
 */
import { kernel32 } from "../ffi/kernel32.ts";
import { INFINITE, WAIT_ABANDONED_0, WAIT_FAILED, WAIT_OBJECT_0 } from "../ffi/headers/winbase.ts";
import { MAXIMUM_WAIT_OBJECTS } from "../ffi/headers/winnt.ts";
import { Win32Error } from "../ffi/error.ts";
import { attempt, checkHandle } from "../ffi/check.ts";
import { OwnedHandle } from "../ffi/handle.ts";
import { handleWaiter } from "../ffi/handle_waiter.ts";
import { TimeoutError, type WaitOptions } from "../core/errors.ts";
import { checkWaitOptions, MAX_TIMER_MS } from "../core/op_queue.ts";

const k = kernel32.sync;

/** An unnamed event (manual or auto reset). */
export function createEvent(manualReset: boolean, initialState = false): OwnedHandle {
  return new OwnedHandle(
    checkHandle("CreateEventW", () => k.CreateEventW(null, manualReset ? 1 : 0, initialState ? 1 : 0, null)),
  );
}

/** Converts a timeout option to WaitForMultipleObjects milliseconds. */
export function timeoutMs(timeout: number | undefined): number {
  if (timeout === undefined || timeout === Infinity) return INFINITE;
  if (!(timeout >= 0)) throw new RangeError(`timeout must be >= 0 ms, got ${timeout}`);
  return Math.min(Math.ceil(timeout), INFINITE - 1);
}

/** The outcome of a wait: which handle was signalled, and whether a mutex was abandoned. */
export interface Signalled {
  /** The position of the signalled handle in the list waited on. */
  index: number;
  /** It is a mutex whose owner died holding it: the data it guards may be inconsistent. */
  abandoned: boolean;
}

interface Entry {
  readonly handles: readonly bigint[];
  settle(result: Signalled | undefined, error?: unknown): void;
}

const GROUP_CAPACITY = MAXIMUM_WAIT_OBJECTS - 1; // one slot is the group's wake event

/**
 * Up to 63 waits multiplexed onto one off-thread WaitForMultipleObjects call. A registration or
 * removal by another party sets the wake event, so the call returns and restarts with the new
 * set. This keeps the number of blocked threads small (a few groups, then one per 63 waits):
 * Deno runs `nonblocking` calls on a small thread pool (measured under Wine: a tenth concurrent
 * call queues behind the first nine), and a Bun worker per wait would cost a JS engine each.
 */
class WaitGroup {
  readonly #waiter = handleWaiter();
  readonly #wake = createEvent(false);
  readonly #entries = new Set<Entry>();
  #load = 0;
  #running = false;

  get load(): number {
    return this.#load;
  }

  /** Whether an off-thread wait is in flight (joining it costs a wake-up and a restart). */
  get running(): boolean {
    return this.#running;
  }

  add(e: Entry): void {
    this.#entries.add(e);
    this.#load += e.handles.length;
    if (this.#running) k.SetEvent(this.#wake.value);
    else void this.#run();
  }

  remove(e: Entry): boolean {
    if (!this.#take(e)) return false;
    if (this.#running) k.SetEvent(this.#wake.value);
    return true;
  }

  /** Removes without a wake-up: for the runner itself, which rebuilds its list anyway. */
  #take(e: Entry): boolean {
    if (!this.#entries.delete(e)) return false;
    this.#load -= e.handles.length;
    return true;
  }

  async #run(): Promise<void> {
    this.#running = true;
    try {
      while (this.#entries.size > 0) {
        const owners: [Entry, number][] = [];
        for (const e of this.#entries) e.handles.forEach((_, j) => owners.push([e, j]));
        const list = new BigUint64Array([this.#wake.value, ...owners.map(([e, j]) => e.handles[j])]);
        let r: number;
        try {
          r = await this.#waiter.wait(list);
        } catch (e) {
          // The off-thread call itself failed (a Bun call worker died): no wait can complete.
          this.#rejectAll(e);
          return;
        }
        let index: number;
        let abandoned = false;
        if (r >= WAIT_OBJECT_0 && r < WAIT_OBJECT_0 + list.length) index = r - WAIT_OBJECT_0;
        else if (r >= WAIT_ABANDONED_0 && r < WAIT_ABANDONED_0 + list.length) {
          index = r - WAIT_ABANDONED_0;
          abandoned = true;
        } else {
          this.#rejectInvalid();
          continue;
        }
        if (index === 0) continue; // woken to change the set
        const [entry, j] = owners[index - 1];
        // No wake-up here: a wake left set would cost the next wait an extra off-thread round.
        if (this.#take(entry)) entry.settle({ index: j, abandoned });
      }
    } finally {
      this.#running = false;
    }
  }

  /** Fails every registration with `error`. */
  #rejectAll(error: unknown): void {
    for (const e of [...this.#entries]) if (this.#take(e)) e.settle(undefined, error);
  }

  /** After WAIT_FAILED: fail the registrations whose handles are no longer valid. */
  #rejectInvalid(): void {
    for (const e of [...this.#entries]) {
      const invalid = attempt(
        () => e.handles.some((h) => k.WaitForSingleObject(h, 0) === WAIT_FAILED),
        (f) => f,
      );
      if (invalid.value && this.#take(e)) {
        e.settle(undefined, new Win32Error("WaitForMultipleObjects", invalid.error));
      }
    }
  }
}

const groups: WaitGroup[] = [];

/**
 * Handles the wait pool holds for the life of the process: one wake event per group, and the
 * groups only grow with the most waits ever in flight at once (a few, then one per 63). Leak
 * checks discount them.
 */
export function waitPoolHandleCount(): number {
  return groups.length;
}

/** Groups that may wait at once before new waits share one (Deno's pool queues a tenth call). */
const PARALLEL_GROUPS = 4;

/**
 * The group for a new wait of `n` handles. An idle group first: joining a running one means
 * waking it and restarting its wait, an extra off-thread round (measured: +50 % on a ping-pong
 * under Bun). Then a new group while there are few; then the least loaded one with room.
 */
function groupFor(n: number): WaitGroup {
  const fits = groups.filter((g) => g.load + n <= GROUP_CAPACITY);
  const idle = fits.find((g) => !g.running);
  if (idle) return idle;
  if (fits.length === 0 || groups.length < PARALLEL_GROUPS) {
    groups.push(new WaitGroup());
    return groups[groups.length - 1];
  }
  return fits.reduce((a, b) => (b.load < a.load ? b : a));
}

/**
 * Waits until one of `handles` is signalled, off the JS thread. Rejects with
 * {@link TimeoutError} after `timeout` ms and with `signal.reason` on abort. An idle wait costs
 * no CPU: the thread sleeps in the kernel.
 */
export function waitAny(handles: readonly bigint[], opts: WaitOptions = {}): Promise<Signalled> {
  try {
    checkWaitOptions(opts);
  } catch (e) {
    return Promise.reject(e);
  }
  const { signal } = opts;
  if (signal?.aborted) return Promise.reject(signal.reason);
  if (handles.length === 0 || handles.length > GROUP_CAPACITY) {
    return Promise.reject(new RangeError(`waitAny takes 1 to ${GROUP_CAPACITY} handles`));
  }
  const ms = opts.timeout !== undefined && opts.timeout <= MAX_TIMER_MS ? opts.timeout : INFINITE;
  return new Promise<Signalled>((resolve, reject) => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const group = groupFor(handles.length);
    const onAbort = () => {
      if (group.remove(entry)) entry.settle(undefined, signal!.reason);
    };
    const entry: Entry = {
      handles: [...handles],
      settle(result, error) {
        clearTimeout(timer);
        signal?.removeEventListener("abort", onAbort);
        if (result) resolve(result);
        else reject(error);
      },
    };
    signal?.addEventListener("abort", onAbort, { once: true });
    if (ms !== INFINITE) {
      timer = setTimeout(() => {
        if (group.remove(entry)) {
          entry.settle(undefined, new TimeoutError(`wait timed out after ${opts.timeout} ms`));
        }
      }, ms);
    }
    group.add(entry);
  });
}
