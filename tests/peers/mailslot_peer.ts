/**
 * The sending process in mailslot tests.
 *   mailslot_peer.ts sender CTL MAILSLOT   for each batch received on the control pipe CTL
 *                                          (frames: u32 length + bytes), send every message to
 *                                          MAILSLOT in order, then answer "ok" or the error's name
 */
import { FrameDecoder } from "../../src/framing.ts";
import { MailslotClient } from "../../src/mechanisms/mailslot/mod.ts";
import { connectNamedPipe } from "../../src/mechanisms/pipe/mod.ts";
import process from "node:process";

const [role, ctlName, slot] = process.argv.slice(2);
if (role !== "sender") throw new Error(`unknown role ${role}`);
await using ctl = await connectNamedPipe(ctlName, { waitForServer: true, timeout: 30_000 });
await using client = MailslotClient.open(slot);
for await (const batch of ctl) {
  const decoder = new FrameDecoder(1 << 24);
  decoder.push(batch);
  let reply = "ok";
  try {
    for (let m = decoder.next(); m; m = decoder.next()) await client.send(m);
  } catch (e) {
    reply = (e as Error).name;
  }
  await ctl.send(new TextEncoder().encode(reply));
}
