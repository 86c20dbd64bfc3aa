/**
 * Anonymous pipes to child processes started with the library's spawn() (CreateProcessW), and
 * handle passing with DuplicateHandle. The child runs in the same runtime as the test.
 */
import { ChannelClosedError } from "../mod.ts";
import { createPipe, duplicateHandleTo, quoteWindowsArg, spawn } from "../src/mechanisms/process/mod.ts";
import { KernelEvent } from "../src/sync.ts";
import {
  assert,
  bytesEqual,
  fc,
  fcParams,
  patternBytes,
  roundTripBytes,
  runtime,
  test,
  within,
} from "./_support/harness.ts";

// deno-lint-ignore no-explicit-any
const g = globalThis as any;
/** The runtime's own executable and the arguments that run a peer script in it. */
function peerCommand(role: string): [string, string[]] {
  const script = "tests/peers/child_peer.ts";
  return runtime === "deno"
    ? [g.Deno.execPath(), ["run", "-A", "--no-check", script, role]]
    : [g.process.execPath, [script, role]];
}

test("bytes written to a child's stdin come back from its stdout unchanged (any chunking, large totals)", async () => {
  const [file, args] = peerCommand("echo");
  await using child = spawn(file, { args });
  await fc.assert(
    fc.asyncProperty(
      fc.array(
        fc.oneof(
          fc.uint8Array({ minLength: 1, maxLength: 100 }),
          fc.record({ size: fc.integer({ min: 1, max: 300_000 }), seed: fc.integer() }).map((r) =>
            patternBytes(r.size, r.seed)
          ),
        ),
        { minLength: 1, maxLength: 8 },
      ),
      (chunks) =>
        roundTripBytes(chunks, (c) => child.stdin!.write(c), () => child.stdout!.read({ timeout: 30_000 })),
    ),
    fcParams(),
  );
  // Closing stdin ends the echo; the child exits and stdout reads end-of-stream, not a hang.
  await child.stdin!.close();
  assert((await within(10_000, child.stdout!.read(), "read after exit")) === null, "end-of-stream");
  assert((await child.wait({ timeout: 10_000 })) === 0, "exit code 0");
});

test("a killed child: the parent's read ends with end-of-stream and writes fail with ChannelClosedError", async () => {
  const [file, args] = peerCommand("hang");
  await using child = spawn(file, { args });
  const ready = new TextDecoder().decode((await child.stdout!.read({ timeout: 30_000 }))!);
  assert(ready.startsWith("ready"), `child said ${ready}`);
  const reading = child.stdout!.read();
  child.kill(7);
  assert((await within(5000, reading, "read after kill")) === null, "end-of-stream after kill");
  assert((await child.wait({ timeout: 5000 })) === 7, "exit code from kill");
  let err: unknown;
  await child.stdin!.write(new Uint8Array(10)).catch((e) => err = e);
  assert(err instanceof ChannelClosedError, `write to a dead child: ${err}`);
});

test("a real child no one here wrote: cmd.exe /c echo, started by spawn(), and its output arrives", async () => {
  await using child = spawn("cmd.exe", { args: ["/c", "echo winipc says hi"], stdin: "null" });
  const out = new TextDecoder().decode(await child.stdout!.readAll({ timeout: 10_000 }));
  assert(out === "winipc says hi\r\n", `cmd.exe wrote ${JSON.stringify(out)}`);
  assert((await child.wait({ timeout: 10_000 })) === 0, "cmd.exe exit code");
});

test("a handle duplicated into a child works there and is closed exactly once", async () => {
  const [file, args] = peerCommand("adopt");
  await using child = spawn(file, { args });
  using event = KernelEvent.create(undefined, { manualReset: true });
  const value = duplicateHandleTo(event.handle, child.handle);
  await child.stdin!.write(new TextEncoder().encode(`${value}\n`));
  await event.wait({ timeout: 30_000 }); // the child set the event through its copy
  const report = new TextDecoder().decode(await child.stdout!.readAll({ timeout: 30_000 }));
  assert(report.trim() === "closed-once", `child reported ${JSON.stringify(report)}`);
  assert((await child.wait({ timeout: 10_000 })) === 0, "child exit code");
});

test("framed messages over a child's pipes, and CreatePipe's raw pair", async () => {
  const [file, args] = peerCommand("echo");
  await using child = spawn(file, { args });
  const out = child.stdin!.messages();
  const back = child.stdout!.messages();
  const sent = [new Uint8Array(0), new Uint8Array([1, 2, 3]), patternBytes(100_000, 5)];
  const writing = Promise.all(sent.map((m) => out.send(m)));
  for (const m of sent) assert(bytesEqual(await back.receive({ timeout: 30_000 }), m), "framed message");
  await writing;
  await out.close();
  let err: unknown;
  await back.receive({ timeout: 10_000 }).catch((e) => err = e);
  assert(err instanceof ChannelClosedError, `after the child ends: ${err}`);
  const pipe = createPipe();
  pipe.read.close();
  pipe.write.close();
  assert(quoteWindowsArg('a "b" c\\') === '"a \\"b\\" c\\\\"', "argument quoting");
});
