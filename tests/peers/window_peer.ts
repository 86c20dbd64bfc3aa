/**
 * The other process in window-message and clipboard tests.
 *   window_peer.ts echo NAME          connect to copydata:NAME and echo every message until closed
 *   window_peer.ts notify NAME MSG    post the registered message MSG (name) to the server window
 *   window_peer.ts clip-set TEXT      put TEXT on the clipboard (CF_UNICODETEXT)
 */
import {
  Clipboard,
  connectCopyData,
  findCopyDataServer,
  postWindowMessage,
  registerWindowMessage,
} from "../../mod.ts";
import process from "node:process";

const [role, a, b] = process.argv.slice(2);
if (role === "echo") {
  await using ch = await connectCopyData(a, { sendTimeout: 30_000 });
  for await (const m of ch) await ch.send(m);
} else if (role === "notify") {
  postWindowMessage(findCopyDataServer(a), registerWindowMessage(b), 7n, 42n);
} else if (role === "clip-set") {
  await using clip = await Clipboard.open();
  await clip.writeText(a);
} else {
  throw new Error(`unknown role ${role}`);
}
