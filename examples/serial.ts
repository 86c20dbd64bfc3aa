/**
 * Serial ports: CRC-checked messages over a null-modem cable between two COM ports. The server
 * end answers every message in upper case; the client first pings until an answer comes (a
 * serial line has no connection: the other end may not be listening yet), then sends two
 * messages and "bye".
 *
 *   deno run --allow-ffi examples/serial.ts server [COM2]    (one end of the cable)
 *   deno run --allow-ffi examples/serial.ts client [COM1]    (the other end, in another terminal)
 *   bun examples/serial.ts server [COM2]
 *   bun examples/serial.ts client [COM1]
 *
 * With no argument, both ends run in this one process: the client on COM1, the server on COM2.
 * Under Wine, `npm test` and `npm run demo` join COM1 and COM2 with a virtual cable.
 */
import process from "node:process";
import { AddressInUseError, NotFoundError, TimeoutError } from "../mod.ts";
import { SerialPort } from "../src/mechanisms/serial/mod.ts";

const encode = (text: string) => new TextEncoder().encode(text);
const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

/** Opens `name` at 115200 8N1 as a channel of framed messages, dropping bytes left on the line. */
function open(name: string) {
  const port = SerialPort.open(name, { baudRate: 115200, dataBits: 8, parity: "none", stopBits: 1 });
  port.purge();
  return port.messages();
}

/** Answers every message until "bye" (waiting at most 60 s for each). */
async function server(name = "COM2"): Promise<void> {
  await using channel = open(name);
  console.log(`server: answering on ${name}`);
  while (true) {
    const text = decode(await channel.receive({ timeout: 60_000 }));
    if (text === "bye") break;
    if (text !== "ping") console.log(`server: got "${text}"`);
    await channel.send(encode(text.toUpperCase()));
  }
  console.log(`server: the client said bye (${channel.noiseBytes} bytes of line noise skipped)`);
}

async function client(name = "COM1"): Promise<void> {
  await using channel = open(name);
  for (let attempt = 1;; attempt++) {
    await channel.send(encode("ping"));
    try {
      await channel.receive({ timeout: 1_000 }); // "PING": the other end is there
      break;
    } catch (e) {
      if (!(e instanceof TimeoutError) || attempt === 30) throw e;
    }
  }
  for (const text of ["hello", "serial ports"]) {
    await channel.send(encode(text));
    // Answers to pings sent before the other end was there may still come: skip them.
    let answer = decode(await channel.receive({ timeout: 5_000 }));
    while (answer === "PING") answer = decode(await channel.receive({ timeout: 5_000 }));
    console.log(`client: sent "${text}" on ${name}, got "${answer}"`);
  }
  await channel.send(encode("bye"));
}

const [role, port] = process.argv.slice(2);
try {
  if (role === "server") await server(port);
  else if (role === "client") await client(port);
  else if (role === undefined) await Promise.all([server(), client()]); // both ends in this process
  else {
    console.error("usage: examples/serial.ts [server|client] [COMn]");
    process.exitCode = 2;
  }
} catch (e) {
  // What a user can act on gets one line (NotFoundError lists the ports there are); a bug keeps its stack.
  if (!(e instanceof TimeoutError || e instanceof NotFoundError || e instanceof AddressInUseError)) throw e;
  console.error(`${e.name}: ${e.message}`);
  process.exitCode = 1;
}
