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
import { runtimeName } from "../src/ffi/runtime.ts";
import { underWine } from "./_support/wine.ts";

/**
 * Clients and messages per client: the 100 x 1000 under Deno, 100 x 100 under Bun (the
 * full load in both runtimes would add about 8 minutes to the suite's 30-minute budget: measured
 * 10,000 round trips take 40 s over the eight mechanisms). WINIPC_LOAD=CLIENTSxMESSAGES sets both.
 */
const [CLIENTS, MESSAGES] = (process.env.WINIPC_LOAD || (runtimeName === "deno" ? "100x1000" : "100x100"))
  .split("x").map(Number);
if (!(CLIENTS > 0 && MESSAGES > 0)) {
  throw new Error(`WINIPC_LOAD: CLIENTSxMESSAGES, not ${process.env.WINIPC_LOAD}`);
}

/**
 * DDE messages a process may post to another under Wine: Wine copies each DDE data block into the
 * receiver and leaves the sender's block allocated (user32 post_dde_message), where Windows hands
 * it over; the library keeps to Windows' contract (the receiver frees it), so under Wine each
 * process runs out of global memory handles (GlobalAlloc failed in a 100 x 1,000 run: measured).
 */
const WINE_DDE_POSTS = 50_000;
const ddeMessages = underWine ? Math.min(MESSAGES, Math.floor(WINE_DDE_POSTS / CLIENTS)) : MESSAGES;

/** [name, listen address, messages per client]. */
const mechanisms: [string, () => string, number?][] = [
  ["pipe (message mode)", () => `pipe:${uniqueName("load")}`],
  ["pipe (byte mode)", () => `pipe:${uniqueName("load")}?mode=byte`],
  ["tcp", () => "tcp:127.0.0.1:0"],
  ["shm", () => `shm:${uniqueName("load")}`],
  // The clients' windows share one thread in the peer (WindowHost's sharedThread).
  ["copydata", () => `copydata:${uniqueName("load")}`],
  ["dde", () => `dde:${uniqueName("load")}/load`, ddeMessages],
  // Each message is a call; incoming calls wait their turn in the apartment, they do not nest.
  ["com", () => `com:${uniqueName("load")}`],
  // Two pipe connections a client: its calls, and the long poll that brings the server's messages.
  ["rpc", () => `rpc:${uniqueName("load")}`],
];

if (ddeMessages < MESSAGES) {
  test(`load: dde: ${CLIENTS} concurrent clients x ${MESSAGES} messages`, () => {}, {
    skip: `Wine leaves the sender's copy of every DDE data block posted to another process allocated, so a ` +
      `process runs out of global memory handles (tens of thousands of posts); dde runs ${CLIENTS} x ${ddeMessages} here`,
  });
}

for (const [name, address, messages = MESSAGES] of mechanisms) {
  test(`load: ${name}: ${CLIENTS} concurrent clients x ${messages} messages, nothing lost, duplicated or reordered`, async () => {
    await using server = await listen(address());
    const t0 = performance.now();
    await using peer = spawnPeer("load_peer.ts", [server.address, String(CLIENTS), String(messages)]);
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
    const serve = () => serveNumberedEchoes(accept, messages, 120_000);
    const clients = await Promise.all(Array.from({ length: CLIENTS }, serve));
    assert(new Set(clients).size === CLIENTS, "every client served once");
    assert(
      (await within(120_000, peer.exited, "the load peer")) === 0,
      "the clients saw every echo in order",
    );
    const s = (performance.now() - t0) / 1000;
    console.log(
      `  ${name}: ${CLIENTS * messages} round trips in ${s.toFixed(1)} s: ${
        (CLIENTS * messages / s).toFixed(0)
      }/s`,
    );
  });
}
