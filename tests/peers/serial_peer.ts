/**
 * The process at the other end of the virtual null-modem cable (COM2) in serial tests.
 *   serial_peer.ts echo-raw PORT      echo every byte back until killed
 *   serial_peer.ts echo-framed PORT   echo every framed message back until killed
 */
import { SerialPort } from "../../mod.ts";
import process from "node:process";

const [role, name] = process.argv.slice(2);
const port = SerialPort.open(name, { baudRate: 115200, dataBits: 8, parity: "none", stopBits: 1 });
console.log("ready");
if (role === "echo-raw") {
  while (true) await port.write(await port.read());
} else if (role === "echo-framed") {
  const ch = port.messages({ maxMessageSize: 1 << 20 });
  for await (const m of ch) await ch.send(m);
} else {
  throw new Error(`unknown role ${role}`);
}
