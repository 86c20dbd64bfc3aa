/**
 * A client of the README's echo server that vanishes mid-conversation (tests/readme_test.ts):
 *   readme_peer.ts vanish ADDRESS EVENT
 * connects to ADDRESS, sets the named event EVENT, then sends 60 KB messages and never reads, so
 * the server's echoes fill the pipe and one of its sends is waiting when the test kills this process.
 */
import { connect } from "../../mod.ts";
import { KernelEvent } from "../../src/sync.ts";
import process from "node:process";

const [role, address, event] = process.argv.slice(2);
if (role !== "vanish") throw new Error(`unknown role ${role}`);
const channel = await connect(address, { timeout: 30_000 });
using connected = KernelEvent.open(event);
connected.set();
const message = new Uint8Array(60_000);
while (true) await channel.send(message);
