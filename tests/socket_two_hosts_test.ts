/**
 * Two hosts: this test runs in its own network namespace (host B, 10.231.0.2, with its own
 * wineserver); the echo server runs on host A (10.231.0.1) across a veth link. The test runner
 * builds the namespaces and the link, starts the server, and cuts the link when this test writes
 * test-results/cut-link (see scripts/test.mjs, "two hosts").
 */
import process from "node:process";
import { TimeoutError, WinipcError } from "../mod.ts";
import { connectTcpStream, type SocketStream, splitHostPort } from "../src/mechanisms/socket/mod.ts";
import { assert, fc, fcParams, patternBytes, roundTripBytes, test } from "./_support/harness.ts";

const server = process.env.WINIPC_TWO_HOSTS_SERVER ?? "";
const HOST_B = "10.231.0.2";

/** Reads the server's greeting and checks that it saw us coming from host B. */
async function expectGreeting(s: SocketStream) {
  let line = "";
  while (!line.includes("\n")) line += new TextDecoder().decode((await s.read({ timeout: 10_000 }))!);
  assert(line.startsWith(`peer=${HOST_B}:`), `host A saw the client as ${line.trim()}, not host B`);
}

test("two hosts: a property-tested byte stream crosses the link between two network namespaces", async () => {
  assert(server, "the test runner sets WINIPC_TWO_HOSTS_SERVER (run this file through npm test)");
  const { host, port } = splitHostPort(server);
  await using s = await connectTcpStream(host, port, { timeout: 10_000 });
  await expectGreeting(s);
  await fc.assert(
    fc.asyncProperty(
      fc.array(
        fc.oneof(
          fc.uint8Array({ minLength: 1, maxLength: 64 }),
          fc.record({ size: fc.integer({ min: 1, max: 200_000 }), seed: fc.integer() }).map((r) =>
            patternBytes(r.size, r.seed)
          ),
        ),
        { minLength: 1, maxLength: 6 },
      ),
      (chunks) => roundTripBytes(chunks, (c) => s.write(c), () => s.read({ timeout: 30_000 })),
    ),
    fcParams(),
  );
});

test("two hosts: with the link cut mid-stream, the client errors within its configured timeout", async () => {
  assert(server, "the test runner sets WINIPC_TWO_HOSTS_SERVER (run this file through npm test)");
  const { host, port } = splitHostPort(server);
  await using s = await connectTcpStream(host, port, { timeout: 10_000 });
  await expectGreeting(s);
  await s.write(patternBytes(1000, 1));
  assert((await s.read({ timeout: 10_000 }))!.length > 0, "the stream works before the cut");
  // Ask the runner to take the link down, and wait until it is down (the file goes away).
  // Absolute: Bun 1.4 under Wine fails to write some files by a relative path (ENOENT).
  const cutFile = (await import("node:path")).resolve("test-results/cut-link");
  const fs = await import("node:fs");
  fs.writeFileSync(cutFile, "cut");
  for (let i = 0; i < 100 && fs.existsSync(cutFile); i++) await new Promise((r) => setTimeout(r, 50));
  assert(!fs.existsSync(cutFile), "the runner cut the link");
  const timeout = 2000;
  const started = performance.now();
  let err: unknown;
  try {
    await s.write(patternBytes(100_000, 2), { timeout });
    while (true) if ((await s.read({ timeout })) === null) break;
  } catch (e) {
    err = e;
  }
  const ms = performance.now() - started;
  assert(err instanceof WinipcError, `expected a typed error after the cut, got ${err}`);
  assert(err instanceof TimeoutError, `expected TimeoutError, got ${err}`);
  assert(ms < 2 * timeout + 1000, `the error came after ${ms.toFixed(0)} ms (timeout ${timeout} ms)`);
});
