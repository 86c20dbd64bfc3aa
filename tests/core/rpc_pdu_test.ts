/**
 * Connection-oriented DCE/RPC PDUs (src/mechanisms/rpc/pdu.ts): a BIND and others against bytes
 * laid out by hand from C706 chapter 12, round trips of random PDUs, fragmentation and reassembly
 * under small fragment sizes, cutting a byte stream into PDUs, and fuzzing: PDUs come from peers,
 * so bad bytes are a ProtocolError and never another error.
 */
import { ProtocolError } from "../../src/core/errors.ts";
import {
  type BindPdu,
  decodeHeader,
  decodePdu,
  encodePdu,
  NCA_S_FAULT_NDR,
  NCA_S_OP_RNG_ERROR,
  NCA_S_PROTO_ERROR,
  NCA_S_UNK_IF,
  NDR_SYNTAX,
  type Pdu,
  PFC_CONC_MPX,
  PFC_DID_NOT_EXECUTE,
  PFC_FIRST_FRAG,
  PFC_LAST_FRAG,
  PFC_MAYBE,
  PFC_OBJECT_UUID,
  PFC_PENDING_CANCEL,
  PTYPE_ALTER_CONTEXT,
  PTYPE_ALTER_CONTEXT_RESP,
  PTYPE_BIND,
  PTYPE_BIND_ACK,
  PTYPE_BIND_NAK,
  PTYPE_CO_CANCEL,
  PTYPE_FAULT,
  PTYPE_ORPHANED,
  PTYPE_REQUEST,
  PTYPE_RESPONSE,
  PTYPE_SHUTDOWN,
  type RequestPdu,
  type ResponsePdu,
} from "../../src/mechanisms/rpc/pdu.ts";
import {
  fragmentRequest,
  fragmentResponse,
  PduStreamReader,
  Reassembler,
  wholePduLength,
} from "../../src/mechanisms/rpc/pdu_stream.ts";
import { assert, bytesEqual, fc, fcParams, test } from "../_support/harness.ts";
import { concat, cutInto, cutsArb, thrown } from "./_util.ts";
import { hex, le16, le32, NDR_UUID_BYTES } from "./_rpc_vectors.ts";

/** svcctl, 367abb81-9844-35f1-ad32-98f038001003, in its wire layout. */
const SVCCTL = "367abb81-9844-35f1-ad32-98f038001003";
const SVCCTL_BYTES = [
  0x81,
  0xbb,
  0x7a,
  0x36,
  0x44,
  0x98,
  0xf1,
  0x35,
  0xad,
  0x32,
  0x98,
  0xf0,
  0x38,
  0x00,
  0x10,
  0x03,
];

/** Deep equality for decoded PDUs (Uint8Arrays by content). */
function same(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (a instanceof Uint8Array && b instanceof Uint8Array) return bytesEqual(a, b);
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => same(x, b[i]));
  if (a && b && typeof a === "object" && typeof b === "object") {
    const ra = a as Record<string, unknown>, rb = b as Record<string, unknown>;
    const ka = Object.keys(ra), kb = Object.keys(rb);
    return ka.length === kb.length && ka.every((k) => same(ra[k], rb[k]));
  }
  return false;
}

function onlyProtocolErrors(fn: () => unknown): void {
  try {
    fn();
  } catch (e) {
    if (!(e instanceof ProtocolError)) throw new Error(`not a ProtocolError: ${e}`, { cause: e });
  }
}

function isProtocolError(fn: () => unknown, what: string): void {
  const e = thrown(fn);
  assert(e instanceof ProtocolError, `${what}: ${e}`);
}

test("DCE/RPC constants are C706's and MS-RPCE's", () => {
  assert(PTYPE_REQUEST === 0 && PTYPE_RESPONSE === 2 && PTYPE_FAULT === 3, "request, response, fault");
  assert(PTYPE_BIND === 11 && PTYPE_BIND_ACK === 12 && PTYPE_BIND_NAK === 13, "bind");
  assert(PTYPE_ALTER_CONTEXT === 14 && PTYPE_ALTER_CONTEXT_RESP === 15, "alter_context");
  assert(PTYPE_SHUTDOWN === 17 && PTYPE_CO_CANCEL === 18 && PTYPE_ORPHANED === 19, "control");
  const flags = [
    PFC_FIRST_FRAG,
    PFC_LAST_FRAG,
    PFC_PENDING_CANCEL,
    PFC_CONC_MPX,
    PFC_DID_NOT_EXECUTE,
    PFC_MAYBE,
  ];
  assert(same(flags, [1, 2, 4, 0x10, 0x20, 0x40]) && PFC_OBJECT_UUID === 0x80, "pfc_flags");
  assert(NDR_SYNTAX.uuid === "8a885d04-1ceb-11c9-9fe8-08002b104860" && NDR_SYNTAX.major === 2, "NDR v2");
  assert(NCA_S_OP_RNG_ERROR === 0x1c010002 && NCA_S_UNK_IF === 0x1c010003, "nca reject codes");
  assert(NCA_S_PROTO_ERROR === 0x1c01000b && NCA_S_FAULT_NDR === 0x6f7, "nca fault codes");
});

const bindBytes = [
  ...[5, 0, 11, 3, 0x10, 0, 0, 0], // version 5.0, bind, FIRST|LAST, little-endian ASCII IEEE
  ...le16(72), // frag_length
  ...le16(0), // auth_length
  ...le32(1), // call_id
  ...le16(5840), // max_xmit_frag
  ...le16(5840), // max_recv_frag
  ...le32(0), // assoc_group_id
  ...[1, 0, 0, 0], // n_context_elem, reserved, reserved2
  ...le16(0), // p_cont_id
  ...[1, 0], // n_transfer_syn, reserved
  ...SVCCTL_BYTES,
  ...le16(2), // abstract syntax version 2.0
  ...le16(0),
  ...NDR_UUID_BYTES,
  ...le16(2), // NDR version 2.0
  ...le16(0),
];

test("BIND: the bytes C706 12.6.4.3 lays out, with the NDR syntax UUID", () => {
  const bind: BindPdu = {
    type: "bind",
    callId: 1,
    maxXmitFrag: 5840,
    maxRecvFrag: 5840,
    assocGroupId: 0,
    contexts: [{
      contextId: 0,
      abstractSyntax: { uuid: SVCCTL, major: 2, minor: 0 },
      transferSyntaxes: [NDR_SYNTAX],
    }],
  };
  const b = encodePdu(bind);
  assert(bytesEqual(b, Uint8Array.from(bindBytes)), `got ${hex(b)}`);
  const back = decodePdu(b);
  assert(same(back, { ...bind, flags: 3, auth: null }), `decoded ${JSON.stringify(back)}`);
  const h = decodeHeader(b);
  assert(h.fragLength === 72 && h.ptype === 11 && h.callId === 1 && h.authLength === 0, "header");
});

test("BIND_ACK: the secondary address counts its NUL, then pads to 4 from the PDU start", () => {
  const result = { result: 0, reason: 0, transferSyntax: NDR_SYNTAX };
  for (const [addr, pad] of [["\\PIPE\\svcctl", 1], ["135", 2], ["", 2], ["ab", 3], ["abcd", 1]] as const) {
    const b = encodePdu({
      type: "bind_ack",
      callId: 1,
      maxXmitFrag: 5840,
      maxRecvFrag: 5840,
      assocGroupId: 0x1234,
      secondaryAddress: addr,
      results: [result],
    });
    const len = addr === "" ? 0 : addr.length + 1;
    const expected = [
      ...[5, 0, 12, 3, 0x10, 0, 0, 0],
      ...le16(26 + len + pad + 4 + 24),
      ...le16(0),
      ...le32(1),
      ...le16(5840),
      ...le16(5840),
      ...le32(0x1234),
      ...le16(len),
      ...Array.from(addr, (c) => c.charCodeAt(0)),
      ...(len ? [0] : []),
      ...new Array(pad).fill(0),
      ...[1, 0, 0, 0],
      ...le16(0),
      ...le16(0),
      ...NDR_UUID_BYTES,
      ...le32(2),
    ];
    assert(bytesEqual(b, Uint8Array.from(expected)), `${addr}: ${hex(b)}`);
    const back = decodePdu(b);
    assert(back.type === "bind_ack" && back.secondaryAddress === addr && same(back.results, [result]), addr);
  }
});

test("REQUEST, RESPONSE and FAULT: fixed fields, object UUID, stub", () => {
  const stub = Uint8Array.of(9, 8, 7);
  const req = encodePdu({ type: "request", callId: 7, contextId: 1, opnum: 15, stub, object: SVCCTL });
  assert(
    bytesEqual(
      req,
      Uint8Array.from([
        ...[5, 0, 0, 0x83, 0x10, 0, 0, 0],
        ...le16(43),
        ...le16(0),
        ...le32(7),
        ...le32(3), // alloc_hint
        ...le16(1),
        ...le16(15),
        ...SVCCTL_BYTES,
        9,
        8,
        7,
      ]),
    ),
    `request ${hex(req)}`,
  );
  const back = decodePdu(req) as RequestPdu;
  assert(back.object === SVCCTL && back.opnum === 15 && bytesEqual(back.stub, stub), "request back");
  const resp = encodePdu({ type: "response", callId: 7, contextId: 1, stub });
  assert(
    bytesEqual(
      resp,
      Uint8Array.from([5, 0, 2, 3, 0x10, 0, 0, 0, 27, 0, 0, 0, 7, 0, 0, 0, 3, 0, 0, 0, 1, 0, 0, 0, 9, 8, 7]),
    ),
    `response ${hex(resp)}`,
  );
  const fault = encodePdu({
    type: "fault",
    callId: 7,
    contextId: 1,
    status: NCA_S_OP_RNG_ERROR,
    flags: PFC_FIRST_FRAG | PFC_LAST_FRAG | PFC_DID_NOT_EXECUTE,
  });
  assert(
    bytesEqual(
      fault,
      Uint8Array.from([
        5,
        0,
        3,
        0x23,
        0x10,
        0,
        0,
        0,
        32,
        0,
        0,
        0,
        7,
        0,
        0,
        0,
        0,
        0,
        0,
        0,
        1,
        0,
        0,
        0,
        2,
        0,
        1,
        0x1c,
        0,
        0,
        0,
        0,
      ]),
    ),
    `fault ${hex(fault)}`,
  );
  const f = decodePdu(fault);
  assert(f.type === "fault" && f.status === 0x1c010002 && f.flags === 0x23, "fault back");
});

test("BIND_NAK as Wine sends it, and the control PDUs", () => {
  const nak = Uint8Array.from([5, 0, 13, 3, 0x10, 0, 0, 0, 21, 0, 0, 0, 1, 0, 0, 0, 2, 0, 1, 5, 0]);
  const p = decodePdu(nak);
  assert(p.type === "bind_nak" && p.rejectReason === 2 && same(p.versions, [{ major: 5, minor: 0 }]), "nak");
  assert(
    bytesEqual(
      encodePdu({ type: "bind_nak", callId: 1, rejectReason: 2, versions: [{ major: 5, minor: 0 }] }),
      nak,
    ),
    "nak bytes",
  );
  const bare = decodePdu(Uint8Array.from([5, 0, 13, 3, 0x10, 0, 0, 0, 18, 0, 0, 0, 1, 0, 0, 0, 4, 0]));
  assert(bare.type === "bind_nak" && bare.versions.length === 0, "nak without versions");
  for (const type of ["shutdown", "co_cancel", "orphaned"] as const) {
    const b = encodePdu({ type, callId: 3 });
    assert(b.length === 16 && decodePdu(b).type === type, type);
  }
});

const u16 = fc.nat({ max: 0xffff });
const u32 = fc.nat({ max: 0xffffffff });
const syntax = fc.record({ uuid: fc.uuid(), major: u16, minor: u16 });
const auth = fc.option(
  fc.record({
    authType: fc.nat({ max: 255 }),
    authLevel: fc.nat({ max: 255 }),
    padLength: fc.nat({ max: 15 }),
    contextId: u32,
    value: fc.uint8Array({ minLength: 1, maxLength: 40 }),
  }),
);
const stub = fc.uint8Array({ maxLength: 200 });
const flags = fc.nat({ max: 0x7f });
const pduArb: fc.Arbitrary<Pdu> = fc.oneof(
  fc.record({
    type: fc.constantFrom("bind" as const, "alter_context" as const),
    callId: u32,
    flags,
    auth,
    maxXmitFrag: u16,
    maxRecvFrag: u16,
    assocGroupId: u32,
    contexts: fc.array(
      fc.record({
        contextId: u16,
        abstractSyntax: syntax,
        transferSyntaxes: fc.array(syntax, { maxLength: 3 }),
      }),
      { maxLength: 3 },
    ),
  }),
  fc.record({
    type: fc.constantFrom("bind_ack" as const, "alter_context_resp" as const),
    callId: u32,
    flags,
    auth,
    maxXmitFrag: u16,
    maxRecvFrag: u16,
    assocGroupId: u32,
    secondaryAddress: fc.array(fc.integer({ min: 1, max: 255 }), { maxLength: 20 }).map((c) =>
      String.fromCharCode(...c)
    ),
    results: fc.array(fc.record({ result: u16, reason: u16, transferSyntax: syntax }), { maxLength: 3 }),
  }),
  fc.record({
    type: fc.constant("bind_nak" as const),
    callId: u32,
    flags,
    auth: fc.constant(null),
    rejectReason: u16,
    versions: fc.array(fc.record({ major: fc.nat({ max: 255 }), minor: fc.nat({ max: 255 }) }), {
      minLength: 1,
      maxLength: 3,
    }),
  }),
  fc.record({
    type: fc.constant("request" as const),
    callId: u32,
    flags,
    auth,
    allocHint: u32,
    contextId: u16,
    opnum: u16,
    object: fc.option(fc.uuid()),
    stub,
  }),
  fc.record({
    type: fc.constant("response" as const),
    callId: u32,
    flags,
    auth,
    allocHint: u32,
    contextId: u16,
    cancelCount: fc.nat({ max: 255 }),
    stub,
  }),
  fc.record({
    type: fc.constant("fault" as const),
    callId: u32,
    flags,
    auth,
    allocHint: u32,
    contextId: u16,
    cancelCount: fc.nat({ max: 255 }),
    status: u32,
    stub,
  }),
  fc.record({
    type: fc.constantFrom("shutdown" as const, "co_cancel" as const, "orphaned" as const),
    callId: u32,
    flags,
    auth,
  }),
);

/** What decoding gives back for `p`: OBJECT_UUID follows `object`, a request's object is null when absent. */
function normalized(p: Pdu): Pdu {
  if (p.type !== "request") return p;
  const f = p.flags ?? 3;
  return { ...p, flags: p.object ? f | PFC_OBJECT_UUID : f & ~PFC_OBJECT_UUID, object: p.object ?? null };
}

test("DCE/RPC: random PDUs of every type round-trip, auth verifiers included", () => {
  fc.assert(
    fc.property(pduArb, (p) => {
      const b = encodePdu(p);
      assert(b.length === (b[8] | b[9] << 8), "frag_length is the length");
      assert(same(decodePdu(b), normalized(p)), `${p.type} round trip`);
    }),
    fcParams(400),
  );
});

test("fragments: each within the max, FIRST/LAST set, alloc_hint = bytes left, reassembled whole", () => {
  fc.assert(
    fc.property(
      fc.uint8Array({ maxLength: 2000 }),
      fc.boolean(),
      fc.option(fc.uuid()),
      fc.integer({ min: 24, max: 100 }),
      (data, isRequest, object, max) => {
        const header = isRequest ? 24 + (object ? 16 : 0) : 24;
        const make = () =>
          isRequest
            ? fragmentRequest(data, { callId: 5, contextId: 2, opnum: 9, object }, max)
            : fragmentResponse(data, { callId: 5, contextId: 2 }, max);
        if (max - header < 8 && data.length > max - header) {
          assert(thrown(make) instanceof RangeError, "a max without room for 8 stub bytes is a RangeError");
          return;
        }
        const frags = make();
        const r = new Reassembler(data.length);
        let whole: Uint8Array | null = null;
        let at = 0;
        frags.forEach((f, i) => {
          assert(f.length <= max, `fragment of ${f.length} bytes over ${max}`);
          const p = decodePdu(f) as RequestPdu | ResponsePdu;
          assert(p.type === (isRequest ? "request" : "response"), "type");
          assert(Boolean(p.flags! & PFC_FIRST_FRAG) === (i === 0), "FIRST_FRAG on the first only");
          assert(
            Boolean(p.flags! & PFC_LAST_FRAG) === (i === frags.length - 1),
            "LAST_FRAG on the last only",
          );
          assert(p.allocHint === data.length - at, "alloc_hint: the stub bytes left");
          assert(i === frags.length - 1 || p.stub.length % 8 === 0, "a multiple of 8 but in the last");
          at += p.stub.length;
          assert(whole === null, "nothing before the last fragment");
          whole = r.push(p);
        });
        assert(whole !== null && bytesEqual(whole, data), "reassembled");
        assert(!r.inProgress, "ready for the next call");
      },
    ),
    fcParams(300),
  );
});

test("Reassembler: order, one call's fragments, and the size limit before allocating", () => {
  const frags = fragmentResponse(new Uint8Array(100), { callId: 1, contextId: 0 }, 48).map((f) =>
    decodePdu(f) as ResponsePdu
  );
  assert(frags.length === 5, `${frags.length} fragments`);
  const r = new Reassembler(1000);
  isProtocolError(() => r.push(frags[1]), "no FIRST_FRAG");
  r.push(frags[0]);
  isProtocolError(() => r.push(frags[0]), "FIRST_FRAG again");
  r.push(frags[0]);
  isProtocolError(() => r.push({ ...frags[1], callId: 2 }), "another call");
  r.push(frags[0]);
  isProtocolError(() => r.push({ ...frags[1], contextId: 3 }), "another context");
  const small = new Reassembler(50);
  small.push(frags[0]);
  small.push(frags[1]);
  isProtocolError(() => small.push(frags[2]), "over the limit at the third fragment");
  // A lying alloc_hint changes nothing.
  const liar = new Reassembler(100);
  let out: Uint8Array | null = null;
  for (const f of frags) out = liar.push({ ...f, allocHint: 0xffffffff });
  assert(out !== null && out.length === 100, "alloc_hint is only a hint");
  // Wine answers every call with call_id 1: its fragments agree with each other, and that is all
  // the reassembler asks (WINE.md).
  const wine = fragmentResponse(new Uint8Array(20), { callId: 1, contextId: 0 }, 32).map((f) =>
    decodePdu(f) as ResponsePdu
  );
  let got: Uint8Array | null = null;
  const rw = new Reassembler(1 << 20);
  for (const f of wine) got = rw.push(f);
  assert(got !== null && got.length === 20, "Wine's responses reassemble");
});

test("PDU stream: whole PDUs come out of any cutting of the byte stream", () => {
  fc.assert(
    fc.property(fc.array(pduArb, { minLength: 1, maxLength: 5 }), cutsArb(), (pdus, cuts) => {
      const encoded = pdus.map(encodePdu);
      const reader = new PduStreamReader(0xffff);
      const got: Uint8Array[] = [];
      for (const chunk of cutInto(concat(encoded), cuts)) got.push(...reader.push(chunk));
      assert(got.length === encoded.length && got.every((g, i) => bytesEqual(g, encoded[i])), "same PDUs");
      assert(reader.pending === 0, "nothing left over");
    }),
    fcParams(200),
  );
});

test("PDU stream: frag_length below 16 or above the max, or a version other than 5, is a ProtocolError", () => {
  const b = Uint8Array.from(bindBytes);
  assert(wholePduLength(b.subarray(0, 9), 100) === 0, "header incomplete");
  assert(wholePduLength(b.subarray(0, 71), 100) === 0, "body incomplete");
  assert(wholePduLength(b, 100) === 72 && wholePduLength(concat([b, b]), 100) === 72, "whole");
  isProtocolError(() => wholePduLength(b, 71), "frag_length over the max");
  const short = b.slice(0, 16);
  short[8] = 15;
  isProtocolError(() => wholePduLength(short, 100), "frag_length 15");
  isProtocolError(() => decodePdu(short), "decode frag_length 15");
  isProtocolError(() => wholePduLength(Uint8Array.of(4), 100), "version 4");
  const be = b.slice();
  be[4] = 0x00;
  isProtocolError(() => decodePdu(be), "big-endian data representation");
  isProtocolError(() => decodePdu(b.subarray(0, 71)), "frag_length is not the length");
  const unknown = b.slice();
  unknown[2] = 99;
  isProtocolError(() => decodePdu(unknown), "unknown PTYPE");
  const many = b.slice();
  many[24] = 200; // 200 contexts in 48 bytes
  isProtocolError(() => decodePdu(many), "context count over the bytes");
  const auth = b.slice();
  auth[10] = 200; // auth_length larger than the PDU
  isProtocolError(() => decodePdu(auth), "auth_length");
});

test("DCE/RPC fuzz: arbitrary bytes and mutated PDUs throw nothing but ProtocolError", () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 200 }), (b) => {
      onlyProtocolErrors(() => decodePdu(b));
      onlyProtocolErrors(() => wholePduLength(b, 0xffff));
      onlyProtocolErrors(() => new PduStreamReader(100).push(b));
    }),
    fcParams(500),
  );
  fc.assert(
    fc.property(
      pduArb,
      fc.array(fc.tuple(fc.nat(), fc.nat({ max: 255 })), { minLength: 1, maxLength: 4 }),
      fc.nat(),
      fc.boolean(),
      (p, edits, cut, keepHeader) => {
        const b = encodePdu(p);
        for (const [pos, byte] of edits) b[pos % b.length] ^= byte;
        let t = b.subarray(0, cut % (b.length + 1));
        if (keepHeader && t.length >= 16) {
          // Keep the header valid so the body decoders are what gets fuzzed.
          t = t.slice();
          t.set([5, 0], 0);
          t.set([0x10, 0, 0, 0], 4);
          t[8] = t.length & 255;
          t[9] = t.length >> 8;
          t[10] = t[10] % 8;
          t[11] = 0;
        }
        onlyProtocolErrors(() => decodePdu(t));
      },
    ),
    fcParams(500),
  );
});
