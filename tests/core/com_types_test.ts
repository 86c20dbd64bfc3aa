/** COM's pure parts: GUID text and bytes (src/core/guid.ts), VARIANT types and OLE dates (variant_types.ts). */
import { formatGuid, IID_IDispatch, isGuid, newGuid, parseGuid } from "../../src/core/guid.ts";
import { fromOleDate, toOleDate, Variant, VT } from "../../src/mechanisms/com/variant_types.ts";
import { assert, fc, fcParams, test } from "../_support/harness.ts";

test("com guid: IID_IDispatch's bytes are COM's layout (Data1-3 little-endian)", () => {
  const b = parseGuid(IID_IDispatch);
  assert(
    Array.from(b).join() === [0x00, 0x04, 0x02, 0x00, 0, 0, 0, 0, 0xc0, 0, 0, 0, 0, 0, 0, 0x46].join(),
    `bytes ${Array.from(b)}`,
  );
  assert(formatGuid(b) === IID_IDispatch, formatGuid(b));
  assert(isGuid("00020400-0000-0000-c000-000000000046"), "braces are optional, case is free");
  for (
    const bad of ["", "{}", "00020400-0000-0000-C000-00000000004", "{00020400-0000-0000-C000-00000000004G}"]
  ) {
    assert(!isGuid(bad), bad);
    let e: unknown;
    try {
      parseGuid(bad);
    } catch (x) {
      e = x;
    }
    assert(e instanceof RangeError, `parseGuid(${bad}): ${e}`);
  }
});

test("com guid: any 16 bytes survive format and parse; new GUIDs are version 4", () => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), (b) => {
      assert(Array.from(parseGuid(formatGuid(b))).join() === Array.from(b).join(), formatGuid(b));
    }),
    fcParams(),
  );
  const g = newGuid();
  assert(isGuid(g) && g[15] === "4" && "89AB".includes(g[20]), g);
});

test("com OLE dates: known values, and every millisecond from year 100 to 9999 survives the round trip", () => {
  assert(fromOleDate(0).toISOString() === "1899-12-30T00:00:00.000Z", "day 0");
  assert(fromOleDate(2.5).toISOString() === "1900-01-01T12:00:00.000Z", "2.5");
  // Before day 0 the fraction still counts forwards: -1.25 is 1899-12-29 06:00.
  assert(fromOleDate(-1.25).toISOString() === "1899-12-29T06:00:00.000Z", "-1.25");
  assert(toOleDate(new Date("1899-12-29T06:00:00Z")) === -1.25, "back to -1.25");
  assert(toOleDate(new Date("2020-01-02T00:00:00Z")) === 43832, "2020-01-02");
  fc.assert(
    fc.property(
      fc.integer({ min: Date.UTC(100, 0, 1), max: Date.UTC(9999, 11, 31, 23, 59, 59, 999) }),
      (t) => {
        const back = fromOleDate(toOleDate(new Date(t))).getTime();
        assert(back === t, `${new Date(t).toISOString()} came back as ${new Date(back).toISOString()}`);
      },
    ),
    fcParams(1000),
  );
});

test("com Variant: values are checked against their type", () => {
  const bad: [number, unknown][] = [
    [VT.I1, 128],
    [VT.UI1, -1],
    [VT.I2, 1.5],
    [VT.UI4, 2 ** 32],
    [VT.I8, 2n ** 63n],
    [VT.UI8, -1n],
    [VT.CY, 1],
    [VT.BSTR, 1],
    [VT.BOOL, 0],
    [VT.DATE, new Date(NaN)],
    [VT.EMPTY, null],
    [VT.NULL, undefined],
    [VT.ARRAY | VT.I2, [1, 2 ** 20]],
    [VT.ARRAY | VT.UI1, "bytes"],
    [VT.BYREF | VT.I4, 1],
    [VT.DECIMAL, 1],
    [99, 1],
  ];
  for (const [vt, value] of bad) {
    let e: unknown;
    try {
      new Variant(vt, value);
    } catch (x) {
      e = x;
    }
    assert(e instanceof RangeError, `new Variant(${vt}, ${String(value)}): ${e}`);
  }
  assert(new Variant(VT.ARRAY | VT.UI1, new Uint8Array(3)).vt === (VT.ARRAY | VT.UI1), "bytes");
  assert(Variant.currency(-123456n).value === -123456n, "currency");
  assert(Variant.missing().value === (0x80020004 | 0), "a missing argument");
});
