/**
 * One client connection of an RPC association: bind (every interface the client uses, one
 * presentation context each), then calls, one at a time, each request fragmented to what the
 * server accepts and each response reassembled within this side's limit.
 *
 * Under Wine (WINE.md "RPC"): responses carry call_id 1 whatever the request's, so with one call
 * in flight a response is taken as that call's; and after a FAULT Wine may send one more empty
 * response, so a connection that got a FAULT is not used again.
 * @module
 */
import { ChannelClosedError, ProtocolError, type WaitOptions } from "../../core/errors.ts";
import type { RpcInterface } from "./interface.ts";
import { NDR_SYNTAX, type Pdu, REASON_ABSTRACT_SYNTAX_NOT_SUPPORTED, RESULT_ACCEPTANCE } from "./pdu.ts";
import { fragmentRequest, Reassembler } from "./pdu_stream.ts";
import { PduTransport } from "./pdu_transport.ts";
import { describeStatus, RpcBindError, RpcFaultError } from "./rpc_errors.ts";
import type { RpcTransport } from "./transport.ts";

/** Sizes and limits of a client connection. */
export interface ConnectionLimits {
  /** The largest fragment proposed, both ways (max_xmit_frag and max_recv_frag). */
  maxFragment: number;
  /** The largest response stub data accepted, in bytes. */
  maxResponseSize: number;
}

/** The fragment size every DCE/RPC implementation must accept (C706 12.6.3.1, MustRecvFragSize). */
export const MIN_FRAGMENT = 1432;

const REJECT_REASONS: Record<number, string> = {
  0: "reason not specified",
  1: "temporary congestion",
  2: "local limit exceeded",
  3: "called address unknown",
  4: "protocol version not supported",
  5: "default context not supported",
  6: "user data not readable",
  7: "no PSAP available",
};

/** A bound connection. Calls must not overlap (the client's pool sees to it). */
export class ClientConnection {
  readonly #pdus: PduTransport;
  readonly #limits: ConnectionLimits;
  #callId = 1;
  #xmit = 0;
  /** Context id by interface; absent: the server refused that interface. */
  readonly #contexts = new Map<RpcInterface, number>();
  readonly #refused = new Map<RpcInterface, number>();
  /** The association group the server put this connection in. */
  assocGroupId = 0;
  /** False once the connection may be out of step (a fault, a timeout, a broken stream). */
  reusable = true;

  private constructor(pdus: PduTransport, limits: ConnectionLimits) {
    this.#pdus = pdus;
    this.#limits = limits;
  }

  /** Who the server is (`pipe:NAME`, `tcp:HOST:PORT`). */
  get remote(): string {
    return this.#pdus.transport.remote;
  }

  /**
   * Opens a transport with `open` and binds `interfaces` (in the association group `assocGroupId`, 0 for a new one).
   * @throws {RpcBindError} the server refused the bind, or every interface.
   * @throws {NotFoundError | TimeoutError} no connection (what `open` throws).
   */
  static async open(
    open: (opts: WaitOptions) => Promise<RpcTransport>,
    interfaces: readonly RpcInterface[],
    assocGroupId: number,
    limits: ConnectionLimits,
    opts: WaitOptions,
  ): Promise<ClientConnection> {
    const transport = await open(opts);
    const c = new ClientConnection(new PduTransport(transport, limits.maxFragment), limits);
    try {
      await c.#bind(interfaces, assocGroupId, opts);
      return c;
    } catch (e) {
      await c.close();
      throw e;
    }
  }

  async #bind(interfaces: readonly RpcInterface[], assocGroupId: number, opts: WaitOptions): Promise<void> {
    const max = this.#limits.maxFragment;
    const callId = this.#callId++;
    await this.#pdus.send({
      type: "bind",
      callId,
      maxXmitFrag: max,
      maxRecvFrag: max,
      assocGroupId,
      contexts: interfaces.map((iface, i) => ({
        contextId: i,
        abstractSyntax: iface.syntax,
        transferSyntaxes: [NDR_SYNTAX],
      })),
    }, opts);
    const pdu = await this.#next(opts);
    if (pdu.type === "bind_nak") {
      const why = REJECT_REASONS[pdu.rejectReason] ?? `reason ${pdu.rejectReason}`;
      throw new RpcBindError(`${this.remote}: the server refused the bind (${why})`, pdu.rejectReason);
    }
    if (pdu.type !== "bind_ack") throw new ProtocolError(`${this.remote}: a ${pdu.type} answered the bind`);
    if (pdu.results.length !== interfaces.length) {
      throw new ProtocolError(
        `${this.remote}: the bind_ack has ${pdu.results.length} results for ${interfaces.length} contexts`,
      );
    }
    pdu.results.forEach((r, i) => {
      if (r.result === RESULT_ACCEPTANCE) this.#contexts.set(interfaces[i], i);
      else this.#refused.set(interfaces[i], r.reason);
    });
    if (this.#contexts.size === 0 && interfaces.length > 0) {
      const [iface, reason] = this.#refused.entries().next().value!;
      throw this.#refusal(iface, reason);
    }
    // Fragments we send must fit what the server receives, and every implementation must take
    // 1432 bytes (C706 12.6.3.1): a smaller max_recv_frag is a broken or hostile server.
    if (pdu.maxRecvFrag < MIN_FRAGMENT) {
      throw new ProtocolError(
        `${this.remote}: the server's max_recv_frag ${pdu.maxRecvFrag} is below ${MIN_FRAGMENT}`,
      );
    }
    this.#xmit = Math.min(max, pdu.maxRecvFrag);
    this.assocGroupId = pdu.assocGroupId;
  }

  #refusal(iface: RpcInterface, reason: number): RpcBindError {
    const s = iface.syntax;
    const why = reason === REASON_ABSTRACT_SYNTAX_NOT_SUPPORTED
      ? "the server does not have it"
      : `reason ${reason}: the server does not accept NDR 2.0 for it`;
    return new RpcBindError(
      `${this.remote}: interface ${iface.name} (${s.uuid} v${s.major}.${s.minor}) was refused: ${why}`,
      reason,
    );
  }

  /**
   * One call: the request's stub data out, the response's back.
   * @throws {RpcFaultError} the server answered with a FAULT.
   * @throws {RpcBindError} the server refused this interface at bind time.
   * @throws {ChannelClosedError} the server closed the connection.
   * @throws {ProtocolError} the server's bytes are malformed or over the limits.
   */
  async call(
    iface: RpcInterface,
    opnum: number,
    stub: Uint8Array,
    object: string | null,
    opts: WaitOptions,
  ): Promise<Uint8Array> {
    const contextId = this.#contexts.get(iface);
    if (contextId === undefined) {
      const reason = this.#refused.get(iface);
      if (reason !== undefined) throw this.#refusal(iface, reason);
      throw new RangeError(`RPC interface ${iface.name} was not given to the client`);
    }
    this.reusable = false; // until the response is complete
    const callId = this.#callId++;
    await this.#pdus.sendAll(fragmentRequest(stub, { callId, contextId, opnum, object }, this.#xmit), opts);
    const parts = new Reassembler(this.#limits.maxResponseSize);
    while (true) {
      const pdu = await this.#next(opts);
      if (pdu.type === "fault") {
        throw new RpcFaultError(
          pdu.status,
          `${this.remote}: ${iface.name} opnum ${opnum} failed: fault ${describeStatus(pdu.status)}`,
        );
      }
      if (pdu.type !== "response") {
        throw new ProtocolError(`${this.remote}: a ${pdu.type} PDU in answer to a request`);
      }
      const whole = parts.push(pdu);
      if (whole) {
        this.reusable = true;
        return whole;
      }
    }
  }

  /** The next PDU; the end of the stream is ChannelClosedError. */
  async #next(opts: WaitOptions): Promise<Pdu> {
    const got = await this.#pdus.next(opts);
    if (!got) throw new ChannelClosedError(`${this.remote}: the server closed the connection`);
    return got.pdu;
  }

  /** Closes the connection. Idempotent. */
  close(): Promise<void> {
    this.reusable = false;
    return this.#pdus.close();
  }
}
