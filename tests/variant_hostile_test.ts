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

/** The reader's limits (src/mechanisms/com/variant.ts). */
const MAX_BYTES = 1 << 30;
const MAX_DEPTH = 64;
const MAX_ROWS = 1 << 20;
const MAX_ELEMENTS = 1 << 24;

const VT_EMPTY = 0, VT_NULL = 1, VT_I4 = 3, VT_R8 = 5, VT_BSTR = 8, VT_BOOL = 11, VT_VARIANT = 12;
const VT_UI1 = 17, VT_RECORD = 36, VT_ARRAY = 0x2000, VT_BYREF = 0x4000;
const VARIANT_SIZE = 24;
/** Element sizes of the types generated (VT_RECORD has none: refused). */
const SIZES: Record<number, number> = {
  [VT_I4]: 4,
  [VT_R8]: 8,
  [VT_BSTR]: 8,
  [VT_BOOL]: 2,
  [VT_UI1]: 1,
  [VT_VARIANT]: 24,
};
/** An element of each generated type read from zeroed data. */
const ZERO: Record<number, unknown> = {
  [VT_I4]: 0,
  [VT_R8]: 0,
  [VT_BSTR]: "",
  [VT_BOOL]: false,
  [VT_UI1]: 0,
  [VT_VARIANT]: undefined,
};

/** A VARIANT as laid out in memory. */
type Node =
  | { k: "empty" | "null" }
  | { k: "i4"; v: number }
  | { k: "r8"; v: number }
  | { k: "bool"; v: boolean }
  | { k: "bstr"; s: string }
  /** A BSTR whose length word says `bytes` (odd, or over the limit); what follows is not read. */
  | { k: "badBstr"; bytes: number }
  /** A VARTYPE winipc does not read. */
  | { k: "vt"; vt: number }
  | { k: "byref"; to: Node }
  /** VT_ARRAY | VT_VARIANT, one dimension per count (leftmost first), elements leftmost fastest. */
  | { k: "array"; counts: number[]; elements: Node[] }
  /** A SAFEARRAY header of any shape; its data (zeroed) is as long as the header says, or absent. */
  | { k: "raw"; vt: number; cb: number; counts: number[] };

const product = (counts: number[]) => counts.reduce((a, b) => a * b, 1);
/** JS arrays that nesting a multi-dimensional array makes below the top one. */
const rowsOf = (counts: number[]) => {
  let rows = 0;
  for (let i = 0, made = 1; i < counts.length - 1; i++) rows += made *= counts[i];
  return rows;
};

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

// --- the model ---

const ERROR = Symbol("VariantError");

/** What readVariant must give for `node` read at nesting `depth`, or ERROR. */
function model(node: Node, depth = 0): unknown {
  if (depth > MAX_DEPTH) return ERROR;
  switch (node.k) {
    case "empty":
      return undefined;
    case "null":
      return null;
    case "i4":
    case "r8":
    case "bool":
      return node.v;
    case "bstr":
      return node.s;
    case "badBstr":
      return ERROR; // odd or over the limit: refused from the length word
    case "vt":
      return ERROR;
    case "byref":
      return model(node.to, depth + 1);
    case "array":
    case "raw": {
      // readValue -> readArray at depth + 1; each element read at depth + 2 (a VARIANT one then
      // through readVariant at depth + 3).
      if (depth + 1 > MAX_DEPTH) return ERROR;
      if (shapeRefused(node)) return ERROR;
      const vt = node.k === "array" ? VT_VARIANT : node.vt;
      const { counts } = node;
      const total = product(counts);
      if (vt === VT_UI1 && counts.length === 1) return new Uint8Array(total);
      const element = (i: number): unknown => {
        if (node.k === "array") return model(node.elements[i], depth + 3);
        if (vt === VT_VARIANT && depth + 3 > MAX_DEPTH) return ERROR;
        return ZERO[vt]; // the data is zeroed
      };
      const build = (dim: number, offset: number, stride: number): unknown[] =>
        Array.from(
          { length: counts[dim] },
          (_, i) =>
            dim === counts.length - 1
              ? element(offset + i * stride)
              : build(dim + 1, offset + i * stride, stride * counts[dim]),
        );
      const value = build(0, 0, 1);
      return contains(value, ERROR) ? ERROR : value;
    }
  }
}

/** Whether the reader must refuse an array of this shape, from its header alone. */
function shapeRefused(node: Extract<Node, { k: "array" | "raw" }>): boolean {
  const vt = node.k === "array" ? VT_VARIANT : node.vt;
  const cb = node.k === "array" ? VARIANT_SIZE : node.cb;
  const { counts } = node;
  const size = SIZES[vt] ?? 0;
  if (counts.length < 1 || counts.length > 16 || size === 0 || cb !== size) return true;
  const total = product(counts);
  if (total > MAX_ELEMENTS && !(vt === VT_UI1 && counts.length === 1)) return true;
  return total * size > MAX_BYTES || rowsOf(counts) > MAX_ROWS;
}

function contains(value: unknown, x: unknown): boolean {
  return value === x || (Array.isArray(value) && value.some((e) => contains(e, x)));
}

function same(a: unknown, b: unknown): boolean {
  if (a instanceof Uint8Array || b instanceof Uint8Array) {
    return a instanceof Uint8Array && b instanceof Uint8Array && a.length === b.length &&
      a.every((x, i) => x === b[i]);
  }
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((x, i) => same(x, b[i]));
  }
  return Object.is(a, b);
}

// --- generators ---

const leafArb: fc.Arbitrary<Node> = fc.oneof(
  fc.constantFrom<Node>({ k: "empty" }, { k: "null" }),
  fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }).map((v): Node => ({ k: "i4", v })),
  fc.double().map((v): Node => ({ k: "r8", v })),
  fc.boolean().map((v): Node => ({ k: "bool", v })),
  fc.string({ unit: "binary", maxLength: 40 }).map((s): Node => ({ k: "bstr", s })),
  fc.oneof(fc.integer({ min: 0, max: 31 }).map((n) => 2 * n + 1), fc.constantFrom(MAX_BYTES + 2, 0xfffffffe))
    .map((bytes): Node => ({ k: "badBstr", bytes })),
  // VT_RECORD, an unassigned type, and every flag bit (VT_BYREF of nothing).
  fc.constantFrom(VT_RECORD, 15, 0x7fff).map((vt): Node => ({ k: "vt", vt })),
);

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

/** Trees of references and VARIANT arrays of up to 3 dimensions around the leaves. */
const treeArb: fc.Arbitrary<Node> = fc.letrec<{ node: Node }>((tie) => ({
  node: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    leafArb,
    rawArb,
    tie("node").map((to): Node => ({ k: "byref", to })),
    fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 1, maxLength: 3 }).chain((counts) =>
      fc.array(tie("node"), { minLength: product(counts), maxLength: product(counts) })
        .map((elements): Node => ({ k: "array", counts, elements }))
    ),
  ),
})).node;

/** A leaf wrapped in `n` references or one-element arrays: around the depth limit and past it. */
const deepArb: fc.Arbitrary<Node> = fc.tuple(
  leafArb,
  fc.array(fc.boolean(), { minLength: 15, maxLength: 80 }),
).map(([leaf, wraps]) =>
  wraps.reduce<Node>(
    (inner, asArray) => asArray ? { k: "array", counts: [1], elements: [inner] } : { k: "byref", to: inner },
    leaf,
  )
);

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
