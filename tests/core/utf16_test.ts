/** UTF-16 strings for the W functions (src/core/utf16.ts). */
import { fromWstr, wstr } from "../../src/core/utf16.ts";
import { assert, fc, fcParams, test } from "../_support/harness.ts";
import { unicodeString } from "./_util.ts";

/** Any UTF-16 code units but NUL, lone surrogates included (Win32 strings may hold them). */
const noNul = fc.array(fc.integer({ min: 1, max: 0xffff }), { maxLength: 300 })
  .map((units) => String.fromCharCode(...units));

test("wstr: the string's code units and one terminating NUL", () => {
  const w = wstr("Aé€😀");
  assert(w instanceof Uint16Array, "a Uint16Array");
  assert(
    [...w].join(",") === [0x41, 0xe9, 0x20ac, 0xd83d, 0xde00, 0].join(","),
    `units ${[...w].map((u) => u.toString(16))}`,
  );
  assert(wstr("").length === 1 && wstr("")[0] === 0, "the empty string is one NUL");
});

test("wstr/fromWstr: any string without NUL round-trips, code unit for code unit", () => {
  fc.assert(
    fc.property(fc.oneof(noNul, unicodeString({ noNul: true, maxLength: 200 })), (s) => {
      const w = wstr(s);
      assert(w.length === s.length + 1 && w[s.length] === 0, "terminated");
      assert(fromWstr(w) === s, `round trip of ${JSON.stringify(s)}`);
    }),
    fcParams(),
  );
});

test("fromWstr: stops at the first NUL, or decodes all units when there is none", () => {
  fc.assert(
    fc.property(noNul, noNul, (a, b) => {
      const units = new Uint16Array(a.length + 1 + b.length);
      for (let i = 0; i < a.length; i++) units[i] = a.charCodeAt(i);
      for (let i = 0; i < b.length; i++) units[a.length + 1 + i] = b.charCodeAt(i);
      assert(fromWstr(units) === a, "up to the NUL");
      assert(fromWstr(units.subarray(0, a.length)) === a, "no NUL: the whole buffer");
    }),
    fcParams(),
  );
  assert(fromWstr(new Uint16Array(0)) === "", "an empty buffer");
});

test("fromWstr: long strings (past the 4096-unit decoding step) come back whole", () => {
  for (const n of [4095, 4096, 4097, 8192, 100_000]) {
    let s = "";
    for (let i = 0; i < n; i++) s += String.fromCharCode(1 + (i * 7919) % 0xfffe);
    assert(fromWstr(wstr(s)) === s, `${n} units`);
  }
});
