/**
 * An async queue that ends: values wait for `take()`; `null` marks the end and an Error ends it
 * with that error, and both stay at the head, so every later `take()` sees the same end.
 * @module
 */
import { raceAbort } from "./op_queue.ts";

/** Values delivered by one side and taken, in order, by the other. */
export class Inbox<T> {
  readonly #items: (T | null | Error)[] = [];
  #wake: (() => void) | undefined;

  /** Delivers a value, the end (`null`), or an error that ends the queue. */
  push(item: T | null | Error): void {
    this.#items.push(item);
    this.#wake?.();
  }

  /** The next value; `null` at the end. Rejects with the queue's error, or `signal`'s reason. */
  async take(signal?: AbortSignal): Promise<T | null> {
    while (this.#items.length === 0) {
      const arrived = new Promise<void>((resolve) => this.#wake = resolve);
      try {
        await (signal ? raceAbort(arrived, signal) : arrived);
      } finally {
        this.#wake = undefined;
      }
    }
    const head = this.#items[0];
    if (head instanceof Error) throw head;
    if (head === null) return null;
    this.#items.shift();
    return head;
  }
}
