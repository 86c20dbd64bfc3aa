/**
 * Options at the connect/listen level, under Wine in both runtimes (issue 11, defect 8): unknown
 * or bad address options are AddressErrors naming the option, raised before any system call; bad
 * wait options are TypeErrors; a dll: size mismatch names both sizes; a clipboard: name has one
 * server; an aborted signal rejects with its own reason. The parsing itself is tested on Linux in
 * tests/core/options_test.ts.
 */
import { AddressError, AddressInUseError, connect, listen, TimeoutError } from "../mod.ts";
import { KernelEvent, Mutex } from "../src/sync.ts";
import { assert, test, uniqueName } from "./_support/harness.ts";

/** The rejection of `p`; fails if it resolves (closing what it resolved with). */
async function rejection(p: Promise<unknown>, what: string): Promise<unknown> {
  let value: unknown;
  try {
    value = await p;
  } catch (e) {
    return e;
  }
  await (value as AsyncDisposable | undefined)?.[Symbol.asyncDispose]?.();
  throw new Error(`${what}: expected an error, it succeeded`);
}

/** Asserts `e` is a `type` whose message mentions each of `mentions`. */
function assertError(e: unknown, type: new (...a: never[]) => Error, what: string, ...mentions: string[]) {
  assert(e instanceof type, `${what}: expected ${type.name}, got ${e}`);
  for (const m of mentions) assert(e.message.includes(m), `${what}: '${e.message}' does not mention '${m}'`);
}

/** A local address of each scheme for `name` (tcp on a port nothing listens on). */
const addresses = (name: string) => [
  `pipe:${name}`,
  `shm:${name}`,
  `dll:${name}`,
  `tcp:127.0.0.1:1`,
  `unix:${name}.sock`,
  `copydata:${name}`,
  `clipboard:${name}`,
];

test("options: an unknown option is an AddressError naming it, on connect and listen of every scheme", async () => {
  for (const address of addresses(uniqueName("unknown"))) {
    const bogus = `${address}?bogus=1`;
    assertError(await rejection(listen(bogus), bogus), AddressError, `listen ${bogus}`, "'bogus'", "listen");
    const c = await rejection(connect(bogus, { timeout: 1000 }), bogus);
    assertError(c, AddressError, `connect ${bogus}`, "'bogus'", "connect");
  }
});

test("options: the issue's typos and bad values are AddressErrors, and a refused listen takes no name", async () => {
  const pipe = `pipe:${uniqueName("typo")}`;
  const e1 = await rejection(listen(`${pipe}?maxInstance=3`), "maxInstance");
  assertError(e1, AddressError, "pipe typo", "'maxInstance'", "maxInstances");
  await using _p = await listen(`${pipe}?maxInstances=3`); // the name was never taken

  const shm = `shm:${uniqueName("typo")}`;
  assertError(await rejection(listen(`${shm}?spn=1000`), "spn"), AddressError, "shm typo", "'spn'", "spin");
  await using _s = await listen(`${shm}?spin=1000`);

  // Before: both were NotFoundError (the option was never read).
  const size = await rejection(connect(`shm:${uniqueName("none")}?size=abc`), "size=abc");
  assertError(size, AddressError, "shm connect size=abc", "'size'");
  const mode = await rejection(connect(`pipe:${uniqueName("none")}?mode=fast`), "mode=fast");
  assertError(mode, AddressError, "pipe connect mode=fast", "mode=fast");
});

test("options: a dll: client whose size differs from the server's gets an AddressError naming both", async () => {
  const name = uniqueName("dllsize");
  await using server = await listen(`dll:${name}?size=64KiB`);
  const e = await rejection(connect(`dll:${name}?size=1MiB`), "size mismatch");
  assertError(e, AddressError, "size mismatch", "65536", "1048576");
  const d = await rejection(connect(`dll:${name}`), "default size");
  assertError(d, AddressError, "default size (1 MiB)", "65536", "1048576");
  await using client = await connect(`dll:${name}?size=64KiB`);
  await client.send(new Uint8Array([7]));
  await using channel = await server.accept({ timeout: 10_000 });
  assert((await channel.receive({ timeout: 10_000 }))[0] === 7, "the matching client works");
  const none = await rejection(connect(`dll:${uniqueName("none")}?size=64KiB`), "no server");
  assert(none?.constructor?.name === "NotFoundError", `no server: ${none}`);
});

test("options: listen on a clipboard: name twice is AddressInUseError; after close the name is free", async () => {
  const address = `clipboard:${uniqueName("clip")}`;
  const first = await listen(address);
  assertError(await rejection(listen(address), "second"), AddressInUseError, "second listen", address);
  await first.close();
  await using _again = await listen(address);
});

test("wait options: a timeout that is not a number is a TypeError, on connect, receive and kernel waits", async () => {
  const name = uniqueName("wait");
  await using server = await listen(`pipe:${name}`);
  const bad = { timeout: "100" } as unknown as { timeout: number };
  assertError(await rejection(connect(`pipe:${name}`, bad), "connect"), TypeError, "connect", "timeout");
  assertError(
    await rejection(connect(`pipe:${name}`, { signal: {} as AbortSignal }), "signal"),
    TypeError,
    "connect signal",
    "signal",
  );
  await using client = await connect(`pipe:${name}`, { timeout: 10_000 });
  await using _channel = await server.accept({ timeout: 10_000 });
  // Before: "100" passed as a number (a TimeoutError 100 ms later).
  assertError(await rejection(client.receive(bad), "receive"), TypeError, "receive", "timeout", '"100"');
  assertError(
    await rejection(client.receive({ timeout: -1 }), "receive -1"),
    RangeError,
    "receive -1",
    "timeout",
  );
  using event = KernelEvent.create();
  assertError(await rejection(event.wait(bad), "event.wait"), TypeError, "event.wait", "timeout");
  using mutex = Mutex.create();
  assertError(await rejection(mutex.acquire(bad), "acquire"), TypeError, "mutex.acquire", "timeout");
});

test("wait options: timeout rejects with winipc's TimeoutError, an aborted signal with its own reason", async () => {
  const name = uniqueName("reason");
  await using server = await listen(`pipe:${name}`);
  await using client = await connect(`pipe:${name}`, { timeout: 10_000 });
  await using _channel = await server.accept({ timeout: 10_000 });
  const byTimeout = await rejection(client.receive({ timeout: 50 }), "timeout");
  assert(byTimeout instanceof TimeoutError, `timeout: ${byTimeout}`);
  const byPlatform = await rejection(
    client.receive({ signal: AbortSignal.timeout(50) }),
    "AbortSignal.timeout",
  );
  assert(
    byPlatform instanceof DOMException && byPlatform.name === "TimeoutError" &&
      !(byPlatform instanceof TimeoutError),
    `AbortSignal.timeout: the platform's DOMException, got ${byPlatform}`,
  );
  const ac = new AbortController();
  const reason = new Error("user cancelled");
  setTimeout(() => ac.abort(reason), 50);
  assert(
    await rejection(client.receive({ signal: ac.signal }), "abort") === reason,
    "the abort reason itself",
  );
});
