/**
 * NDR 2.0 (src/mechanisms/rpc/ndr.ts): primitives, strings, arrays, pointers, structures and
 * parameter lists, against byte vectors worked out by hand from C706 chapter 14, round trips of
 * random values, and fuzzing: stub data comes from peers, so a bad buffer is a ProtocolError and
 * never another error.
 */
import { ProtocolError } from "../../src/core/errors.ts";
import * as ndr from "../../src/mechanisms/rpc/ndr.ts";
import { encapsulatedUnion, union } from "../../src/mechanisms/rpc/ndr_union.ts";
import { byteArray } from "../../src/mechanisms/rpc/ndr_bytes.ts";
import { assert, bytesEqual, fc, fcParams, test } from "../_support/harness.ts";
import { thrown } from "./_util.ts";
import { hex, le32, NDR_UUID_BYTES, same } from "./_rpc_vectors.ts";

function expectBytes<T>(type: ndr.NdrType<T>, value: T, expected: number[], what: string): void {
  const b = ndr.encode(type, value);
  assert(
    bytesEqual(b, Uint8Array.from(expected)),
    `${what}: got ${hex(b)}, want ${hex(Uint8Array.from(expected))}`,
  );
  const back = ndr.decode(type, b);
  assert(same(back, value), `${what}: decoded ${JSON.stringify(back, big)}`);
}

const big = (_k: string, v: unknown) => typeof v === "bigint" ? `${v}n` : v;

/** Decoding `bytes` as `type` throws a ProtocolError (or succeeds): never another error. */
function onlyProtocolErrors<T>(type: ndr.NdrType<T>, bytes: Uint8Array): void {
  try {
    ndr.decode(type, bytes);
  } catch (e) {
    if (!(e instanceof ProtocolError)) throw new Error(`not a ProtocolError: ${e}`, { cause: e });
  }
}

function isProtocolError(fn: () => unknown, what: string): void {
  const e = thrown(fn);
  assert(e instanceof ProtocolError, `${what}: ${e}`);
}

test("NDR: a u8 then a u32 in a structure take 3 bytes of padding; the structure pads its end", () => {
  expectBytes(ndr.struct([["a", ndr.u8], ["b", ndr.u32]]), { a: 7, b: 0x01020304 }, [
    7,
    0,
    0,
    0,
    4,
    3,
    2,
    1,
  ], "u8,u32");
  expectBytes(
    ndr.struct([["a", ndr.u32], ["b", ndr.u8]]),
    { a: 1, b: 2 },
    [1, 0, 0, 0, 2, 0, 0, 0],
    "u32,u8",
  );
  expectBytes(ndr.params([["a", ndr.u8], ["b", ndr.u64]]), { a: 1, b: 0x0102030405060708n }, [
    1,
    ...[0, 0, 0, 0, 0, 0, 0],
    ...[8, 7, 6, 5, 4, 3, 2, 1],
  ], "u8 then hyper: 7 bytes of padding");
  // Parameters are not a structure: no padding after the last one.
  expectBytes(ndr.params([["a", ndr.u32], ["b", ndr.u8]]), { a: 1, b: 2 }, [1, 0, 0, 0, 2], "params u32,u8");
  expectBytes(ndr.params([["a", ndr.u8], ["b", ndr.u16], ["c", ndr.f64]]), { a: 1, b: 2, c: 1 }, [
    1,
    0,
    2,
    0,
    0,
    0,
    0,
    0,
    ...[0, 0, 0, 0, 0, 0, 0xf0, 0x3f],
  ], "u8,u16,double");
});

test("NDR: primitives have their sizes and signs", () => {
  expectBytes(ndr.i8, -2, [0xfe], "i8");
  expectBytes(ndr.i16, -2, [0xfe, 0xff], "i16");
  expectBytes(ndr.i32, -2, [0xfe, 0xff, 0xff, 0xff], "i32");
  expectBytes(ndr.i64, -2n, [0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff], "hyper");
  expectBytes(ndr.bool, true, [1], "boolean true");
  expectBytes(ndr.bool, false, [0], "boolean false");
  assert(ndr.decode(ndr.bool, Uint8Array.of(0x80)) === true, "any non-zero boolean is true");
  expectBytes(ndr.enum16, 0x1234, [0x34, 0x12], "enum: 2 bytes");
  expectBytes(ndr.enum32, -1, [0xff, 0xff, 0xff, 0xff], "[v1_enum]: 4 bytes");
  expectBytes(ndr.f32, 1.5, [0, 0, 0xc0, 0x3f], "float");
  assert(thrown(() => ndr.encode(ndr.enum16, 0x8000)) instanceof RangeError, "enum16 above 0x7FFF");
  assert(thrown(() => ndr.encode(ndr.u16, 0x10000)) instanceof RangeError, "u16 out of range");
  assert(thrown(() => ndr.encode(ndr.u32, 1.5)) instanceof TypeError, "not an integer");
});

test("NDR: a UUID is Data1, Data2, Data3 little-endian then Data4 (the NDR syntax UUID)", () => {
  expectBytes(ndr.uuid, "8a885d04-1ceb-11c9-9fe8-08002b104860", NDR_UUID_BYTES, "uuid");
  assert(
    ndr.formatUuid(ndr.parseUuid("{8A885D04-1CEB-11C9-9FE8-08002B104860}")) ===
      "8a885d04-1ceb-11c9-9fe8-08002b104860",
    "braces, upper case",
  );
  expectBytes(ndr.params([["a", ndr.u8], ["g", ndr.uuid]]), { a: 1, g: ndr.NIL_UUID }, [
    1,
    0,
    0,
    0,
    ...new Array(16).fill(0),
  ], "a UUID is 4-aligned");
  expectBytes(ndr.contextHandle, { attributes: 0, uuid: "8a885d04-1ceb-11c9-9fe8-08002b104860" }, [
    0,
    0,
    0,
    0,
    ...NDR_UUID_BYTES,
  ], "context handle: 20 bytes");
});

test("NDR: [string] wchar_t: max count, offset 0, actual count with the NUL, UTF-16LE", () => {
  const ab = [3, 0, 0, 0, 0, 0, 0, 0, 3, 0, 0, 0, 0x61, 0, 0x62, 0, 0, 0];
  expectBytes(ndr.wstring, "ab", ab, "wstring ab");
  expectBytes(ndr.params([["x", ndr.u8], ["s", ndr.refPtr(ndr.wstring)]]), { x: 9, s: "ab" }, [
    9,
    0,
    0,
    0,
    ...ab,
  ], "u8 then a [ref] string: padding, no referent id");
  expectBytes(
    ndr.uniquePtr(ndr.wstring),
    "",
    [0, 0, 2, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0],
    "unique empty string",
  );
  expectBytes(ndr.cstring, "hi", [3, 0, 0, 0, 0, 0, 0, 0, 3, 0, 0, 0, 0x68, 0x69, 0], "char string");
  expectBytes(ndr.wstring, "\ud800x\udfff", [
    4,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    4,
    0,
    0,
    0,
    0,
    0xd8,
    0x78,
    0,
    0xff,
    0xdf,
    0,
    0,
  ], "lone surrogates survive");
  assert(thrown(() => ndr.encode(ndr.wstring, "a\0b")) instanceof RangeError, "an embedded NUL is refused");
  assert(thrown(() => ndr.encode(ndr.cstring, "\u0100")) instanceof RangeError, "char strings are 8-bit");
});

test("NDR: arrays: fixed, conformant (count first), varying, conformant varying", () => {
  expectBytes(ndr.fixedArray(ndr.u16, 3), [1, 2, 3], [1, 0, 2, 0, 3, 0], "fixed");
  expectBytes(ndr.conformantArray(ndr.u16), [1, 2], [2, 0, 0, 0, 1, 0, 2, 0], "conformant");
  expectBytes(
    ndr.conformantArray(ndr.u64),
    [1n],
    [1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0],
    "conformant hyper: elements 8-aligned",
  );
  expectBytes(ndr.varyingArray(ndr.u8, 10), [5, 6], [0, 0, 0, 0, 2, 0, 0, 0, 5, 6], "varying");
  expectBytes(
    ndr.conformantVaryingArray(ndr.u8),
    [5, 6],
    [2, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 5, 6],
    "conformant varying",
  );
  // A received varying array may start at an offset: checked against the max, then dropped.
  const got = ndr.decode(ndr.varyingArray(ndr.u8, 4), Uint8Array.of(2, 0, 0, 0, 2, 0, 0, 0, 7, 8));
  assert(same(got, [7, 8]), `offset 2: ${got}`);
});

test("NDR: a conformant structure carries its array's max count before it", () => {
  const t = ndr.struct([["n", ndr.u32], ["data", ndr.conformantArray(ndr.u16)]]);
  expectBytes(
    t,
    { n: 3, data: [1, 2, 3] },
    [3, 0, 0, 0, 3, 0, 0, 0, 1, 0, 2, 0, 3, 0, 0, 0],
    "max count, n, elements, end padding",
  );
  // A structure nesting it is conformant too: the count goes before the outer structure.
  const outer = ndr.struct([["a", ndr.u8], ["inner", t]]);
  expectBytes(
    outer,
    { a: 5, inner: { n: 1, data: [9] } },
    [1, 0, 0, 0, 5, 0, 0, 0, 1, 0, 0, 0, 9, 0, 0, 0],
    "nested",
  );
});

test("NDR: pointers: unique ids, null, top-level ref without id, embedded ref with id", () => {
  expectBytes(ndr.uniquePtr(ndr.u32), 7, [0, 0, 2, 0, 7, 0, 0, 0], "unique: id then referent");
  expectBytes(ndr.uniquePtr(ndr.u32), null, [0, 0, 0, 0], "null unique");
  expectBytes(ndr.refPtr(ndr.u32), 7, [7, 0, 0, 0], "top-level ref: no id");
  expectBytes(ndr.struct([["p", ndr.refPtr(ndr.u16)]]), { p: 5 }, [0, 0, 2, 0, 5, 0], "embedded ref: an id");
  expectBytes(ndr.uniquePtr(ndr.uniquePtr(ndr.u8)), 3, [0, 0, 2, 0, 4, 0, 2, 0, 3], "pointer to pointer");
});

test("NDR: deferred referents follow the outermost structure, depth first, in member order", () => {
  const leaf = ndr.struct([["q", ndr.uniquePtr(ndr.u32)]]);
  const t = ndr.struct([["p", ndr.uniquePtr(leaf)], ["r", ndr.uniquePtr(ndr.u32)], ["z", ndr.u8]]);
  expectBytes(t, { p: { q: 0x11 }, r: 0x22, z: 0x33 }, [
    ...le32(0x20000), // p's id
    ...le32(0x20004), // r's id
    0x33,
    0,
    0,
    0, // z, then the structure's end padding
    ...le32(0x20008), // *p: its q's id
    ...le32(0x11), // *q, before *r: *p's own referents follow *p
    ...le32(0x22), // *r
  ], "nested deferral");
  // An array of pointers: all ids, then the referents in order.
  expectBytes(ndr.conformantArray(ndr.uniquePtr(ndr.u16)), [1, null, 3], [
    3,
    0,
    0,
    0,
    ...le32(0x20000),
    0,
    0,
    0,
    0,
    ...le32(0x20004),
    1,
    0,
    3,
    0,
  ], "array of unique pointers");
});

test("NDR: full pointers send a shared referent once and decode to one object", () => {
  const target = ndr.struct([["x", ndr.u32]]);
  const t = ndr.struct([["a", ndr.fullPtr(target)], ["b", ndr.fullPtr(target)]]);
  const shared = { x: 5 };
  const b = ndr.encode(t, { a: shared, b: shared });
  // Full pointers are numbered 1, 2, ... (rpcrt4's full-pointer table), apart from unique pointers.
  assert(bytesEqual(b, Uint8Array.from([...le32(1), ...le32(1), ...le32(5)])), hex(b));
  const back = ndr.decode(t, b);
  assert(back.a !== null && back.a === back.b && back.a.x === 5, "one object");
  const two = ndr.encode(t, { a: { x: 1 }, b: { x: 1 } });
  assert(two.length === 16, `two objects, two referents: ${hex(two)}`);
});

test("NDR: a bad buffer is a ProtocolError, found before allocating what it describes", () => {
  isProtocolError(() => ndr.decode(ndr.u32, Uint8Array.of(1, 2, 3)), "short u32");
  isProtocolError(
    () => ndr.decode(ndr.conformantArray(ndr.u8), Uint8Array.of(0xff, 0xff, 0xff, 0xff)),
    "huge count",
  );
  isProtocolError(
    () => ndr.decode(ndr.conformantArray(ndr.u32), Uint8Array.of(2, 0, 0, 0, 1, 0, 0, 0)),
    "count > remaining",
  );
  const s = (max: number, off: number, act: number, units: number[]) =>
    Uint8Array.from([...le32(max), ...le32(off), ...le32(act), ...units.flatMap((u) => [u & 255, u >> 8])]);
  isProtocolError(() => ndr.decode(ndr.wstring, s(2, 0, 3, [0x61, 0x62, 0])), "actual > max");
  isProtocolError(() => ndr.decode(ndr.wstring, s(3, 1, 2, [0x61, 0])), "offset not 0");
  isProtocolError(() => ndr.decode(ndr.wstring, s(2, 0, 2, [0x61, 0x62])), "no NUL");
  isProtocolError(() => ndr.decode(ndr.wstring, s(0, 0, 0, [])), "actual count 0");
  isProtocolError(() => ndr.decode(ndr.wstring, s(0x7fffffff, 0, 0x7fffffff, [])), "huge string");
  isProtocolError(
    () => ndr.decode(ndr.varyingArray(ndr.u8, 4), Uint8Array.of(5, 0, 0, 0, 0, 0, 0, 0)),
    "offset beyond max",
  );
  isProtocolError(
    () => ndr.decode(ndr.varyingArray(ndr.u8, 4), Uint8Array.of(2, 0, 0, 0, 3, 0, 0, 0, 1, 2, 3)),
    "offset + actual > max",
  );
  isProtocolError(() => ndr.decode(ndr.u8, Uint8Array.of(1, 2)), "trailing bytes");
  assert(ndr.decode(ndr.u8, Uint8Array.of(1, 2), { allowTrailing: true }) === 1, "allowTrailing");
  isProtocolError(
    () => ndr.decode(ndr.params([["a", ndr.u8], ["b", ndr.u32]]), Uint8Array.of(1, 0)),
    "padding past the end",
  );
  isProtocolError(() => ndr.decode(ndr.uniquePtr(ndr.u32), Uint8Array.of(0, 0, 2, 0)), "referent missing");
});

// ---------------------------------------------------------------------------------------------
// Random values

/** Any UTF-16 code units but NUL, lone surrogates included. */
const units = fc.array(fc.integer({ min: 1, max: 0xffff }), { maxLength: 40 }).map((u) =>
  String.fromCharCode(...u)
);
const latin1 = fc.array(fc.integer({ min: 1, max: 0xff }), { maxLength: 40 }).map((u) =>
  String.fromCharCode(...u)
);
const handle = fc.record({ attributes: fc.nat({ max: 0xffffffff }), uuid: fc.uuid() });

const inner = ndr.struct([["count", ndr.u32], ["items", ndr.conformantArray(ndr.u16)]]);
const node = ndr.struct([
  ["id", ndr.u64],
  ["name", ndr.uniquePtr(ndr.wstring)],
  ["inner", ndr.uniquePtr(inner)],
  ["flag", ndr.bool],
  ["tag", ndr.u8],
  ["guid", ndr.uuid],
  ["h", ndr.contextHandle],
  ["refd", ndr.refPtr(ndr.i16)],
]);
const call = ndr.params([
  ["a", ndr.u8],
  ["nodes", ndr.conformantArray(node)],
  ["s", ndr.refPtr(ndr.wstring)],
  ["opt", ndr.uniquePtr(ndr.cstring)],
  ["v", ndr.varyingArray(ndr.i32, 10)],
  ["cv", ndr.conformantVaryingArray(ndr.f64)],
  ["x", ndr.i64],
  ["f", ndr.f32],
  ["e16", ndr.enum16],
  ["e32", ndr.enum32],
  ["c", ndr.i8],
  ["w", ndr.i16],
  ["fixed", ndr.fixedArray(ndr.wchar, 2)],
  ["arr", ndr.uniquePtr(ndr.conformantArray(ndr.uniquePtr(inner)))],
]);
const innerArb = fc.array(fc.nat({ max: 0xffff }), { maxLength: 6 }).chain((items) =>
  fc.record({ count: fc.constant(items.length), items: fc.constant(items) })
);
const nodeArb = fc.record({
  id: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
  name: fc.option(units),
  inner: fc.option(innerArb),
  flag: fc.boolean(),
  tag: fc.nat({ max: 255 }),
  guid: fc.uuid(),
  h: handle,
  refd: fc.integer({ min: -0x8000, max: 0x7fff }),
});
const callArb = fc.record({
  a: fc.nat({ max: 255 }),
  nodes: fc.array(nodeArb, { maxLength: 4 }),
  s: units,
  opt: fc.option(latin1),
  v: fc.array(fc.integer({ min: -0x80000000, max: 0x7fffffff }), { maxLength: 10 }),
  cv: fc.array(fc.double(), { maxLength: 5 }),
  x: fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
  f: fc.float(),
  e16: fc.nat({ max: 0x7fff }),
  e32: fc.integer({ min: -0x80000000, max: 0x7fffffff }),
  c: fc.integer({ min: -128, max: 127 }),
  w: fc.integer({ min: -0x8000, max: 0x7fff }),
  fixed: fc.array(fc.nat({ max: 0xffff }), { minLength: 2, maxLength: 2 }),
  arr: fc.option(fc.array(fc.option(innerArb), { maxLength: 4 })),
});

test("NDR: every type round-trips inside nested structures, arrays and pointers", () => {
  fc.assert(
    fc.property(callArb, (v) => {
      const b = ndr.encode(call, v);
      const back = ndr.decode(call, b);
      assert(same(back, v), `round trip: ${JSON.stringify(back, big).slice(0, 500)}`);
      assert(bytesEqual(ndr.encode(call, back), b), "re-encoding gives the same bytes");
    }),
    fcParams(200),
  );
});

const primitives: [string, ndr.NdrType<unknown>, fc.Arbitrary<unknown>, number][] = [
  ["u8", ndr.u8, fc.nat({ max: 0xff }), 1],
  ["i8", ndr.i8, fc.integer({ min: -128, max: 127 }), 1],
  ["u16", ndr.u16, fc.nat({ max: 0xffff }), 2],
  ["i16", ndr.i16, fc.integer({ min: -0x8000, max: 0x7fff }), 2],
  ["u32", ndr.u32, fc.nat({ max: 0xffffffff }), 4],
  ["i32", ndr.i32, fc.integer({ min: -0x80000000, max: 0x7fffffff }), 4],
  ["u64", ndr.u64, fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), 8],
  ["i64", ndr.i64, fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), 8],
  ["f32", ndr.f32, fc.float(), 4],
  ["f64", ndr.f64, fc.double(), 8],
  ["bool", ndr.bool, fc.boolean(), 1],
  ["enum16", ndr.enum16, fc.nat({ max: 0x7fff }), 2],
  ["enum32", ndr.enum32, fc.integer({ min: -0x80000000, max: 0x7fffffff }), 4],
  ["uuid", ndr.uuid, fc.uuid(), 4],
];

test("NDR: each primitive round-trips after 1..8 bytes, aligned to its size from the stub start", () => {
  for (const [name, type, arb, align] of primitives) {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 8 }), arb, (lead, v) => {
        const t = ndr.params([["lead", ndr.fixedArray(ndr.u8, lead)], ["v", type]]);
        const b = ndr.encode(t, { lead: new Array(lead).fill(0xaa), v });
        const at = Math.ceil(lead / align) * align;
        assert(b.length === at + type.minSize, `${name} after ${lead}: ${b.length} bytes`);
        assert(b.subarray(lead, at).every((x) => x === 0), `${name}: zero padding`);
        assert(same(ndr.decode(t, b).v, v), `${name} round trip`);
      }),
      fcParams(50),
    );
  }
});

// ---------------------------------------------------------------------------------------------
// Fuzzing

test("NDR fuzz: decoding arbitrary bytes throws nothing but ProtocolError", () => {
  const types: ndr.NdrType<unknown>[] = [
    call,
    node,
    ndr.wstring,
    ndr.conformantArray(ndr.uniquePtr(inner)),
    ndr.uniquePtr(ndr.cstring),
  ];
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 300 }), fc.nat({ max: types.length - 1 }), (b, i) => {
      onlyProtocolErrors(types[i], b);
    }),
    fcParams(500),
  );
});

test("NDR fuzz: bit flips, overwrites and truncations of valid stub data throw nothing but ProtocolError", () => {
  fc.assert(
    fc.property(
      callArb,
      fc.array(fc.tuple(fc.nat(), fc.nat({ max: 7 }), fc.boolean(), fc.nat({ max: 255 })), {
        minLength: 1,
        maxLength: 4,
      }),
      fc.nat(),
      (v, edits, cut) => {
        const b = ndr.encode(call, v);
        for (const [pos, bit, overwrite, byte] of edits) {
          const at = pos % b.length;
          b[at] = overwrite ? byte : b[at] ^ (1 << bit);
        }
        onlyProtocolErrors(call, b);
        onlyProtocolErrors(call, b.subarray(0, cut % (b.length + 1)));
      },
    ),
    fcParams(300),
  );
});

// ---------------------------------------------------------------------------------------------
// Unions

const armsL = { 1: ndr.u8, 2: ndr.i64, 3: ndr.i16, 4: null, 5: ndr.uniquePtr(ndr.wstring) };
const unionL = union(ndr.i32, armsL, ndr.u32);
const unionS = union(ndr.u16, { 1: ndr.f64, 2: ndr.uniquePtr(inner) }, null);
const encU = encapsulatedUnion(ndr.i16, { 7: ndr.u8, 8: ndr.uniquePtr(inner), 9: ndr.f32 });
const unionCall = ndr.params([
  ["lead", ndr.fixedArray(ndr.u8, 3)],
  ["u", unionL],
  ["s", ndr.struct([["pre", ndr.u8], ["k", ndr.u16], ["u", unionS], ["post", ndr.u8]])],
  ["e", ndr.uniquePtr(ndr.struct([["pre", ndr.u8], ["e", encU], ["post", ndr.u8]]))],
  ["arr", ndr.conformantArray(ndr.struct([["u", unionL], ["e", encU]]))],
]);
const unionLArb = fc.oneof(
  fc.nat({ max: 0xff }).map((value) => ({ tag: 1, value })),
  fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map((value) => ({ tag: 2, value })),
  fc.integer({ min: -0x8000, max: 0x7fff }).map((value) => ({ tag: 3, value })),
  fc.constant({ tag: 4 }),
  fc.option(units).map((value) => ({ tag: 5, value })),
  fc.tuple(fc.integer({ min: -0x80000000, max: 0x7fffffff }), fc.nat({ max: 0xffffffff }))
    .filter(([tag]) => !(tag in armsL)).map(([tag, value]) => ({ tag, value })),
);
const unionSArb = fc.oneof(
  fc.double().map((value) => ({ tag: 1, value })),
  fc.option(innerArb).map((value) => ({ tag: 2, value })),
  fc.nat({ max: 0xffff }).filter((t) => t !== 1 && t !== 2).map((tag) => ({ tag })),
);
const encArb = fc.oneof(
  fc.nat({ max: 0xff }).map((value) => ({ tag: 7, value })),
  fc.option(innerArb).map((value) => ({ tag: 8, value })),
  fc.float().map((value) => ({ tag: 9, value })),
);
const unionCallArb = fc.record({
  lead: fc.array(fc.nat({ max: 0xff }), { minLength: 3, maxLength: 3 }),
  u: unionLArb,
  s: fc.record({ pre: fc.nat({ max: 0xff }), u: unionSArb, post: fc.nat({ max: 0xff }) }).map((s) => ({
    pre: s.pre,
    k: s.u.tag,
    u: s.u,
    post: s.post,
  })),
  e: fc.option(fc.record({ pre: fc.nat({ max: 0xff }), e: encArb, post: fc.nat({ max: 0xff }) })),
  arr: fc.array(fc.record({ u: unionLArb, e: encArb }), { maxLength: 4 }),
});

test("NDR: unions (non-encapsulated and encapsulated) round-trip in parameters, structures, arrays", () => {
  fc.assert(
    fc.property(unionCallArb, (v) => {
      const b = ndr.encode(unionCall, v);
      const back = ndr.decode(unionCall, b);
      assert(same(back, v), `round trip: ${JSON.stringify(back, big).slice(0, 500)}`);
      assert(bytesEqual(ndr.encode(unionCall, back), b), "re-encoding gives the same bytes");
    }),
    fcParams(200),
  );
});

test("NDR: a union sends its discriminant, then the arm; an unknown tag without a default is refused", () => {
  expectBytes(unionL, { tag: 3, value: -2 }, [3, 0, 0, 0, 0xfe, 0xff], "long discriminant, short arm");
  expectBytes(unionL, { tag: 4 }, [4, 0, 0, 0], "empty arm");
  expectBytes(unionL, { tag: 77, value: 5 }, [77, 0, 0, 0, 5, 0, 0, 0], "default arm");
  expectBytes(unionS, { tag: 3 }, [3, 0], "empty default arm");
  assert(thrown(() => ndr.encode(encU, { tag: 1, value: 0 })) instanceof RangeError, "no arm, no default");
  isProtocolError(() => ndr.decode(encU, Uint8Array.of(1, 0, 0, 0)), "decoding: no arm, no default");
  isProtocolError(() => ndr.decode(unionL, Uint8Array.of(2, 0, 0, 0, 1, 2)), "short arm");
});

test("NDR fuzz: decoding arbitrary bytes as unions throws nothing but ProtocolError", () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 200 }), (b) => onlyProtocolErrors(unionCall, b)),
    fcParams(500),
  );
  fc.assert(
    fc.property(unionCallArb, fc.nat(), fc.nat({ max: 255 }), (v, pos, byte) => {
      const b = ndr.encode(unionCall, v);
      b[pos % b.length] = byte;
      onlyProtocolErrors(unionCall, b);
    }),
    fcParams(300),
  );
});

test("NDR: byteArray has conformantArray(u8)'s bytes, as a Uint8Array, alone and as a structure's last member", () => {
  const plain = ndr.params([["n", ndr.u8], ["data", byteArray]]);
  const numbers = ndr.params([["n", ndr.u8], ["data", ndr.conformantArray(ndr.u8)]]);
  const inStruct = ndr.struct([["n", ndr.u16], ["data", byteArray]]);
  const inStructNumbers = ndr.struct([["n", ndr.u16], ["data", ndr.conformantArray(ndr.u8)]]);
  fc.assert(
    fc.property(fc.nat({ max: 255 }), fc.uint8Array({ maxLength: 300 }), (n, data) => {
      const a = ndr.encode(plain, { n, data });
      assert(
        bytesEqual(a, ndr.encode(numbers, { n, data: Array.from(data) })),
        "same bytes as conformantArray(u8)",
      );
      const back = ndr.decode(plain, a);
      assert(back.n === n && back.data instanceof Uint8Array && bytesEqual(back.data, data), "round trip");
      const s = ndr.encode(inStruct, { n, data });
      assert(bytesEqual(s, ndr.encode(inStructNumbers, { n, data: Array.from(data) })), "in a structure");
      assert(bytesEqual(ndr.decode(inStruct, s).data, data), "round trip in a structure");
      const cut = a.subarray(0, a.length - 1);
      assert(data.length === 0 || thrown(() => ndr.decode(plain, cut)) instanceof ProtocolError, "truncated");
    }),
    fcParams(200),
  );
  const huge = Uint8Array.of(0, 0, 0, 0, 0xff, 0xff, 0xff, 0x7f);
  assert(thrown(() => ndr.decode(plain, huge)) instanceof ProtocolError, "a count beyond the buffer");
});
