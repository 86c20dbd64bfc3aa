/**
 * VARIANTs in native memory, both ways: JS values to VARIANTs (BSTRs and SAFEARRAYs allocated
 * with oleaut32) and VARIANTs to JS values. Interface pointers inside are never touched here:
 * the {@link ObjectBridge} turns them into JS objects and back, with the apartment doing every
 * AddRef and Release. Memory read from a VARIANT is bounds-checked (string and array sizes, array
 * dimensions, nesting depth) before it is read.
 * @module
 */
import { backend } from "../../ffi/runtime.ts";
import { oleaut32 } from "../../ffi/oleaut32.ts";
import { wstr } from "../../ffi/wstr.ts";
import { WinipcError } from "../../core/errors.ts";
import {
  DISP_E_PARAMNOTFOUND,
  elementSize,
  fromOleDate,
  integerRange,
  toOleDate,
  Variant,
  VT,
} from "./variant_types.ts";

/** A VARIANT's size in bytes (x64). */
export const VARIANT_SIZE = 24;

/** Largest string or array read from a VARIANT (bytes). */
const MAX_BYTES = 1 << 30;
/** Deepest nesting of arrays and references read or written. */
const MAX_DEPTH = 64;
/**
 * Most JS arrays one multi-dimensional SAFEARRAY may become. Its bounds alone decide how many
 * rows nesting makes (a 4294967295 x 0 array holds nothing, yet would be four billion empty rows).
 */
const MAX_ROWS = 1 << 20;
/**
 * Most elements a SAFEARRAY read as JS array(s) may have (a one-dimensional VT_UI1 array, read as
 * one Uint8Array, has only {@link MAX_BYTES}). 2^30 one-byte VT_I1 elements are within MAX_BYTES,
 * yet past the longest array a JS engine makes (V8: about 2^27), and gigabytes as JS values.
 */
const MAX_ELEMENTS = 1 << 24;

/** Turns interface pointers into JS values and JS objects into interface pointers. */
export interface ObjectBridge {
  /**
   * The JS value for interface pointer `ptr` (not null). `owned`: the reference is handed over
   * (a result); otherwise the bridge must AddRef to keep it (an argument). `dispatch`: it is an
   * IDispatch (VT_DISPATCH), else only an IUnknown.
   */
  fromInterface(ptr: bigint, owned: boolean, dispatch: boolean): unknown;
  /**
   * Writes at `out` a new reference for `value` (a COM object or a JS object to expose), or
   * returns false if `value` is not an object the bridge can hand to COM.
   */
  toInterface(value: object, out: bigint): boolean;
}

/** How VARIANTs are read. */
export interface ReadOptions {
  bridge: ObjectBridge;
  /** Every value as a {@link Variant} with its exact type (default: plain JS values). */
  typed?: boolean;
  /**
   * The VARIANT's resources are the reader's (a call's result): interface pointers are taken
   * over and zeroed in place, so a VariantClear afterwards releases nothing that was handed on.
   */
  owned?: boolean;
}

/** A read or write met a VARIANT winipc cannot or will not convert. */
export class VariantError extends WinipcError {}

const mem = (address: bigint, size: number) => new DataView(backend.memory(address, size));

/** Reads the BSTR at `p` (null is ""). */
export function readBstr(p: bigint): string {
  if (p === 0n) return "";
  const bytes = mem(p - 4n, 4).getUint32(0, true);
  if (bytes > MAX_BYTES || bytes % 2 !== 0) throw new VariantError(`a BSTR of ${bytes} bytes`);
  if (bytes === 0) return "";
  const units = new Uint16Array(backend.memory(p, bytes).slice(0));
  let s = "";
  for (let i = 0; i < units.length; i += 8192) s += String.fromCharCode(...units.subarray(i, i + 8192));
  return s;
}

/** A new BSTR holding `s` exactly (any UTF-16, NULs included). */
export function allocBstr(s: string): bigint {
  // SysAllocStringLen copies exactly s.length units (NULs inside included); wstr's NUL is not read.
  const p = oleaut32().sync.SysAllocStringLen(s.length === 0 ? null : wstr(s), s.length);
  if (p === 0n) throw new VariantError("SysAllocStringLen: out of memory");
  return p;
}

/** Reads the VARIANT at `address`. */
export function readVariant(address: bigint, opts: ReadOptions, depth = 0): unknown {
  if (depth > MAX_DEPTH) throw new VariantError("VARIANTs nested too deep");
  const v = mem(address, VARIANT_SIZE);
  const vt = v.getUint16(0, true);
  if (vt === (VT.BYREF | VT.VARIANT)) {
    const target = v.getBigUint64(8, true);
    if (target === 0n) throw new VariantError("a null VT_BYREF|VT_VARIANT");
    return readVariant(target, { ...opts, owned: false }, depth + 1);
  }
  if ((vt & VT.BYREF) !== 0) {
    const target = v.getBigUint64(8, true);
    if (target === 0n) throw new VariantError(`a null VT_BYREF of type ${vt & ~VT.BYREF}`);
    return readValue(vt & ~VT.BYREF, target, { ...opts, owned: false }, depth + 1);
  }
  if (vt === VT.DECIMAL) return wrap(VT.R8, readDecimal(v), opts);
  return readValue(vt, address + 8n, opts, depth, address);
}

const wrap = (vt: number, value: unknown, opts: ReadOptions) => opts.typed ? new Variant(vt, value) : value;

/** The value of type `vt` stored at `at` (a VARIANT's value field, an array element, a BYREF target). */
function readValue(vt: number, at: bigint, opts: ReadOptions, depth: number, variant?: bigint): unknown {
  if ((vt & VT.ARRAY) !== 0) {
    const psa = mem(at, 8).getBigUint64(0, true);
    return readArray(vt & ~VT.ARRAY, psa, opts, depth + 1);
  }
  if (vt === VT.DECIMAL) return wrap(VT.R8, readDecimal(mem(at, 16)), opts); // a BYREF's target
  if (vt === VT.VARIANT) return readVariant(at, opts, depth + 1); // an array element
  const size = elementSize(vt);
  if (size === 0 && vt !== VT.EMPTY && vt !== VT.NULL) throw new VariantError(`unsupported VARTYPE ${vt}`);
  const d = size === 0 ? undefined : mem(at, size);
  switch (vt) {
    case VT.EMPTY:
      return wrap(vt, undefined, opts);
    case VT.NULL:
      return wrap(vt, null, opts);
    case VT.I1:
      return wrap(vt, d!.getInt8(0), opts);
    case VT.UI1:
      return wrap(vt, d!.getUint8(0), opts);
    case VT.I2:
      return wrap(vt, d!.getInt16(0, true), opts);
    case VT.UI2:
      return wrap(vt, d!.getUint16(0, true), opts);
    case VT.I4:
    case VT.INT:
      return wrap(vt, d!.getInt32(0, true), opts);
    case VT.UI4:
    case VT.UINT:
      return wrap(vt, d!.getUint32(0, true), opts);
    case VT.ERROR: {
      const code = d!.getInt32(0, true);
      return opts.typed
        ? new Variant(vt, code)
        : code === DISP_E_PARAMNOTFOUND
        ? undefined
        : new Variant(vt, code);
    }
    case VT.R4:
      return wrap(vt, d!.getFloat32(0, true), opts);
    case VT.R8:
      return wrap(vt, d!.getFloat64(0, true), opts);
    case VT.I8:
      return wrap(vt, d!.getBigInt64(0, true), opts);
    case VT.UI8:
      return wrap(vt, d!.getBigUint64(0, true), opts);
    case VT.CY: {
      const raw = d!.getBigInt64(0, true);
      return opts.typed ? new Variant(vt, raw) : Number(raw) / 10000;
    }
    case VT.DATE:
      return wrap(vt, fromOleDate(d!.getFloat64(0, true)), opts);
    case VT.BOOL:
      return wrap(vt, d!.getInt16(0, true) !== 0, opts);
    case VT.BSTR:
      return wrap(vt, readBstr(d!.getBigUint64(0, true)), opts);
    case VT.DISPATCH:
    case VT.UNKNOWN: {
      const p = d!.getBigUint64(0, true);
      if (p === 0n) return wrap(vt, null, opts);
      if (opts.owned) {
        // Taken over: zeroed where it was, so clearing the container releases nothing.
        new BigUint64Array(backend.memory(at, 8))[0] = 0n;
        if (variant !== undefined) new Uint16Array(backend.memory(variant, 2))[0] = VT.EMPTY;
      }
      return wrap(vt, opts.bridge.fromInterface(p, opts.owned ?? false, vt === VT.DISPATCH), opts);
    }
  }
  throw new VariantError(`unsupported VARTYPE ${vt}`);
}

function readDecimal(d: DataView): number {
  const scale = d.getUint8(2), negative = (d.getUint8(3) & 0x80) !== 0;
  const hi = BigInt(d.getUint32(4, true)), lo = d.getBigUint64(8, true);
  const n = Number((hi << 64n) | lo) / 10 ** Math.min(scale, 28);
  return negative ? -n : n;
}

/** A SAFEARRAY of `vt` elements: a JS array (nested for more than one dimension). */
function readArray(vt: number, psa: bigint, opts: ReadOptions, depth: number): unknown {
  if (depth > MAX_DEPTH) throw new VariantError("arrays nested too deep");
  if (psa === 0n) return wrap(VT.ARRAY | vt, vt === VT.UI1 ? new Uint8Array(0) : [], opts);
  const h = mem(psa, 24);
  const dims = h.getUint16(0, true);
  const cb = h.getUint32(4, true);
  if (dims < 1 || dims > 16) throw new VariantError(`a SAFEARRAY of ${dims} dimensions`);
  const size = elementSize(vt);
  if (size === 0) throw new VariantError(`a SAFEARRAY of VARTYPE ${vt}`);
  if (cb !== size) throw new VariantError(`a SAFEARRAY of VARTYPE ${vt} with ${cb}-byte elements`);
  // rgsabound lists the dimensions rightmost first; the leftmost index varies fastest in memory.
  const bounds = mem(psa + 24n, dims * 8);
  const counts: number[] = [];
  for (let i = dims - 1; i >= 0; i--) counts.push(bounds.getUint32(i * 8, true));
  const total = counts.reduce((a, b) => a * b, 1);
  if (total * size > MAX_BYTES) throw new VariantError(`a SAFEARRAY of ${total} elements of ${size} bytes`);
  if (total > MAX_ELEMENTS && !(vt === VT.UI1 && dims === 1)) {
    throw new VariantError(
      `a SAFEARRAY of ${total} elements (at most ${MAX_ELEMENTS} are read as JS arrays)`,
    );
  }
  let rows = 0;
  for (let i = 0, made = 1; i < dims - 1; i++) rows += made *= counts[i];
  if (rows > MAX_ROWS) throw new VariantError(`a SAFEARRAY of ${counts.join(" x ")} would be ${rows} arrays`);
  const data = h.getBigUint64(16, true);
  if (total > 0 && data === 0n) throw new VariantError("a SAFEARRAY without data");
  if (vt === VT.UI1 && dims === 1) {
    const bytes = new Uint8Array(total === 0 ? new ArrayBuffer(0) : backend.memory(data, total).slice(0));
    return wrap(VT.ARRAY | vt, bytes, opts);
  }
  // Typed, the elements of a VT_VARIANT array are Variants; of any other, their bare values.
  const element = vt === VT.VARIANT || !opts.typed
    ? (i: number) => readValue(vt, data + BigInt(i * size), opts, depth + 1)
    : (i: number) => (readValue(vt, data + BigInt(i * size), opts, depth + 1) as Variant).value;
  if (dims === 1) return wrap(VT.ARRAY | vt, Array.from({ length: total }, (_, i) => element(i)), opts);
  // Nested arrays [i][j]...: offset = i + counts[0] * (j + counts[1] * (...)).
  const build = (dim: number, offset: number, stride: number): unknown[] =>
    Array.from(
      { length: counts[dim] },
      (_, i) =>
        dim === dims - 1
          ? element(offset + i * stride)
          : build(dim + 1, offset + i * stride, stride * counts[dim]),
    );
  const nested = build(0, 0, 1);
  return opts.typed ? new Variant(VT.ARRAY | VT.VARIANT, nested.map((x) => toTyped(x))) : nested;
}

/** A nested array's rows as Variants (typed reading of a multi-dimensional array). */
function toTyped(x: unknown): Variant {
  return x instanceof Variant ? x : new Variant(VT.ARRAY | VT.VARIANT, (x as unknown[]).map(toTyped));
}

/** What a write allocated, for the caller to know how the VARIANTs must be cleared. */
export interface WriteContext {
  bridge: ObjectBridge;
  /** Set once an interface pointer was written (then only the apartment may clear them). */
  interfaces?: boolean;
}

/**
 * Writes `value` as a VARIANT at `address` (24 bytes, overwritten). JS values map to: undefined
 * VT_EMPTY, null VT_NULL, boolean VT_BOOL, a 32-bit integer VT_I4 (-0 and other numbers VT_R8),
 * bigint VT_I8 (VT_UI8 above 2^63 - 1), string VT_BSTR, Date VT_DATE, Uint8Array a SAFEARRAY of
 * VT_UI1, an array a SAFEARRAY of VARIANT, a {@link Variant} its own type, and any other object
 * VT_DISPATCH through the bridge.
 * @throws {VariantError} a value that has no VARIANT form (a symbol, a bigint beyond 64 bits).
 */
export function writeVariant(address: bigint, value: unknown, ctx: WriteContext, depth = 0): void {
  if (depth > MAX_DEPTH) throw new VariantError("values nested too deep");
  const { vt, v } = typeOf(value);
  const d = mem(address, VARIANT_SIZE);
  d.setBigUint64(0, 0n, true);
  d.setBigUint64(8, 0n, true);
  d.setBigUint64(16, 0n, true);
  writeValue(vt, address + 8n, v, ctx, depth);
  d.setUint16(0, vt, true); // last: a failure above leaves a VT_EMPTY
}

function typeOf(value: unknown): { vt: number; v: unknown } {
  if (value instanceof Variant) return { vt: value.vt, v: value.value };
  switch (typeof value) {
    case "undefined":
      return { vt: VT.EMPTY, v: value };
    case "boolean":
      return { vt: VT.BOOL, v: value };
    case "number":
      return Number.isInteger(value) && value >= -0x80000000 && value <= 0x7fffffff && !Object.is(value, -0)
        ? { vt: VT.I4, v: value }
        : { vt: VT.R8, v: value };
    case "bigint":
      if (BigInt.asIntN(64, value) === value) return { vt: VT.I8, v: value };
      if (BigInt.asUintN(64, value) === value) return { vt: VT.UI8, v: value };
      throw new VariantError(`${value} does not fit in 64 bits`);
    case "string":
      return { vt: VT.BSTR, v: value };
    case "object":
      if (value === null) return { vt: VT.NULL, v: null };
      if (value instanceof Date) return { vt: VT.DATE, v: value };
      if (value instanceof Uint8Array) return { vt: VT.ARRAY | VT.UI1, v: value };
      if (Array.isArray(value)) return { vt: VT.ARRAY | VT.VARIANT, v: value };
      return { vt: VT.DISPATCH, v: value };
    case "function":
      return { vt: VT.DISPATCH, v: value };
  }
  throw new VariantError(`a ${typeof value} has no VARIANT form`);
}

/** Writes a value of type `vt` at `at` (a VARIANT's value field or an array element). */
function writeValue(vt: number, at: bigint, value: unknown, ctx: WriteContext, depth: number): void {
  if ((vt & VT.ARRAY) !== 0) {
    const psa = writeArray(vt & ~VT.ARRAY, value, ctx, depth + 1);
    mem(at, 8).setBigUint64(0, psa, true);
    return;
  }
  if (vt === VT.VARIANT) return writeVariant(at, value, ctx, depth + 1);
  const range = integerRange(vt);
  if (range) {
    const n = value as number;
    if (typeof n !== "number" || !Number.isInteger(n) || n < range[0] || n > range[1]) {
      throw new VariantError(`${String(value)} does not fit VARTYPE ${vt}`);
    }
  }
  const d = vt === VT.EMPTY || vt === VT.NULL ? undefined : mem(at, elementSize(vt));
  switch (vt) {
    case VT.EMPTY:
    case VT.NULL:
      return;
    case VT.I1:
      return d!.setInt8(0, value as number);
    case VT.UI1:
      return d!.setUint8(0, value as number);
    case VT.I2:
      return d!.setInt16(0, value as number, true);
    case VT.UI2:
      return d!.setUint16(0, value as number, true);
    case VT.I4:
    case VT.INT:
    case VT.ERROR:
      return d!.setInt32(0, value as number, true);
    case VT.UI4:
    case VT.UINT:
      return d!.setUint32(0, value as number, true);
    case VT.R4:
      return d!.setFloat32(0, Number(value), true);
    case VT.R8:
      return d!.setFloat64(0, Number(value), true);
    case VT.I8:
    case VT.CY:
      return d!.setBigInt64(0, BigInt.asIntN(64, value as bigint), true);
    case VT.UI8:
      return d!.setBigUint64(0, BigInt.asUintN(64, value as bigint), true);
    case VT.DATE:
      return d!.setFloat64(0, toOleDate(value as Date), true);
    case VT.BOOL:
      return d!.setInt16(0, value ? -1 : 0, true);
    case VT.BSTR:
      return d!.setBigUint64(0, allocBstr(String(value)), true);
    case VT.DISPATCH:
    case VT.UNKNOWN:
      if (value === null) return;
      if (!ctx.bridge.toInterface(value as object, at)) {
        throw new VariantError(`this object cannot be passed to COM: ${String(value)}`);
      }
      ctx.interfaces = true;
      return;
  }
  throw new VariantError(`VARTYPE ${vt} cannot be written`);
}

/** A new one-dimensional SAFEARRAY (lower bound 0) of `vt` elements holding `value`. */
function writeArray(vt: number, value: unknown, ctx: WriteContext, depth: number): bigint {
  if (depth > MAX_DEPTH) throw new VariantError("arrays nested too deep");
  const items = value instanceof Uint8Array ? value : value as unknown[];
  if (!(items instanceof Uint8Array) && !Array.isArray(items)) {
    throw new VariantError("an array VARIANT needs an array (or a Uint8Array of bytes)");
  }
  const size = elementSize(vt);
  if (size === 0) throw new VariantError(`no arrays of VARTYPE ${vt}`);
  const oa = oleaut32().sync;
  const psa = oa.SafeArrayCreateVector(vt, 0, items.length);
  if (psa === 0n) throw new VariantError(`SafeArrayCreateVector(${vt}, ${items.length}) failed`);
  try {
    const data = mem(psa + 16n, 8).getBigUint64(0, true);
    if (items instanceof Uint8Array) {
      if (vt !== VT.UI1) throw new VariantError("a Uint8Array goes only in an array of VT_UI1");
      if (items.length > 0) new Uint8Array(backend.memory(data, items.length)).set(items);
    } else {
      items.forEach((item, i) => writeValue(vt, data + BigInt(i * size), item, ctx, depth));
    }
  } catch (e) {
    if (!ctx.interfaces) oa.SafeArrayDestroy(psa); // else the caller clears it in the apartment
    throw e;
  }
  return psa;
}
