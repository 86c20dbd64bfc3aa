/**
 * The clients of tests/load_test.ts, all in this one process:
 *   load_peer.ts ADDRESS N M
 * opens N channels to ADDRESS at once through the shared channel API and, on each, sends M
 * numbered messages (client number, sequence number, filler of varying length) while reading the
 * echoes, checking every one: exit 0 only if every echo came back whole and in order.
 */
import { connect } from "../../mod.ts";
import process from "node:process";

const [address, n, m] = [process.argv[2], Number(process.argv[3]), Number(process.argv[4])];

async function client(id: number): Promise<void> {
  await using ch = await connect(address, { timeout: 60_000 }).catch((e) => {
    throw new Error(`client ${id}: connect: ${e}`, { cause: e });
  });
  const sending = (async () => {
    for (let seq = 0; seq < m; seq++) {
      const msg = new Uint8Array(8 + (seq % 29)).fill(seq & 255);
      const v = new DataView(msg.buffer);
      v.setUint32(0, id, true);
      v.setUint32(4, seq, true);
      await ch.send(msg);
    }
  })();
  sending.catch(() => {}); // awaited below
  for (let seq = 0; seq < m; seq++) {
    const back = await ch.receive({ timeout: 120_000 });
    const v = new DataView(back.buffer, back.byteOffset, back.byteLength);
    const ok = back.length === 8 + (seq % 29) && v.getUint32(0, true) === id &&
      v.getUint32(4, true) === seq &&
      back.subarray(8).every((b) => b === (seq & 255));
    if (!ok) throw new Error(`client ${id}: echo ${seq} lost, duplicated, reordered or changed`);
  }
  await sending;
}

await Promise.all(Array.from({ length: n }, (_, i) => client(i)));
process.exit(0);
