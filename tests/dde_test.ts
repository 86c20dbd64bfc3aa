/**
 * DDE across processes (tests/peers/dde_peer.ts is the other process), against Wine's own
 * Program Manager service (explorer.exe's DDEML server: a real server no one here wrote), and
 * the library's accounting of atoms and global memory.
 */
import { ChannelClosedError, connect, listen, NotFoundError } from "../mod.ts";
import {
  CF_TEXT,
  CF_UNICODETEXT,
  ddeBytesFormat,
  DdeClient,
  ddeHeld,
  DdeRefusedError,
  DdeServer,
} from "../src/mechanisms/dde/mod.ts";
import { ddeLeakForTest } from "../src/mechanisms/dde/dde_memory.ts";
import {
  assert,
  bytesEqual,
  checkEchoPeer,
  fc,
  fcParams,
  type Peer,
  test,
  uniqueName,
  within,
} from "./_support/harness.ts";
import { spawnReadyPeer } from "./_support/process.ts";

/** Starts a dde_peer.ts role and waits until it is ready. */
const startPeer = (role: "server" | "client" | "echo", service: string): Promise<Peer> =>
  spawnReadyPeer("dde_peer.ts", [role, service]);

/** Text any CF_TEXT (Windows-1252) value can hold: ASCII and Latin-1 letters, no NUL. */
const ansiText = fc.string({ unit: fc.constantFrom(..."abcXYZ 019,.;:!?-_éüßÆø€£"), maxLength: 200 });
/** Any Unicode text without NUL (a text value ends at its first NUL). */
const unicodeText = fc.string({ unit: "grapheme", maxLength: 200 }).filter((s) => !s.includes("\0"));

test("dde: request, poke and execute round-trip text and bytes across processes (CF_TEXT, CF_UNICODETEXT, a registered format)", async () => {
  const service = uniqueName("dde-rt");
  await using server = await startPeer("server", service);
  await using client = await DdeClient.connect(service, "T", { timeout: 10_000 });
  await fc.assert(
    fc.asyncProperty(
      ansiText,
      unicodeText,
      fc.uint8Array({ maxLength: 5000 }),
      async (ansi, unicode, bytes) => {
        await client.poke("a", ansi, { format: CF_TEXT });
        assert(
          (await client.requestText("a", { format: CF_TEXT })) === ansi,
          `CF_TEXT ${JSON.stringify(ansi)}`,
        );
        await client.poke("u", unicode, { format: CF_UNICODETEXT });
        const back = await client.requestText("u", { format: CF_UNICODETEXT });
        assert(
          back === unicode,
          `CF_UNICODETEXT ${JSON.stringify(unicode)} came back ${JSON.stringify(back)}`,
        );
        await client.poke("b", bytes);
        assert(
          bytesEqual(await client.request("b", { format: ddeBytesFormat() }), bytes),
          `${bytes.length} bytes`,
        );
        const command = `[run(${unicode})]`;
        await client.execute(command);
        assert(
          (await client.requestText("last-execute", { format: CF_UNICODETEXT })) === command,
          "the server saw the command",
        );
      },
    ),
    fcParams(25),
  );
  let refused: unknown;
  await client.execute("[refuse]").catch((e) => refused = e);
  assert(refused instanceof DdeRefusedError, `a refused command: ${refused}`);
  server.kill();
});

test("dde: a hot link with ACK-requested flow control delivers every published value in order; UNADVISE stops it", async () => {
  const service = uniqueName("dde-hot");
  await using server = await startPeer("server", service);
  await using client = await DdeClient.connect(service, "T", { timeout: 10_000 });
  await fc.assert(
    fc.asyncProperty(fc.integer({ min: 1, max: 300 }), async (n) => {
      const link = await client.hotLink("ticker", { format: CF_TEXT, ackReq: true });
      await client.poke("publish", String(n));
      const got: number[] = [];
      for await (const v of link) {
        const m = /^tick-(\d+)\0?$/.exec(new TextDecoder().decode(v));
        assert(m, `a ticker value: ${new TextDecoder().decode(v)}`);
        got.push(Number(m[1]));
        if (got.length === n) break; // return() sends UNADVISE
      }
      for (let i = 1; i < got.length; i++) assert(got[i] === got[i - 1] + 1, `in order, none lost: ${got}`);
      assert((await client.requestText("links")).startsWith("0"), "no link left after UNADVISE");
    }),
    fcParams(10),
  );
  server.kill();
});

test("dde: a warm link notifies on every change, and the value it then requests is the new one", async () => {
  const service = uniqueName("dde-warm");
  await using server = await startPeer("server", service);
  await using client = await DdeClient.connect(service, "T", { timeout: 10_000 });
  await using link = await client.warmLink("ticker", { format: CF_TEXT });
  const it = link[Symbol.asyncIterator]();
  for (let i = 0; i < 20; i++) {
    await client.poke("publish", "1");
    const r = await within(10_000, it.next(), "the warm link's notice");
    assert(!r.done && new TextDecoder().decode(r.value) === `tick-${i}\0`, `change ${i}: ${r.value}`);
  }
  await link.close();
  assert((await client.requestText("links")).startsWith("0"), "the warm link was ended");
  server.kill();
});

test("dde: many concurrent conversations with one server", async () => {
  const service = uniqueName("dde-many");
  await using server = await startPeer("server", service);
  const clients = await Promise.all(
    Array.from({ length: 12 }, () => DdeClient.connect(service, "T", { timeout: 20_000 })),
  );
  try {
    await Promise.all(clients.map(async (c, i) => {
      for (let j = 0; j < 20; j++) {
        await c.poke(`item-${i}`, `value-${i}-${j}`);
        assert((await c.requestText(`item-${i}`)) === `value-${i}-${j}`, `client ${i}`);
      }
    }));
  } finally {
    await Promise.all(clients.map((c) => c.close()));
  }
  server.kill();
});

test("dde: the dde:SERVICE/TOPIC channel carries any messages both ways across processes, in order", async () => {
  const service = uniqueName("dde-channel");
  await using server = await listen(`dde:${service}/T`);
  await using peer = await startPeer("echo", service);
  await checkEchoPeer(server, peer);
});

test("dde: a dde: server channel closed right after its sends still delivers every one of them, in order", async () => {
  // Its sends resolve once the update is queued on the link (one ACK-requested update in flight),
  // so close must wait for the client's ACKs before TERMINATE. Both ends in this process.
  const service = uniqueName("dde-drain");
  await using server = await listen(`dde:${service}/T`);
  await using client = await connect(`dde:${service}/T`, { timeout: 10_000 });
  const channel = await server.accept({ timeout: 10_000 });
  const n = 300;
  for (let i = 0; i < n; i++) await channel.send(new Uint8Array([i & 255, i >> 8]));
  await channel.close();
  const got: number[] = [];
  for await (const m of client) got.push(m[0] | (m[1] << 8));
  assert(got.length === n && got.every((v, i) => v === i), `all ${n} updates in order (got ${got.length})`);
});

test("dde: a missing service fails fast with NotFoundError", async () => {
  let err: unknown;
  try {
    await DdeClient.connect(uniqueName("dde-missing"), "T", { timeout: 10_000 });
  } catch (e) {
    err = e;
  }
  assert(err instanceof NotFoundError, `${err}`);
});

test("dde: killing the server ends the client's link with ChannelClosedError; killing a client ends the server's conversation", async () => {
  const service = uniqueName("dde-kill");
  const server = await startPeer("server", service);
  const client = await DdeClient.connect(service, "T", { timeout: 10_000 });
  const link = await client.hotLink("ticker", { format: CF_TEXT });
  const ended = (async () => {
    try {
      for await (const _ of link) { /* no values come */ }
      return "ended without an error";
    } catch (e) {
      return e;
    }
  })();
  server.kill();
  await server[Symbol.asyncDispose]();
  const outcome = await within(5_000, ended, "the link's end after the server died");
  assert(outcome instanceof ChannelClosedError, `the link ended with ${outcome}`);
  await client.close();

  // The other way: a server here, a client process that is killed.
  await using here = await DdeServer.create(uniqueName("dde-kill-server"), { topics: ["T"] });
  const peer = await startPeer("client", here.service);
  assert(here.conversations === 1 && here.links === 1, `one conversation with a link: ${here.conversations}`);
  peer.kill();
  await peer[Symbol.asyncDispose]();
  for (let waited = 0; here.conversations > 0; waited += 50) {
    assert(waited < 5_000, "the server still has the dead client's conversation");
    await new Promise((r) => setTimeout(r, 50));
  }
});

test("dde: Wine's Program Manager (DDEML, explorer.exe): Groups, CreateGroup and DeleteGroup, an unknown command refused", async () => {
  await using pm = await DdeClient.connect("Progman", "Progman", { timeout: 10_000 });
  const group = uniqueName("winipc-group");
  const groups = () => pm.requestText("Groups").then((t) => t.split(/\r\n/).filter((g) => g));
  assert(!(await groups()).includes(group), "the group is not there at first");
  await pm.execute(`[CreateGroup(${group})]`);
  assert((await groups()).includes(group), `CreateGroup: ${await groups()}`);
  await pm.execute(`[DeleteGroup(${group})]`);
  assert(!(await groups()).includes(group), `DeleteGroup: ${await groups()}`);
  let refused: unknown;
  await pm.execute("[NoSuchCommand()]").catch((e) => refused = e);
  assert(refused instanceof DdeRefusedError, `an unknown command: ${refused}`);
});

test("dde: 10,000 request cycles leave atoms and global memory at their baseline (and a deliberate leak shows)", async () => {
  await using server = await DdeServer.create(uniqueName("dde-leak"), { topics: ["T"] });
  server.publish("T", "x", "value");
  server.onPoke = () => {};
  await using client = await DdeClient.connect(server.service, "T", { timeout: 10_000 });
  // Warm-up: the conversation holds one reference on each item's atom until it ends.
  await client.requestText("x");
  await client.poke("y", "v");
  const baseline = ddeHeld();
  for (let i = 0; i < 10_000; i++) {
    if (i % 2 === 0) await client.requestText("x");
    else await client.poke("y", "v");
  }
  const after = ddeHeld();
  assert(
    after.atoms === baseline.atoms && after.blocks === baseline.blocks,
    `baseline ${JSON.stringify(baseline)}, after ${JSON.stringify(after)}`,
  );
  ddeLeakForTest(1);
  assert(ddeHeld().blocks === baseline.blocks + 1, "the accounting sees a block nobody freed");
  ddeLeakForTest(-1);
});
