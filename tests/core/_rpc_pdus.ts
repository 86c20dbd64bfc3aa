/** Reading what an RPC server answers on a raw connection, for the hostile-PDU tests. */
import { ChannelClosedError } from "../../src/core/errors.ts";
import { decodePdu, type Pdu } from "../../src/mechanisms/rpc/pdu.ts";

/**
 * Every PDU the server sends until it closes the connection (end of stream, or a closed-stream
 * error), or "open" if it has not closed it within `ms`.
 */
export async function drainPdus(
  read: (opts: { signal: AbortSignal }) => Promise<Uint8Array | null>,
  ms = 3000,
): Promise<Pdu[] | "open"> {
  const out: Pdu[] = [];
  let buf = new Uint8Array(0);
  const signal = AbortSignal.timeout(ms);
  try {
    while (true) {
      const chunk = await read({ signal });
      if (chunk === null) return out;
      const all = new Uint8Array(buf.length + chunk.length);
      all.set(buf);
      all.set(chunk, buf.length);
      buf = all;
      while (buf.length >= 10 && buf.length >= (buf[8] | buf[9] << 8)) {
        const n = buf[8] | buf[9] << 8;
        out.push(decodePdu(buf.slice(0, n)));
        buf = buf.slice(n);
      }
    }
  } catch (e) {
    if (e instanceof ChannelClosedError) return out;
    if (signal.aborted) return "open";
    throw e;
  }
}
