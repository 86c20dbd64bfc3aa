/**
 * Load: 100 concurrent clients, each echoing numbered messages, on the mechanisms that serve many
 * clients, through the shared channel API. The clients run in another process
 * (tests/peers/load_peer.ts) and check every echo; the server here checks that each client's
 * messages arrive whole and in order. Nothing lost, duplicated or reordered on either side; the
 * throughput is printed (a measurement, not an assertion: rates are compared in the benchmarks).
 */
import { listen } from "../mod.ts";
import { assert, serveNumberedEchoes, spawnPeer, test, uniqueName, within } from "./_support/harness.ts";
import process from "node:process";

/**
 * Clients and messages per client: 100 x 100 in the suite, to fit its time budget in both
 * runtimes; WINIPC_LOAD=CLIENTSxMESSAGES for the 100x1000 or a longer soak.
 */
const [CLIENTS, MESSAGES] = (process.env.WINIPC_LOAD ?? "100x100").split("x").map(Number);

/** [name, listen address]. */
const mechanisms: [string, () => string][] = [
  ["pipe (message mode)", () => `pipe:${uniqueName("load")}`],
  ["pipe (byte mode)", () => `pipe:${uniqueName("load")}?mode=byte`],
  ["tcp", () => "tcp:127.0.0.1:0"],
  ["shm", () => `shm:${uniqueName("load")}`],
  // The clients' windows share one thread in the peer (WindowHost's sharedThread).
  ["copydata", () => `copydata:${uniqueName("load")}`],
  ["dde", () => `dde:${uniqueName("load")}/load`],
  // Each message is a call; incoming calls wait their turn in the apartment, they do not nest.
  ["com", () => `com:${uniqueName("load")}`],
  // Two pipe connections a client: its calls, and the long poll that brings the server's messages.
  ["rpc", () => `rpc:${uniqueName("load")}`],
];

for (const [name, address] of mechanisms) {
  test(`load: ${name}: ${CLIENTS} concurrent clients x ${MESSAGES} messages, nothing lost, duplicated or reordered`, async () => {
    await using server = await listen(address());
    const t0 = performance.now();
    await using peer = spawnPeer("load_peer.ts", [server.address, String(CLIENTS), String(MESSAGES)]);
    // The clients' connect timeout (60 s) is shorter than this accept timeout, so a connection
    // that never arrives is reported by the side that lost it.
    let accepted = 0;
    const accept = async () => {
      const ch = await server.accept({ timeout: 120_000 }).catch((e) => {
        throw new Error(`accept after ${accepted} of ${CLIENTS} connections: ${e}`, { cause: e });
      });
      accepted++;
      return ch;
    };
    const serve = () => serveNumberedEchoes(accept, MESSAGES, 120_000);
    const clients = await Promise.all(Array.from({ length: CLIENTS }, serve));
    assert(new Set(clients).size === CLIENTS, "every client served once");
    assert(
      (await within(120_000, peer.exited, "the load peer")) === 0,
      "the clients saw every echo in order",
    );
    const s = (performance.now() - t0) / 1000;
    console.log(
      `  ${name}: ${CLIENTS * MESSAGES} round trips in ${s.toFixed(1)} s: ${
        (CLIENTS * MESSAGES / s).toFixed(0)
      }/s`,
    );
  });
}
