/**
 * The other process in socket tests (same runtime as the test), using the library's ws2_32 sockets.
 *   socket_peer.ts echo HOST PORT            connect (framed channel), echo messages until closed
 *   socket_peer.ts stream-echo HOST PORT     connect (raw stream), echo bytes until end-of-stream
 *   socket_peer.ts udp-echo PORT             bind UDP, say hello to 127.0.0.1:PORT, echo datagrams
 *   socket_peer.ts serve-echo HOST SECONDS   listen on HOST (any port), print "port=N"; greet every
 *                                            connection with "peer=ADDRESS\n", then echo its bytes;
 *                                            exit after SECONDS
 */
import {
  connectTcp,
  connectTcpStream,
  SocketServer,
  type SocketStream,
  UdpSocket,
} from "../../src/mechanisms/socket/mod.ts";
import process from "node:process";

const [role, ...a] = process.argv.slice(2);
if (role === "echo") {
  await using ch = await connectTcp(a[0], Number(a[1]), { timeout: 30_000 });
  for await (const m of ch) await ch.send(m);
} else if (role === "stream-echo") {
  await using s = await connectTcpStream(a[0], Number(a[1]), { timeout: 30_000 });
  for (let c = await s.read(); c; c = await s.read()) await s.write(c);
} else if (role === "udp-echo") {
  await using u = UdpSocket.bind("127.0.0.1", 0);
  u.sendTo(new TextEncoder().encode("hello"), "127.0.0.1", Number(a[0]));
  while (true) {
    const { data } = await u.receiveFrom();
    if (new TextDecoder().decode(data) === "bye") break;
    u.sendTo(data, "127.0.0.1", Number(a[0]));
  }
} else if (role === "serve-echo") {
  const server = SocketServer.listenTcp(a[0], 0);
  console.log(`port=${server.port}`);
  setTimeout(() => process.exit(0), Number(a[1]) * 1000);
  const echo = async (s: SocketStream) => {
    try {
      await s.write(new TextEncoder().encode(`peer=${s.remote.replace(/^tcp:/, "")}\n`));
      for (let c = await s.read(); c; c = await s.read()) await s.write(c);
    } catch { /* the link was cut: this connection is over */ }
    await s.close();
  };
  while (true) void echo(await server.acceptStream());
} else {
  throw new Error(`unknown role ${role}`);
}
