/**
 * NDR 2.0's primitives (C706 chapter 14): a writer and a reader, little-endian, with alignment
 * counted from the start of the stub data, and UUIDs in their wire layout. Every read is
 * bounds-checked: a short or inconsistent buffer is a ProtocolError. The type language in ndr.ts
 * is built on these. Pure.
 * @module
 */
import { ProtocolError } from "../../core/errors.ts";
import { formatGuid, isGuid, parseGuid } from "../../core/guid.ts";

// ---------------------------------------------------------------------------------------------
// Writer and reader

/**
 * Appends NDR primitives to a growable buffer. Offset 0 is the start of the stub data, which is
 * what NDR alignment counts from (C706 14.2.2; WINE.md: checked against rpcrt4).
 */
export class NdrWriter {
  #buf = new Uint8Array(64);
  #view = new DataView(this.#buf.buffer);
  #pos = 0;
  #nextId = 0x20000;
  #nextFullId = 1;
  /** Full-pointer referent ids by referent (C706 14.3.10: one id per referent per call). */
  readonly fullPointerIds: Map<unknown, number> = new Map();

  /** Bytes written so far. */
  get offset(): number {
    return this.#pos;
  }

  /** Room for `n` more bytes. */
  #reserve(n: number): void {
    if (this.#pos + n <= this.#buf.length) return;
    let size = this.#buf.length * 2;
    while (size < this.#pos + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.#buf.subarray(0, this.#pos));
    this.#buf = next;
    this.#view = new DataView(next.buffer);
  }

  /** Zero padding up to a multiple of `n` (1, 2, 4 or 8) from the start. */
  align(n: number): void {
    const pad = (n - (this.#pos % n)) % n;
    this.#reserve(pad);
    this.#buf.fill(0, this.#pos, this.#pos + pad);
    this.#pos += pad;
  }

  /**
   * A new non-zero referent id for a unique pointer (or an embedded reference pointer): rpcrt4
   * counts from 0x20000 by 4 (recorded from Wine's rpcrt4, tools/rpc_vectors; Windows's too).
   */
  referentId(): number {
    const id = this.#nextId;
    this.#nextId = this.#nextId >= 0xfffffffc ? 0x20000 : this.#nextId + 4;
    return id;
  }

  /**
   * A new referent id for a full pointer's new referent: rpcrt4 numbers them apart from the
   * unique pointers' ids, 1, 2, 3, ... (its full-pointer translation table's ref ids; recorded from
   * Wine's rpcrt4, tools/rpc_vectors).
   */
  fullPointerId(): number {
    const id = this.#nextFullId;
    this.#nextFullId = this.#nextFullId >= 0xffffffff ? 1 : this.#nextFullId + 1;
    return id;
  }

  /** An unsigned 8-bit integer. */
  u8(v: number): void {
    checkInt(v, 0, 0xff, "u8");
    this.#reserve(1);
    this.#buf[this.#pos++] = v;
  }

  /** A signed 8-bit integer. */
  i8(v: number): void {
    checkInt(v, -0x80, 0x7f, "i8");
    this.u8(v & 0xff);
  }

  /** An unsigned 16-bit integer, 2-aligned. */
  u16(v: number): void {
    checkInt(v, 0, 0xffff, "u16");
    this.align(2);
    this.#reserve(2);
    this.#view.setUint16(this.#pos, v, true);
    this.#pos += 2;
  }

  /** A signed 16-bit integer, 2-aligned. */
  i16(v: number): void {
    checkInt(v, -0x8000, 0x7fff, "i16");
    this.u16(v & 0xffff);
  }

  /** An unsigned 32-bit integer, 4-aligned. */
  u32(v: number): void {
    checkInt(v, 0, 0xffffffff, "u32");
    this.align(4);
    this.#reserve(4);
    this.#view.setUint32(this.#pos, v, true);
    this.#pos += 4;
  }

  /** A signed 32-bit integer, 4-aligned. */
  i32(v: number): void {
    checkInt(v, -0x80000000, 0x7fffffff, "i32");
    this.u32(v >>> 0);
  }

  /** An unsigned 64-bit integer (NDR hyper), 8-aligned. */
  u64(v: bigint): void {
    checkBig(v, 0n, 0xffffffffffffffffn, "u64");
    this.align(8);
    this.#reserve(8);
    this.#view.setBigUint64(this.#pos, v, true);
    this.#pos += 8;
  }

  /** A signed 64-bit integer (NDR hyper), 8-aligned. */
  i64(v: bigint): void {
    checkBig(v, -0x8000000000000000n, 0x7fffffffffffffffn, "i64");
    this.u64(BigInt.asUintN(64, v));
  }

  /** An IEEE single, 4-aligned. */
  f32(v: number): void {
    if (typeof v !== "number") throw new TypeError(`NDR float: ${typeof v} is not a number`);
    this.align(4);
    this.#reserve(4);
    this.#view.setFloat32(this.#pos, v, true);
    this.#pos += 4;
  }

  /** An IEEE double, 8-aligned. */
  f64(v: number): void {
    if (typeof v !== "number") throw new TypeError(`NDR double: ${typeof v} is not a number`);
    this.align(8);
    this.#reserve(8);
    this.#view.setFloat64(this.#pos, v, true);
    this.#pos += 8;
  }

  /** Raw bytes, unaligned. */
  bytes(b: Uint8Array): void {
    this.#reserve(b.length);
    this.#buf.set(b, this.#pos);
    this.#pos += b.length;
  }

  /** A UUID in its 16 Windows-layout bytes (Data1-3 little-endian, Data4 as written), 4-aligned. */
  uuid(s: string): void {
    this.align(4);
    this.bytes(parseUuid(s));
  }

  /** A copy of everything written. */
  finish(): Uint8Array {
    return this.#buf.slice(0, this.#pos);
  }
}

/** A full-pointer referent id seen while decoding: its value once read, and who waits for it. */
export interface FullReferent {
  /** The referent has been read. */
  done: boolean;
  /** The referent's value, once read. */
  value: unknown;
  /** Where the value goes once read (pointers met before their referent was). */
  waiters: ((v: unknown) => void)[];
}

/**
 * Reads NDR primitives from bytes a peer sent. Offset 0 is the start of the stub data. Every read
 * checks the bytes are there; a short buffer is a {@link ProtocolError}.
 */
export class NdrReader {
  readonly #bytes: Uint8Array;
  readonly #view: DataView;
  #pos = 0;
  /** Full-pointer referents by referent id (C706 14.3.10). */
  readonly fullPointers: Map<number, FullReferent> = new Map();

  /** A reader of `bytes` (not copied: do not change them while reading). */
  constructor(bytes: Uint8Array) {
    this.#bytes = bytes;
    this.#view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  /** Bytes read so far. */
  get offset(): number {
    return this.#pos;
  }

  /** Bytes left. */
  get remaining(): number {
    return this.#bytes.length - this.#pos;
  }

  /**
   * Checks that `n` more bytes are there.
   * @throws {ProtocolError} they are not.
   */
  need(n: number, what: string): void {
    if (n > this.remaining) {
      throw new ProtocolError(`NDR: ${what} needs ${n} bytes at offset ${this.#pos}, ${this.remaining} left`);
    }
  }

  /** Skips the padding up to a multiple of `n` from the start (its bytes are not checked). */
  align(n: number): void {
    const pad = (n - (this.#pos % n)) % n;
    this.need(pad, "alignment padding");
    this.#pos += pad;
  }

  /** An unsigned 8-bit integer. */
  u8(): number {
    this.need(1, "u8");
    return this.#bytes[this.#pos++];
  }

  /** A signed 8-bit integer. */
  i8(): number {
    return (this.u8() << 24) >> 24;
  }

  /** An unsigned 16-bit integer, 2-aligned. */
  u16(): number {
    this.align(2);
    this.need(2, "u16");
    const v = this.#view.getUint16(this.#pos, true);
    this.#pos += 2;
    return v;
  }

  /** A signed 16-bit integer, 2-aligned. */
  i16(): number {
    return (this.u16() << 16) >> 16;
  }

  /** An unsigned 32-bit integer, 4-aligned. */
  u32(): number {
    this.align(4);
    this.need(4, "u32");
    const v = this.#view.getUint32(this.#pos, true);
    this.#pos += 4;
    return v;
  }

  /** A signed 32-bit integer, 4-aligned. */
  i32(): number {
    return this.u32() | 0;
  }

  /** An unsigned 64-bit integer, 8-aligned. */
  u64(): bigint {
    this.align(8);
    this.need(8, "hyper");
    const v = this.#view.getBigUint64(this.#pos, true);
    this.#pos += 8;
    return v;
  }

  /** A signed 64-bit integer, 8-aligned. */
  i64(): bigint {
    return BigInt.asIntN(64, this.u64());
  }

  /** An IEEE single, 4-aligned. */
  f32(): number {
    this.align(4);
    this.need(4, "float");
    const v = this.#view.getFloat32(this.#pos, true);
    this.#pos += 4;
    return v;
  }

  /** An IEEE double, 8-aligned. */
  f64(): number {
    this.align(8);
    this.need(8, "double");
    const v = this.#view.getFloat64(this.#pos, true);
    this.#pos += 8;
    return v;
  }

  /** A copy of the next `n` bytes, unaligned. */
  bytes(n: number): Uint8Array {
    this.need(n, `${n} bytes`);
    const out = this.#bytes.slice(this.#pos, this.#pos + n);
    this.#pos += n;
    return out;
  }

  /** `n` UTF-16LE code units as a string (lone surrogates kept), unaligned. */
  units(n: number): string {
    this.need(n * 2, `${n} UTF-16 units`);
    let s = "";
    const chunk: number[] = [];
    for (let i = 0; i < n; i++) {
      chunk.push(this.#view.getUint16(this.#pos + 2 * i, true));
      if (chunk.length === 4096) s += String.fromCharCode(...chunk.splice(0));
    }
    this.#pos += n * 2;
    return s + String.fromCharCode(...chunk);
  }

  /** A UUID (16 bytes, Windows layout) as lowercase text, 4-aligned. */
  uuid(): string {
    this.align(4);
    return formatUuid(this.bytes(16));
  }
}

// ---------------------------------------------------------------------------------------------
// UUIDs

/**
 * The 16 bytes of UUID `s` ("8a885d04-1ceb-11c9-9fe8-08002b104860", braces optional) in the Windows
 * GUID layout NDR uses on a little-endian wire: Data1 u32 LE, Data2 u16 LE, Data3 u16 LE, Data4 as
 * written (C706 appendix A; MS-DTYP 2.3.4).
 * @throws {TypeError} `s` is not a UUID.
 */
export function parseUuid(s: string): Uint8Array {
  if (typeof s !== "string" || !isGuid(s)) throw new TypeError(`NDR: not a UUID: ${JSON.stringify(s)}`);
  return parseGuid(s);
}

/**
 * 16 UUID bytes (Windows layout) as lowercase text without braces.
 * @throws {RangeError} `b` is not 16 bytes.
 */
export function formatUuid(b: Uint8Array): string {
  return formatGuid(b).slice(1, -1).toLowerCase();
}

/** The nil UUID (all zeros). */
export const NIL_UUID = "00000000-0000-0000-0000-000000000000";

/** Checks an integer value against its NDR type's range. @throws {TypeError | RangeError} */
export function checkInt(v: number, min: number, max: number, what: string): void {
  if (typeof v !== "number" || !Number.isInteger(v)) {
    throw new TypeError(`NDR ${what}: ${v} is not an integer`);
  }
  if (v < min || v > max) throw new RangeError(`NDR ${what}: ${v} is out of range ${min}..${max}`);
}

/** Checks a bigint value against its NDR type's range. @throws {TypeError | RangeError} */
function checkBig(v: bigint, min: bigint, max: bigint, what: string): void {
  if (typeof v !== "bigint") throw new TypeError(`NDR ${what}: ${typeof v} is not a bigint`);
  if (v < min || v > max) throw new RangeError(`NDR ${what}: ${v} is out of range ${min}..${max}`);
}
