/**
 * Windows Sockets (ws2_32, not the runtime's net API): a TCP message channel whose server answers
 * every message in upper case, and a UDP datagram answered with "pong". The client retries its
 * UDP ping after a second without an answer, as any UDP program must: datagrams may be lost.
 *
 *   deno run --allow-ffi examples/socket.ts server    (in one terminal: TCP and UDP port 47110)
 *   deno run --allow-ffi examples/socket.ts client    (in another)
 *   bun examples/socket.ts server
 *   bun examples/socket.ts client
 *
 * With no argument, both ends run in this one process, on ports the system picks (port 0). Either
 * end may start first: the client retries for up to 30 s while nothing listens. The server serves
 * one TCP client and one datagram, then exits.
 */
import process from "node:process";
import {
  AddressInUseError,
  type Channel,
  connect,
  listen,
  type Listener,
  NotFoundError,
  TimeoutError,
} from "../mod.ts";
import { splitHostPort, UdpSocket } from "../src/mechanisms/socket/mod.ts";

const HOST = "127.0.0.1";
const PORT = 47110;
const encode = (text: string) => new TextEncoder().encode(text);
const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

/** Serves one TCP client and one datagram; `alongside` runs meanwhile (the client, when both ends run here). */
async function server(port: number, alongside?: (tcp: string, udpPort: number) => Promise<void>) {
  await using tcp = await listen(`tcp:${HOST}:${port}`);
  await using udp = UdpSocket.bind(HOST, port);
  console.log(`server: TCP on ${tcp.address}, UDP on port ${udp.port}`);
  await Promise.all([serve(tcp), pong(udp), alongside?.(tcp.address, udp.port)]);
}

/** Accepts one client and answers each of its messages, until it hangs up. */
async function serve(server: Listener): Promise<void> {
  await using channel = await server.accept({ timeout: 60_000 });
  console.log(`server: a client connected from ${channel.address}`);
  for await (const message of channel) {
    console.log(`server: got "${decode(message)}"`);
    await channel.send(encode(decode(message).toUpperCase()));
  }
  console.log("server: the client hung up");
}

/** Answers one datagram with "pong", to the address it came from. */
async function pong(udp: UdpSocket): Promise<void> {
  const { data, from } = await udp.receiveFrom({ timeout: 60_000 });
  console.log(`server: UDP "${decode(data)}" from ${from.text}`);
  const { host, port } = splitHostPort(from.text);
  udp.sendTo(encode("pong"), host, port);
}

/** Connects, retrying while nothing listens yet (the server may be starting). */
async function connectWhenServed(address: string): Promise<Channel> {
  for (const deadline = Date.now() + 30_000;;) {
    try {
      return await connect(address, { timeout: 10_000 });
    } catch (e) {
      if (!(e instanceof NotFoundError) || Date.now() > deadline) throw e; // NotFoundError: refused
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}

async function client(tcp = `tcp:${HOST}:${PORT}`, udpPort = PORT): Promise<void> {
  await using channel = await connectWhenServed(tcp);
  for (const text of ["hello", "sockets"]) {
    await channel.send(encode(text));
    const answer = await channel.receive({ timeout: 5_000 });
    console.log(`client: sent "${text}", got "${decode(answer)}"`);
  }
  await using udp = UdpSocket.bind(HOST, 0);
  for (let attempt = 1;; attempt++) {
    udp.sendTo(encode("ping"), HOST, udpPort);
    try {
      const { data } = await udp.receiveFrom({ timeout: 1_000 });
      console.log(`client: UDP ping answered with "${decode(data)}"`);
      return;
    } catch (e) {
      if (!(e instanceof TimeoutError) || attempt === 30) throw e; // lost, or no server yet: again
    }
  }
}

const role = process.argv[2];
try {
  if (role === "server") await server(PORT);
  else if (role === "client") await client();
  else if (role === undefined) await server(0, client); // both ends in this process
  else {
    console.error("usage: examples/socket.ts [server|client]");
    process.exitCode = 2;
  }
} catch (e) {
  // What a user can act on gets one line (no server, the port is taken); a bug keeps its stack.
  if (!(e instanceof TimeoutError || e instanceof NotFoundError || e instanceof AddressInUseError)) throw e;
  console.error(`${e.name}: ${e.message}`);
  process.exitCode = 1;
}
