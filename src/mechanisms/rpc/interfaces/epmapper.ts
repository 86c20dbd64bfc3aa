/**
 * The endpoint mapper's RPC interface, epmapper (C706 appendix O; MS-RPCE 2.2.1.2), at
 * `ncacn_np:[\pipe\epmapper]` (and TCP 135 on Windows): `ept_insert` registers where an
 * interface is served, `ept_map` asks for it, `ept_delete` removes it. Endpoints are protocol
 * towers ({@link encodeTower}, {@link decodeTower}).
 * @module
 */
import {
  defineInterface,
  type Operation,
  type OperationMap,
  type Param,
  type RpcInterface,
} from "../interface.ts";
import {
  conformantArray,
  conformantVaryingArray,
  type ContextHandle,
  contextHandle,
  fullPtr,
  type NdrType,
  struct,
  u32,
  u8,
  uuid,
  varyingArray,
} from "../ndr.ts";

/** A twr_t value: the tower's octets and their count. */
export interface Twr {
  /** tower_length: the number of octets. */
  length: number;
  /** tower_octet_string. */
  octets: number[];
}

/** An ept_entry_t value. */
export interface EptEntry {
  /** The object UUID (the nil UUID for none). */
  object: string;
  /** The tower, or null. */
  tower: Twr | null;
  /** The annotation's bytes with their NUL ({@link annotation} makes them). */
  annotation: number[];
}

/** twr_t: a tower's octets with their length (a conformant structure). */
export const twr: NdrType<Twr> = struct([["length", u32], ["octets", conformantArray(u8)]]);

/** ept_entry_t: an object UUID, a tower, and an annotation (`[string] char[64]`, with its NUL). */
export const eptEntry: NdrType<EptEntry> = struct([
  ["object", uuid],
  ["tower", fullPtr(twr)],
  ["annotation", varyingArray(u8, 64)],
]);

/** The types of epmapper's operations (see {@link EPMAPPER_OPERATIONS}). */
export interface EpmapperOperations extends OperationMap {
  /** ept_insert. */
  readonly ept_insert: Operation<
    0,
    readonly [Param<"count", number>, Param<"entries", EptEntry[]>, Param<"replace", number>],
    readonly [Param<"status", number>]
  >;
  /** ept_delete. */
  readonly ept_delete: Operation<
    1,
    readonly [Param<"count", number>, Param<"entries", EptEntry[]>],
    readonly [Param<"status", number>]
  >;
  /** ept_map. */
  readonly ept_map: Operation<
    3,
    readonly [
      Param<"object", string | null>,
      Param<"tower", Twr | null>,
      Param<"entryHandle", ContextHandle>,
      Param<"maxTowers", number>,
    ],
    readonly [
      Param<"entryHandle", ContextHandle>,
      Param<"count", number>,
      Param<"towers", (Twr | null)[]>,
      Param<"status", number>,
    ]
  >;
}

/** epmapper's operations: the declaration {@link epmapper} is made from. */
export const EPMAPPER_OPERATIONS: EpmapperOperations = {
  /** ept_insert: registers `entries` (`replace`: drop older ones for the same interface and object). */
  ept_insert: {
    opnum: 0,
    in: [["count", u32], ["entries", conformantArray(eptEntry)], ["replace", u32]],
    out: [["status", u32]],
  },
  /** ept_delete: removes `entries`. */
  ept_delete: {
    opnum: 1,
    in: [["count", u32], ["entries", conformantArray(eptEntry)]],
    out: [["status", u32]],
  },
  /** ept_map: the towers where the interface in `tower` is served (`maxTowers` at most). */
  ept_map: {
    opnum: 3,
    in: [
      ["object", fullPtr(uuid)],
      ["tower", fullPtr(twr)],
      ["entryHandle", contextHandle],
      ["maxTowers", u32],
    ],
    out: [
      ["entryHandle", contextHandle],
      ["count", u32],
      ["towers", conformantVaryingArray(fullPtr(twr))],
      ["status", u32],
    ],
  },
};

/** epmapper e1af8308-5d1f-11c9-91a4-08002b14a0fa v3.0. */
export const epmapper: RpcInterface<EpmapperOperations> = defineInterface({
  name: "epmapper",
  uuid: "e1af8308-5d1f-11c9-91a4-08002b14a0fa",
  version: "3.0",
  operations: EPMAPPER_OPERATIONS,
});

/** EPT_S_NOT_REGISTERED: no endpoint is registered for the interface. */
export const EPT_S_NOT_REGISTERED = 0x16c9a0d6;

/** A twr_t value for tower octets. */
export function towerValue(octets: Uint8Array): Twr {
  return { length: octets.length, octets: Array.from(octets) };
}

/** An annotation as ept_entry_t carries it: ASCII, up to 63 characters, with its NUL. */
export function annotation(text: string): number[] {
  if (text.length > 63 || /[^\x20-\x7e]/.test(text)) {
    throw new RangeError(`an endpoint annotation is printable ASCII up to 63 characters: '${text}'`);
  }
  return [...Array.from(text, (c) => c.charCodeAt(0)), 0];
}
