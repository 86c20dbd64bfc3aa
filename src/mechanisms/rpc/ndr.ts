/**
 * NDR 2.0, the transfer syntax of DCE/RPC stub data (C706 chapter 14; MS-RPCE 2.2.5), in its
 * little-endian, ASCII, IEEE form (the only one Windows sends): a small declarative type language
 * ({@link struct}, {@link uniquePtr}, {@link conformantArray}, {@link wstring}, ...) over the
 * writer and reader of ndr_wire.ts (unions are in ndr_union.ts, byte arrays in ndr_bytes.ts) so an
 * operation's arguments are described once and {@link encode}d / {@link decode}d from that
 * description. Stub data comes from peers: every read is bounds-checked and a bad buffer is a
 * ProtocolError, found before anything its counts describe is allocated. Pure.
 * @module
 */
import { ProtocolError } from "../../core/errors.ts";
import { checkInt, type FullReferent, NdrReader, NdrWriter } from "./ndr_wire.ts";

export { formatUuid, type FullReferent, NdrReader, NdrWriter, NIL_UUID, parseUuid } from "./ndr_wire.ts";

// ---------------------------------------------------------------------------------------------
// The type language

/**
 * What a type's write and read need besides the buffer: the referents deferred to after the
 * outermost containing construct (C706 14.3.12.3), and whether the value sits inside a structure
 * or array (an embedded reference pointer has a 4-byte id; a top-level one has none).
 */
export interface NdrContext {
  /** Work to do once the containing construct is complete, in order. */
  readonly deferred: (() => void)[];
  /** Inside a structure or array. */
  readonly embedded: boolean;
}

/**
 * How a conformant construct (a conformant array, or a structure that ends in one) is split when
 * it is the last member of a structure: its max count moves to the front of the structure
 * (C706 14.3.7.2), the rest stays in place.
 */
export interface ConformantTail<T> {
  /** The alignment of what stays in place (the elements; with the offset and count if varying). */
  readonly align: number;
  /** The max count the value needs. */
  maxCount(v: T): number;
  /** Everything after the max count. */
  writeRest(w: NdrWriter, v: T, cx: NdrContext): void;
  /** Everything after the max count, given it. */
  readRest(r: NdrReader, maxCount: number, cx: NdrContext, set: (v: T) => void): void;
}

/**
 * An NDR type: how values of `T` are written and read. Build them from the constants and
 * functions of this module; {@link encode} and {@link decode} apply them.
 */
export interface NdrType<T> {
  /** What the type is, for messages. */
  readonly name: string;
  /** The alignment of its representation (a structure's is its largest member's). */
  readonly align: number;
  /** The fewest bytes a value takes in place (referents excluded): bounds element counts. */
  readonly minSize: number;
  /** Set for conformant arrays and the structures that end in one. */
  readonly tail?: ConformantTail<T>;
  /** Writes `v`, deferring embedded pointers' referents to `cx.deferred`. */
  write(w: NdrWriter, v: T, cx: NdrContext): void;
  /** Reads a value and hands it to `set` (at once, or when a deferred referent is read). */
  read(r: NdrReader, cx: NdrContext, set: (v: T) => void): void;
}

/** The value type of an NDR type. */
export type ValueOf<N> = N extends NdrType<infer T> ? T : never;

/** Writes `v` completely: the value, then its deferred referents, each with its own, in order. */
function writeWhole<T>(w: NdrWriter, t: NdrType<T>, v: T): void {
  const cx: NdrContext = { deferred: [], embedded: false };
  t.write(w, v, cx);
  for (const f of cx.deferred) f();
}

/** Reads a value completely (the mirror of {@link writeWhole}). */
function readWhole<T>(r: NdrReader, t: NdrType<T>, set: (v: T) => void): void {
  const cx: NdrContext = { deferred: [], embedded: false };
  t.read(r, cx, set);
  for (const f of cx.deferred) f();
}

/**
 * A conformant construct standing alone (not a structure's last member): its max count, then what
 * `tail` writes (C706 14.3.3.2). A structure that ends in one moves the count to its front instead.
 */
export function conformantType<T>(
  name: string,
  align: number,
  minSize: number,
  tail: ConformantTail<T>,
): NdrType<T> {
  return {
    name,
    align,
    minSize,
    tail,
    write(w, v, cx) {
      w.u32(tail.maxCount(v));
      tail.writeRest(w, v, cx);
    },
    read(r, cx, set) {
      tail.readRest(r, r.u32(), cx, set);
    },
  };
}

/** The context of a structure's or array's members. */
export function inside(cx: NdrContext): NdrContext {
  return cx.embedded ? cx : { deferred: cx.deferred, embedded: true };
}

/** A primitive type from a writer and a reader method. */
function primitive<T>(
  name: string,
  size: number,
  write: (w: NdrWriter, v: T) => void,
  read: (r: NdrReader) => T,
  align = size,
): NdrType<T> {
  return {
    name,
    align,
    minSize: size,
    write: (w, v) => write(w, v),
    read: (r, _cx, set) => set(read(r)),
  };
}

/** NDR unsigned small: 1 byte. */
export const u8: NdrType<number> = primitive("u8", 1, (w, v) => w.u8(v), (r) => r.u8());
/** NDR small: 1 signed byte. */
export const i8: NdrType<number> = primitive("i8", 1, (w, v) => w.i8(v), (r) => r.i8());
/** NDR unsigned short: 2 bytes, 2-aligned. */
export const u16: NdrType<number> = primitive("u16", 2, (w, v) => w.u16(v), (r) => r.u16());
/** NDR short. */
export const i16: NdrType<number> = primitive("i16", 2, (w, v) => w.i16(v), (r) => r.i16());
/** NDR unsigned long: 4 bytes, 4-aligned (DWORD). */
export const u32: NdrType<number> = primitive("u32", 4, (w, v) => w.u32(v), (r) => r.u32());
/** NDR long (LONG, int). */
export const i32: NdrType<number> = primitive("i32", 4, (w, v) => w.i32(v), (r) => r.i32());
/** NDR unsigned hyper: 8 bytes, 8-aligned, as a bigint. */
export const u64: NdrType<bigint> = primitive("u64", 8, (w, v) => w.u64(v), (r) => r.u64());
/** NDR hyper: signed, 8 bytes, 8-aligned, as a bigint. */
export const i64: NdrType<bigint> = primitive("i64", 8, (w, v) => w.i64(v), (r) => r.i64());
/** NDR float: IEEE single (values are rounded to single precision). */
export const f32: NdrType<number> = primitive("f32", 4, (w, v) => w.f32(v), (r) => r.f32());
/** NDR double: IEEE double. */
export const f64: NdrType<number> = primitive("f64", 8, (w, v) => w.f64(v), (r) => r.f64());
/** NDR char: one byte (ASCII), as its code 0..255. */
export const char: NdrType<number> = u8;
/** wchar_t: one UTF-16 code unit. */
export const wchar: NdrType<number> = u16;
/** NDR boolean: 1 byte, 0 is false and anything else true (C706 14.2.3); written as 0 or 1. */
export const bool: NdrType<boolean> = primitive("bool", 1, (w, v) => {
  if (typeof v !== "boolean") throw new TypeError(`NDR boolean: ${typeof v} is not a boolean`);
  w.u8(v ? 1 : 0);
}, (r) => r.u8() !== 0);
/**
 * An IDL enum: 2 bytes (C706 14.2.5). MIDL stubs reject values above 0x7FFF when marshalling, so
 * the encoder does too; the decoder takes any 16-bit value.
 */
export const enum16: NdrType<number> = primitive("enum16", 2, (w, v) => {
  checkInt(v, 0, 0x7fff, "enum16");
  w.u16(v);
}, (r) => r.u16());
/** An IDL enum marked `[v1_enum]` (MIDL): 4 bytes, a signed 32-bit int as C enums are. */
export const enum32: NdrType<number> = primitive("enum32", 4, (w, v) => w.i32(v), (r) => r.i32());
/** A UUID/GUID: 16 bytes (Windows layout), 4-aligned (its Data1 is a long); lowercase text. */
export const uuid: NdrType<string> = primitive("uuid", 16, (w, v) => w.uuid(v), (r) => r.uuid(), 4);

/** An RPC context handle as NDR carries it (ndr_context_handle). */
export interface ContextHandle {
  /** The attributes word (0 from Windows servers). */
  attributes: number;
  /** The handle's UUID; all zeros is the null context handle. */
  uuid: string;
}

/** A context handle: 20 bytes, a u32 attributes then a 16-byte UUID (WINE.md: checked with rpcrt4). */
export const contextHandle: NdrType<ContextHandle> = {
  name: "contextHandle",
  align: 4,
  minSize: 20,
  write(w, v) {
    w.u32(v.attributes);
    w.uuid(v.uuid);
  },
  read(r, _cx, set) {
    const attributes = r.u32();
    set({ attributes, uuid: r.uuid() });
  },
};

/**
 * Checks that `count` elements of at least `minSize` bytes each can be in the rest of the buffer,
 * before anything of that size is allocated.
 */
function checkCount(r: NdrReader, count: number, minSize: number, what: string): void {
  if (count * Math.max(minSize, 1) > r.remaining) {
    throw new ProtocolError(`NDR: ${what} of ${count} elements cannot fit in the ${r.remaining} bytes left`);
  }
}

/**
 * Refuses a conformant element type: NDR array elements have one size (C706 14.3.3), so an array
 * of strings or conformant structures must hold pointers to them.
 */
function fixedElement(el: NdrType<unknown>): void {
  if (el.tail) throw new RangeError(`NDR: an array of ${el.name} (conformant): use an array of pointers`);
}

/** Reads `count` elements into a new array (their deferred referents may fill it later). */
function readElements<T>(r: NdrReader, el: NdrType<T>, count: number, cx: NdrContext): T[] {
  const inner = inside(cx);
  const out: T[] = new Array(count);
  for (let i = 0; i < count; i++) el.read(r, inner, (v) => out[i] = v);
  return out;
}

function writeElements<T>(w: NdrWriter, el: NdrType<T>, v: readonly T[], cx: NdrContext): void {
  const inner = inside(cx);
  for (const x of v) el.write(w, x, inner);
}

function checkArray(v: unknown, what: string): asserts v is unknown[] {
  if (!Array.isArray(v)) throw new TypeError(`NDR ${what}: the value is not an array`);
}

/** A fixed array `T x[n]`: `n` elements in place, no counts (C706 14.3.3.1). */
export function fixedArray<T>(el: NdrType<T>, n: number): NdrType<T[]> {
  checkInt(n, 1, 0x7fffffff, "fixed array size");
  fixedElement(el);
  return {
    name: `${el.name}[${n}]`,
    align: el.align,
    minSize: el.minSize * n,
    write(w, v, cx) {
      checkArray(v, "fixed array");
      if (v.length !== n) throw new RangeError(`NDR ${el.name}[${n}]: ${v.length} elements`);
      writeElements(w, el, v, cx);
    },
    read(r, cx, set) {
      checkCount(r, n, el.minSize, `${el.name}[${n}]`);
      set(readElements(r, el, n, cx));
    },
  };
}

/**
 * A conformant array `[size_is(n)] T x[]`: the element count (u32) then the elements
 * (C706 14.3.3.2). Inside a structure, as its last member, the count moves to the structure's front.
 */
export function conformantArray<T>(el: NdrType<T>): NdrType<T[]> {
  fixedElement(el);
  const tail: ConformantTail<T[]> = {
    align: el.align,
    maxCount(v) {
      checkArray(v, "conformant array");
      return v.length;
    },
    writeRest(w, v, cx) {
      w.align(el.align);
      writeElements(w, el, v, cx);
    },
    readRest(r, max, cx, set) {
      checkCount(r, max, el.minSize, `conformant array of ${el.name}`);
      r.align(el.align);
      set(readElements(r, el, max, cx));
    },
  };
  return conformantType(`${el.name}[*]`, Math.max(4, el.align), 4, tail);
}

/** Reads and checks a variance (offset, actual count) against `max` (C706 14.3.3.3). */
function readVariance(r: NdrReader, max: number, minSize: number, what: string): number {
  const offset = r.u32();
  const actual = r.u32();
  if (offset > max || actual > max - offset) {
    throw new ProtocolError(
      `NDR: ${what} offset ${offset} + actual count ${actual} exceeds max count ${max}`,
    );
  }
  checkCount(r, actual, minSize, what);
  return actual;
}

/**
 * A varying array `[length_is(n)] T x[max]`: offset (u32, written as 0), actual count (u32), then
 * the elements sent (C706 14.3.3.3). The value is the elements sent (a received offset is
 * checked, then dropped).
 */
export function varyingArray<T>(el: NdrType<T>, max: number): NdrType<T[]> {
  checkInt(max, 0, 0xffffffff, "varying array size");
  fixedElement(el);
  return {
    name: `${el.name}[..${max}]`,
    align: Math.max(4, el.align),
    minSize: 8,
    write(w, v, cx) {
      checkArray(v, "varying array");
      if (v.length > max) throw new RangeError(`NDR varying array: ${v.length} elements over ${max}`);
      w.u32(0);
      w.u32(v.length);
      w.align(el.align);
      writeElements(w, el, v, cx);
    },
    read(r, cx, set) {
      const actual = readVariance(r, max, el.minSize, "varying array");
      r.align(el.align);
      set(readElements(r, el, actual, cx));
    },
  };
}

/**
 * A conformant varying array `[size_is(m), length_is(n)] T x[]`: max count, offset, actual count,
 * then the elements (C706 14.3.3.4). Written with max = actual = the value's length and offset 0;
 * the value read is the elements sent.
 */
export function conformantVaryingArray<T>(el: NdrType<T>): NdrType<T[]> {
  fixedElement(el);
  const tail: ConformantTail<T[]> = {
    align: Math.max(4, el.align),
    maxCount(v) {
      checkArray(v, "conformant varying array");
      return v.length;
    },
    writeRest(w, v, cx) {
      w.u32(0);
      w.u32(v.length);
      w.align(el.align);
      writeElements(w, el, v, cx);
    },
    readRest(r, max, cx, set) {
      const actual = readVariance(r, max, el.minSize, "conformant varying array");
      r.align(el.align);
      set(readElements(r, el, actual, cx));
    },
  };
  return conformantType(`${el.name}[*..]`, Math.max(4, el.align), 12, tail);
}

/**
 * A `[string]` conformant varying array of `unitSize`-byte characters: max count, offset 0,
 * actual count including the terminating NUL, then the characters (C706 14.3.4; WINE.md).
 */
function stringType(name: string, unitSize: 1 | 2): NdrType<string> {
  const limit = unitSize === 1 ? 0xff : 0xffff;
  const tail: ConformantTail<string> = {
    align: 4,
    maxCount(v) {
      if (typeof v !== "string") throw new TypeError(`NDR ${name}: ${typeof v} is not a string`);
      return v.length + 1;
    },
    writeRest(w, v) {
      w.u32(0);
      w.u32(v.length + 1);
      for (let i = 0; i < v.length; i++) {
        const c = v.charCodeAt(i);
        // A peer's C code would see the string end at an embedded NUL: refuse rather than lose data.
        if (c === 0) throw new RangeError(`NDR ${name}: embedded NUL at ${i}`);
        if (c > limit) {
          throw new RangeError(`NDR ${name}: character 0x${c.toString(16)} at ${i} is not 8-bit`);
        }
      }
      if (unitSize === 2) {
        const b = new Uint8Array(2 * (v.length + 1));
        for (let i = 0; i < v.length; i++) {
          const c = v.charCodeAt(i);
          b[2 * i] = c & 0xff;
          b[2 * i + 1] = c >> 8;
        }
        w.bytes(b);
      } else {
        const b = new Uint8Array(v.length + 1);
        for (let i = 0; i < v.length; i++) b[i] = v.charCodeAt(i);
        w.bytes(b);
      }
    },
    readRest(r, max, _cx, set) {
      const offset = r.u32();
      const actual = r.u32();
      // rpcrt4 refuses a string with a non-zero offset (RPC_S_INVALID_BOUND): so do we.
      if (offset !== 0) throw new ProtocolError(`NDR ${name}: offset ${offset} is not 0`);
      if (actual > max) {
        throw new ProtocolError(`NDR ${name}: actual count ${actual} exceeds max count ${max}`);
      }
      if (actual === 0) throw new ProtocolError(`NDR ${name}: no terminating NUL (actual count 0)`);
      checkCount(r, actual, unitSize, name);
      const s = unitSize === 2 ? r.units(actual) : latin1(r.bytes(actual));
      if (s.charCodeAt(actual - 1) !== 0) {
        throw new ProtocolError(`NDR ${name}: the last character is not NUL`);
      }
      set(s.slice(0, actual - 1));
    },
  };
  return conformantType(name, 4, 12 + unitSize, tail);
}

function latin1(b: Uint8Array): string {
  let s = "";
  for (let i = 0; i < b.length; i += 4096) s += String.fromCharCode(...b.subarray(i, i + 4096));
  return s;
}

/**
 * A `[string] wchar_t` string (the referent of an LPWSTR): max count, offset 0, actual count with
 * the NUL, UTF-16LE units. Any UTF-16 survives, lone surrogates included; an embedded NUL is
 * refused when encoding (C code on the other side would cut the string there).
 */
export const wstring: NdrType<string> = stringType("wstring", 2);

/**
 * A `[string] char` string (the referent of an LPSTR): like {@link wstring} with 1-byte
 * characters; the value's characters are codes 0x01..0xFF (bytes as Latin-1).
 */
export const cstring: NdrType<string> = stringType("cstring", 1);

/**
 * Queues a pointer's referent after the containing construct. At top level the construct is the
 * pointer itself, so the referent follows it at once (C706 14.3.12.3; see {@link writeWhole}).
 */
function deferOrNow(cx: NdrContext, f: () => void): void {
  cx.deferred.push(f);
}

/**
 * A unique pointer `[unique] T*`: a 4-byte referent id (0 for null), then the referent, deferred
 * past the containing structure or array when embedded (C706 14.3.10, 14.3.12).
 */
export function uniquePtr<T>(target: NdrType<T>): NdrType<T | null> {
  return {
    name: `unique ${target.name}*`,
    align: 4,
    minSize: 4,
    write(w, v, cx) {
      if (v === null || v === undefined) return w.u32(0);
      w.u32(w.referentId());
      deferOrNow(cx, () => writeWhole(w, target, v));
    },
    read(r, cx, set) {
      set(null);
      if (r.u32() === 0) return;
      deferOrNow(cx, () => readWhole(r, target, set));
    },
  };
}

/**
 * A full pointer `[ptr] T*`: like a unique pointer, but the same referent (the same object) gets the
 * same id, and its value is sent only the first time (C706 14.3.10). Decoding gives every pointer
 * with one id the same value.
 */
export function fullPtr<T>(target: NdrType<T>): NdrType<T | null> {
  return {
    name: `full ${target.name}*`,
    align: 4,
    minSize: 4,
    write(w, v, cx) {
      if (v === null || v === undefined) return w.u32(0);
      // Only objects have an identity to share; each primitive value gets an id of its own.
      const shareable = typeof v === "object" || typeof v === "function";
      const known = shareable ? w.fullPointerIds.get(v) : undefined;
      if (known !== undefined) return w.u32(known);
      const id = w.fullPointerId();
      if (shareable) w.fullPointerIds.set(v, id);
      w.u32(id);
      deferOrNow(cx, () => writeWhole(w, target, v));
    },
    read(r, cx, set) {
      set(null);
      const id = r.u32();
      if (id === 0) return;
      const known = r.fullPointers.get(id);
      if (known) {
        if (known.done) set(known.value as T);
        else known.waiters.push(set as (v: unknown) => void);
        return;
      }
      const entry: FullReferent = { done: false, value: undefined, waiters: [set as (v: unknown) => void] };
      r.fullPointers.set(id, entry);
      deferOrNow(cx, () =>
        readWhole(r, target, (v) => {
          entry.done = true;
          entry.value = v;
          for (const s of entry.waiters) s(v);
        }));
    },
  };
}

/**
 * A reference pointer `[ref] T*` (never null). At top level (a parameter, or a pointer's
 * referent) it has no representation of its own: the referent follows at once. Embedded in a
 * structure or array it is a 4-byte non-zero id whose value means nothing, and the referent is
 * deferred (C706 14.3.10.1).
 */
export function refPtr<T>(target: NdrType<T>): NdrType<T> {
  return {
    name: `ref ${target.name}*`,
    align: 4,
    minSize: 4,
    write(w, v, cx) {
      if (v === null || v === undefined) {
        throw new TypeError(`NDR ${target.name}: a [ref] pointer cannot be null`);
      }
      if (!cx.embedded) return writeWhole(w, target, v);
      w.u32(w.referentId());
      deferOrNow(cx, () => writeWhole(w, target, v));
    },
    read(r, cx, set) {
      if (!cx.embedded) return readWhole(r, target, set);
      r.u32();
      deferOrNow(cx, () => readWhole(r, target, set));
    },
  };
}

/** A named member of a structure or parameter list (`any`: NdrType is invariant in its value type). */
// deno-lint-ignore no-explicit-any
export type NdrMember = readonly [string, NdrType<any>];
/** The value of a structure (or parameter list) with members `M`. */
export type StructValue<M extends readonly NdrMember[]> = {
  [E in M[number] as E[0]]: E[1] extends NdrType<infer V> ? V : never;
};

/** The members as the implementation sees them, checked: names unique and non-empty. */
function membersOf(
  members: readonly NdrMember[],
  what: string,
): readonly (readonly [string, NdrType<unknown>])[] {
  if (members.length === 0) throw new RangeError(`NDR ${what}: no members`);
  const names = new Set(members.map(([n]) => n));
  if (names.size !== members.length) throw new RangeError(`NDR ${what}: duplicate member names`);
  return members as unknown as readonly (readonly [string, NdrType<unknown>])[];
}

/**
 * A structure: its members in order, each aligned, the whole aligned to its largest member and
 * padded at the end to that alignment (as MIDL and Samba's pidl do); referents of embedded pointers
 * follow the outermost structure (C706 14.3.6, 14.3.12.3). A conformant last member makes a
 * conformant structure: its max count comes first, before the structure (C706 14.3.7.2).
 */
export function struct<const M extends readonly NdrMember[]>(members: M): NdrType<StructValue<M>> {
  const ms = membersOf(members, "struct");
  for (const [name, t] of ms.slice(0, -1)) {
    if (t.tail) throw new RangeError(`NDR struct: conformant member ${name} is not the last one`);
  }
  const [lastName, last] = ms[ms.length - 1];
  const align = Math.max(...ms.map(([, t]) => t.tail ? t.tail.align : t.align));
  type V = Record<string, unknown>;

  const writeMembers = (w: NdrWriter, v: V, cx: NdrContext, lastRest: boolean) => {
    const inner = inside(cx);
    w.align(align);
    for (let i = 0; i < ms.length; i++) {
      const [name, t] = ms[i];
      if (lastRest && i === ms.length - 1) t.tail!.writeRest(w, v[name], inner);
      else t.write(w, v[name], inner);
    }
    w.align(align);
  };
  const readMembers = (r: NdrReader, cx: NdrContext, set: (v: V) => void, max: number | null) => {
    const inner = inside(cx);
    const out: V = {};
    r.align(align);
    for (let i = 0; i < ms.length; i++) {
      const [name, t] = ms[i];
      const put = (x: unknown) => out[name] = x;
      if (max !== null && i === ms.length - 1) t.tail!.readRest(r, max, inner, put);
      else t.read(r, inner, put);
    }
    r.align(align);
    set(out);
  };
  const checked = (v: V): V => {
    if (v === null || typeof v !== "object") throw new TypeError("NDR struct: the value is not an object");
    return v;
  };

  const tail: ConformantTail<V> | undefined = last.tail && {
    align,
    maxCount: (v) => last.tail!.maxCount(checked(v)[lastName]),
    writeRest: (w, v, cx) => writeMembers(w, v, cx, true),
    readRest: (r, max, cx, set) => readMembers(r, cx, set, max),
  };
  const t: NdrType<V> = {
    name: `struct{${ms.map(([n]) => n).join(",")}}`,
    align: tail ? Math.max(4, align) : align,
    minSize: ms.reduce((n, [, m]) => n + m.minSize, 0),
    tail,
    write(w, v, cx) {
      checked(v);
      if (tail) w.u32(tail.maxCount(v));
      writeMembers(w, v, cx, Boolean(tail));
    },
    read(r, cx, set) {
      readMembers(r, cx, set, tail ? r.u32() : null);
    },
  };
  return t as unknown as NdrType<StructValue<M>>;
}

/**
 * An operation's parameters, in order: each written completely, its referents included, before
 * the next (C706 14.3.12.3: every parameter is a top-level construct, so a top-level `[ref]`
 * pointer has no id). Not a structure: no alignment of the whole, no trailing padding.
 */
export function params<const M extends readonly NdrMember[]>(members: M): NdrType<StructValue<M>> {
  const ms = membersOf(members, "params");
  type V = Record<string, unknown>;
  const t: NdrType<V> = {
    name: `params(${ms.map(([n]) => n).join(",")})`,
    align: 1,
    minSize: ms.reduce((n, [, m]) => n + m.minSize, 0),
    write(w, v) {
      if (v === null || typeof v !== "object") throw new TypeError("NDR params: the value is not an object");
      for (const [name, m] of ms) writeWhole(w, m, v[name]);
    },
    read(r, _cx, set) {
      const out: V = {};
      for (const [name, m] of ms) readWhole(r, m, (x) => out[name] = x);
      set(out);
    },
  };
  return t as unknown as NdrType<StructValue<M>>;
}

/** The NDR stub data of `value` as `type` (a parameter list or any one type written whole). */
export function encode<T>(type: NdrType<T>, value: T): Uint8Array {
  const w = new NdrWriter();
  writeWhole(w, type, value);
  return w.finish();
}

/** Options of {@link decode}. */
export interface DecodeOptions {
  /**
   * Bytes may follow the value. Default false: stub data longer than its parameters is a
   * ProtocolError, since a mismatch means the two sides disagree about the operation's types.
   */
  allowTrailing?: boolean;
}

/**
 * The value of `type` in the stub data `bytes`.
 * @throws {ProtocolError} the bytes are short, inconsistent (counts, offsets, a string without its
 * NUL) or, unless `allowTrailing`, longer than the value.
 */
export function decode<T>(type: NdrType<T>, bytes: Uint8Array, opts: DecodeOptions = {}): T {
  const r = new NdrReader(bytes);
  let out: T | undefined;
  readWhole(r, type, (v) => out = v);
  if (!opts.allowTrailing && r.remaining !== 0) {
    throw new ProtocolError(`NDR: ${r.remaining} bytes follow the ${type.name} value`);
  }
  return out as T;
}
