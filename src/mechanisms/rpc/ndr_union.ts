/**
 * NDR unions (C706 14.3.8): non-encapsulated ({@link union}, the discriminant sent before the
 * arm) and encapsulated ({@link encapsulatedUnion}, discriminant and arm aligned as one
 * structure). A value is `{ tag, value }`. Pure.
 * @module
 */
import { ProtocolError } from "../../core/errors.ts";
import { inside, type NdrContext, type NdrType } from "./ndr.ts";
import type { NdrReader, NdrWriter } from "./ndr_wire.ts";
/** The value of a union: the discriminant's value and the selected arm's value (none for an empty arm). */
export interface UnionValue {
  /** The discriminant: selects the arm. */
  tag: number;
  /** The arm's value; absent for an empty arm. */
  value?: unknown;
}

/** A union's arms by discriminant value; `null` is an empty arm (`[case(n)] ;`). */
// deno-lint-ignore no-explicit-any
export type UnionArms = Readonly<Record<number, NdrType<any> | null>>;

/** A discriminant type: an integer type ({@link i32}, {@link u16}, {@link enum16}, ...). */
export type Discriminant = NdrType<number>;

/** The union's parts, checked, and the arm a tag selects. */
function unionArms(
  what: string,
  discriminant: Discriminant,
  arms: UnionArms,
  defaultArm: NdrType<unknown> | null | undefined,
) {
  if (!discriminant || typeof discriminant.write !== "function" || discriminant.tail) {
    throw new TypeError(`NDR ${what}: the discriminant is not a fixed-size NDR type`);
  }
  const byTag = new Map<number, NdrType<unknown> | null>();
  for (const [k, t] of Object.entries(arms)) {
    const tag = Number(k);
    if (!Number.isInteger(tag)) throw new RangeError(`NDR ${what}: arm ${k} is not an integer`);
    if (t && t.tail) throw new RangeError(`NDR ${what}: arm ${k} (${t.name}) is conformant`);
    byTag.set(tag, t as NdrType<unknown> | null);
  }
  if (defaultArm && defaultArm.tail) throw new RangeError(`NDR ${what}: the default arm is conformant`);
  const all = [...byTag.values(), defaultArm ?? null].filter((t): t is NdrType<unknown> => t !== null);
  /** The arm of `tag`: a type, null (empty), or undefined (no such arm and no default). */
  const arm = (tag: number): NdrType<unknown> | null | undefined =>
    byTag.has(tag) ? byTag.get(tag) : defaultArm;
  const armAlign = Math.max(1, ...all.map((t) => t.align));
  const minArm = Math.min(
    ...[...byTag.values(), defaultArm].map((t) => t === undefined ? Infinity : t?.minSize ?? 0),
  );
  return { arm, armAlign, minArm: Number.isFinite(minArm) ? minArm : 0 };
}

function checkUnionValue(v: UnionValue, what: string): void {
  if (v === null || typeof v !== "object") throw new TypeError(`NDR ${what}: the value is not {tag, value}`);
}

/** Writes the arm `tag` selects (nothing for an empty arm). */
function writeArm(
  w: NdrWriter,
  arm: NdrType<unknown> | null | undefined,
  v: UnionValue,
  cx: NdrContext,
  what: string,
): void {
  if (arm === undefined) throw new RangeError(`NDR ${what}: no arm for discriminant ${v.tag} and no default`);
  if (arm !== null) arm.write(w, v.value, inside(cx));
}

/** Reads the arm `tag` selects into a {tag, value} (no value for an empty arm). */
function readArm(
  r: NdrReader,
  arm: NdrType<unknown> | null | undefined,
  tag: number,
  cx: NdrContext,
  set: (v: UnionValue) => void,
  what: string,
): void {
  if (arm === undefined) {
    throw new ProtocolError(`NDR ${what}: no arm for discriminant ${tag} and no default`);
  }
  const out: UnionValue = { tag };
  if (arm !== null) arm.read(r, inside(cx), (x) => out.value = x);
  set(out);
}

/**
 * A non-encapsulated union `[switch_type(D)] union { [case(1)] T1 a; ...; [default] Td d; }`,
 * whose discriminant the IDL names elsewhere (`[switch_is(k)]`: another parameter or an earlier
 * member of the same structure). NDR still sends the discriminant with the union: the
 * discriminant as `discriminant`, then the selected arm, each aligned to its own type (C706
 * 14.3.8; recorded from rpcrt4, tools/rpc_vectors). The value is `{tag, value}`; where the IDL
 * also has the discriminant as a member or parameter of its own, declare that one too (it is
 * sent there as well) and give it the same value as `tag`.
 * @param arms the arms by discriminant value, `null` for an empty arm
 * @param defaultArm the `[default]` arm (`null`: empty); none: another tag is an error (RangeError
 * encoding, ProtocolError decoding)
 */
export function union(
  discriminant: Discriminant,
  arms: UnionArms,
  // deno-lint-ignore no-explicit-any
  defaultArm?: NdrType<any> | null,
): NdrType<UnionValue> {
  const { arm, armAlign, minArm } = unionArms("union", discriminant, arms, defaultArm);
  return {
    name: `union(${discriminant.name})`,
    align: Math.max(discriminant.align, armAlign),
    minSize: discriminant.minSize + minArm,
    write(w, v, cx) {
      checkUnionValue(v, "union");
      const a = arm(v.tag);
      if (a === undefined) throw new RangeError(`NDR union: no arm for discriminant ${v.tag} and no default`);
      discriminant.write(w, v.tag, cx);
      writeArm(w, a, v, cx, "union");
    },
    read(r, cx, set) {
      let tag = 0;
      discriminant.read(r, cx, (t) => tag = t);
      readArm(r, arm(tag), tag, cx, set, "union");
    },
  };
}

/**
 * An encapsulated union `union switch (D k) u { case 1: T1 a; ... default: ; }`: the
 * discriminant and the arms travel together as one construct (C706 14.3.8). The value is
 * `{tag, value}` like {@link union}'s.
 * @param arms the arms by discriminant value, `null` for an empty arm
 * @param defaultArm the `default:` arm (`null`: empty); none: another tag is an error
 */
export function encapsulatedUnion(
  discriminant: Discriminant,
  arms: UnionArms,
  // deno-lint-ignore no-explicit-any
  defaultArm?: NdrType<any> | null,
): NdrType<UnionValue> {
  const { arm, armAlign, minArm } = unionArms("encapsulated union", discriminant, arms, defaultArm);
  const align = Math.max(discriminant.align, armAlign);
  return {
    name: `union switch(${discriminant.name})`,
    align,
    minSize: discriminant.minSize + minArm,
    write(w, v, cx) {
      checkUnionValue(v, "encapsulated union");
      const a = arm(v.tag);
      if (a === undefined) {
        throw new RangeError(`NDR encapsulated union: no arm for discriminant ${v.tag} and no default`);
      }
      w.align(align);
      discriminant.write(w, v.tag, cx);
      writeArm(w, a, v, cx, "encapsulated union");
    },
    read(r, cx, set) {
      r.align(align);
      let tag = 0;
      discriminant.read(r, cx, (t) => tag = t);
      readArm(r, arm(tag), tag, cx, set, "encapsulated union");
    },
  };
}
