/** Owned kernel handles: closed exactly once, with a garbage-collector safety net. @module */
import { kernel32 } from "./kernel32.ts";
import { INVALID_HANDLE_VALUE } from "./headers/winbase.ts";
import { WinipcError } from "../core/errors.ts";

/** Closes a raw handle value (CloseHandle by default). */
export type Closer = (value: bigint) => void;
const closeHandle: Closer = (v) => {
  kernel32.sync.CloseHandle(v);
};
let open = 0;
const registry = new FinalizationRegistry<{ value: bigint; close: Closer }>((h) => {
  open--;
  h.close(h.value);
});

/** How many {@link OwnedHandle}s are open in this process (for leak checks and diagnostics). */
export function openHandleCount(): number {
  return open;
}

/** True for the two values Win32 uses to say "no handle": NULL and INVALID_HANDLE_VALUE. */
export function isInvalidHandle(value: bigint): boolean {
  return value === 0n || value === INVALID_HANDLE_VALUE;
}

/**
 * A kernel handle this process owns. `close()` (or `using`) closes it once; later calls do
 * nothing. A handle dropped without closing is closed when collected, so a bug leaks a handle
 * for a while, not forever.
 */
export class OwnedHandle implements Disposable {
  #value: bigint;
  readonly #close: Closer;

  /**
   * Takes ownership of `value`; `close` releases it (CloseHandle by default).
   * @throws {TypeError} `value` is NULL or INVALID_HANDLE_VALUE.
   */
  constructor(value: bigint, close: Closer = closeHandle) {
    if (isInvalidHandle(value)) throw new TypeError("winipc: not a valid handle");
    this.#value = value;
    this.#close = close;
    open++;
    registry.register(this, { value, close }, this);
  }

  /** The raw HANDLE value; throws after close. */
  get value(): bigint {
    if (this.#value === 0n) throw new WinipcError("winipc: handle used after close");
    return this.#value;
  }

  /** True once closed or released. */
  get closed(): boolean {
    return this.#value === 0n;
  }

  /** Gives up ownership without closing (the handle was closed or handed over elsewhere). */
  release(): bigint {
    const v = this.value;
    this.#value = 0n;
    open--;
    registry.unregister(this);
    return v;
  }

  /** Closes the handle; only the first call does anything. */
  close(): void {
    const v = this.#value;
    if (v === 0n) return;
    this.#value = 0n;
    open--;
    registry.unregister(this);
    this.#close(v);
  }

  /** `using`: {@link close}. */
  [Symbol.dispose](): void {
    this.close();
  }
}
