/**
 * An in-memory byte stream for the channel tests: one direction is a {@link BytePipe}; a
 * {@link streamPair} joins two of them into the two ends of a duplex link. Pure (no timers needed).
 * @module
 */
import type { ByteStream } from "../../src/core/framed_channel.ts";
import type { WaitOptions } from "../../src/core/errors.ts";

/**
 * One direction: writes append bytes; each read returns at most the next size from `cuts` (the
 * stream's arbitrary chunking) and waits while nothing is buffered. Reads honour their signal
 * (rejecting with its reason, consuming nothing) and never overlap (a second concurrent read is
 * a test failure: channels read one at a time).
 */
export class BytePipe {
  #chunks: Uint8Array[] = [];
  #ended = false;
  #wake: (() => void) | undefined;
  #reading = false;
  #cut = 0;
  /** Bytes written so far, in total. */
  written = 0;
  /** Set when two reads overlapped. */
  overlapped = false;

  readonly cuts: number[];
  constructor(cuts: number[] = [Infinity]) {
    this.cuts = cuts;
    if (!cuts.some((c) => c > 0)) throw new RangeError("a BytePipe needs a chunk size above 0");
  }

  write(bytes: Uint8Array): void {
    if (this.#ended) throw new Error("write after end");
    if (bytes.length > 0) this.#chunks.push(bytes.slice());
    this.written += bytes.length;
    this.#wake?.();
  }

  /** End-of-stream: reads return null once the buffered bytes are consumed. */
  end(): void {
    this.#ended = true;
    this.#wake?.();
  }

  get ended(): boolean {
    return this.#ended;
  }

  async read(opts: WaitOptions = {}): Promise<Uint8Array | null> {
    if (this.#reading) this.overlapped = true;
    this.#reading = true;
    try {
      const signal = opts.signal;
      while (this.#chunks.length === 0 && !this.#ended) {
        signal?.throwIfAborted();
        await new Promise<void>((resolve, reject) => {
          const onAbort = () => reject(signal!.reason);
          this.#wake = () => {
            signal?.removeEventListener("abort", onAbort);
            resolve();
          };
          signal?.addEventListener("abort", onAbort, { once: true });
        }).finally(() => this.#wake = undefined);
      }
      signal?.throwIfAborted();
      if (this.#chunks.length === 0) return null;
      let n = this.cuts[this.#cut++ % this.cuts.length];
      if (n === 0) return new Uint8Array(0); // an empty read (not end-of-stream)
      const parts: Uint8Array[] = [];
      while (n > 0 && this.#chunks.length > 0) {
        const head = this.#chunks[0];
        const part = head.subarray(0, n);
        parts.push(part);
        n -= part.length;
        if (part.length === head.length) this.#chunks.shift();
        else this.#chunks[0] = head.subarray(part.length);
      }
      const out = new Uint8Array(parts.reduce((k, p) => k + p.length, 0));
      let at = 0;
      for (const p of parts) {
        out.set(p, at);
        at += p.length;
      }
      return out;
    } finally {
      this.#reading = false;
    }
  }
}

/** One end of a duplex in-memory link, with counters the tests check. */
export interface MemoryStream extends ByteStream {
  read(opts: WaitOptions): Promise<Uint8Array | null>;
  write(bytes: Uint8Array, opts: WaitOptions): Promise<void>;
  /** The pipe this end reads from (the peer writes into it; a test may inject bytes). */
  readonly incoming: BytePipe;
  /** The pipe this end writes to. */
  readonly outgoing: BytePipe;
  /** How many times close() was called. */
  readonly closes: number;
}

/** An end that reads `incoming` and writes `outgoing`; close() ends `outgoing` (the peer sees EOF). */
export function memoryStream(incoming: BytePipe, outgoing: BytePipe): MemoryStream {
  let closes = 0;
  return {
    incoming,
    outgoing,
    get closes() {
      return closes;
    },
    read: (opts) => incoming.read(opts),
    write: async (bytes, opts) => {
      opts.signal?.throwIfAborted();
      await Promise.resolve(); // a write completes later, like a real one
      outgoing.write(bytes);
    },
    close: () => {
      closes++;
      if (!outgoing.ended) outgoing.end();
      return Promise.resolve();
    },
  };
}

/** Two connected ends; each direction chunked by its own `cuts`. */
export function streamPair(
  cutsAB: number[] = [Infinity],
  cutsBA: number[] = [Infinity],
): [MemoryStream, MemoryStream] {
  const ab = new BytePipe(cutsAB);
  const ba = new BytePipe(cutsBA);
  return [memoryStream(ba, ab), memoryStream(ab, ba)];
}
