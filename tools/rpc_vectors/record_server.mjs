#!/usr/bin/env node
// A minimal connection-oriented DCE/RPC server over TCP (C706 chapter 12), independent of the
// library, that records the stub data of every REQUEST a client sends (see README.md).
//   node record_server.mjs PORT OUT.json
// Answers BIND and ALTER_CONTEXT accepting NDR 2.0 for the contexts that propose it, reassembles
// REQUEST fragments (PFC_FIRST_FRAG / PFC_LAST_FRAG), records {opnum, stub (hex)} in arrival order
// and answers with a RESPONSE whose stub is what the operation's [out] parameters need:
// vectors.idl makes every operation void, so that is nothing but for op_open (a context handle)
// and op_out (bytes the library's encoder produced; the client prints what rpcrt4 decoded).
import { createServer } from "node:net";
import { writeFileSync } from "node:fs";

const [port, out] = [Number(process.argv[2] ?? 40123), process.argv[3] ?? "recorded.json"];
const NDR = "045d888aeb1cc9119fe808002b10486002000000"; // 8a885d04-1ceb-11c9-9fe8-08002b104860 v2

// Opnums are the operations' order in vectors.idl.
const OP_OPEN = 25;
const OP_OUT = 28;
const OP_EPT_INSERT = 31;
const RESPONSES = {
  // The context handle: attributes 0, then a UUID (any non-nil one).
  [OP_OPEN]: "00000000" + "11111111222233334444555555555555",
  // op_out's [out] parameters as src/mechanisms/rpc/ndr.ts encodes them (tests/core/_rpc_widl_vectors.ts
  // "out"): o = {n: 0x31, u: 0x33, name: "ré", h: 0x0102030405060708}, *s = "out€".
  [OP_OUT]: "310000000000020004000200000000000807060504030201330000000300000000000000030000007200e900" +
    "00000000080002000500000000000000050000006f0075007400ac200000",
  // op_ept_insert's status: 0.
  [OP_EPT_INSERT]: "00000000",
};

const calls = [];
const save = () => writeFileSync(out, JSON.stringify({ calls }, null, 1) + "\n");

function header(ptype, flags, bodyLen, callId) {
  const h = Buffer.alloc(16);
  h[0] = 5;
  h[1] = 0;
  h[2] = ptype;
  h[3] = flags;
  h.writeUInt32LE(0x10, 4); // little-endian, ASCII, IEEE
  h.writeUInt16LE(16 + bodyLen, 8);
  h.writeUInt16LE(0, 10);
  h.writeUInt32LE(callId, 12);
  return h;
}

/** BIND_ACK (12) or ALTER_CONTEXT_RESP (15) for the contexts of a BIND (11) or ALTER_CONTEXT (14). */
function bindAck(pdu, ptype) {
  const maxXmit = pdu.readUInt16LE(16), maxRecv = pdu.readUInt16LE(18);
  const n = pdu[24];
  let at = 28;
  const results = [];
  for (let i = 0; i < n; i++) {
    const nSyn = pdu[at + 2];
    const syns = [];
    for (let j = 0; j < nSyn; j++) {
      syns.push(pdu.subarray(at + 24 + 20 * j, at + 44 + 20 * j).toString("hex"));
    }
    at += 24 + 20 * nSyn;
    const ok = syns.includes(NDR);
    const r = Buffer.alloc(24);
    r.writeUInt16LE(ok ? 0 : 2, 0); // acceptance / provider rejection
    r.writeUInt16LE(ok ? 0 : 2, 2); // reason: proposed transfer syntaxes not supported
    if (ok) Buffer.from(NDR, "hex").copy(r, 4);
    results.push(r);
  }
  const fixed = Buffer.alloc(8);
  fixed.writeUInt16LE(maxXmit, 0);
  fixed.writeUInt16LE(maxRecv, 2);
  fixed.writeUInt32LE(0x12345, 4);
  // Secondary address: a counted string with its NUL ("" for an ALTER_CONTEXT_RESP), then padding to 4.
  const addr = ptype === 12 ? Buffer.from(`${port}\0`) : Buffer.alloc(0);
  let sec = Buffer.concat([Buffer.from([addr.length & 255, addr.length >> 8]), addr]);
  sec = Buffer.concat([sec, Buffer.alloc((4 - ((8 + sec.length) % 4)) % 4)]);
  const body = Buffer.concat([fixed, sec, Buffer.from([n, 0, 0, 0]), ...results]);
  return Buffer.concat([header(ptype, 3, body.length, pdu.readUInt32LE(12)), body]);
}

function response(callId, stub) {
  const body = Buffer.alloc(8);
  body.writeUInt32LE(stub.length, 0);
  return Buffer.concat([header(2, 3, 8 + stub.length, callId), body, stub]);
}

createServer((sock) => {
  let buf = Buffer.alloc(0);
  let pending = null; // {opnum, parts}
  sock.on("data", (d) => {
    buf = Buffer.concat([buf, d]);
    while (buf.length >= 16) {
      const len = buf.readUInt16LE(8);
      if (buf.length < len) break;
      const pdu = buf.subarray(0, len);
      buf = buf.subarray(len);
      const ptype = pdu[2], flags = pdu[3], authLen = pdu.readUInt16LE(10), callId = pdu.readUInt32LE(12);
      if (ptype === 11 || ptype === 14) {
        sock.write(bindAck(pdu, ptype === 11 ? 12 : 15));
      } else if (ptype === 0) {
        const opnum = pdu.readUInt16LE(22);
        const stubStart = 24 + (flags & 0x80 ? 16 : 0);
        const stubEnd = len - (authLen ? authLen + 8 : 0);
        if (flags & 1) pending = { opnum, parts: [] };
        pending.parts.push(pdu.subarray(stubStart, stubEnd));
        if (flags & 2) {
          const stub = Buffer.concat(pending.parts);
          calls.push({ opnum, stub: stub.toString("hex") });
          save();
          sock.write(response(callId, Buffer.from(RESPONSES[opnum] ?? "", "hex")));
          pending = null;
        }
      } else {
        console.error(`ignored PDU type ${ptype}`);
      }
    }
  });
  sock.on("error", () => {});
}).listen(port, "127.0.0.1", () => console.log(`listening ${port}`));
