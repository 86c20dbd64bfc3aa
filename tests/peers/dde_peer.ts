/**
 * The other process of tests/dde_test.ts, a winipc DDE server or client.
 *   dde_peer.ts server SERVICE EVENT   serves topic "T" (see below); sets EVENT once it serves
 *   dde_peer.ts client SERVICE EVENT   connects to SERVICE|T, holds a hot link on "ticker", sets
 *                                      EVENT, and waits to be killed
 *   dde_peer.ts echo SERVICE EVENT     connect("dde:SERVICE/T"), sets EVENT, echoes every message
 * The server: a POKE stores the value (REQUEST in the same format gives it back); a POKE of N to
 * "publish" publishes "tick-0".."tick-(N-1)" (numbered on from the last) to "ticker"; EXECUTE
 * stores the command as "last-execute" (CF_UNICODETEXT), refusing one that contains "refuse";
 * REQUEST "links" gives the number of links open.
 */
import process from "node:process";
import { CF_TEXT, DdeClient, DdeServer } from "../../src/mechanisms/dde/mod.ts";
import { KernelEvent } from "../../src/sync.ts";
import { connect } from "../../mod.ts";

const [role, service, eventName] = process.argv.slice(2);
using ready = KernelEvent.open(eventName);

if (role === "server") {
  const server = await DdeServer.create(service, { topics: ["T"] });
  let tick = 0;
  const defaultRequest = server.onRequest;
  server.onRequest = (t) => t.item === "links" ? String(server.links) : defaultRequest(t);
  server.onPoke = (t, value) => {
    if (t.item === "publish") {
      const n = Number(new TextDecoder().decode(value).replace(/\0.*$/s, ""));
      for (let i = 0; i < n; i++) server.publish("T", "ticker", `tick-${tick++}`);
      return;
    }
    server.publish(t.topic, t.item, value, { format: t.format });
  };
  server.onExecute = (t, command) => {
    if (command.includes("refuse")) return false;
    server.publish(t.topic, "last-execute", command);
  };
  ready.set();
  await new Promise(() => {}); // serves until killed
} else if (role === "client") {
  const client = await DdeClient.connect(service, "T", { timeout: 30_000 });
  const link = await client.hotLink("ticker", { format: CF_TEXT });
  ready.set();
  for await (const _ of link) { /* until killed */ }
} else if (role === "echo") {
  await using channel = await connect(`dde:${service}/T`, { timeout: 30_000 });
  ready.set();
  for await (const m of channel) await channel.send(m);
} else {
  throw new Error(`unknown role ${role}`);
}
