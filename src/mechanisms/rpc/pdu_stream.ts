/**
 * Connection-oriented DCE/RPC PDUs as a stream: cutting a byte stream into PDUs (ncacn_ip_tcp and
 * other streams carry them back to back), cutting a call's stub data into fragments within a
 * negotiated size, and putting a call's fragments back together within a size limit. Pure; peer
 * bytes are bounds-checked (ProtocolError) before anything is allocated from them.
 * @module
 */
import { ProtocolError } from "../../core/errors.ts";
import {
  encodePdu,
  HEADER_SIZE,
  PFC_FIRST_FRAG,
  PFC_LAST_FRAG,
  REQUEST_HEADER_SIZE,
  type RequestPdu,
  RESPONSE_HEADER_SIZE,
  type ResponsePdu,
} from "./pdu.ts";

// ---------------------------------------------------------------------------------------------
// Byte streams

/**
 * How long the PDU at the start of `buffered` is, once all of it is there: 0 while its header or
 * part of its body is still to come, else its frag_length. For ncacn_ip_tcp and other byte
 * streams, where PDUs follow each other with no framing of their own.
 * @throws {ProtocolError} the first byte is not version 5, or frag_length is below 16 or above
 * `maxFragLength` (checked as soon as the 10 bytes that hold it are there).
 */
export function wholePduLength(buffered: Uint8Array, maxFragLength: number): number {
  if (buffered.length >= 1 && buffered[0] !== 5) {
    throw new ProtocolError(`DCE/RPC: version ${buffered[0]} is not 5`);
  }
  if (buffered.length < 10) return 0;
  const fragLength = buffered[8] | buffered[9] << 8;
  if (fragLength < HEADER_SIZE) throw new ProtocolError(`DCE/RPC: frag_length ${fragLength} is below 16`);
  if (fragLength > maxFragLength) {
    throw new ProtocolError(`DCE/RPC: frag_length ${fragLength} exceeds the maximum of ${maxFragLength}`);
  }
  return buffered.length >= fragLength ? fragLength : 0;
}

/**
 * Cuts a byte stream into PDUs: feed it what was read, get back the whole PDUs. It holds at most
 * one unfinished PDU (up to `maxFragLength` bytes) between calls.
 */
export class PduStreamReader {
  readonly #max: number;
  #buf = new Uint8Array(0);

  /** A reader that refuses PDUs longer than `maxFragLength` bytes. */
  constructor(maxFragLength: number) {
    this.#max = maxFragLength;
  }

  /** Bytes held that do not yet make a whole PDU. */
  get pending(): number {
    return this.#buf.length;
  }

  /**
   * Adds `chunk` and returns the PDUs (copies) that are now whole, in order.
   * @throws {ProtocolError} see {@link wholePduLength}; the reader is unusable afterwards.
   */
  push(chunk: Uint8Array): Uint8Array[] {
    const all = new Uint8Array(this.#buf.length + chunk.length);
    all.set(this.#buf);
    all.set(chunk, this.#buf.length);
    const out: Uint8Array[] = [];
    let at = 0;
    for (;;) {
      const n = wholePduLength(all.subarray(at), this.#max);
      if (n === 0) break;
      out.push(all.slice(at, at + n));
      at += n;
    }
    this.#buf = all.slice(at);
    return out;
  }
}

// ---------------------------------------------------------------------------------------------
// Fragmentation

/** Where to cut a stub so each fragment is at most `maxFragLength` bytes with a `header`-byte header. */
function cuts(stubLength: number, maxFragLength: number, header: number): number[] {
  if (!Number.isInteger(maxFragLength) || maxFragLength > 0xffff) {
    throw new RangeError(`DCE/RPC: max fragment length ${maxFragLength} is not an integer up to 65535`);
  }
  const room = maxFragLength - header;
  if (stubLength <= room) return [stubLength];
  // Every fragment but the last carries a multiple of 8 stub bytes. C706 allows any cut, so this is
  // never wrong, and it keeps each fragment's stub 8-aligned like the stub data it is a part of.
  const chunk = room - room % 8;
  if (chunk <= 0) {
    throw new RangeError(`DCE/RPC: max fragment length ${maxFragLength} leaves no room for 8 stub bytes`);
  }
  const out: number[] = [];
  for (let left = stubLength; left > 0; left -= Math.min(chunk, left)) out.push(Math.min(chunk, left));
  return out;
}

/** Fields of a request call for {@link fragmentRequest}. */
export interface RequestCall {
  /** call_id. */
  callId: number;
  /** p_cont_id. */
  contextId: number;
  /** The operation number. */
  opnum: number;
  /** The object UUID, or null. */
  object?: string | null;
}

/** Fields of a response call for {@link fragmentResponse}. */
export interface ResponseCall {
  /** call_id: the request's. */
  callId: number;
  /** p_cont_id: the request's. */
  contextId: number;
  /** cancel_count. */
  cancelCount?: number;
}

/**
 * The request PDUs carrying `stub`, each at most `maxFragLength` bytes (the peer's max_recv_frag
 * as negotiated): FIRST_FRAG on the first, LAST_FRAG on the last, alloc_hint the stub bytes left.
 * @throws {RangeError} `maxFragLength` is above 65535 or too small for 8 stub bytes per fragment.
 */
export function fragmentRequest(stub: Uint8Array, call: RequestCall, maxFragLength: number): Uint8Array[] {
  const header = REQUEST_HEADER_SIZE + (call.object ? 16 : 0);
  return fragments(stub, maxFragLength, header, (part, flags, allocHint) =>
    encodePdu({
      type: "request",
      callId: call.callId,
      flags,
      allocHint,
      contextId: call.contextId,
      opnum: call.opnum,
      object: call.object ?? null,
      stub: part,
    }));
}

/**
 * The response PDUs carrying `stub`, each at most `maxFragLength` bytes; as {@link fragmentRequest}.
 * @throws {RangeError} `maxFragLength` is above 65535 or too small for 8 stub bytes per fragment.
 */
export function fragmentResponse(stub: Uint8Array, call: ResponseCall, maxFragLength: number): Uint8Array[] {
  return fragments(stub, maxFragLength, RESPONSE_HEADER_SIZE, (part, flags, allocHint) =>
    encodePdu({
      type: "response",
      callId: call.callId,
      flags,
      allocHint,
      contextId: call.contextId,
      cancelCount: call.cancelCount ?? 0,
      stub: part,
    }));
}

function fragments(
  stub: Uint8Array,
  maxFragLength: number,
  header: number,
  make: (part: Uint8Array, flags: number, allocHint: number) => Uint8Array,
): Uint8Array[] {
  const sizes = cuts(stub.length, maxFragLength, header);
  const out: Uint8Array[] = [];
  let at = 0;
  sizes.forEach((n, i) => {
    const flags = (i === 0 ? PFC_FIRST_FRAG : 0) | (i === sizes.length - 1 ? PFC_LAST_FRAG : 0);
    out.push(make(stub.subarray(at, at + n), flags, stub.length - at));
    at += n;
  });
  return out;
}

/**
 * Puts the fragments of one call (requests, or responses) back together. Fragments must come in
 * order, the first with FIRST_FRAG, and agree with the first on type, call_id, p_cont_id and (for
 * requests) opnum; the stub is returned at LAST_FRAG. The total is checked against `maxSize`
 * before each fragment is kept, and alloc_hint is never used to allocate.
 *
 * Wine's quirks (WINE.md): every response it sends carries call_id 1, whatever the request's; its
 * fragments do agree with each other, so this accepts them, and a client must match a response to
 * its request by order, not by call_id. After a fault for an unknown opnum Wine sends an extra
 * empty response: a client must drop a response that arrives when no call is waiting (not this
 * class's job). Wine sends fragments as large as the client proposed, whatever its bind_ack said:
 * size a receive buffer by what was proposed.
 */
export class Reassembler {
  readonly #maxSize: number;
  #parts: Uint8Array[] = [];
  #size = 0;
  #first: RequestPdu | ResponsePdu | null = null;

  /** A reassembler that refuses calls whose stubs add up to more than `maxSize` bytes. */
  constructor(maxSize: number) {
    if (!Number.isInteger(maxSize) || maxSize < 0) throw new RangeError(`DCE/RPC: max size ${maxSize}`);
    this.#maxSize = maxSize;
  }

  /** Whether a call's first fragment has come and its last has not. */
  get inProgress(): boolean {
    return this.#first !== null;
  }

  /** Forgets a call in progress. */
  reset(): void {
    this.#parts = [];
    this.#size = 0;
    this.#first = null;
  }

  /**
   * Takes the next fragment; returns the whole stub when it was the last, else null.
   * @throws {ProtocolError} out of order, from another call, or over the size limit; the
   * reassembler is reset.
   */
  push(pdu: RequestPdu | ResponsePdu): Uint8Array | null {
    try {
      return this.#push(pdu);
    } catch (e) {
      this.reset();
      throw e;
    }
  }

  #push(pdu: RequestPdu | ResponsePdu): Uint8Array | null {
    const flags = pdu.flags ?? (PFC_FIRST_FRAG | PFC_LAST_FRAG);
    const first = this.#first;
    if (first === null) {
      if (!(flags & PFC_FIRST_FRAG)) {
        throw new ProtocolError("DCE/RPC: a fragment without FIRST_FRAG starts a call");
      }
      this.#first = pdu;
    } else {
      if (flags & PFC_FIRST_FRAG) throw new ProtocolError("DCE/RPC: FIRST_FRAG in the middle of a call");
      if (
        pdu.type !== first.type || pdu.callId !== first.callId || pdu.contextId !== first.contextId ||
        (pdu.type === "request" && first.type === "request" && pdu.opnum !== first.opnum)
      ) {
        throw new ProtocolError(`DCE/RPC: a fragment of call ${pdu.callId} interrupts call ${first.callId}`);
      }
    }
    if (this.#size + pdu.stub.length > this.#maxSize) {
      throw new ProtocolError(
        `DCE/RPC: the call's stub exceeds ${this.#maxSize} bytes (${this.#size + pdu.stub.length} so far)`,
      );
    }
    this.#parts.push(pdu.stub);
    this.#size += pdu.stub.length;
    if (!(flags & PFC_LAST_FRAG)) return null;
    const out = new Uint8Array(this.#size);
    let at = 0;
    for (const p of this.#parts) {
      out.set(p, at);
      at += p.length;
    }
    this.reset();
    return out;
  }
}
