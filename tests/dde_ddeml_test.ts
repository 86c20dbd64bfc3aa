/**
 * DDE interop with the system's DDE Management Library, which winipc does not use: a DDEML
 * program (tests/peers/ddeml_peer.ts, user32's Dde* functions over FFI) is the client of a winipc
 * DdeServer, and the server of a winipc DdeClient: request, poke, execute, hot and warm links,
 * CF_TEXT (Wine's DDEML drops hot-link updates in registered formats: WINE.md, DDE bug 1).
 * Wine's DDEML workarounds live in the peer (it drains its queue after each transaction, bug 2);
 * its server paces updates, since Wine's DdePostAdvise has no flow control.
 */
import { CF_TEXT, DdeClient, DdeRefusedError, DdeServer } from "../src/mechanisms/dde/mod.ts";
import { assert, LIBRARY_DENO_FLAGS, runtime, test, uniqueName, within } from "./_support/harness.ts";
import { type Child, runChild, runtimeExecutable } from "./_support/process.ts";

function ddeml(args: string[]): Child {
  const exe = runtimeExecutable();
  const cmd = runtime === "deno"
    ? [exe, "run", ...LIBRARY_DENO_FLAGS, "--no-check", "tests/peers/ddeml_peer.ts", ...args]
    : [exe, "tests/peers/ddeml_peer.ts", ...args];
  return runChild(cmd);
}

const lines = (c: Child) => new TextDecoder().decode(c.stdout()).split(/\r?\n/).filter((l) => l);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test("dde interop: a DDEML client requests, pokes, executes and holds hot and warm links on a winipc DdeServer", async () => {
  const service = uniqueName("dde-ddeml-server");
  await using server = await DdeServer.create(service, { topics: ["topic"] });
  server.publish("topic", "greeting", "hello from winipc");
  let requested: (() => void) | undefined;
  const storedValue = server.onRequest;
  server.onRequest = (t) => {
    if (t.item === "ticker") requested?.();
    return storedValue(t);
  };
  const pokes: string[] = [];
  // One tick at a time: the next goes after the client requested this one (a warm link) or
  // after a pause (a hot link); a DDEML client takes a queued notice for a REQUEST's answer.
  const publishTicks = async (n: number) => {
    for (let i = 0; i < n; i++) {
      const asked = new Promise<void>((r) => requested = r);
      server.publish("topic", "ticker", `tick-${i}`);
      await Promise.race([asked, sleep(300)]);
    }
  };
  server.onPoke = (t, value) => {
    const text = new TextDecoder().decode(value).replace(/\0.*$/s, "");
    pokes.push(`${t.item}=${text}`);
    // The ticks start after this POKE's ACK has gone: a DDEML client waiting for that ACK
    // would take an update that came first for its answer.
    if (t.item === "publish") setTimeout(() => publishTicks(Number(text)).catch(() => {}), 50);
    else server.publish(t.topic, t.item, text);
  };
  const executed: string[] = [];
  server.onExecute = (_t, command) => {
    executed.push(command);
    return !command.includes("fail");
  };
  await using client = ddeml(["client", service, "topic"]);
  const code = await within(120_000, client.exited, "the DDEML client");
  const got = lines(client);
  assert(code === 0, `the DDEML client exited ${code}: ${got.join(" | ")} ${client.stderr()}`);
  const expected = [
    "connected",
    "request greeting=hello from winipc",
    "poke inbox ok",
    "execute [hello] ok",
    "execute [fail] fail",
    "hot tick-0",
    "hot tick-1",
    "hot tick-2",
    "hot tick-3",
    "hot tick-4",
    "warm tick-0",
    "warm tick-1",
    "warm tick-2",
    "done",
  ];
  assert(got.join("\n") === expected.join("\n"), `the DDEML client printed:\n${got.join("\n")}`);
  assert(pokes.includes("inbox=from ddeml"), `pokes: ${pokes}`);
  assert(executed.join(",") === "[hello],[fail]", `executes: ${executed}`);
});

test("dde interop: a winipc DdeClient requests, pokes, executes and holds hot and warm links on a DDEML server", async () => {
  const service = uniqueName("dde-ddeml-client");
  await using server = ddeml(["server", service, "topic", "--seconds", "120"]);
  for (let waited = 0; !lines(server).includes("ready"); waited += 50) {
    assert(waited < 60_000, `the DDEML server did not start: ${server.stderr()}`);
    await sleep(50);
  }
  await using client = await DdeClient.connect(service, "topic", { timeout: 10_000 });
  assert((await client.requestText("greeting")) === "hello from ddeml", "request");
  await client.poke("inbox", "from winipc");
  assert((await client.requestText("inbox")) === "from winipc", "poke, then request");
  await client.execute("[hello]");
  let refused: unknown;
  await client.execute("[fail]").catch((e) => refused = e);
  assert(refused instanceof DdeRefusedError, `a refused EXECUTE: ${refused}`);

  const hot = await client.hotLink("ticker", { format: CF_TEXT });
  await client.poke("publish", "5");
  const hotValues: string[] = [];
  for await (const v of hot) {
    hotValues.push(new TextDecoder().decode(v).replace(/\0.*$/s, ""));
    if (hotValues.length === 5) break;
  }
  assert(hotValues.join(",") === "tick-0,tick-1,tick-2,tick-3,tick-4", `hot: ${hotValues}`);

  const warm = await client.warmLink("ticker", { format: CF_TEXT });
  await client.poke("publish", "3");
  const warmValues: string[] = [];
  for await (const v of warm) {
    warmValues.push(new TextDecoder().decode(v).replace(/\0.*$/s, ""));
    if (warmValues.length === 3) break;
  }
  assert(warmValues.join(",") === "tick-0,tick-1,tick-2", `warm: ${warmValues}`);
  // The server exits on it; its answer does not matter, but a failure is told if the server stays.
  const quitPoke = await client.poke("quit", "quit").then(() => "acknowledged", (e) => `${e}`);
  await client.close();
  const code = await within(30_000, server.exited, "the DDEML server").catch((e) => {
    throw new Error(
      `${e.message} (POKE quit: ${quitPoke}); it printed: ${lines(server).join(" | ")} ${server.stderr()}`,
    );
  });
  assert(code === 0, `the DDEML server exited ${code}: ${lines(server).join(" | ")} ${server.stderr()}`);
});
