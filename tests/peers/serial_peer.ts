/**
 * The process at the other end of the virtual null-modem cable (COM2) in serial tests.
 *   serial_peer.ts echo-raw PORT EVENT      echo every byte back until killed
 *   serial_peer.ts echo-framed PORT EVENT   echo every framed message back until killed
 * EVENT is a named event the peer sets once it has the port open.
 */
import { SerialPort } from "../../src/mechanisms/serial/mod.ts";
import { KernelEvent } from "../../src/sync.ts";
import process from "node:process";

const [role, name, readyEvent] = process.argv.slice(2);
const port = SerialPort.open(name, { baudRate: 115200, dataBits: 8, parity: "none", stopBits: 1 });
using ready = KernelEvent.open(readyEvent);
ready.set(); // the port is open: the test may start writing
if (role === "echo-raw") {
  await echoWhileReading();
} else if (role === "echo-framed") {
  const ch = port.messages({ maxMessageSize: 1 << 20 });
  for await (const m of ch) await ch.send(m);
} else {
  throw new Error(`unknown role ${role}`);
}

/**
 * Echoes every byte back, reading on while it writes, as the far end of a real cable never stops
 * the line. A peer that stopped reading during its writes could deadlock the virtual cable:
 * socat relays one block at a time with blocking writes, so once this port's input is full it
 * stops carrying the other direction too, and this peer's write never completes (seen under Bun,
 * about once in 400 round trips of the byte-stream test, under load).
 */
async function echoWhileReading(): Promise<never> {
  const queue: Uint8Array[] = [];
  let wake: (() => void) | undefined;
  const reading = (async () => {
    while (true) {
      queue.push(await port.read());
      wake?.();
    }
  })();
  reading.catch((e) => {
    console.error(`serial peer: read failed: ${e}`);
    process.exit(1);
  });
  while (true) {
    if (queue.length === 0) await new Promise<void>((r) => wake = r);
    await port.write(queue.shift()!);
  }
}
