/** Address parsing (src/core/address.ts): `scheme:path?options`, typed options, AddressError. */
import { type Address, boolParam, enumParam, intParam, parseAddress } from "../../src/core/address.ts";
import { AddressError, WinipcError } from "../../src/core/errors.ts";
import { assert, fc, fcParams, test } from "../_support/harness.ts";
import { thrown, unicodeString } from "./_util.ts";

/** Asserts that `fn` throws an AddressError whose message mentions each of `mentions`. */
function assertAddressError(fn: () => unknown, ...mentions: string[]): void {
  const e = thrown(fn);
  assert(e instanceof AddressError, `expected AddressError, got ${e}`);
  assert(e instanceof WinipcError && e.name === "AddressError", `name ${(e as Error).name}`);
  for (const m of mentions) assert(e.message.includes(m), `'${e.message}' does not mention '${m}'`);
}

test("parseAddress: scheme, path and options", () => {
  const a = parseAddress("pipe:orders");
  assert(a.scheme === "pipe" && a.path === "orders" && a.text === "pipe:orders", JSON.stringify(a));
  assert([...a.params].length === 0, "no options");

  const b = parseAddress("shm:cache?size=1MiB&mode=ring");
  assert(b.scheme === "shm" && b.path === "cache", JSON.stringify(b));
  assert(b.params.get("size") === "1MiB" && b.params.get("mode") === "ring", `${b.params}`);

  const c = parseAddress("tcp:127.0.0.1:9000");
  assert(c.scheme === "tcp" && c.path === "127.0.0.1:9000", "colons after the first belong to the path");

  const d = parseAddress("PIPE:Orders");
  assert(d.scheme === "pipe" && d.path === "Orders" && d.text === "PIPE:Orders", "scheme lower-cased only");

  const e = parseAddress("pipe:a?");
  assert(e.path === "a" && [...e.params].length === 0, "an empty query");

  const f = parseAddress("x+y.z-1:p?q=a%20b&q=c");
  assert(f.scheme === "x+y.z-1" && f.params.getAll("q").join("|") === "a b|c", "scheme chars, repeats");
});

test("parseAddress: malformed addresses are AddressErrors", () => {
  for (const bad of ["", "pipe", "pipe:", "pipe:?a=b", ":name", "1pipe:x", "pi pe:x", "-x:y", "pipe?:x"]) {
    assertAddressError(() => parseAddress(bad), `'${bad}'`);
  }
  for (const notString of [undefined, null, 42, {}, ["pipe:x"]]) {
    assertAddressError(() => parseAddress(notString as unknown as string), "string");
  }
});

test("parseAddress: any scheme and path round-trip, and so do option values", () => {
  const scheme = fc.stringMatching(/^[a-zA-Z][a-zA-Z0-9+.-]{0,10}$/);
  const path = unicodeString({ minLength: 1 }).filter((p) => !p.includes("?"));
  const options = fc.dictionary(fc.string({ minLength: 1, maxLength: 8 }), unicodeString(), {
    maxKeys: 5,
  });
  fc.assert(
    fc.property(scheme, path, options, (s, p, opts) => {
      const query = new URLSearchParams(opts).toString();
      const text = `${s}:${p}${query ? `?${query}` : ""}`;
      const a = parseAddress(text);
      assert(a.scheme === s.toLowerCase(), `scheme ${a.scheme}`);
      assert(a.path === p, `path ${JSON.stringify(a.path)} vs ${JSON.stringify(p)}`);
      assert(a.text === text, "text");
      for (const [k, v] of Object.entries(opts)) {
        assert(
          a.params.get(k) === v,
          `option ${k}: ${JSON.stringify(a.params.get(k))} vs ${JSON.stringify(v)}`,
        );
      }
    }),
    fcParams(),
  );
});

const addr = (query: string): Address => parseAddress(`shm:x?${query}`);

test("intParam: integers, KiB/MiB/GiB sizes, absent options", () => {
  const cases: [string, number][] = [
    ["n=0", 0],
    ["n=42", 42],
    ["n=007", 7],
    ["n=1KiB", 1024],
    ["n=64KiB", 65536],
    ["n=1MiB", 1024 ** 2],
    ["n=3MiB", 3 * 1024 ** 2],
    ["n=2GiB", 2 * 1024 ** 3],
    ["n=+12+", 12], // '+' is a space in a query; surrounding spaces are trimmed
  ];
  for (const [q, want] of cases) {
    const got = intParam(addr(q), "n", 0, 2 ** 40);
    assert(got === want, `${q}: ${got}, expected ${want}`);
  }
  assert(intParam(addr("m=5"), "n", 0, 10) === undefined, "absent option");
  assert(intParam(addr("n=5&n=6"), "n", 0, 10) === 5, "the first of repeated options");
});

test("intParam: anything but an in-range integer is an AddressError naming the option and range", () => {
  for (const raw of ["", "-1", "1.5", "1e3", "0x10", "abc", "1kib", "1KB", "1 KiB", "KiB", "1KiBx", "١٢"]) {
    assertAddressError(() => intParam(addr(`size=${encodeURIComponent(raw)}`), "size", 0, 2 ** 40), "size=");
  }
  assertAddressError(() => intParam(addr("size=9"), "size", 10, 20), "size=9", "10", "20");
  assertAddressError(() => intParam(addr("size=21"), "size", 10, 20), "size=21");
  assertAddressError(() => intParam(addr("size=1KiB"), "size", 0, 1023), "size=1KiB");
  assertAddressError(() => intParam(addr("size=99999999999999999999"), "size", 0, Infinity), "size=");
  assertAddressError(() => intParam(addr("size=9007199254740993"), "size", 0, Infinity), "size=");
});

test("intParam: for any value and suffix, the scaled value if in range, else AddressError", () => {
  const scale = { "": 1, KiB: 1024, MiB: 1024 ** 2, GiB: 1024 ** 3 } as const;
  fc.assert(
    fc.property(
      fc.nat({ max: 5_000_000 }),
      fc.constantFrom("", "KiB", "MiB", "GiB"),
      fc.nat({ max: 2 ** 32 }),
      fc.nat({ max: 2 ** 32 }),
      (n, suffix, x, y) => {
        const [min, max] = x <= y ? [x, y] : [y, x];
        const want = n * scale[suffix as keyof typeof scale];
        const a = addr(`v=${n}${suffix}`);
        if (want >= min && want <= max) {
          assert(intParam(a, "v", min, max) === want, `${n}${suffix} in [${min}, ${max}]`);
        } else {
          assertAddressError(() => intParam(a, "v", min, max), `v=${n}${suffix}`);
        }
      },
    ),
    fcParams(),
  );
});

test("enumParam: one of the allowed words (case-sensitive), absent, or AddressError listing them", () => {
  const modes = ["byte", "message"] as const;
  assert(enumParam(addr("mode=byte"), "mode", modes) === "byte", "byte");
  assert(enumParam(addr("mode=message"), "mode", modes) === "message", "message");
  assert(enumParam(addr("other=1"), "mode", modes) === undefined, "absent");
  assertAddressError(() => enumParam(addr("mode=Byte"), "mode", modes), "mode=Byte", "byte, message");
  assertAddressError(() => enumParam(addr("mode="), "mode", modes), "mode=");
  assertAddressError(() => enumParam(addr("mode=bytes"), "mode", modes), "mode=bytes");
});

test("boolParam: true/1 and false/0; anything else is an AddressError", () => {
  assert(boolParam(addr("b=true"), "b") === true, "true");
  assert(boolParam(addr("b=1"), "b") === true, "1");
  assert(boolParam(addr("b=false"), "b") === false, "false");
  assert(boolParam(addr("b=0"), "b") === false, "0");
  assert(boolParam(addr("c=1"), "b") === undefined, "absent");
  for (const bad of ["yes", "no", "TRUE", "2", "", "on"]) {
    assertAddressError(() => boolParam(addr(`b=${bad}`), "b"), "b=");
  }
});
