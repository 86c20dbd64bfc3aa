/**
 * A server that holds a name (tests/security_test.ts, squatting):
 *   listen_peer.ts ADDRESS EVENT
 * listens on ADDRESS through the shared channel API, sets the named event EVENT, and serves
 * nothing until it is killed.
 */
import { listen } from "../../mod.ts";
import { KernelEvent } from "../../src/sync.ts";
import process from "node:process";

const [address, event] = process.argv.slice(2);
// Held by a global for the life of the process: a listener nothing refers to any more may be
// closed by the library's garbage-collector safety net (a module's dead const, in Bun).
(globalThis as { squatter?: unknown }).squatter = await listen(address);
using ready = KernelEvent.open(event);
ready.set();
setInterval(() => {}, 1 << 30);
