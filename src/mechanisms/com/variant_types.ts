/**
 * VARIANT types as JS sees them: the VT_* codes, {@link Variant} (a value with its exact type),
 * and the OLE Automation date and currency conversions. Pure: no FFI.
 * @module
 */

/** VARTYPE codes (wtypes.h). */
export const VT = {
  /** No value (JS `undefined`). */
  EMPTY: 0,
  /** SQL-style null (JS `null`). */
  NULL: 1,
  /** 16-bit signed integer. */
  I2: 2,
  /** 32-bit signed integer. */
  I4: 3,
  /** 32-bit float. */
  R4: 4,
  /** 64-bit float. */
  R8: 5,
  /** Currency: a 64-bit integer of ten-thousandths. */
  CY: 6,
  /** OLE Automation date (days since 1899-12-30). */
  DATE: 7,
  /** Automation string (UTF-16 with its length). */
  BSTR: 8,
  /** IDispatch pointer. */
  DISPATCH: 9,
  /** SCODE (an HRESULT); DISP_E_PARAMNOTFOUND is a missing argument. */
  ERROR: 10,
  /** VARIANT_BOOL: -1 true, 0 false. */
  BOOL: 11,
  /** A VARIANT (as an array element or by reference). */
  VARIANT: 12,
  /** IUnknown pointer. */
  UNKNOWN: 13,
  /** 96-bit scaled decimal (read as a number). */
  DECIMAL: 14,
  /** 8-bit signed integer. */
  I1: 16,
  /** 8-bit unsigned integer (a byte). */
  UI1: 17,
  /** 16-bit unsigned integer. */
  UI2: 18,
  /** 32-bit unsigned integer. */
  UI4: 19,
  /** 64-bit signed integer (bigint). */
  I8: 20,
  /** 64-bit unsigned integer (bigint). */
  UI8: 21,
  /** Machine int (32 bits). */
  INT: 22,
  /** Machine unsigned int (32 bits). */
  UINT: 23,
  /** Flag: a SAFEARRAY of the type it is combined with. */
  ARRAY: 0x2000,
  /** Flag: a pointer to a value of the type it is combined with. */
  BYREF: 0x4000,
} as const;

/** The size of one SAFEARRAY element of type `vt`, or 0 for a type winipc does not put in arrays. */
export function elementSize(vt: number): number {
  switch (vt) {
    case VT.I1:
    case VT.UI1:
      return 1;
    case VT.I2:
    case VT.UI2:
    case VT.BOOL:
      return 2;
    case VT.I4:
    case VT.UI4:
    case VT.INT:
    case VT.UINT:
    case VT.R4:
    case VT.ERROR:
      return 4;
    case VT.I8:
    case VT.UI8:
    case VT.R8:
    case VT.CY:
    case VT.DATE:
    case VT.BSTR:
    case VT.DISPATCH:
    case VT.UNKNOWN:
      return 8;
    case VT.DECIMAL:
      return 16;
    case VT.VARIANT:
      return 24;
  }
  return 0;
}

const integerRanges: Record<number, [number, number]> = {
  [VT.I1]: [-0x80, 0x7f],
  [VT.UI1]: [0, 0xff],
  [VT.I2]: [-0x8000, 0x7fff],
  [VT.UI2]: [0, 0xffff],
  [VT.I4]: [-0x80000000, 0x7fffffff],
  [VT.INT]: [-0x80000000, 0x7fffffff],
  [VT.ERROR]: [-0x80000000, 0x7fffffff],
  [VT.UI4]: [0, 0xffffffff],
  [VT.UINT]: [0, 0xffffffff],
};

/** The range of an integer VARTYPE held as a JS number, if `vt` is one. */
export function integerRange(vt: number): [number, number] | undefined {
  return integerRanges[vt];
}

/**
 * A value with its exact VARIANT type, for when JS's own types do not say it (a VT_I2, a VT_R4, a
 * currency). What `value` holds for each type:
 * - I1, I2, I4, INT, UI1, UI2, UI4, UINT, ERROR, R4, R8: number; I8, UI8: bigint;
 * - CY: bigint, the amount in ten-thousandths (12.3456 is 123456n); DATE: Date;
 * - BSTR: string; BOOL: boolean; EMPTY: undefined; NULL: null;
 * - DISPATCH, UNKNOWN: a COM object (or null);
 * - VT.ARRAY | t: an array of t's values (Variants for VT.VARIANT elements), or a Uint8Array for
 *   VT.UI1 elements.
 *
 * @example
 * ```ts
 * import { Variant, VT } from "@winipc/winipc/com";
 *
 * const small = new Variant(VT.I2, 7); // what VBScript sends for the literal 7
 * const money = Variant.currency(123456n); // 12.3456
 * console.log(small.vt === VT.I2, money.value);
 * ```
 */
export class Variant {
  /** The VARIANT type ({@link VT}). */
  readonly vt: number;
  /** The value, as the class comment lists for each type. */
  readonly value: unknown;

  /**
   * A value of type `vt` (a {@link VT} code, `VT.ARRAY | t` for an array).
   * @throws {RangeError} an integer out of the type's range, a VT_I8 or VT_UI8 out of 64 bits,
   * or a type winipc cannot represent.
   */
  constructor(vt: number, value: unknown) {
    checkVariant(vt, value);
    this.vt = vt;
    this.value = value;
  }

  /** VT_CY: `tenThousandths` / 10000 units of currency. */
  static currency(tenThousandths: bigint): Variant {
    return new Variant(VT.CY, tenThousandths);
  }

  /** VT_ERROR with DISP_E_PARAMNOTFOUND: an optional argument left out. */
  static missing(): Variant {
    return new Variant(VT.ERROR, DISP_E_PARAMNOTFOUND);
  }
}

/** DISP_E_PARAMNOTFOUND: what an optional argument left out is passed as (VT_ERROR). */
export const DISP_E_PARAMNOTFOUND = 0x80020004 | 0;

function checkVariant(vt: number, value: unknown): void {
  const fail = (what: string) => {
    throw new RangeError(`winipc COM: VARTYPE ${vt} cannot hold ${what}`);
  };
  const base = vt & ~VT.ARRAY;
  if ((vt & VT.BYREF) !== 0) fail("a reference (pass a ComRef instead)");
  if ((vt & VT.ARRAY) !== 0) {
    if (elementSize(base) === 0 || base === VT.DECIMAL) fail("arrays");
    if (base === VT.UI1 && value instanceof Uint8Array) return;
    if (!Array.isArray(value)) fail("anything but an array");
    if (base !== VT.VARIANT) { for (const v of value as unknown[]) checkVariant(base, v); }
    return;
  }
  const range = integerRanges[vt];
  if (range) {
    if (typeof value !== "number" || !Number.isInteger(value) || value < range[0] || value > range[1]) {
      fail(`${String(value)} (an integer from ${range[0]} to ${range[1]})`);
    }
    return;
  }
  switch (vt) {
    case VT.EMPTY:
      if (value !== undefined) fail("a value (VT_EMPTY is undefined)");
      return;
    case VT.NULL:
      if (value !== null) fail("a value (VT_NULL is null)");
      return;
    case VT.R4:
    case VT.R8:
      if (typeof value !== "number") fail(`${typeof value}`);
      return;
    case VT.I8:
    case VT.CY:
      if (typeof value !== "bigint" || BigInt.asIntN(64, value) !== value) {
        fail(`${String(value)} (a signed 64-bit bigint)`);
      }
      return;
    case VT.UI8:
      if (typeof value !== "bigint" || BigInt.asUintN(64, value) !== value) {
        fail(`${String(value)} (an unsigned 64-bit bigint)`);
      }
      return;
    case VT.DATE:
      if (!(value instanceof Date) || Number.isNaN(value.getTime())) fail("anything but a valid Date");
      return;
    case VT.BSTR:
      if (typeof value !== "string") fail(typeof value);
      return;
    case VT.BOOL:
      if (typeof value !== "boolean") fail(typeof value);
      return;
    case VT.DISPATCH:
    case VT.UNKNOWN:
      if (value === undefined || (typeof value !== "object" && typeof value !== "function")) {
        fail(typeof value);
      }
      return;
  }
  fail("a value (unsupported type)");
}

const DAY_MS = 86_400_000;
/** 1899-12-30T00:00:00Z, day 0 of OLE Automation dates, in ms since 1970. */
const OLE_EPOCH_MS = Date.UTC(1899, 11, 30);

/**
 * An OLE Automation date (days since 1899-12-30; before it, the fraction is still the time of
 * day, forwards: -1.25 is 1899-12-29 06:00) as a Date, to the millisecond. Dates are UTC:
 * Automation dates carry no time zone.
 */
export function fromOleDate(days: number): Date {
  const whole = Math.trunc(days);
  const fraction = Math.abs(days - whole);
  return new Date(OLE_EPOCH_MS + Math.round((whole + fraction) * DAY_MS));
}

/** A Date as an OLE Automation date (see {@link fromOleDate}). */
export function toOleDate(date: Date): number {
  const ms = date.getTime() - OLE_EPOCH_MS;
  const whole = Math.floor(ms / DAY_MS);
  const fraction = (ms - whole * DAY_MS) / DAY_MS;
  return whole >= 0 ? whole + fraction : whole - fraction;
}
