/**
 * An in-memory connection for the RPC client and server (src/mechanisms/rpc): two
 * {@link RpcTransport} ends, each write arriving whole at the other end's next read, with
 * end-of-stream on close. For the Linux tests of the protocol logic.
 */
import { ChannelClosedError, type WaitOptions } from "../../src/core/errors.ts";
import type { RpcTransport } from "../../src/mechanisms/rpc/transport.ts";

class End implements RpcTransport {
  readonly #chunks: (Uint8Array | null)[] = [];
  #wake: (() => void) | null = null;
  #closed = false;
  peer!: End;
  /** Bytes written by this end, in order (for tests that look at the wire). */
  readonly written: Uint8Array[] = [];

  readonly remote: string;
  constructor(remote: string) {
    this.remote = remote;
  }

  deliver(chunk: Uint8Array | null): void {
    this.#chunks.push(chunk);
    this.#wake?.();
  }

  async read(opts: WaitOptions = {}): Promise<Uint8Array | null> {
    while (this.#chunks.length === 0) {
      if (this.#closed) throw new ChannelClosedError(`${this.remote} is closed`);
      opts.signal?.throwIfAborted();
      await new Promise<void>((resolve, reject) => {
        const onAbort = () => reject(opts.signal!.reason);
        opts.signal?.addEventListener("abort", onAbort, { once: true });
        this.#wake = () => {
          opts.signal?.removeEventListener("abort", onAbort);
          this.#wake = null;
          resolve();
        };
      });
    }
    const c = this.#chunks.shift()!;
    if (c === null) this.#chunks.unshift(null); // end of stream stays
    return c;
  }

  write(bytes: Uint8Array): Promise<void> {
    if (this.#closed) return Promise.reject(new ChannelClosedError(`${this.remote} is closed`));
    this.written.push(bytes.slice());
    this.peer.deliver(bytes.slice());
    return Promise.resolve();
  }

  /** Ends this side's writing (the peer reads end-of-stream) and goes on reading. */
  endWrite(): void {
    this.peer.deliver(null);
  }

  close(): Promise<void> {
    if (!this.#closed) {
      this.#closed = true;
      this.peer.deliver(null);
      this.#wake?.();
    }
    return Promise.resolve();
  }
}

/** A connected pair: what the client holds and what the server serves. */
export function memoryPair(name = "memory"): { client: End; server: End } {
  const client = new End(`${name}:server`);
  const server = new End(`${name}:client`);
  client.peer = server;
  server.peer = client;
  return { client, server };
}
