/**
 * Hostile VARIANTs and SAFEARRAYs. What a peer's COM call leaves in this process, once ole32 and
 * oleaut32 have unmarshalled it, is memory of any shape the peer chose: types winipc does not
 * read, strings whose length word is odd or huge, arrays of any dimension count, element size and
 * bounds (a 4294967295 x 0 array holds nothing), references and arrays nested past any sensible
 * depth. The memory itself is consistent (an array's data is as long as its bounds say): the
 * unmarshaller made it. Here fast-check lays such memory out, and `readVariant` must give exactly
 * the model's value or a VariantError, without building more than its limits allow.
 *
 * The same reader takes every argument of calls into JS objects from other processes
 * (com_test.ts echoes every VARIANT kind across processes, and is called by VBScript).
 */
import { NativeMemory } from "../src/ffi/memory.ts";
import { readVariant, VariantError } from "../src/mechanisms/com/variant.ts";
import { assert, fc, fcParams, test } from "./_support/harness.ts";
import {
  deepOf,
  ERROR,
  leafArb,
  MAX_ELEMENTS,
  MAX_ROWS,
  model,
  type Node,
  product,
  same,
  shapeRefused,
  SIZES,
  treeOf,
  VARIANT_SIZE,
  VT_ARRAY,
  VT_BOOL,
  VT_BSTR,
  VT_BYREF,
  VT_EMPTY,
  VT_I4,
  VT_NULL,
  VT_R8,
  VT_RECORD,
  VT_UI1,
  VT_VARIANT,
} from "./_support/variant_model.ts";

// --- memory layout ---

/** A bump allocator over one native block; addresses stay valid for the test. */
class Arena implements Disposable {
  readonly #mem = new NativeMemory(1 << 20);
  readonly #view = this.#mem.view();
  #at = 0;

  alloc(n: number): { address: bigint; offset: number } {
    const offset = (this.#at + 7) & ~7;
    if (offset + n > this.#mem.size) throw new Error("arena full");
    this.#at = offset + n;
    return { address: this.#mem.address + BigInt(offset), offset };
  }

  get view(): DataView {
    return this.#view;
  }

  [Symbol.dispose](): void {
    this.#mem[Symbol.dispose]();
  }
}

/** Lays `node` out as the VARIANT at `offset`. */
function put(a: Arena, offset: number, node: Node): void {
  const v = a.view;
  const vt = (t: number) => v.setUint16(offset, t, true);
  const ptr = (p: bigint) => v.setBigUint64(offset + 8, p, true);
  switch (node.k) {
    case "empty":
      return vt(VT_EMPTY);
    case "null":
      return vt(VT_NULL);
    case "i4":
      vt(VT_I4);
      return v.setInt32(offset + 8, node.v, true);
    case "r8":
      vt(VT_R8);
      return v.setFloat64(offset + 8, node.v, true);
    case "bool":
      vt(VT_BOOL);
      return v.setInt16(offset + 8, node.v ? -1 : 0, true);
    case "bstr": {
      const s = a.alloc(4 + 2 * node.s.length + 2);
      v.setUint32(s.offset, 2 * node.s.length, true);
      for (let i = 0; i < node.s.length; i++) v.setUint16(s.offset + 4 + 2 * i, node.s.charCodeAt(i), true);
      vt(VT_BSTR);
      return ptr(s.address + 4n);
    }
    case "badBstr": {
      const s = a.alloc(4 + (node.bytes <= 64 ? node.bytes : 0));
      v.setUint32(s.offset, node.bytes, true);
      vt(VT_BSTR);
      return ptr(s.address + 4n);
    }
    case "vt":
      return vt(node.vt);
    case "byref": {
      const t = a.alloc(VARIANT_SIZE);
      put(a, t.offset, node.to);
      vt(VT_BYREF | VT_VARIANT);
      return ptr(t.address);
    }
    case "array":
    case "raw": {
      const elementVt = node.k === "array" ? VT_VARIANT : node.vt;
      const cb = node.k === "array" ? VARIANT_SIZE : node.cb;
      const dims = node.counts.length;
      const header = a.alloc(24 + 8 * dims);
      v.setUint16(header.offset, dims, true);
      v.setUint32(header.offset + 4, cb, true);
      // rgsabound lists the dimensions rightmost first.
      node.counts.forEach((c, i) => v.setUint32(header.offset + 24 + 8 * (dims - 1 - i), c, true));
      const bytes = product(node.counts) * cb;
      if (bytes > 0 && bytes <= DATA_CAP) {
        const data = a.alloc(bytes);
        v.setBigUint64(header.offset + 16, data.address, true);
        if (node.k === "array") node.elements.forEach((e, i) => put(a, data.offset + VARIANT_SIZE * i, e));
      }
      vt(VT_ARRAY | elementVt);
      return ptr(header.address);
    }
  }
}

/** The most data one generated array has (larger shapes are ones the reader must refuse unread). */
const DATA_CAP = 8192;

/** Dimension counts: small ones, zero, the largest, anything. */
const countArb = fc.oneof(
  { arbitrary: fc.integer({ min: 0, max: 3 }), weight: 6 },
  fc.constantFrom(0xffffffff, MAX_ROWS, MAX_ROWS + 1, MAX_ELEMENTS, MAX_ELEMENTS + 1),
  fc.integer({ min: 0, max: 0xffffffff }),
);

/** SAFEARRAY headers of any shape whose data is either small enough to lay out or never read. */
const rawArb: fc.Arbitrary<Node> = fc.record({
  vt: fc.constantFrom(VT_I4, VT_R8, VT_BSTR, VT_UI1, VT_VARIANT, VT_RECORD, VT_BOOL),
  cbRight: fc.boolean(),
  cbOther: fc.constantFrom(0, 1, 3, 16, 0xffffffff),
  counts: fc.array(countArb, { maxLength: 18 }),
}).map(({ vt, cbRight, cbOther, counts }): Node => ({
  k: "raw",
  vt,
  cb: cbRight && SIZES[vt] ? SIZES[vt] : cbOther,
  counts,
})).filter((n) => {
  const r = n as Extract<Node, { k: "raw" }>;
  const bytes = product(r.counts) * r.cb;
  // Data the reader would read must exist: laid out (small), or the shape is refused first. (Not
  // model(): it would build the value of any shape the reader accepts, up to MAX_ELEMENTS.)
  return bytes <= DATA_CAP || shapeRefused(r);
});

const treeArb = treeOf(leafArb, rawArb);
const deepArb = deepOf(leafArb, 15, 80);

/** readVariant never meets an interface pointer here; any call into the bridge is a failure. */
const bridge = {
  fromInterface(): never {
    throw new Error("the bridge was asked for an object");
  },
  toInterface(): never {
    throw new Error("the bridge was asked for an interface");
  },
};

test("com VARIANTs: any shape a peer's call can leave (odd and huge BSTRs, unread types, SAFEARRAYs of any dimensions, element size and bounds, nesting past the limit) reads as exactly the model's value or a VariantError", async () => {
  let values = 0, refused = 0;
  await fc.assert(
    fc.property(fc.oneof(treeArb, deepArb, rawArb), (node) => {
      using arena = new Arena();
      const at = arena.alloc(VARIANT_SIZE);
      put(arena, at.offset, node);
      const want = model(node);
      let got: unknown;
      try {
        got = readVariant(at.address, { bridge });
      } catch (e) {
        assert(e instanceof VariantError, `a ${e?.constructor?.name}: ${e}`);
        got = ERROR;
      }
      if (got === ERROR) refused++;
      else values++;
      assert(
        same(got, want),
        `read ${got === ERROR ? "a VariantError" : JSON.stringify(got)}, want ${
          want === ERROR ? "a VariantError" : JSON.stringify(want)
        }`,
      );
    }),
    fcParams(500),
  );
  console.log(`  ${values} values read, ${refused} refused`);
  assert(values > 50 && refused > 50, "both outcomes were exercised");
});
