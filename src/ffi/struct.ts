/**
 * C struct layouts declared once, with the Windows x64 rules: each field at the next multiple of
 * its alignment, the size a multiple of the largest one. A layout gives the size, each field's
 * offset, and reads and writes over bytes; no offset is computed by hand. Pure (no runtime
 * imports), so layouts are checked against the known Windows sizes on Linux.
 * @module
 */

/** A C scalar. `ptr` is pointer-sized (HANDLE, SIZE_T, LPVOID); `u16be` is network byte order. */
export type Scalar = "u8" | "i8" | "u16" | "i16" | "u32" | "i32" | "u64" | "i64" | "ptr" | "u16be";

/** A fixed-length array of a scalar: `WORD w[4]` is `array("u16", 4)`. */
export interface ArrayType<T extends Scalar = Scalar> {
  readonly kind: "array";
  readonly of: T;
  readonly length: number;
}

/** A fixed-size byte region: a `char[]`, or a union, read through its members' own layouts. */
export interface BytesType {
  readonly kind: "bytes";
  readonly size: number;
  readonly align: number;
}

/** What a field can be: a scalar, an array, a byte region or a nested struct. */
export type FieldType = Scalar | ArrayType | BytesType | Struct<Fields>;
/** A struct's fields in declaration order. */
export type Fields = { readonly [name: string]: FieldType };

/** The JS value of a field: 64-bit and pointer fields are bigint, byte regions Uint8Array. */
export type ValueOf<T> = T extends "u64" | "i64" | "ptr" ? bigint
  : T extends Scalar ? number
  : T extends ArrayType<infer S> ? ValueOf<S>[]
  : T extends BytesType ? Uint8Array
  : T extends Struct<infer F> ? Values<F>
  : never;
/** Every field's value, as {@link Struct.read} returns them. */
export type Values<F extends Fields> = { -readonly [K in keyof F]: ValueOf<F[K]> };
/** Some fields' values, as {@link Struct.write} takes them (nested structs partial too). */
export type Init<F extends Fields> = {
  [K in keyof F]?: F[K] extends Struct<infer G> ? Init<G> : ValueOf<F[K]>;
};

interface ScalarCodec {
  size: number;
  get(v: DataView, at: number): number | bigint;
  set(v: DataView, at: number, x: number | bigint): void;
}

type ViewKind = "Uint8" | "Int8" | "Uint16" | "Int16" | "Uint32" | "Int32" | "BigUint64" | "BigInt64";

/** A scalar read and written with DataView's get/set methods of that kind. */
function codec(size: number, kind: ViewKind, littleEndian = true): ScalarCodec {
  const view = DataView.prototype as unknown as Record<string, (...a: unknown[]) => number | bigint>;
  const get = view[`get${kind}`];
  const set = view[`set${kind}`];
  const convert = kind.startsWith("Big") ? BigInt : Number;
  return {
    size,
    get: (v, at) => get.call(v, at, littleEndian),
    set: (v, at, x) => void set.call(v, at, convert(x), littleEndian),
  };
}

const codecs: Record<Scalar, ScalarCodec> = {
  u8: codec(1, "Uint8"),
  i8: codec(1, "Int8"),
  u16: codec(2, "Uint16"),
  i16: codec(2, "Int16"),
  u32: codec(4, "Uint32"),
  i32: codec(4, "Int32"),
  u64: codec(8, "BigUint64"),
  i64: codec(8, "BigInt64"),
  ptr: codec(8, "BigUint64"),
  u16be: codec(2, "Uint16", false),
};

/** A fixed-length array field. */
export function array<T extends Scalar>(of: T, length: number): ArrayType<T> {
  return { kind: "array", of, length };
}

/** A byte region of `size` bytes aligned to `align`: a char array, or a union of that size. */
export function bytes(size: number, align = 1): BytesType {
  return { kind: "bytes", size, align };
}

/** A struct layout from its fields, in C declaration order. */
export function struct<F extends Fields>(fields: F): Struct<F> {
  return new Struct(fields);
}

function sizeAlign(t: FieldType): { size: number; align: number } {
  if (typeof t === "string") return { size: codecs[t].size, align: codecs[t].size };
  if (t.kind === "array") return { size: codecs[t.of].size * t.length, align: codecs[t.of].size };
  return { size: t.size, align: t.align };
}

const roundUp = (n: number, align: number) => Math.ceil(n / align) * align;

function viewOf(b: ArrayBufferView): DataView {
  return new DataView(b.buffer, b.byteOffset, b.byteLength);
}

/** A struct's layout: size, alignment, field offsets, and reads and writes at an offset. */
export class Struct<F extends Fields> {
  readonly kind = "struct";
  readonly size: number;
  readonly align: number;
  /** Each field's byte offset. */
  readonly offsets: { readonly [K in keyof F]: number };

  readonly fields: F;
  constructor(fields: F) {
    this.fields = fields;
    let at = 0;
    let align = 1;
    const offsets: Record<string, number> = {};
    for (const [name, t] of Object.entries(fields)) {
      const f = sizeAlign(t);
      at = roundUp(at, f.align);
      offsets[name] = at;
      at += f.size;
      align = Math.max(align, f.align);
    }
    this.size = roundUp(at, align);
    this.align = align;
    this.offsets = offsets as Struct<F>["offsets"];
  }

  /** New zero-filled bytes of this struct with `init`'s fields written. */
  encode(init: Init<F> = {}): Uint8Array {
    const out = new Uint8Array(this.size);
    this.write(out, init);
    return out;
  }

  /** Writes the fields `init` names (the others are left alone) into `target` at `offset`. */
  write(target: ArrayBufferView, init: Init<F>, offset = 0): void {
    this.#fits(target, offset);
    const v = viewOf(target);
    for (const [name, value] of Object.entries(init)) {
      if (value === undefined) continue;
      const t = this.fields[name];
      if (t === undefined) throw new TypeError(`no field '${name}'`);
      const at = offset + this.offsets[name];
      if (typeof t === "string") codecs[t].set(v, at, value as number | bigint);
      else if (t.kind === "array") {
        const items = value as (number | bigint)[];
        if (items.length > t.length) throw new RangeError(`${name}: ${items.length} > ${t.length} items`);
        items.forEach((x, i) => codecs[t.of].set(v, at + i * codecs[t.of].size, x));
      } else if (t.kind === "bytes") {
        const b = value as Uint8Array;
        if (b.length > t.size) throw new RangeError(`${name}: ${b.length} > ${t.size} bytes`);
        new Uint8Array(v.buffer, v.byteOffset + at, b.length).set(b);
      } else t.write(target, value as Init<Fields>, at);
    }
  }

  /** Reads every field from `source` at `offset` (byte regions are copies). */
  read(source: ArrayBufferView, offset = 0): Values<F> {
    this.#fits(source, offset);
    const v = viewOf(source);
    const out: Record<string, unknown> = {};
    for (const [name, t] of Object.entries(this.fields)) {
      const at = offset + this.offsets[name];
      if (typeof t === "string") out[name] = codecs[t].get(v, at);
      else if (t.kind === "array") {
        out[name] = Array.from(
          { length: t.length },
          (_, i) => codecs[t.of].get(v, at + i * codecs[t.of].size),
        );
      } else if (t.kind === "bytes") {
        out[name] = new Uint8Array(v.buffer, v.byteOffset + at, t.size).slice();
      } else out[name] = t.read(source, at);
    }
    return out as Values<F>;
  }

  #fits(b: ArrayBufferView, offset: number): void {
    if (!Number.isSafeInteger(offset) || offset < 0 || offset + this.size > b.byteLength) {
      throw new RangeError(`a ${this.size}-byte struct at ${offset} does not fit in ${b.byteLength} bytes`);
    }
  }
}
