/**
 * Load: 100 concurrent clients x 1000 messages on every mechanism that serves many clients, through
 * the shared channel API. The clients run in another process (tests/peers/load_peer.ts) and check
 * every echo; the server here checks that each client's messages arrive whole and in order. Nothing
 * lost, duplicated or reordered on either side; the throughput is printed (a measurement, not an
 * assertion: rates are compared in the benchmarks).
 */
import { type Channel, listen } from "../mod.ts";
import { assert, spawnPeer, test, uniqueName, within } from "./_support/harness.ts";
import process from "node:process";

/** Clients and messages per client (WINIPC_LOAD=CLIENTSxMESSAGES overrides, for a longer soak). */
const [CLIENTS, MESSAGES] = (process.env.WINIPC_LOAD ?? "100x1000").split("x").map(Number);

/** Echoes one client's messages, checking each is the client's next one; resolves its number. */
async function serveClient(ch: Channel): Promise<number> {
  let client = -1;
  for (let seq = 0; seq < MESSAGES; seq++) {
    const m = await ch.receive({ timeout: 120_000 });
    const v = new DataView(m.buffer, m.byteOffset, m.byteLength);
    if (seq === 0) client = v.getUint32(0, true);
    assert(
      m.length === 8 + (seq % 29) && v.getUint32(0, true) === client && v.getUint32(4, true) === seq,
      `client ${client}: message ${seq} lost, duplicated or out of order`,
    );
    await ch.send(m);
  }
  return client;
}

const mechanisms: [string, () => string][] = [
  ["pipe (message mode)", () => `pipe:${uniqueName("load")}`],
  ["pipe (byte mode)", () => `pipe:${uniqueName("load")}?mode=byte`],
  ["tcp", () => "tcp:127.0.0.1:0"],
  ["shm", () => `shm:${uniqueName("load")}`],
  ["copydata", () => `copydata:${uniqueName("load")}`],
  ["dde", () => `dde:${uniqueName("load")}/load`],
  ["com", () => `com:${uniqueName("load")}`],
  ["rpc", () => `rpc:${uniqueName("load")}`],
];

for (const [name, address] of mechanisms) {
  test(`load: ${name}: ${CLIENTS} concurrent clients x ${MESSAGES} messages, nothing lost, duplicated or reordered`, async () => {
    await using server = await listen(address());
    const t0 = performance.now();
    await using peer = spawnPeer("load_peer.ts", [server.address, String(CLIENTS), String(MESSAGES)]);
    const served: Promise<number>[] = [];
    const channels: Channel[] = [];
    try {
      for (let i = 0; i < CLIENTS; i++) {
        const ch = await server.accept({ timeout: 120_000 });
        channels.push(ch);
        served.push(serveClient(ch));
      }
      const clients = await Promise.all(served);
      assert(new Set(clients).size === CLIENTS, "every client served once");
      assert(
        (await within(120_000, peer.exited, "the load peer")) === 0,
        "the clients saw every echo in order",
      );
    } finally {
      await Promise.all(channels.map((c) => c.close()));
    }
    const s = (performance.now() - t0) / 1000;
    console.log(
      `  ${name}: ${CLIENTS * MESSAGES} round trips in ${s.toFixed(1)} s: ${
        (CLIENTS * MESSAGES / s).toFixed(0)
      }/s`,
    );
  });
}
