/**
 * The other process in window-message and clipboard tests.
 *   window_peer.ts echo NAME          connect to copydata:NAME and echo every message until closed
 *   window_peer.ts notify NAME MSG    post the registered message MSG (name) to the server window
 *   window_peer.ts clip CTL           clipboard commands over the control pipe CTL (JSON):
 *       {setText} {getText} {setBytes, format, data} {getBytes, format} {setHtml} {getHtml}
 *   window_peer.ts clip-echo NAME     connect to clipboard:NAME and echo messages until closed
 */
import { connect } from "../../mod.ts";
import { Clipboard } from "../../src/mechanisms/clipboard/mod.ts";
import { connectNamedPipe } from "../../src/mechanisms/pipe/mod.ts";
import {
  connectCopyData,
  findCopyDataServer,
  postWindowMessage,
  registerWindowMessage,
} from "../../src/mechanisms/window/mod.ts";
import process from "node:process";

const [role, a, b] = process.argv.slice(2);
if (role === "echo") {
  await using ch = await connectCopyData(a, { sendTimeout: 30_000 });
  for await (const m of ch) await ch.send(m);
} else if (role === "notify") {
  postWindowMessage(findCopyDataServer(a), registerWindowMessage(b), 7n, 42n);
} else if (role === "clip-echo") {
  await using ch = await connect(`clipboard:${a}`, { timeout: 30_000 });
  for await (const m of ch) await ch.send(m, { timeout: 10_000 });
} else if (role === "clip") {
  await using ctl = await connectNamedPipe(a, { waitForServer: true, timeout: 30_000 });
  await using clip = await Clipboard.open();
  for await (const raw of ctl) {
    const cmd = JSON.parse(new TextDecoder().decode(raw));
    let reply: unknown = "ok";
    try {
      if (cmd.setText !== undefined) await clip.writeText(cmd.setText);
      else if (cmd.getText) reply = await clip.readText();
      else if (cmd.setBytes) await clip.writeBytes(cmd.format, new Uint8Array(cmd.data));
      else if (cmd.getBytes) reply = [...(await clip.readBytes(cmd.format)) ?? []];
      else if (cmd.setHtml !== undefined) await clip.writeHtml(cmd.setHtml);
      else if (cmd.getHtml) reply = await clip.readHtml();
    } catch (e) {
      reply = { error: String(e) };
    }
    await ctl.send(new TextEncoder().encode(JSON.stringify(reply)));
  }
} else {
  throw new Error(`unknown role ${role}`);
}
