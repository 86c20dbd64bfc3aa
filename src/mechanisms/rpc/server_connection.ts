/**
 * One connection of an RPC server: the bind (or alter_context) that chooses interfaces, then
 * requests, reassembled within the server's limits, dispatched one at a time in order, answered
 * with RESPONSE fragments or a FAULT. Anything malformed from the client ends this connection
 * only; the server goes on serving the others.
 * @module
 */
import { ChannelClosedError, ProtocolError } from "../../core/errors.ts";
import type { ContextHandles } from "./context_handles.ts";
import { NIL_UUID } from "./ndr.ts";
import type { RpcInterface, RpcOperation } from "./interface.ts";
import { MIN_FRAGMENT } from "./client_connection.ts";
import {
  type BindPdu,
  type ContextResult,
  NCA_S_FAULT_NDR,
  NCA_S_FAULT_UNSPEC,
  NCA_S_OP_RNG_ERROR,
  NCA_S_PROTO_ERROR,
  NCA_S_UNK_IF,
  NDR_SYNTAX,
  type Pdu,
  PFC_DID_NOT_EXECUTE,
  PFC_FIRST_FRAG,
  PFC_LAST_FRAG,
  REASON_ABSTRACT_SYNTAX_NOT_SUPPORTED,
  REASON_TRANSFER_SYNTAXES_NOT_SUPPORTED,
  REJECT_LOCAL_LIMIT_EXCEEDED,
  type RequestPdu,
  RESULT_ACCEPTANCE,
  RESULT_PROVIDER_REJECTION,
  type SyntaxId,
} from "./pdu.ts";
import { fragmentResponse, Reassembler } from "./pdu_stream.ts";
import { PduTransport } from "./pdu_transport.ts";
import { RpcFaultError } from "./rpc_errors.ts";
import type { RpcTransport } from "./transport.ts";

/** What a handler is told about its call. */
export interface RpcCall {
  /** The interface called. */
  readonly interface: RpcInterface;
  /** The operation's name. */
  readonly operation: string;
  /** The operation number. */
  readonly opnum: number;
  /** The request's object UUID, or null. */
  readonly object: string | null;
  /** The client's connection (`pipe:NAME`, `tcp:HOST:PORT`). */
  readonly remote: string;
  /** Aborts when the client gives up on the call (orphaned, cancelled, gone) or the server closes. */
  readonly signal: AbortSignal;
  /** The context handles of the client's association. */
  readonly contextHandles: ContextHandles;
}

/** An operation's implementation: takes its arguments, returns its results. */
export type RpcHandler = (args: Record<string, unknown>, call: RpcCall) => unknown;

/** A registered interface, as a connection dispatches to it. */
export interface Registration {
  readonly iface: RpcInterface;
  readonly handlers: ReadonlyMap<number, { op: RpcOperation; handler: RpcHandler }>;
}

/** What a connection needs of its server. */
export interface ServerSide {
  /** The largest fragment accepted, and sent at most. */
  readonly maxFragment: number;
  /** The largest request stub data accepted. */
  readonly maxRequestSize: number;
  /** The bind_ack's secondary address for this endpoint. */
  readonly secondaryAddress: string;
  /** The registration serving `syntax` (same UUID and major version, minor at most the registered). */
  find(syntax: SyntaxId): Registration | undefined;
  /** Joins association group `id` (0, or unknown: a new one); returns its id and handles. */
  joinGroup(id: number): { id: number; handles: ContextHandles };
  /** This connection left group `id` (the last one out runs its handles down). */
  leaveGroup(id: number): void;
  /** A handler threw something that is not an RpcFaultError, or its result did not encode. */
  onError(e: unknown, call: RpcCall | null): void;
  /** Aborts when the server closes. */
  readonly closing: AbortSignal;
}

/** auth_type not recognised (MS-RPCE 2.2.2.5, bind_nak reason 8): this server takes no auth. */
const REJECT_AUTH_TYPE_NOT_RECOGNIZED = 8;

/** Requests held per connection, received and not yet answered (see `#request`). */
const MAX_QUEUED = 8;

/** Serves one connection until it ends. */
export class ServerConnection {
  readonly #pdus: PduTransport;
  readonly #server: ServerSide;
  readonly #contexts = new Map<number, Registration>();
  #group: { id: number; handles: ContextHandles } | null = null;
  #xmit = MIN_FRAGMENT;
  readonly #parts: Reassembler;
  /** The requests received and not yet answered, in order. */
  #work: Promise<void> = Promise.resolve();
  #queued = 0;
  /** Aborts the call running or waiting (orphaned, co_cancel, end of connection). */
  #callAbort = new AbortController();

  constructor(transport: RpcTransport, server: ServerSide) {
    this.#server = server;
    this.#pdus = new PduTransport(transport, server.maxFragment);
    this.#parts = new Reassembler(server.maxRequestSize);
  }

  get remote(): string {
    return this.#pdus.transport.remote;
  }

  /** Reads and answers PDUs until the client leaves, breaks the protocol, or the server closes. */
  async run(): Promise<void> {
    const closing = this.#server.closing;
    const onClose = () => void this.#pdus.close().catch(() => {});
    closing.addEventListener("abort", onClose, { once: true });
    try {
      while (!closing.aborted) {
        const got = await this.#pdus.next({ signal: closing });
        if (!got) break;
        await this.#take(got.pdu);
      }
    } catch (e) {
      if (!(e instanceof ProtocolError || e instanceof ChannelClosedError || closing.aborted)) throw e;
    } finally {
      closing.removeEventListener("abort", onClose);
      this.#callAbort.abort(new ChannelClosedError(`${this.remote}: the client's connection ended`));
      await this.#pdus.close().catch(() => {});
      // The association is left once the calls still running have ended (their signal is aborted),
      // so a rundown never races a call using its handle; a handler that ignores its signal delays
      // only that, never the connection's end or the server's close.
      const group = this.#group;
      if (group && this.#queued === 0) this.#server.leaveGroup(group.id);
      else if (group) void this.#work.finally(() => this.#server.leaveGroup(group.id));
    }
  }

  async #take(pdu: Pdu): Promise<void> {
    switch (pdu.type) {
      case "bind":
        if (this.#group) throw new ProtocolError(`${this.remote}: a second bind on one connection`);
        return await this.#bind(pdu);
      case "alter_context":
        if (!this.#group) throw new ProtocolError(`${this.remote}: alter_context before bind`);
        return await this.#alter(pdu);
      case "request":
        if (!this.#group) throw new ProtocolError(`${this.remote}: a request before bind`);
        return await this.#request(pdu);
      case "orphaned":
      case "co_cancel":
        // The client gave up on its call: stop reassembling it, and tell a running handler.
        this.#parts.reset();
        this.#callAbort.abort(
          new ChannelClosedError(
            `${this.remote}: the client ${pdu.type === "orphaned" ? "orphaned" : "cancelled"} the call`,
          ),
        );
        this.#callAbort = new AbortController();
        return;
      default:
        throw new ProtocolError(`${this.remote}: a client sent a ${pdu.type} PDU`);
    }
  }

  async #bind(pdu: BindPdu): Promise<void> {
    if (pdu.auth) return await this.#nak(pdu.callId, REJECT_AUTH_TYPE_NOT_RECOGNIZED);
    // The client must take our fragments; below the minimum every implementation takes, refuse.
    if (pdu.maxRecvFrag < MIN_FRAGMENT) return await this.#nak(pdu.callId, REJECT_LOCAL_LIMIT_EXCEEDED);
    this.#xmit = Math.min(pdu.maxRecvFrag, this.#server.maxFragment);
    this.#group = this.#server.joinGroup(pdu.assocGroupId);
    await this.#pdus.send({
      type: "bind_ack",
      callId: pdu.callId,
      maxXmitFrag: this.#xmit,
      maxRecvFrag: this.#server.maxFragment,
      assocGroupId: this.#group.id,
      secondaryAddress: this.#server.secondaryAddress,
      results: this.#results(pdu),
    });
  }

  async #alter(pdu: BindPdu): Promise<void> {
    if (pdu.auth) throw new ProtocolError(`${this.remote}: alter_context with authentication`);
    await this.#pdus.send({
      type: "alter_context_resp",
      callId: pdu.callId,
      maxXmitFrag: this.#xmit,
      maxRecvFrag: this.#server.maxFragment,
      assocGroupId: this.#group!.id,
      secondaryAddress: "",
      results: this.#results(pdu),
    });
  }

  async #nak(callId: number, reason: number): Promise<void> {
    await this.#pdus.send({
      type: "bind_nak",
      callId,
      rejectReason: reason,
      versions: [{ major: 5, minor: 0 }],
    });
    throw new ProtocolError(`${this.remote}: bind refused (reason ${reason})`);
  }

  /** One result per proposed context: accepted with NDR 2.0 if the interface is registered. */
  #results(pdu: BindPdu): ContextResult[] {
    return pdu.contexts.map((c) => {
      const reg = this.#server.find(c.abstractSyntax);
      if (!reg) return rejected(REASON_ABSTRACT_SYNTAX_NOT_SUPPORTED);
      if (!c.transferSyntaxes.some((t) => sameSyntax(t, NDR_SYNTAX))) {
        return rejected(REASON_TRANSFER_SYNTAXES_NOT_SUPPORTED);
      }
      this.#contexts.set(c.contextId, reg);
      return { result: RESULT_ACCEPTANCE, reason: 0, transferSyntax: NDR_SYNTAX };
    });
  }

  /** Takes one request fragment; a whole call is queued for dispatch. */
  async #request(pdu: RequestPdu): Promise<void> {
    let stub: Uint8Array | null;
    try {
      stub = this.#parts.push(pdu);
    } catch (e) {
      // Over the size limit or out of order: say so, then end the connection (its stream is out
      // of step with any call).
      await this.#fault(pdu, NCA_S_PROTO_ERROR, true).catch(() => {});
      throw e;
    }
    if (stub === null) return;
    // Fragments agree on call_id, p_cont_id and opnum (the reassembler checked), so the last
    // one names the call.
    const signal = this.#callAbort.signal;
    const whole = stub;
    this.#queued++;
    this.#work = this.#work.then(() => this.#dispatch(pdu, whole, signal)).finally(() => this.#queued--);
    // A client that sends calls without reading the answers is not read further until they are
    // done: at most MAX_QUEUED whole requests are held per connection.
    if (this.#queued >= MAX_QUEUED) await this.#work;
  }

  /** Runs one call and answers it (unless the client orphaned it meanwhile). */
  async #dispatch(pdu: RequestPdu, stub: Uint8Array, signal: AbortSignal): Promise<void> {
    if (signal.aborted) return;
    const reg = this.#contexts.get(pdu.contextId);
    if (!reg) return await this.#fault(pdu, NCA_S_UNK_IF, true);
    const entry = reg.handlers.get(pdu.opnum);
    if (!entry) return await this.#fault(pdu, NCA_S_OP_RNG_ERROR, true);
    let args: Record<string, unknown>;
    try {
      args = entry.op.decodeArgs(stub);
    } catch {
      return await this.#fault(pdu, NCA_S_FAULT_NDR, true);
    }
    const call: RpcCall = {
      interface: reg.iface,
      operation: entry.op.name,
      opnum: pdu.opnum,
      object: pdu.object ?? null,
      remote: this.remote,
      signal: AbortSignal.any([signal, this.#server.closing]),
      contextHandles: this.#group!.handles,
    };
    let out: Uint8Array;
    try {
      out = entry.op.encodeResult(await entry.handler(args, call));
    } catch (e) {
      if (e instanceof RpcFaultError) return await this.#fault(pdu, e.status, false);
      this.#server.onError(e, call);
      return await this.#fault(pdu, NCA_S_FAULT_UNSPEC, false);
    }
    if (signal.aborted) return;
    await this.#pdus.sendAll(
      fragmentResponse(out, { callId: pdu.callId, contextId: pdu.contextId }, this.#xmit),
    )
      .catch(() => {}); // the client is gone: the read loop ends the connection
  }

  async #fault(pdu: RequestPdu, status: number, notExecuted: boolean): Promise<void> {
    const flags = PFC_FIRST_FRAG | PFC_LAST_FRAG | (notExecuted ? PFC_DID_NOT_EXECUTE : 0);
    await this.#pdus.send({ type: "fault", callId: pdu.callId, contextId: pdu.contextId, flags, status })
      .catch(() => {});
  }
}

/** The transfer syntax of a rejected context: the nil UUID, version 0. */
const NIL_SYNTAX: SyntaxId = Object.freeze({ uuid: NIL_UUID, major: 0, minor: 0 });

function rejected(reason: number): ContextResult {
  return { result: RESULT_PROVIDER_REJECTION, reason, transferSyntax: NIL_SYNTAX };
}

function sameSyntax(a: SyntaxId, b: SyntaxId): boolean {
  return a.uuid === b.uuid && a.major === b.major && a.minor === b.minor;
}
