/**
 * PDUs over an {@link RpcTransport}: reads cut the byte stream into PDUs (bounded by the largest
 * fragment this side accepts) and decode them; writes send each PDU whole, one write per
 * fragment. Shared by the client's and the server's connections.
 * @module
 */
import { ProtocolError, type WaitOptions } from "../../core/errors.ts";
import { decodePdu, encodePdu, type Pdu } from "./pdu.ts";
import { PduStreamReader } from "./pdu_stream.ts";
import type { RpcTransport } from "./transport.ts";

/** Reads and writes whole PDUs on one transport. */
export class PduTransport {
  readonly #reader: PduStreamReader;
  readonly #ready: Uint8Array[] = [];

  readonly transport: RpcTransport;
  /** PDUs on `transport`; a PDU longer than `maxFragLength` is a ProtocolError. */
  constructor(transport: RpcTransport, maxFragLength: number) {
    this.transport = transport;
    this.#reader = new PduStreamReader(maxFragLength);
  }

  /** Bytes read that are not yet a whole PDU (0 between PDUs). */
  get pending(): number {
    return this.#reader.pending;
  }

  /**
   * The next PDU, or null at end of stream between PDUs.
   * @throws {ProtocolError} malformed bytes, or the stream ended inside a PDU.
   */
  async next(opts?: WaitOptions): Promise<{ pdu: Pdu; bytes: Uint8Array } | null> {
    while (this.#ready.length === 0) {
      const chunk = await this.transport.read(opts);
      if (chunk === null) {
        if (this.#reader.pending > 0) {
          throw new ProtocolError(`${this.transport.remote}: the connection ended inside a PDU`);
        }
        return null;
      }
      this.#ready.push(...this.#reader.push(chunk));
    }
    const bytes = this.#ready.shift()!;
    return { pdu: decodePdu(bytes), bytes };
  }

  /** Sends one PDU. */
  send(pdu: Pdu, opts?: WaitOptions): Promise<void> {
    return this.transport.write(encodePdu(pdu), opts);
  }

  /** Sends encoded PDUs (fragments), one write each, in order. */
  async sendAll(fragments: readonly Uint8Array[], opts?: WaitOptions): Promise<void> {
    for (const f of fragments) await this.transport.write(f, opts);
  }

  /** Closes the transport. */
  close(): Promise<void> {
    return this.transport.close();
  }
}
