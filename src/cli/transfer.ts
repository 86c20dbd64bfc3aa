/**
 * Moving data between the process's standard streams and an {@link Endpoint}: input to the
 * peer, the peer's data to output, until both directions have ended. The end rules:
 * - message mode: the end of input is sent as an empty message; the inbound direction ends at
 *   the peer's empty message or when the peer closes;
 * - raw mode: the end of input shuts a socket's sending side (nothing for a pipe or port); the
 *   inbound direction ends when the peer closes;
 * - either mode: `linger` cuts the inbound direction once nothing has arrived for that long
 *   after the end of input (for peers that never close).
 * @module
 */
import { ChannelClosedError, TimeoutError } from "../core/errors.ts";
import type { Endpoint } from "./endpoint.ts";

/** The process's standard streams as the transfer uses them (node:process in main.ts). */
export interface StdStreams {
  /** Pieces of standard input, until its end. */
  input(): AsyncIterable<Uint8Array>;
  /** Writes to standard output; resolves once written. */
  output(bytes: Uint8Array): Promise<void>;
  /** A status line for a terminal (progress); `null` clears it. */
  status?(line: string | null): void;
}

/** The peer went away while input was still being sent. Exit code 6. */
export class PeerGoneError extends ChannelClosedError {}

/** Counts for the caller and the progress line. */
export interface TransferStats {
  sent: number;
  received: number;
}

const PROGRESS_EVERY = 500;

function mib(n: number): string {
  return n >= 1 << 20 ? `${(n / (1 << 20)).toFixed(1)} MiB` : `${n} B`;
}

/**
 * Sends input and writes what arrives until both directions end.
 * @throws {PeerGoneError} the peer closed before all input was sent.
 */
export async function transfer(
  ep: Endpoint,
  io: StdStreams,
  opts: { linger: number; readInput: boolean },
): Promise<TransferStats> {
  const stats: TransferStats = { sent: 0, received: 0 };
  let inputEnded = false;
  let inboundDone = false;
  let receiving = false;
  let lingerTimer: ReturnType<typeof setTimeout> | undefined;
  const lingerAbort = new AbortController();
  const outboundFailed = new AbortController();
  const signal = AbortSignal.any([lingerAbort.signal, outboundFailed.signal]);
  const armLinger = () => {
    clearTimeout(lingerTimer);
    if (inputEnded && receiving && Number.isFinite(opts.linger) && !inboundDone) {
      lingerTimer = setTimeout(() => lingerAbort.abort(new TimeoutError("linger")), opts.linger);
    }
  };
  const started = Date.now();
  const progress = io.status && setInterval(() => {
    if (Date.now() - started > 1000) io.status!(`sent ${mib(stats.sent)}, received ${mib(stats.received)}`);
  }, PROGRESS_EVERY);

  // Resolved when the peer has closed and cannot take more: input is no longer waited for.
  const peerClosed = Promise.withResolvers<"closed">();
  const outbound = async () => {
    if (ep.send && opts.readInput) {
      const pieces = io.input()[Symbol.asyncIterator]();
      while (true) {
        const next = await Promise.race([pieces.next(), peerClosed.promise]);
        if (next === "closed") return; // what was read has been sent; the rest never will be
        if (next.done) break;
        const piece = next.value;
        for (let at = 0; at < piece.length; at += ep.chunk) {
          const part = piece.subarray(at, at + ep.chunk);
          try {
            await ep.send(part);
          } catch (e) {
            if (e instanceof ChannelClosedError) {
              throw new PeerGoneError(`the peer went away after ${stats.sent} bytes of input`, { cause: e });
            }
            throw e;
          }
          stats.sent += part.length;
        }
      }
    }
    if (ep.send) {
      try {
        if (ep.kind === "message") await ep.send(new Uint8Array(0));
        else await ep.endSend?.();
      } catch (e) {
        if (!(e instanceof ChannelClosedError)) throw e; // a peer that has gone needs no end marker
      }
    }
    inputEnded = true;
    armLinger();
  };

  /** Receives until the peer's end marker, its close, or the linger time; says which. */
  const inbound = async (): Promise<"none" | "marker" | "closed" | "linger"> => {
    if (!ep.receive) return "none";
    try {
      while (true) {
        receiving = true;
        armLinger();
        const m = await ep.receive({ signal }).finally(() => {
          receiving = false;
          clearTimeout(lingerTimer);
        });
        if (m === null) return "closed";
        if (ep.kind === "message" && m.length === 0) return "marker";
        await io.output(m);
        stats.received += m.length;
      }
    } catch (e) {
      if (outboundFailed.signal.aborted) return "none"; // its error is thrown below
      if (lingerAbort.signal.aborted) return "linger";
      throw e;
    } finally {
      inboundDone = true;
      clearTimeout(lingerTimer);
    }
  };

  try {
    const out = outbound();
    out.catch((e) => outboundFailed.abort(e)); // stops receiving; awaited below
    const end = await inbound();
    // A peer that closed (and cannot half-close) takes nothing more: stop waiting for input. A
    // send that was under way when it went still fails the transfer (PeerGoneError).
    if (end === "closed" && !ep.halfClose) peerClosed.resolve("closed");
    await out;
    return stats;
  } finally {
    clearInterval(progress);
    clearTimeout(lingerTimer);
    io.status?.(null);
  }
}
