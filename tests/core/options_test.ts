/**
 * Option checking (issue 11, defect 8): a scheme's address options (src/core/address.ts
 * parseOptions and its readers) and every call's WaitOptions (src/core/op_queue.ts
 * checkWaitOptions, used by callScope, waitAny and connect). Each bad input is refused with the
 * right error class, naming the option.
 */
import {
  boolOption,
  enumOption,
  intOption,
  type OptionTable,
  parseAddress,
  parseOptions,
  textOption,
} from "../../src/core/address.ts";
import { AddressError, TimeoutError } from "../../src/core/errors.ts";
import { callScope, checkWaitOptions, MAX_TIMER_MS, OpQueue } from "../../src/core/op_queue.ts";
import { assert, fc, fcParams, test } from "../_support/harness.ts";
import { caught, thrown } from "./_util.ts";

/** A table like `pipe:`'s listen options. */
const table = {
  mode: enumOption(["message", "byte"] as const),
  bufferSize: intOption(1, 0x7fffffff),
  maxInstances: intOption(1, 255),
  firstInstance: boolOption,
  sddl: textOption,
} satisfies OptionTable;

/** Asserts that `fn` throws `type`, and that its message mentions each of `mentions`. */
function assertThrows(type: new (...a: never[]) => Error, fn: () => unknown, ...mentions: string[]): void {
  const e = thrown(fn);
  assert(e instanceof type, `expected ${type.name}, got ${e}`);
  for (const m of mentions) assert(e.message.includes(m), `'${e.message}' does not mention '${m}'`);
}

const parse = (text: string, t: OptionTable = table, use: "connect" | "listen" = "listen") =>
  parseOptions(parseAddress(text), t, use);

test("parseOptions: each known option read by its reader, absent ones undefined", () => {
  const o = parseOptions(
    parseAddress("pipe:x?mode=byte&bufferSize=64KiB&firstInstance=0&sddl=D:P(A;;GA;;;WD)"),
    table,
    "listen",
  );
  assert(o.mode === "byte" && o.bufferSize === 65536 && o.firstInstance === false, JSON.stringify(o));
  assert(o.sddl === "D:P(A;;GA;;;WD)" && o.maxInstances === undefined, JSON.stringify(o));
  const none = parse("pipe:x");
  assert(Object.values(none).every((v) => v === undefined), JSON.stringify(none));
  assert(Object.keys(none).join() === Object.keys(table).join(), "one entry per known option");
});

test("parseOptions: an unknown option is an AddressError naming it, listing the known ones", () => {
  // The typos, with the suggestion a user needs.
  assertThrows(AddressError, () => parse("pipe:x?maxInstance=3"), "'maxInstance'", "listen", "maxInstances?");
  assertThrows(
    AddressError,
    () => parse("shm:x?spn=1000", { spin: intOption(0, 1e6), size: intOption(16, 2 ** 30) }),
    "'spn'",
    "did you mean spin?",
    "known: spin, size",
  );
  assertThrows(AddressError, () => parse("pipe:x?MODE=byte"), "'MODE'", "did you mean mode?");
  // A listen option given to connect (shm's size) is unknown there, and says which call refused it.
  const connectTable = { spin: intOption(0, 1e6), global: boolOption };
  assertThrows(AddressError, () => parse("shm:x?size=abc", connectTable, "connect"), "'size'", "for connect");
  assertThrows(AddressError, () => parse("clipboard:x?a=1", {}, "listen"), "'a'", "clipboard: takes none");
  assertThrows(AddressError, () => parse("pipe:x?=1"), "''");
  // No "did you mean" for a name like none of them.
  const far = thrown(() => parse("pipe:x?colour=red"));
  assert(far instanceof AddressError && !far.message.includes("did you mean"), `${far}`);
});

test("parseOptions: an option given twice is an AddressError naming it", () => {
  assertThrows(AddressError, () => parse("pipe:x?mode=byte&mode=message"), "mode", "more than once");
  assertThrows(AddressError, () => parse("pipe:x?sddl=a&sddl=a"), "sddl", "more than once");
});

test("parseOptions: a bad value is an AddressError naming the option (the issue's cases)", () => {
  assertThrows(AddressError, () => parse("shm:x?size=abc", { size: intOption(16, 2 ** 30) }), "size=abc");
  assertThrows(AddressError, () => parse("pipe:x?mode=fast"), "mode=fast", "message, byte");
  assertThrows(AddressError, () => parse("pipe:x?maxInstances=256"), "maxInstances=256", "255");
  assertThrows(AddressError, () => parse("pipe:x?firstInstance=yes"), "firstInstance=yes");
});

test("parseOptions: for any query, the values when every name is known once, else an AddressError naming the culprit", () => {
  const known = Object.keys(table);
  const name = fc.oneof(fc.constantFrom(...known), fc.string({ minLength: 1, maxLength: 12 }));
  fc.assert(
    fc.property(fc.array(name, { maxLength: 6 }), (names) => {
      const q = new URLSearchParams();
      for (const n of names) q.append(n, n === "mode" ? "byte" : n === "firstInstance" ? "1" : "7");
      const text = `pipe:x?${q}`;
      const unknown = names.find((n) => !known.includes(n));
      const repeated = names.find((n, i) => names.indexOf(n) !== i);
      if (unknown === undefined && repeated === undefined) {
        const o = parse(text) as Record<string, unknown>;
        for (const n of known) assert((o[n] !== undefined) === names.includes(n), `${text}: ${n}`);
      } else {
        const e = thrown(() => parse(text));
        assert(e instanceof AddressError, `${text}: ${e}`);
        const culprit = names.find((n, i) => !known.includes(n) || names.indexOf(n) !== i)!;
        assert(e.message.includes(culprit), `${text}: '${e.message}' does not name '${culprit}'`);
      }
    }),
    fcParams(),
  );
});

test("checkWaitOptions: timeout a number >= 0 or Infinity, signal an AbortSignal", () => {
  const good = [undefined, {}, { timeout: 0 }, { timeout: 1.5 }, { timeout: Infinity }, {
    signal: new AbortController().signal,
  }, { timeout: undefined, signal: undefined }];
  for (const o of good) checkWaitOptions(o);
  // The case first: a string is not a number of milliseconds.
  for (const timeout of ["100", "", null, true, 10n, {}, [100], Symbol("t")]) {
    assertThrows(TypeError, () => checkWaitOptions({ timeout } as never), "timeout");
  }
  for (const timeout of [-1, -Infinity, NaN]) {
    assertThrows(RangeError, () => checkWaitOptions({ timeout }), "timeout");
  }
  for (const signal of [{}, "abort", { aborted: true, reason: 1 }, new AbortController(), null]) {
    assertThrows(TypeError, () => checkWaitOptions({ signal } as never), "signal", "AbortSignal");
  }
  for (const opts of [null, 100, "timeout=100"]) {
    assertThrows(TypeError, () => checkWaitOptions(opts as never), "wait options");
  }
});

test("callScope and OpQueue.run refuse bad wait options: TypeError or RangeError, before the operation runs", async () => {
  const owner = new AbortController().signal;
  assertThrows(TypeError, () => callScope(owner, { timeout: "100" } as never), "timeout", '"100"');
  assertThrows(TypeError, () => callScope(owner, { signal: {} } as never), "signal");
  const q = new OpQueue("test queue");
  let ran = false;
  const e = await caught(() => q.run({ timeout: "100" } as never, () => Promise.resolve(ran = true)));
  assert(e instanceof TypeError && !ran, `run: ${e}, ran: ${ran}`);
  assert(await q.run({ timeout: 100 }, () => Promise.resolve("next")) === "next", "the queue goes on");
});

test("wait endings: timeout gives winipc's TimeoutError; an aborted signal gives its reason, whatever it is", async () => {
  const q = new OpQueue("test queue");
  const never = (signal: AbortSignal) =>
    new Promise<never>((_, reject) => signal.addEventListener("abort", () => reject(signal.reason)));
  const byTimeout = await caught(() => q.run({ timeout: 10 }, never));
  assert(byTimeout instanceof TimeoutError, `timeout: ${byTimeout}`);
  // AbortSignal.timeout() aborts with the platform's DOMException "TimeoutError": passed through.
  const byPlatform = await caught(() => q.run({ signal: AbortSignal.timeout(10) }, never));
  assert(byPlatform instanceof DOMException && byPlatform.name === "TimeoutError", `${byPlatform}`);
  assert(!(byPlatform instanceof TimeoutError), "not turned into winipc's TimeoutError");
  const reason = { why: "the user left" };
  const ac = new AbortController();
  setTimeout(() => ac.abort(reason), 10);
  assert(await caught(() => q.run({ signal: ac.signal, timeout: 10_000 }, never)) === reason, "the reason");
});

test("callScope: a timeout beyond the longest timer (2^31 - 1 ms) is no limit, not an immediate timeout", async () => {
  const scope = callScope(new AbortController().signal, { timeout: MAX_TIMER_MS + 1 });
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert(!scope.signal.aborted, `aborted after 50 ms: ${scope.signal.reason}`);
  scope.done();
  const done = await new OpQueue("q").run(
    { timeout: 3e9 },
    () => new Promise((r) => setTimeout(() => r("done"), 30)),
  );
  assert(done === "done", `a 3e9 ms timeout: ${done}`);
});
