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
  while (true) await port.write(await port.read());
} else if (role === "echo-framed") {
  const ch = port.messages({ maxMessageSize: 1 << 20 });
  for await (const m of ch) await ch.send(m);
} else {
  throw new Error(`unknown role ${role}`);
}
