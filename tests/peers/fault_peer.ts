/**
 * The peer of tests/fault_test.ts: connects to ADDRESS through the shared channel API, says who it
 * is, then behaves as PLAN says until the test kills it (or, for `echo`, until the channel ends).
 *   fault_peer.ts ADDRESS TAG echo           echo every message until the channel ends, exit 0
 *   fault_peer.ts ADDRESS TAG between N      echo N messages, send "parked", then idle
 *   fault_peer.ts ADDRESS TAG mid-message S  send "sending", then S-byte messages without end
 *   fault_peer.ts ADDRESS TAG long-send      send "parked", then idle without reading
 *   fault_peer.ts ADDRESS TAG accept         connect, then idle (killed at any moment from start)
 * The first message is always "hello:TAG", so the test tells this peer from an earlier one.
 */
import { connect } from "../../mod.ts";
import process from "node:process";

const [address, tag, plan, arg] = process.argv.slice(2);
const text = (s: string) => new TextEncoder().encode(s);
const idle = () => new Promise<never>(() => setInterval(() => {}, 1 << 30));

const channel = await connect(address, { timeout: 30_000 });
await channel.send(text(`hello:${tag}`));
const plans: Record<string, () => Promise<void>> = {
  async echo() {
    for await (const m of channel) await channel.send(m);
    await channel.close();
    process.exit(0);
  },
  async between() {
    for (let i = 0; i < Number(arg); i++) await channel.send(await channel.receive());
    await channel.send(text("parked"));
    await idle();
  },
  async "mid-message"() {
    await channel.send(text("sending"));
    const big = new Uint8Array(Number(arg)).fill(0x5a);
    while (true) await channel.send(big);
  },
  async "long-send"() {
    await channel.send(text("parked"));
    await idle();
  },
  accept: idle,
};
if (!Object.hasOwn(plans, plan)) throw new Error(`unknown plan ${plan}`);
await plans[plan]();
