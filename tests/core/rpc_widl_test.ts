/**
 * NDR (src/mechanisms/rpc/ndr.ts) against the bytes rpcrt4 itself produces: each operation of
 * tools/rpc_vectors/vectors.idl declared with the library's type language, its recorded stub data
 * (tests/core/_rpc_widl_vectors.ts) compared with what `encode` gives for the same values, and
 * decoded back to them. One vector goes the other way: bytes ndr.ts encoded, which rpcrt4 decoded
 * to the values the C client printed.
 */
import * as ndr from "../../src/mechanisms/rpc/ndr.ts";
import { encapsulatedUnion, union } from "../../src/mechanisms/rpc/ndr_union.ts";
import { assert, bytesEqual, test } from "../_support/harness.ts";
import { hex, same } from "./_rpc_vectors.ts";
import { eptEntry } from "../../src/mechanisms/rpc/interfaces/epmapper.ts";
import { WIDL_VECTORS, type WidlVector } from "./_rpc_widl_vectors.ts";

// ---------------------------------------------------------------------------------------------
// vectors.idl, declared with ndr.ts

const char = ndr.char;
const padded = ndr.struct([["c", char], ["h", ndr.i64], ["s", ndr.i16]]);
const nested = ndr.struct([["a", ndr.i16], ["p", padded], ["b", char]]);
const smallLong = ndr.struct([["a", ndr.i8], ["b", ndr.i32]]);
/**
 * An embedded `[ref]` pointer as Wine's rpcrt4 (x86-64) sends it: no referent id at all (its
 * complex-structure marshaller skips the 4 bytes for FC_RP pointers), then the referent, deferred
 * like any embedded pointer's. Windows (MIDL's NdrComplexStructMarshall keeps a 4-byte slot for
 * every embedded pointer), C706 and Samba (ndr_push_ref_ptr) send 4 bytes, and so does ndr.refPtr;
 * on 32-bit Wine a structure holding pointers is a simple structure, copied whole, so there too
 * the 4 bytes are there. The vectors with an embedded [ref] pointer are compared with this
 * Wine form; nothing else is.
 */
function wineEmbeddedRef<T>(target: ndr.NdrType<T>): ndr.NdrType<T> {
  const real = ndr.refPtr(target);
  const whole = (f: (cx: ndr.NdrContext) => void) => {
    const cx: ndr.NdrContext = { deferred: [], embedded: false };
    f(cx);
    for (const d of cx.deferred) d();
  };
  return {
    ...real,
    write(w, v, cx) {
      if (!cx.embedded) return real.write(w, v, cx);
      cx.deferred.push(() => whole((c) => target.write(w, v, c)));
    },
    read(r, cx, set) {
      if (!cx.embedded) return real.read(r, cx, set);
      cx.deferred.push(() => whole((c) => target.read(r, c, set)));
    },
  };
}

const withPtrs = ndr.struct([
  ["n", ndr.i32],
  ["r", wineEmbeddedRef(ndr.i32)],
  ["u", ndr.uniquePtr(ndr.i16)],
  ["name", ndr.uniquePtr(ndr.wstring)],
]);
const item = ndr.struct([["p", ndr.uniquePtr(ndr.i32)], ["s", ndr.uniquePtr(ndr.cstring)], ["k", ndr.i16]]);
const confStruct = ndr.struct([["c", char], ["n", ndr.i32], ["data", ndr.conformantArray(ndr.i64)]]);
const varyStruct = ndr.struct([
  ["tag", ndr.i16],
  ["len", ndr.i32],
  ["v", ndr.varyingArray(ndr.i16, 6)],
  ["after", char],
]);
const varyStruct2 = ndr.struct([["len", ndr.i32], ["v", ndr.varyingArray(ndr.i16, 6)]]);
const fullPair = ndr.struct([["a", ndr.fullPtr(ndr.i32)], ["b", ndr.fullPtr(ndr.i32)]]);
const unionL = union(ndr.i32, { 1: char, 2: ndr.i64, 3: ndr.i16, 4: null }, ndr.i32);
const unionS = union(ndr.i16, { 1: ndr.f64, 2: ndr.uniquePtr(ndr.wstring), 3: char }, null);
const withUnion = ndr.struct([["pre", char], ["k", ndr.i32], ["u", unionL], ["post", char]]);
const encUnion = encapsulatedUnion(ndr.i32, { 1: ndr.i16, 2: ndr.i64, 3: char }, null);
const withEnc = ndr.struct([["pre", char], ["e", encUnion], ["post", char]]);

/** Each operation's [in] parameters; null: it has none (its stub data is empty). */
// deno-lint-ignore no-explicit-any
const OPS: Record<string, ndr.NdrType<any> | null> = {
  op_ints: ndr.params([
    ["a", ndr.i8],
    ["s", ndr.i16],
    ["l", ndr.i32],
    ["h", ndr.i64],
    ["ua", ndr.u8],
    ["us", ndr.u16],
    ["ul", ndr.u32],
    ["uh", ndr.u64],
  ]),
  op_reals: ndr.params([["c", char], ["f", ndr.f32], ["c2", char], ["d", ndr.f64]]),
  op_chars: ndr.params([["t", ndr.bool], ["f", ndr.bool], ["c", char], ["w", ndr.wchar], ["y", ndr.u8]]),
  op_enums: ndr.params([["c", char], ["e", ndr.enum16], ["v", ndr.enum32], ["e2", ndr.enum16]]),
  op_wstr: ndr.params([["s", ndr.refPtr(ndr.wstring)], ["empty", ndr.refPtr(ndr.wstring)]]),
  op_cstr: ndr.params([["s", ndr.refPtr(ndr.cstring)], ["empty", ndr.refPtr(ndr.cstring)]]),
  op_unique: ndr.params([
    ["p", ndr.uniquePtr(ndr.i32)],
    ["n", ndr.uniquePtr(ndr.i32)],
    ["s", ndr.uniquePtr(ndr.wstring)],
    ["ns", ndr.uniquePtr(ndr.wstring)],
  ]),
  op_ptrptr: ndr.params([
    ["pp", ndr.uniquePtr(ndr.uniquePtr(ndr.i32))],
    ["pn", ndr.uniquePtr(ndr.uniquePtr(ndr.i32))],
  ]),
  op_ref_struct: ndr.params([["p", ndr.refPtr(padded)], ["after", char]]),
  op_padded: ndr.params([["p", padded], ["after", char]]),
  op_nested: ndr.params([["n", nested], ["sl", smallLong]]),
  op_full: ndr.params([
    ["a", ndr.fullPtr(ndr.i32)],
    ["same", ndr.fullPtr(ndr.i32)],
    ["other", ndr.fullPtr(ndr.i32)],
    ["nul", ndr.fullPtr(ndr.i32)],
  ]),
  op_full_struct: ndr.params([["p", ndr.refPtr(fullPair)], ["z", ndr.fullPtr(ndr.i32)]]),
  op_full_obj: ndr.params([
    ["a", ndr.fullPtr(smallLong)],
    ["same", ndr.fullPtr(smallLong)],
    ["other", ndr.fullPtr(smallLong)],
  ]),
  op_with_ptrs: ndr.params([["w", ndr.refPtr(withPtrs)]]),
  op_items: ndr.params([["n", ndr.i32], ["items", ndr.refPtr(ndr.conformantArray(item))]]),
  op_conf: ndr.params([["n", ndr.i32], ["arr", ndr.refPtr(ndr.conformantArray(ndr.i16))]]),
  op_vary: ndr.params([["len", ndr.i32], ["arr", ndr.varyingArray(ndr.i16, 10)]]),
  op_confvary: ndr.params([
    ["size", ndr.i32],
    ["len", ndr.i32],
    ["arr", ndr.refPtr(ndr.conformantVaryingArray(ndr.i32))],
  ]),
  op_conf_struct: ndr.params([["cs", ndr.refPtr(confStruct)]]),
  op_vary_struct: ndr.params([["vs", ndr.refPtr(varyStruct)]]),
  op_vary_struct2: ndr.params([["vs", ndr.refPtr(varyStruct2)]]),
  op_union_long: ndr.params([["k", ndr.i32], ["u", ndr.refPtr(unionL)], ["after", char]]),
  op_union_short: ndr.params([["k", ndr.i16], ["u", ndr.refPtr(unionS)], ["after", char]]),
  op_with_union: ndr.params([["w", ndr.refPtr(withUnion)]]),
  op_enc_union: ndr.params([["e", ndr.refPtr(encUnion)], ["after", char]]),
  op_with_enc: ndr.params([["w", ndr.refPtr(withEnc)]]),
  op_open: null,
  op_use: ndr.params([["h", ndr.contextHandle], ["x", ndr.i32]]),
  op_mixed: ndr.params([["c", char], ["h", ndr.i64], ["s", ndr.i16], ["str", ndr.refPtr(ndr.cstring)], [
    "after",
    ndr.i32,
  ]]),
  op_out: null,
  // epmapper's own declaration of ept_entry_t (src/mechanisms/rpc/interfaces/epmapper.ts).
  op_ept_insert: ndr.params([["num_ents", ndr.u32], ["entries", ndr.conformantArray(eptEntry)], [
    "replace",
    ndr.u32,
  ]]),
  op_explicit: ndr.params([["c", char], ["x", ndr.i64]]),
};

/** op_out's [out] parameters (the response direction). */
const outStruct = ndr.struct([
  ["n", ndr.i32],
  ["u", ndr.uniquePtr(ndr.i16)],
  ["name", ndr.uniquePtr(ndr.wstring)],
  ["h", ndr.i64],
]);
const OP_OUT_RESPONSE = ndr.params([["o", ndr.refPtr(outStruct)], [
  "s",
  ndr.refPtr(ndr.uniquePtr(ndr.wstring)),
]]);

// ---------------------------------------------------------------------------------------------

const big = (_k: string, v: unknown) => typeof v === "bigint" ? `${v}n` : v;
const fromHex = (h: string) => Uint8Array.from(h.match(/../g) ?? [], (x) => parseInt(x, 16));

function typeOf(v: WidlVector): ndr.NdrType<unknown> | null {
  const t = v.direction === "response" ? OP_OUT_RESPONSE : OPS[v.op];
  assert(t !== undefined, `${v.name}: no declaration of ${v.op}`);
  return t;
}

for (const v of WIDL_VECTORS) {
  const what = `${v.name} (${v.op}, opnum ${v.opnum}${v.direction === "response" ? ", response" : ""})`;
  test(`NDR = rpcrt4: ${what}${v.wine ? " (Wine differs)" : ""}`, () => {
    const t = typeOf(v);
    let want = fromHex(v.stub);
    if (t === null) return assert(want.length === 0, `${v.name}: no [in] parameters, yet ${hex(want)}`);
    const got = ndr.encode(t, v.value);
    if (v.wine?.windows !== undefined) {
      // Wine's bytes are wrong here (v.wine.reason): the C706 bytes are the reference.
      want = fromHex(v.wine.windows);
    } else if (v.wine?.junk) {
      // Only the junk ranges differ: take ndr.ts's bytes there, compare the rest.
      assert(got.length === want.length, `${v.name}: ${got.length} bytes, rpcrt4 ${want.length}`);
      want = want.slice();
      for (const [from, to] of v.wine.junk) want.set(got.subarray(from, to), from);
    }
    if (!v.decodeOnly) {
      assert(bytesEqual(got, want), `${v.name}: encoded\n  ${hex(got)}\nwant:\n  ${hex(want)}`);
    }
    const back = ndr.decode(t, want);
    assert(same(back, v.value), `${v.name}: decoded ${JSON.stringify(back, big)}`);
  });
}
