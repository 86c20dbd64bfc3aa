/**
 * The sending process in mailslot tests.
 *   mailslot_peer.ts sender CTL MAILSLOT   for each batch received on the control pipe CTL
 *                                          (frames: u32 length + bytes), send every message to
 *                                          MAILSLOT in order, then answer "ok" or the error's name
 *   mailslot_peer.ts late MAILSLOT MS      open MAILSLOT, wait MS ms, send "late", exit
 */
import { FrameDecoder } from "../../src/framing.ts";
import { MailslotClient } from "../../src/mechanisms/mailslot/mod.ts";
import { connectNamedPipe } from "../../src/mechanisms/pipe/mod.ts";
import process from "node:process";

async function sender(ctlName: string, slot: string): Promise<void> {
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
}

async function late(slot: string, ms: number): Promise<void> {
  await using client = MailslotClient.open(slot);
  await new Promise((resolve) => setTimeout(resolve, ms));
  await client.send(new TextEncoder().encode("late"));
}

const [role, ...args] = process.argv.slice(2);
if (role === "sender") await sender(args[0], args[1]);
else if (role === "late") await late(args[0], Number(args[1]));
else throw new Error(`unknown role ${role}`);
