/**
 * DDE building blocks (src/mechanisms/dde/dde_format.ts): the DDEDATA/DDEPOKE/DDEADVISE blocks,
 * the DDEACK word, lParams, CF_TEXT/CF_UNICODETEXT values and `dde:SERVICE/TOPIC` paths. Blocks
 * come from peers: a short one is a ProtocolError, never another error.
 */
import { AddressError, ProtocolError } from "../../src/core/errors.ts";
import {
  CF_TEXT,
  CF_UNICODETEXT,
  DDE_FACK,
  DDE_FACKREQ,
  DDE_FAPPSTATUS,
  DDE_FBUSY,
  DDE_FDEFERUPD,
  DDE_FRELEASE,
  DDE_FREQUESTED,
  decodeAckStatus,
  decodeDdeAdvise,
  decodeDdeData,
  decodeDdePoke,
  decodeTextValue,
  encodeAckStatus,
  encodeDdeAdvise,
  encodeDdeData,
  encodeDdePoke,
  encodeTextValue,
  hiWord,
  loWord,
  makeLParam,
  normalizeFormat,
  parseDdeAddress,
  WM_DDE_ACK,
  WM_DDE_ADVISE,
  WM_DDE_DATA,
  WM_DDE_EXECUTE,
  WM_DDE_INITIATE,
  WM_DDE_POKE,
  WM_DDE_REQUEST,
  WM_DDE_TERMINATE,
  WM_DDE_UNADVISE,
} from "../../src/mechanisms/dde/dde_format.ts";
import { assert, bytesEqual, fc, fcParams, test } from "../_support/harness.ts";
import { concat, thrown, unicodeString } from "./_util.ts";

const format = fc.integer({ min: 0, max: 0xffff });
const value = fc.uint8Array({ maxLength: 300 });

/** Every UTF-16 code unit but NUL, lone surrogates included. */
const anyUnits = fc.array(fc.integer({ min: 1, max: 0xffff }), { maxLength: 200 })
  .map((units) => String.fromCharCode(...units));

/** The characters Windows-1252 holds (but NUL), from the platform's own decoder: an independent table. */
const cp1252Chars = [
  ...new TextDecoder("windows-1252").decode(Uint8Array.from({ length: 255 }, (_, i) => i + 1)),
];
const cp1252Set = new Set(cp1252Chars);
const cp1252String = fc.array(fc.constantFrom(...cp1252Chars), { maxLength: 200 }).map((cs) => cs.join(""));
/** One UTF-16 code unit (or an astral character) that Windows-1252 cannot represent. */
const not1252 = fc.oneof(
  fc.integer({ min: 0x100, max: 0xffff }).map((u) => String.fromCharCode(u)),
  fc.integer({ min: 0x10000, max: 0x10ffff }).map((c) => String.fromCodePoint(c)),
).filter((c) => !cp1252Set.has(c));

const u16 = (bytes: Uint8Array, at: number) => bytes[at] | bytes[at + 1] << 8;

test("DDE message numbers and flag bits are dde.h's and ddeml.h's", () => {
  const msgs = [
    WM_DDE_INITIATE,
    WM_DDE_TERMINATE,
    WM_DDE_ADVISE,
    WM_DDE_UNADVISE,
    WM_DDE_ACK,
    WM_DDE_DATA,
    WM_DDE_REQUEST,
    WM_DDE_POKE,
    WM_DDE_EXECUTE,
  ];
  assert(msgs.every((m, i) => m === 0x3e0 + i), `messages ${msgs.map((m) => m.toString(16))}`);
  assert(DDE_FACK === 0x8000 && DDE_FBUSY === 0x4000 && DDE_FAPPSTATUS === 0xff, "DDEACK bits");
  assert(DDE_FREQUESTED === 0x1000 && DDE_FRELEASE === 0x2000 && DDE_FACKREQ === 0x8000, "DDEDATA bits");
  assert(DDE_FDEFERUPD === 0x4000, "DDEADVISE fDeferUpd");
  assert(CF_TEXT === 1 && CF_UNICODETEXT === 13, "text formats");
});

test("DDEDATA: the layout is u16 flags, u16 cfFormat, value from offset 4", () => {
  const b = encodeDdeData({ format: 0xc024, value: Uint8Array.of(7, 8, 9), response: true, ackReq: true });
  assert(bytesEqual(b, Uint8Array.of(0x00, 0x90, 0x24, 0xc0, 7, 8, 9)), `bytes ${[...b]}`);
  const r = encodeDdeData({ format: CF_TEXT, value: new Uint8Array(0), release: true });
  assert(bytesEqual(r, Uint8Array.of(0x00, 0x20, 1, 0)), `release only: ${[...r]}`);
});

test("DDEDATA: any flags, format and value round-trip, also from an odd offset", () => {
  fc.assert(
    fc.property(
      format,
      value,
      fc.boolean(),
      fc.boolean(),
      fc.boolean(),
      fc.nat(3),
      (f, v, resp, rel, ack, pad) => {
        const bytes = encodeDdeData({ format: f, value: v, response: resp, release: rel, ackReq: ack });
        assert(bytes.length === 4 + v.length && u16(bytes, 2) === f, "header and size");
        const flags = u16(bytes, 0);
        assert(
          flags === ((resp ? 0x1000 : 0) | (rel ? 0x2000 : 0) | (ack ? 0x8000 : 0)),
          `flags ${flags.toString(16)}`,
        );
        const shifted = concat([new Uint8Array(pad), bytes]).subarray(pad);
        const d = decodeDdeData(shifted);
        assert(d.format === f && d.response === resp && d.release === rel && d.ackReq === ack, "fields");
        assert(bytesEqual(d.value, v), "value");
        shifted.fill(0xee, 4);
        assert(bytesEqual(d.value, v), "the decoded value is a copy, not a view of the block");
      },
    ),
    fcParams(),
  );
});

test("DDEDATA/DDEPOKE/DDEADVISE: decoding ignores the reserved bits of any flags word", () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 0xffff }), format, value, (flags, f, v) => {
      const raw = concat([Uint8Array.of(flags & 0xff, flags >> 8, f & 0xff, f >> 8), v]);
      const again = (b: Uint8Array) => u16(b, 0);
      assert(again(encodeDdeData(decodeDdeData(raw))) === (flags & 0xb000), "DDEDATA keeps 0xB000");
      assert(again(encodeDdePoke(decodeDdePoke(raw))) === (flags & 0x2000), "DDEPOKE keeps 0x2000");
      assert(again(encodeDdeAdvise(decodeDdeAdvise(raw))) === (flags & 0xc000), "DDEADVISE keeps 0xC000");
    }),
    fcParams(),
  );
});

test("DDEPOKE: any format, value and fRelease round-trip", () => {
  fc.assert(
    fc.property(format, value, fc.boolean(), (f, v, rel) => {
      const bytes = encodeDdePoke({ format: f, value: v, release: rel });
      assert(u16(bytes, 0) === (rel ? 0x2000 : 0) && u16(bytes, 2) === f, "header");
      const p = decodeDdePoke(bytes);
      assert(p.format === f && p.release === rel && bytesEqual(p.value, v), "fields");
    }),
    fcParams(),
  );
});

test("DDEADVISE: exactly 4 bytes; any format and flags round-trip; slack after them is ignored", () => {
  fc.assert(
    fc.property(format, fc.boolean(), fc.boolean(), value, (f, defer, ack, slack) => {
      const bytes = encodeDdeAdvise({ format: f, deferUpd: defer, ackReq: ack });
      assert(bytes.length === 4, `${bytes.length} bytes`);
      assert(u16(bytes, 0) === ((defer ? 0x4000 : 0) | (ack ? 0x8000 : 0)) && u16(bytes, 2) === f, "header");
      for (const b of [bytes, concat([bytes, slack])]) {
        const a = decodeDdeAdvise(b);
        assert(a.format === f && a.deferUpd === defer && a.ackReq === ack, "fields");
      }
    }),
    fcParams(),
  );
});

test("blocks shorter than the 4-byte header are ProtocolErrors", () => {
  for (let n = 0; n < 4; n++) {
    const short = new Uint8Array(n).fill(0xff);
    for (const decode of [decodeDdeData, decodeDdePoke, decodeDdeAdvise]) {
      const e = thrown(() => decode(short));
      assert(e instanceof ProtocolError, `${decode.name} of ${n} bytes: ${e}`);
    }
  }
  const empty = decodeDdeData(new Uint8Array(4));
  assert(empty.value.length === 0 && empty.format === 0, "a bare header is an empty value");
});

test("encoders refuse a format outside 0..0xFFFF", () => {
  for (const f of [-1, 0x10000, 1.5, NaN, -16348]) {
    for (
      const encode of [
        () => encodeDdeData({ format: f, value: new Uint8Array(1) }),
        () => encodeDdePoke({ format: f, value: new Uint8Array(1) }),
        () => encodeDdeAdvise({ format: f }),
      ]
    ) {
      const e = thrown(encode);
      assert(e instanceof RangeError, `format ${f}: ${e}`);
    }
  }
});

test("cfFormat is read unsigned: a registered format a peer wrote as a negative short", () => {
  fc.assert(
    fc.property(fc.integer({ min: 0xc000, max: 0xffff }), value, (f, v) => {
      const block = new Uint8Array(4 + v.length);
      new DataView(block.buffer).setInt16(2, f - 0x10000, true); // Wine's signed short
      block.set(v, 4);
      assert(decodeDdeData(block).format === f, "DDEDATA");
      assert(decodeDdePoke(block).format === f, "DDEPOKE");
      assert(decodeDdeAdvise(block).format === f, "DDEADVISE");
    }),
    fcParams(),
  );
});

test("normalizeFormat: 16-bit formats and their sign-extended forms come back as 0..0xFFFF", () => {
  assert(normalizeFormat(-16348) === 0xc024, "i16");
  assert(normalizeFormat(0xffffc024) === 0xc024, "u32 (WINE.md's 0xFFFFC024)");
  assert(normalizeFormat(0xffffffffffffc024n) === 0xc024, "u64 as a bigint");
  assert(normalizeFormat(-16348n) === 0xc024, "negative bigint");
  fc.assert(
    fc.property(format, (f) => {
      assert(normalizeFormat(f) === f && normalizeFormat(BigInt(f)) === f, "a 16-bit format is itself");
      if (f >= 0x8000) {
        assert(normalizeFormat(f - 0x10000) === f, "i16");
        assert(normalizeFormat((f | 0xffff0000) >>> 0) === f, "u32");
        assert(normalizeFormat(BigInt(f) | 0xffffffffffff0000n) === f, "u64");
      }
    }),
    fcParams(),
  );
  for (const bad of [0x10000, 0x12345, 0xffff1234, -0x8001, 1.5, NaN, 0xffffffff00001234n]) {
    const e = thrown(() => normalizeFormat(bad));
    assert(e instanceof RangeError, `${bad}: ${e}`);
  }
});

test("ACK status: any fAck, fBusy and app code round-trip through the wStatus word", () => {
  fc.assert(
    fc.property(fc.boolean(), fc.boolean(), fc.integer({ min: 0, max: 255 }), (ack, busy, appCode) => {
      const w = encodeAckStatus({ ack, busy, appCode });
      assert(w === ((ack ? 0x8000 : 0) | (busy ? 0x4000 : 0) | appCode), `word ${w.toString(16)}`);
      const s = decodeAckStatus(w);
      assert(s.ack === ack && s.busy === busy && s.appCode === appCode, "fields");
    }),
    fcParams(),
  );
  assert(encodeAckStatus({ ack: true }) === 0x8000, "defaults: not busy, app code 0");
  assert(encodeAckStatus({ ack: false }) === 0, "a plain negative ACK");
});

test("ACK status: decoding reads the low word and ignores the reserved bits", () => {
  fc.assert(
    fc.property(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 64n - 1n }), (n) => {
      const low = Number(BigInt.asUintN(16, n));
      const s = decodeAckStatus(n);
      assert(encodeAckStatus(s) === (low & 0xc0ff), `${n}`);
      if (n >= 0n && n <= BigInt(Number.MAX_SAFE_INTEGER)) {
        const t = decodeAckStatus(Number(n));
        assert(t.ack === s.ack && t.busy === s.busy && t.appCode === s.appCode, "number and bigint agree");
      }
    }),
    fcParams(),
  );
  for (const appCode of [-1, 256, 1.5, NaN]) {
    const e = thrown(() => encodeAckStatus({ ack: true, appCode }));
    assert(e instanceof RangeError, `app code ${appCode}: ${e}`);
  }
  assert(thrown(() => decodeAckStatus(0.5)) instanceof RangeError, "a fraction is no status");
});

test("lParams: MAKELPARAM, LOWORD and HIWORD round-trip any two words", () => {
  fc.assert(
    fc.property(format, format, (lo, hi) => {
      const l = makeLParam(lo, hi);
      assert(l === BigInt(lo + hi * 0x10000), `${l}`);
      assert(loWord(l) === lo && hiWord(l) === hi, "bigint");
      assert(loWord(Number(l)) === lo && hiWord(Number(l)) === hi, "number");
      // A signed 64-bit LPARAM with the high bit of the high word set reads back the same.
      const signed = BigInt.asIntN(64, l | (hi >= 0x8000 ? 0xffffffff00000000n : 0n));
      assert(loWord(signed) === lo && hiWord(signed) === hi, `signed ${signed}`);
    }),
    fcParams(),
  );
  assert(hiWord(0x1234_5678_9abcn) === 0x5678, "HIWORD is bits 16..31 only");
  for (const [lo, hi] of [[-1, 0], [0, 0x10000], [1.5, 0], [0, NaN]]) {
    const e = thrown(() => makeLParam(lo, hi));
    assert(e instanceof RangeError, `(${lo}, ${hi}): ${e}`);
  }
  assert(thrown(() => loWord(2.5)) instanceof RangeError, "LOWORD of a fraction");
});

test("CF_TEXT: Windows-1252 bytes with a NUL terminator", () => {
  const b = encodeTextValue("A€é\u0081ÿŸ", CF_TEXT);
  assert(bytesEqual(b, Uint8Array.of(0x41, 0x80, 0xe9, 0x81, 0xff, 0x9f, 0)), `bytes ${[...b]}`);
  assert(bytesEqual(encodeTextValue("", CF_TEXT), Uint8Array.of(0)), "the empty string is one NUL");
  const all = Uint8Array.from({ length: 255 }, (_, i) => i + 1);
  const text = decodeTextValue(all, CF_TEXT);
  assert(text === cp1252Chars.join(""), "every byte decodes as the platform's windows-1252 decoder says");
  assert(bytesEqual(encodeTextValue(text, CF_TEXT), concat([all, Uint8Array.of(0)])), "and back");
});

test("CF_TEXT: any string of Windows-1252 characters round-trips", () => {
  fc.assert(
    fc.property(cp1252String, (s) => {
      const b = encodeTextValue(s, CF_TEXT);
      assert(b.length === s.length + 1 && b[s.length] === 0, "one byte each, then a NUL");
      assert(decodeTextValue(b, CF_TEXT) === s, `round trip of ${JSON.stringify(s)}`);
    }),
    fcParams(),
  );
});

test("CF_TEXT: a character Windows-1252 lacks is a RangeError naming it", () => {
  fc.assert(
    fc.property(cp1252String, not1252, cp1252String, (a, bad, b) => {
      const e = thrown(() => encodeTextValue(a + bad + b, CF_TEXT));
      const cp = bad.codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0");
      assert(e instanceof RangeError, `${e}`);
      assert(e.message.includes(`U+${cp}`) && e.message.includes(`index ${a.length}`), e.message);
    }),
    fcParams(),
  );
});

test("CF_UNICODETEXT: UTF-16LE with a NUL terminator", () => {
  const b = encodeTextValue("A€😀", CF_UNICODETEXT);
  assert(
    bytesEqual(b, Uint8Array.of(0x41, 0, 0xac, 0x20, 0x3d, 0xd8, 0x00, 0xde, 0, 0)),
    `bytes ${[...b]}`,
  );
});

test("CF_UNICODETEXT: any string round-trips, lone surrogates included (code unit for code unit)", () => {
  fc.assert(
    fc.property(fc.oneof(anyUnits, unicodeString({ noNul: true, maxLength: 100 })), fc.nat(1), (s, pad) => {
      const b = encodeTextValue(s, CF_UNICODETEXT);
      assert(b.length === 2 * s.length + 2 && b.at(-1) === 0 && b.at(-2) === 0, "two bytes each, then NUL");
      const odd = concat([new Uint8Array(pad), b]).subarray(pad); // a value at an odd address
      assert(decodeTextValue(odd, CF_UNICODETEXT) === s, `round trip of ${JSON.stringify(s)}`);
    }),
    fcParams(),
  );
});

test("text values: decoding stops at the first NUL, or takes the whole value without one", () => {
  fc.assert(
    fc.property(cp1252String, cp1252String, value, (a, b, junk) => {
      const ta = encodeTextValue(a, CF_TEXT);
      assert(decodeTextValue(concat([ta, encodeTextValue(b, CF_TEXT), junk]), CF_TEXT) === a, "CF_TEXT");
      assert(decodeTextValue(ta.subarray(0, a.length), CF_TEXT) === a, "CF_TEXT without NUL");
    }),
    fcParams(),
  );
  fc.assert(
    fc.property(anyUnits, anyUnits, value, (a, b, junk) => {
      const ua = encodeTextValue(a, CF_UNICODETEXT);
      const joined = concat([ua, encodeTextValue(b, CF_UNICODETEXT), junk]);
      assert(decodeTextValue(joined, CF_UNICODETEXT) === a, "CF_UNICODETEXT");
      const unterminated = ua.subarray(0, 2 * a.length);
      assert(decodeTextValue(unterminated, CF_UNICODETEXT) === a, "CF_UNICODETEXT without NUL");
      const odd = concat([unterminated, Uint8Array.of(0x41)]);
      assert(decodeTextValue(odd, CF_UNICODETEXT) === a, "an odd trailing byte is ignored");
    }),
    fcParams(),
  );
  // A NUL byte inside a UTF-16 code unit is not a NUL code unit.
  assert(decodeTextValue(Uint8Array.of(0x00, 0x41, 0, 0), CF_UNICODETEXT) === "\u4100", "U+4100");
  assert(decodeTextValue(new Uint8Array(0), CF_TEXT) === "", "empty CF_TEXT");
  assert(decodeTextValue(Uint8Array.of(0x41), CF_UNICODETEXT) === "", "a single byte is no code unit");
});

test("text values: U+0000 inside the text and formats that are not text are RangeErrors", () => {
  for (const f of [CF_TEXT, CF_UNICODETEXT] as const) {
    const e = thrown(() => encodeTextValue("ab\0c", f));
    assert(e instanceof RangeError && e.message.includes("index 2"), `${f}: ${e}`);
  }
  for (const f of [0, 2, 7, 0xc024]) {
    assert(thrown(() => encodeTextValue("x", f as typeof CF_TEXT)) instanceof RangeError, `encode ${f}`);
    const e = thrown(() => decodeTextValue(Uint8Array.of(0x41, 0), f as typeof CF_TEXT));
    assert(e instanceof RangeError, `decode ${f}`);
  }
});

test("parseDdeAddress: SERVICE/TOPIC, split at the first '/'", () => {
  const ok: [string, string, string][] = [
    ["Progman/Progman", "Progman", "Progman"],
    ["Excel/[Book1.xlsx]Sheet1", "Excel", "[Book1.xlsx]Sheet1"],
    ["svc/a/b", "svc", "a/b"],
    ["S/T", "S", "T"],
    ["sérvice 1/tö pic€", "sérvice 1", "tö pic€"],
    [`${"s".repeat(255)}/${"t".repeat(255)}`, "s".repeat(255), "t".repeat(255)],
  ];
  for (const [path, service, topic] of ok) {
    const a = parseDdeAddress(path);
    assert(a.service === service && a.topic === topic, `${path}: ${JSON.stringify(a)}`);
  }
  const bad = [
    "",
    "Progman",
    "/Progman",
    "Progman/",
    "/",
    "//",
    `${"s".repeat(256)}/t`,
    `s/${"t".repeat(256)}`,
    "s\0/t",
    "s/t\0",
  ];
  for (const path of bad) {
    const e = thrown(() => parseDdeAddress(path));
    assert(e instanceof AddressError, `${JSON.stringify(path)}: ${e}`);
  }
  assert(thrown(() => parseDdeAddress(7 as unknown as string)) instanceof AddressError, "not a string");
});

test("parseDdeAddress: any non-empty service without '/' and non-empty topic (<= 255 each) parse", () => {
  const name = (noSlash: boolean) =>
    unicodeString({ noNul: true, minLength: 1, maxLength: 120 })
      .map((s) => noSlash ? s.replaceAll("/", "_") : s)
      .filter((s) => s.length >= 1 && s.length <= 255);
  fc.assert(
    fc.property(name(true), name(false), (service, topic) => {
      const a = parseDdeAddress(`${service}/${topic}`);
      assert(a.service === service && a.topic === topic, `${service}/${topic}`);
    }),
    fcParams(),
  );
});
