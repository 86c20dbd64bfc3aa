/**
 * NDR stub data recorded from rpcrt4: tools/rpc_vectors/client.c, a client of
 * tools/rpc_vectors/vectors.idl built with Wine 10.0's own widl (-Oicf, so rpcrt4's NdrClientCall2
 * marshals everything; widl 9.8 of mingw-w64 gives the same bytes), called each operation under
 * Wine 10.0 against tools/rpc_vectors/record_server.mjs, which recorded each
 * REQUEST's stub data (see tools/rpc_vectors/README.md to regenerate). Each vector is one call:
 * its client.c label, the operation and opnum, the C arguments as src/mechanisms/rpc/ndr.ts
 * represents them (numbers, bigints for hyper, strings, null for null pointers, objects for
 * structures, {tag, value} for unions), and the stub data as hex. Used by rpc_widl_test.ts.
 * @module
 */

/** One recorded call (or, for `direction: "response"`, one response rpcrt4 decoded). */
export interface WidlVector {
  /** The call's label in client.c. */
  readonly name: string;
  /** The operation in vectors.idl. */
  readonly op: string;
  readonly opnum: number;
  /** The [in] arguments (the [out] ones for a response), as ndr.ts values. */
  readonly value: Record<string, unknown>;
  /** The stub data, hex. */
  readonly stub: string;
  /**
   * Why ndr.ts cannot produce these bytes from `value` (its value model cannot say it): then only
   * decoding is checked.
   */
  readonly decodeOnly?: string;
  /**
   * Where Wine's rpcrt4 (with Wine 10's own widl format strings) is not what Windows and C706 send, and
   * why: then `windows` holds the bytes NDR calls for (worked out by hand from C706 chapter 14,
   * each checked in review: they are what ndr.ts encodes) and the recorded `stub` is kept as the
   * evidence. With `junk` (byte ranges of `stub` Wine filled with stale memory: padding it never
   * zeroes, a discriminant read from the wrong place) and nothing else different, the rest of
   * `stub` is compared too.
   */
  readonly wine?: {
    readonly reason: string;
    readonly windows?: string;
    readonly junk?: readonly [number, number][];
  };
  /** "request" (default): rpcrt4 encoded it; "response": ndr.ts encoded it and rpcrt4 decoded it. */
  readonly direction?: "request" | "response";
}

const padded = { c: 0x78, h: 0x0102030405060708n, s: -3 };
const sharedLong = { a: 1, b: 0x0a0b0c0d };
/** ept_insert's first entry (client.c): an object UUID, a 7-octet tower, "winipc test" with its NUL. */
const eptEntry0 = {
  object: "01234567-89ab-cdef-0001-020304050607",
  tower: { length: 7, octets: [0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7] },
  annotation: [...Array.from("winipc test", (c) => c.charCodeAt(0)), 0],
};

export const WIDL_VECTORS: readonly WidlVector[] = [
  {
    name: "ints",
    op: "op_ints",
    opnum: 0,
    value: {
      a: -2,
      s: -0x789b, // (short)0x8765
      l: 0x12345678,
      h: 0x0123456789abcdefn,
      ua: 0xfe,
      us: 0xbeef,
      ul: 0xdeadbeef,
      uh: 0xfedcba9876543210n,
    },
    stub: "fe00658778563412efcdab8967452301fe00efbeefbeadde1032547698badcfe",
  },
  {
    name: "reals",
    op: "op_reals",
    opnum: 1,
    value: { c: 0x41, f: 1.5, c2: 0x42, d: -2.25e10 },
    stub: "410000000000c03f4200000000000000000000046bf414c2",
  },
  {
    name: "chars",
    op: "op_chars",
    opnum: 2,
    value: { t: true, f: false, c: 0x7a, w: 0x20ac, y: 0x80 },
    stub: "01007a00ac2080",
  },
  {
    name: "enums",
    op: "op_enums",
    opnum: 3,
    value: { c: 0x65, e: 0x1234, v: -2, e2: 1 },
    stub: "65003412feffffff0100",
  },
  {
    name: "enums_big",
    op: "op_enums",
    opnum: 3,
    value: { c: 0x65, e: 0, v: 0x12345678, e2: 0x1234 },
    stub: "65000000785634123412",
  },
  {
    name: "wstr",
    op: "op_wstr",
    opnum: 4,
    value: { s: "h\u00e9llo \u20ac", empty: "" },
    stub: "0800000000000000080000006800e9006c006c006f002000ac2000000100000000000000010000000000",
  },
  {
    name: "cstr",
    op: "op_cstr",
    opnum: 5,
    value: { s: "h\u00e9llo", empty: "" },
    stub: "06000000000000000600000068e96c6c6f00000001000000000000000100000000",
  },
  {
    name: "unique",
    op: "op_unique",
    opnum: 6,
    value: { p: 0x11223344, n: null, s: "ok", ns: null },
    stub: "000002004433221100000000040002000300000000000000030000006f006b000000000000000000",
  },
  {
    name: "ptrptr",
    op: "op_ptrptr",
    opnum: 7,
    value: { pp: 0x55667788, pn: null },
    decodeOnly: "pn is a non-null pointer to a null pointer: uniquePtr(uniquePtr(T)) has one null for both",
    stub: "0000020004000200887766550800020000000000",
  },
  {
    name: "ref_struct",
    op: "op_ref_struct",
    opnum: 8,
    value: { p: padded, after: 0x79 },
    wine: {
      reason: "Wine packs a complex structure: members are not aligned in the buffer, no end padding",
      windows: "78000000000000000807060504030201fdff00000000000079",
    },
    stub: "780807060504030201fdff79",
  },
  {
    name: "padded",
    op: "op_padded",
    opnum: 9,
    value: { p: padded, after: 0x79 },
    wine: {
      reason: "Wine packs a complex structure: members are not aligned in the buffer, no end padding",
      windows: "78000000000000000807060504030201fdff00000000000079",
    },
    stub: "780807060504030201fdff79",
  },
  {
    name: "nested",
    op: "op_nested",
    opnum: 10,
    value: { n: { a: 0x1111, p: { c: 0x78, h: -1n, s: 0x2222 }, b: 0x62 }, sl: { a: -5, b: 0x7eadbeef } },
    wine: {
      reason: "Wine packs a complex structure: members are not aligned in the buffer, no end padding",
      windows:
        "11110000000000007800000000000000ffffffffffffffff22220000000000006200000000000000fb000000efbead7e",
    },
    stub: "111100000000000078ffffffffffffffff222262fb000000efbead7e",
  },
  {
    name: "full",
    op: "op_full",
    opnum: 11,
    value: { a: 0x0a0a0a0a, same: 0x0a0a0a0a, other: 0x0c0c0c0c, nul: null },
    decodeOnly: "the same long passed twice: full pointers share by object identity, numbers have none",
    stub: "010000000a0a0a0a01000000020000000c0c0c0c00000000",
  },
  {
    name: "full_struct_alias",
    op: "op_full_struct",
    opnum: 12,
    value: { p: { a: 0x0a0a0a0a, b: 0x0a0a0a0a }, z: 0x0a0a0a0a },
    decodeOnly: "the same long aliased: full pointers share by object identity, numbers have none",
    stub: "01000000010000000a0a0a0a01000000",
  },
  {
    name: "full_struct_two",
    op: "op_full_struct",
    opnum: 12,
    value: { p: { a: 0x0a0a0a0a, b: 0x0c0c0c0c }, z: null },
    stub: "01000000020000000a0a0a0a0c0c0c0c00000000",
  },
  {
    name: "full_struct_null",
    op: "op_full_struct",
    opnum: 12,
    value: { p: { a: null, b: 0x0c0c0c0c }, z: null },
    stub: "00000000010000000c0c0c0c00000000",
  },
  {
    name: "full_obj",
    op: "op_full_obj",
    opnum: 30,
    value: { a: sharedLong, same: sharedLong, other: { a: 2, b: 0x01020304 } },
    wine: { reason: "Wine leaves alignment padding unzeroed (stale bytes)", junk: [[5, 8], [21, 24]] },
    stub: "0100000001dcc5ff0d0c0b0a010000000200000002fd2ffe04030201",
  },
  {
    name: "with_ptrs",
    op: "op_with_ptrs",
    opnum: 13,
    value: { w: { n: 7, r: 0x01010101, u: 0x0202, name: "n\u00e4me" } },
    stub: "070000000000020004000200010101010202000005000000" +
      "00000000050000006e00e4006d0065000000",
  },
  {
    name: "with_ptrs_nulls",
    op: "op_with_ptrs",
    opnum: 13,
    value: { w: { n: 8, r: 0x01010101, u: null, name: null } },
    stub: "08000000000000000000000001010101",
  },
  {
    name: "items",
    op: "op_items",
    opnum: 14,
    value: {
      n: 3,
      items: [{ p: 100, s: "zero", k: 1 }, { p: null, s: "one", k: 2 }, { p: 300, s: null, k: 3 }],
    },
    stub: "03000000030000000000020004000200010000000000000008000200020000000c000200000000000300000064000000" +
      "0500000000000000050000007a65726f000000000400000000000000040000006f6e65002c010000",
  },
  {
    name: "conf",
    op: "op_conf",
    opnum: 15,
    value: { n: 5, arr: [1, -2, 3, -4, 5] },
    stub: "05000000050000000100feff0300fcff0500",
  },
  { name: "conf_empty", op: "op_conf", opnum: 15, value: { n: 0, arr: [] }, stub: "0000000000000000" },
  {
    name: "vary",
    op: "op_vary",
    opnum: 16,
    value: { len: 3, arr: [10, 20, 30] },
    stub: "0300000000000000030000000a0014001e00",
  },
  {
    name: "confvary",
    op: "op_confvary",
    opnum: 17,
    value: { size: 4, len: 4, arr: [1, 2, 3, 4] },
    stub: "040000000400000004000000000000000400000001000000020000000300000004000000",
  },
  {
    name: "confvary_partial",
    op: "op_confvary",
    opnum: 17,
    value: { size: 8, len: 3, arr: [1, 2, 3] },
    decodeOnly: "max count 8 above the 3 elements sent: conformantVaryingArray writes max = actual",
    stub: "0800000003000000080000000000000003000000010000000200000003000000",
  },
  {
    name: "conf_struct",
    op: "op_conf_struct",
    opnum: 18,
    value: { cs: { c: 0x63, n: 3, data: [0x1111111111111111n, 0x2222222222222222n, 0x3333333333333333n] } },
    wine: { reason: "Wine leaves alignment padding unzeroed (stale bytes)", junk: [[9, 12]] },
    stub: "030000000000000063068afe03000000111111111111111122222222222222223333333333333333",
  },
  {
    name: "vary_struct",
    op: "op_vary_struct",
    opnum: 19,
    value: { vs: { tag: 0x7777, len: 2, v: [9, 8], after: 0x61 } },
    wine: {
      reason:
        "Wine packs the complex structure (len at offset 2) and sends actual count 0 and no elements for length_is(len) = 2 (widl 7's stubs raised RPC_X_INVALID_BOUND instead)",
      windows: "777700000200000000000000020000000900080061000000",
    },
    stub: "7777020000000000000000000000000061",
  },
  {
    name: "vary_struct2",
    op: "op_vary_struct2",
    opnum: 29,
    value: { vs: { len: 2, v: [9, 8] } },
    wine: {
      reason: "Wine sent actual count 0 (and no elements) for length_is(len) = 2",
      windows: "02000000000000000200000009000800",
    },
    stub: "020000000000000000000000",
  },
  {
    name: "union_long_char",
    op: "op_union_long",
    opnum: 20,
    value: { k: 1, u: { tag: 1, value: 0x71 }, after: 0x7a },
    wine: {
      reason:
        "Wine read the switch_is value from the wrong memory (0: the default arm, a long, was sent, its upper bytes stale)",
      windows: "0100000001000000717a",
    },
    stub: "0100000000000000711000007a",
  },
  {
    name: "union_long_hyper",
    op: "op_union_long",
    opnum: 20,
    value: { k: 2, u: { tag: 2, value: 0x0102030405060708n }, after: 0x7a },
    wine: {
      reason: "Wine read the switch_is value from the wrong memory (0x01020304: the default arm was sent)",
      windows: "020000000200000008070605040302017a",
    },
    stub: "0200000004030201080706057a",
  },
  {
    name: "union_long_short",
    op: "op_union_long",
    opnum: 20,
    value: { k: 3, u: { tag: 3, value: 0x1234 }, after: 0x7a },
    wine: {
      reason: "Wine read the switch_is value from the wrong memory (0x01020304: the default arm was sent)",
      windows: "030000000300000034127a",
    },
    stub: "0300000004030201341206057a",
  },
  {
    name: "union_long_empty",
    op: "op_union_long",
    opnum: 20,
    value: { k: 4, u: { tag: 4 }, after: 0x7a },
    wine: {
      reason: "Wine read the switch_is value from the wrong memory (0x01020304: the default arm was sent)",
      windows: "04000000040000007a",
    },
    stub: "0400000004030201341206057a",
  },
  {
    name: "union_long_default",
    op: "op_union_long",
    opnum: 20,
    value: { k: 99, u: { tag: 99, value: -7 }, after: 0x7a },
    wine: {
      reason:
        "Wine read the switch_is value from the wrong memory (99 is sent as 0x01020304; the default arm either way)",
      junk: [[4, 8]],
    },
    stub: "6300000004030201f9ffffff7a",
  },
  {
    name: "union_short_double",
    op: "op_union_short",
    opnum: 21,
    value: { k: 1, u: { tag: 1, value: 0.5 }, after: 0x7a },
    stub: "0100010000000000000000000000e03f7a",
  },
  {
    name: "union_short_string",
    op: "op_union_short",
    opnum: 21,
    value: { k: 2, u: { tag: 2, value: "s\u00df" }, after: 0x7a },
    wine: {
      reason: "Wine raised RPC_X_BAD_STUB_DATA marshalling a union with a pointer arm (nothing was sent)",
      windows: "02000200000002000300000000000000030000007300df0000007a",
    },
    stub: "",
  },
  {
    name: "union_short_char",
    op: "op_union_short",
    opnum: 21,
    value: { k: 3, u: { tag: 3, value: 0x63 }, after: 0x7a },
    stub: "03000300637a",
  },
  {
    name: "union_short_default",
    op: "op_union_short",
    opnum: 21,
    value: { k: 9, u: { tag: 9 }, after: 0x7a },
    stub: "090009007a",
  },
  {
    name: "with_union_char",
    op: "op_with_union",
    opnum: 22,
    value: { w: { pre: 0x70, k: 1, u: { tag: 1, value: 0x63 }, post: 0x71 } },
    wine: {
      reason: "Wine packs a complex structure: members are not aligned in the buffer, no end padding",
      windows: "70000000010000000100000063710000",
    },
    stub: "7001000000000000010000006371",
  },
  {
    name: "with_union_hyper",
    op: "op_with_union",
    opnum: 22,
    value: { w: { pre: 0x70, k: 2, u: { tag: 2, value: 0x0102030405060708n }, post: 0x71 } },
    wine: {
      reason: "Wine packs a complex structure: members are not aligned in the buffer, no end padding",
      windows: "7000000002000000020000000000000008070605040302017100000000000000",
    },
    stub: "70020000000000000200000000000000080706050403020171",
  },
  {
    name: "enc_short",
    op: "op_enc_union",
    opnum: 23,
    value: { e: { tag: 1, value: 0x4321 }, after: 0x7a },
    stub: "0100000021437a",
  },
  {
    name: "enc_hyper",
    op: "op_enc_union",
    opnum: 23,
    value: { e: { tag: 2, value: 0x1122334455667788n }, after: 0x7a },
    stub: "020000000000000088776655443322117a",
  },
  {
    name: "enc_char",
    op: "op_enc_union",
    opnum: 23,
    value: { e: { tag: 3, value: 0x63 }, after: 0x7a },
    stub: "03000000637a",
  },
  {
    name: "enc_default",
    op: "op_enc_union",
    opnum: 23,
    value: { e: { tag: 5 }, after: 0x7a },
    stub: "050000007a",
  },
  {
    name: "with_enc_char",
    op: "op_with_enc",
    opnum: 24,
    value: { w: { pre: 0x70, e: { tag: 3, value: 0x63 }, post: 0x71 } },
    wine: {
      reason:
        "Wine packs a complex structure: members are not aligned in the buffer, no end padding; and it read post from the wrong memory (03)",
      windows: "70000000000000000300000063710000",
    },
    stub: "7000000000000000030000006303",
  },
  {
    name: "with_enc_hyper",
    op: "op_with_enc",
    opnum: 24,
    value: { w: { pre: 0x70, e: { tag: 2, value: 0x0102030405060708n }, post: 0x71 } },
    wine: {
      reason:
        "Wine packs a complex structure: members are not aligned in the buffer, no end padding; and it read post from the wrong memory (02)",
      windows: "7000000000000000020000000000000008070605040302017100000000000000",
    },
    stub: "70000000000000000200000000000000080706050403020102",
  },
  { name: "open", op: "op_open", opnum: 25, value: {}, stub: "" },
  {
    name: "use",
    op: "op_use",
    opnum: 26,
    // The handle record_server.mjs gave op_open.
    value: { h: { attributes: 0, uuid: "11111111-2222-3333-4444-555555555555" }, x: 0x600d },
    stub: "00000000111111112222333344445555555555550d600000",
  },
  {
    name: "mixed",
    op: "op_mixed",
    opnum: 27,
    value: { c: 0x6d, h: 0x0807060504030201n, s: -0x5433, str: "str", after: 0x01020304 },
    stub: "6d000000000000000102030405060708cdab00000400000000000000040000007374720004030201",
  },
  { name: "out_request", op: "op_out", opnum: 28, value: {}, stub: "" },
  {
    name: "out",
    op: "op_out",
    opnum: 28,
    direction: "response",
    // What ndr.ts encoded and record_server.mjs sent. Wine's rpcrt4 did NOT decode it: it raised
    // RPC_X_INVALID_BOUND after reading h unaligned at offset 12 (its complex-structure packing, see
    // op_padded), where C706 (and this encoding) puts it at 16; so this direction is unproven here.
    wine: { reason: "Wine unpacks complex structures without member alignment: it misread h and the rest" },
    value: { o: { n: 0x31, u: 0x33, name: "r\u00e9", h: 0x0102030405060708n }, s: "out\u20ac" },
    stub: "310000000000020004000200000000000807060504030201330000000300000000000000030000007200e900" +
      "00000000080002000500000000000000050000006f0075007400ac200000",
  },
  {
    // epmapper's ept_insert shape (C706 appendix O): ept_entry_t {GUID; [ptr] twr_t*; [string]
    // char[64]} in a conformant array. num_ents 1, max count 1; the entry: GUID, full pointer id 1,
    // the annotation as a varying array (offset 0, actual count 12, "winipc test" and its NUL);
    // then the deferred tower (a conformant structure: max count 7, tower_length 7, 7 octets, pad
    // to 4); then replace. src/mechanisms/rpc/interfaces/epmapper.ts's eptEntry encodes the same.
    name: "ept_insert",
    op: "op_ept_insert",
    opnum: 31,
    value: { num_ents: 1, entries: [eptEntry0], replace: 0 },
    stub: "0100000001000000" + "67452301ab89efcd0001020304050607" + "01000000" +
      "000000000c00000077696e6970632074657374" + "00" + "0700000007000000a1a2a3a4a5a6a700" + "00000000",
  },
  {
    // Two entries: the second with a nil object, no tower and an empty annotation (count 1).
    name: "ept_insert_two",
    op: "op_ept_insert",
    opnum: 31,
    value: {
      num_ents: 2,
      entries: [eptEntry0, { object: "00000000-0000-0000-0000-000000000000", tower: null, annotation: [0] }],
      replace: 1,
    },
    stub: "0200000002000000" + "67452301ab89efcd0001020304050607" + "01000000" +
      "000000000c00000077696e6970632074657374" + "00" +
      "00000000000000000000000000000000" + "00000000" + "000000000100000000" + "000000" +
      "0700000007000000a1a2a3a4a5a6a700" + "01000000",
  },
  {
    // An explicit handle_t parameter is not stub data (widl 7's stubs sent 4 bytes for it).
    name: "explicit",
    op: "op_explicit",
    opnum: 32,
    value: { c: 0x65, x: 0x1122334455667788n },
    stub: "65000000000000008877665544332211",
  },
];
