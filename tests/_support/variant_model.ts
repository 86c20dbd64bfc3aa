/**
 * The model of what `readVariant` (src/mechanisms/com/variant.ts) gives for a VARIANT of any
 * shape, shared by the in-process test (variant_hostile_test.ts, memory laid out by hand) and the
 * real-peer one (com_hostile_test.ts, VARIANTs a peer process sends through COM's marshaller).
 * @module
 */
import { fc } from "./harness.ts";

/** The reader's limits (src/mechanisms/com/variant.ts). */
export const MAX_BYTES = 1 << 30;
export const MAX_DEPTH = 64;
export const MAX_ROWS = 1 << 20;
export const MAX_ELEMENTS = 1 << 24;

export const VT_EMPTY = 0, VT_NULL = 1, VT_I4 = 3, VT_R8 = 5, VT_BSTR = 8, VT_BOOL = 11, VT_VARIANT = 12;
export const VT_UI1 = 17, VT_RECORD = 36, VT_ARRAY = 0x2000, VT_BYREF = 0x4000;
export const VARIANT_SIZE = 24;
/** Element sizes of the types generated (VT_RECORD has none: refused). */
export const SIZES: Record<number, number> = {
  [VT_I4]: 4,
  [VT_R8]: 8,
  [VT_BSTR]: 8,
  [VT_BOOL]: 2,
  [VT_UI1]: 1,
  [VT_VARIANT]: 24,
};
/** An element of each generated type read from zeroed data. */
export const ZERO: Record<number, unknown> = {
  [VT_I4]: 0,
  [VT_R8]: 0,
  [VT_BSTR]: "",
  [VT_BOOL]: false,
  [VT_UI1]: 0,
  [VT_VARIANT]: undefined,
};

/** A VARIANT as laid out in memory. */
export type Node =
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

export const product = (counts: number[]) => counts.reduce((a, b) => a * b, 1);
/** JS arrays that nesting a multi-dimensional array makes below the top one. */
export const rowsOf = (counts: number[]) => {
  let rows = 0;
  for (let i = 0, made = 1; i < counts.length - 1; i++) rows += made *= counts[i];
  return rows;
};

// --- the model ---

export const ERROR = Symbol("VariantError");

/** What readVariant must give for `node` read at nesting `depth`, or ERROR. */
export function model(node: Node, depth = 0): unknown {
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
export function shapeRefused(node: Extract<Node, { k: "array" | "raw" }>): boolean {
  const vt = node.k === "array" ? VT_VARIANT : node.vt;
  const cb = node.k === "array" ? VARIANT_SIZE : node.cb;
  const { counts } = node;
  const size = SIZES[vt] ?? 0;
  if (counts.length < 1 || counts.length > 16 || size === 0 || cb !== size) return true;
  const total = product(counts);
  if (total > MAX_ELEMENTS && !(vt === VT_UI1 && counts.length === 1)) return true;
  return total * size > MAX_BYTES || rowsOf(counts) > MAX_ROWS;
}

export function contains(value: unknown, x: unknown): boolean {
  return value === x || (Array.isArray(value) && value.some((e) => contains(e, x)));
}

export function same(a: unknown, b: unknown): boolean {
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

export const leafArb: fc.Arbitrary<Node> = fc.oneof(
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

/** Trees of references and VARIANT arrays of up to 3 dimensions around `leaf` and `array` nodes. */
export function treeOf(leaf: fc.Arbitrary<Node>, array: fc.Arbitrary<Node>): fc.Arbitrary<Node> {
  return fc.letrec<{ node: Node }>((tie) => ({
    node: fc.oneof(
      { depthSize: "small", withCrossShrink: true },
      leaf,
      array,
      tie("node").map((to): Node => ({ k: "byref", to })),
      fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 1, maxLength: 3 }).chain((counts) =>
        fc.array(tie("node"), { minLength: product(counts), maxLength: product(counts) })
          .map((elements): Node => ({ k: "array", counts, elements }))
      ),
    ),
  })).node;
}

/** `leaf` wrapped in `min` to `max` references or one-element arrays: around the depth limit and past it. */
export function deepOf(leaf: fc.Arbitrary<Node>, min: number, max: number): fc.Arbitrary<Node> {
  return fc.tuple(leaf, fc.array(fc.boolean(), { minLength: min, maxLength: max })).map(([inner, wraps]) =>
    wraps.reduce<Node>(
      (n, asArray) => asArray ? { k: "array", counts: [1], elements: [n] } : { k: "byref", to: n },
      inner,
    )
  );
}
