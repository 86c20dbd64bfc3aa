/**
 * Windows Sockets through ws2_32 across processes: TCP message channels and raw streams, UDP
 * datagrams, interop with the runtime's own sockets and with a Linux-native program, and load.
 */
import net from "node:net";
import process from "node:process";
import {
  AddressInUseError,
  ChannelClosedError,
  connect,
  listen,
  MessageTooLargeError,
  NotFoundError,
  TimeoutError,
} from "../mod.ts";
import {
  connectTcpStream,
  connectUnix,
  MAX_UDP_PAYLOAD,
  SocketServer,
  UdpSocket,
} from "../src/mechanisms/socket/mod.ts";
import {
  assert,
  bytesEqual,
  echoMessages,
  fc,
  fcParams,
  patternBytes,
  roundTripBytes,
  spawnPeer,
  test,
  within,
} from "./_support/harness.ts";
import { unixPath, unixUnsupported } from "./_support/unix_socket.ts";

const chunksArb = fc.array(
  fc.oneof(
    fc.uint8Array({ minLength: 1, maxLength: 64 }),
    fc.record({ size: fc.integer({ min: 1, max: 400_000 }), seed: fc.integer() }).map((r) =>
      patternBytes(r.size, r.seed)
    ),
  ),
  { minLength: 1, maxLength: 8 },
);
const messagesArb = fc.array(
  fc.oneof(
    fc.uint8Array({ maxLength: 64 }),
    fc.record({ size: fc.integer({ min: 0, max: 1 << 20 }), seed: fc.integer() }).map((r) =>
      patternBytes(r.size, r.seed)
    ),
  ),
  { maxLength: 6 },
);

test("tcp: framed messages of any size round-trip through a peer process", async () => {
  await using server = await listen("tcp:127.0.0.1:0") as SocketServer;
  await using peer = spawnPeer("socket_peer.ts", ["echo", "127.0.0.1", String(server.port)]);
  await using ch = await server.accept({ timeout: 30_000 });
  await fc.assert(
    fc.asyncProperty(messagesArb, (messages) => echoMessages(ch, messages)),
    fcParams(),
  );
  await ch.close();
  assert((await within(10_000, peer.exited, "peer exit")) === 0, "peer exited cleanly");
});

test("tcp: a raw byte stream with any chunking is reassembled byte-exact by a peer process", async () => {
  const server = SocketServer.listenTcp("127.0.0.1", 0);
  await using peer = spawnPeer("socket_peer.ts", ["stream-echo", "127.0.0.1", String(server.port)]);
  await using s = await server.acceptStream({ timeout: 30_000 });
  await server.close();
  await fc.assert(
    fc.asyncProperty(
      chunksArb,
      (chunks) => roundTripBytes(chunks, (c) => s.write(c), () => s.read({ timeout: 30_000 })),
    ),
    fcParams(),
  );
  await s.shutdownWrite();
  assert((await within(10_000, s.read(), "end-of-stream")) === null, "the peer closed after our shutdown");
  assert((await within(10_000, peer.exited, "peer exit")) === 0, "peer exited cleanly");
});

test("udp: datagrams keep their boundaries (empty ones too) through a peer process", async () => {
  await using u = UdpSocket.bind("127.0.0.1", 0);
  await using peer = spawnPeer("socket_peer.ts", ["udp-echo", String(u.port)]);
  const hello = await u.receiveFrom({ timeout: 30_000 });
  assert(new TextDecoder().decode(hello.data) === "hello", "peer said hello");
  const peerPort = new DataView(hello.from.bytes.buffer).getUint16(2, false);
  await fc.assert(
    fc.asyncProperty(
      fc.oneof(
        fc.uint8Array({ maxLength: 100 }),
        fc.integer({ min: 0, max: 60_000 }).map((n) => patternBytes(n, n)),
      ),
      async (datagram) => {
        // One at a time: UDP may reorder or drop under load, never split or merge.
        u.sendTo(datagram, "127.0.0.1", peerPort);
        const back = await u.receiveFrom({ timeout: 10_000 });
        assert(
          bytesEqual(back.data, datagram),
          `a ${datagram.length}-byte datagram came back as ${back.data.length}`,
        );
      },
    ),
    fcParams(),
  );
  let err: unknown;
  try {
    u.sendTo(new Uint8Array(MAX_UDP_PAYLOAD + 1), "127.0.0.1", peerPort);
  } catch (e) {
    err = e;
  }
  assert(err instanceof MessageTooLargeError, `oversized datagram: ${err}`);
  u.sendTo(new TextEncoder().encode("bye"), "127.0.0.1", peerPort);
  assert((await within(10_000, peer.exited, "peer exit")) === 0, "peer exited cleanly");
});

test("interop: a ws2_32 server of the library serves a client built on the runtime's own sockets", async () => {
  const server = SocketServer.listenTcp("127.0.0.1", 0);
  const client = net.connect(server.port, "127.0.0.1");
  await using s = await server.acceptStream({ timeout: 30_000 });
  await server.close();
  const received: Buffer[] = [];
  let wake: (() => void) | undefined;
  client.on("data", (d: Buffer) => {
    received.push(d);
    wake?.();
  });
  const readClient = async (): Promise<Uint8Array | null> => {
    while (received.length === 0) await new Promise<void>((r) => wake = r);
    return new Uint8Array(received.shift()!);
  };
  await fc.assert(
    fc.asyncProperty(chunksArb, async (chunks) => {
      // Library -> runtime socket, then runtime socket -> library.
      await roundTripBytes(chunks, (c) => s.write(c), readClient);
      await roundTripBytes(
        chunks,
        (c) => new Promise<void>((res, rej) => client.write(c, (e?: Error | null) => e ? rej(e) : res())),
        () => s.read({ timeout: 30_000 }),
      );
    }),
    fcParams(30),
  );
  client.destroy();
  assert(
    (await within(5000, s.read(), "end-of-stream")) === null,
    "end-of-stream when the runtime socket closes",
  );
});

test("interop: a Linux-native program on the host exchanges bytes with a library socket, byte-exact", async () => {
  const port = Number(process.env.WINIPC_NATIVE_ECHO_PORT);
  assert(port > 0, "the test runner starts a native echo server and passes WINIPC_NATIVE_ECHO_PORT");
  await using s = await connectTcpStream("127.0.0.1", port, { timeout: 10_000 });
  // The native program announces itself first, so we know who answers.
  let hello = "";
  while (!hello.includes("\n")) hello += new TextDecoder().decode((await s.read({ timeout: 10_000 }))!);
  assert(hello.startsWith("linux-native-echo pid="), `native peer said ${JSON.stringify(hello)}`);
  await fc.assert(
    fc.asyncProperty(
      chunksArb,
      (chunks) => roundTripBytes(chunks, (c) => s.write(c), () => s.read({ timeout: 30_000 })),
    ),
    fcParams(),
  );
});

test("tcp: errors are typed: port in use, nothing listening, peer gone, receive and accept timeouts, closed server", async () => {
  await using server = await listen("tcp:127.0.0.1:0") as SocketServer;
  let err: unknown;
  await listen(`tcp:127.0.0.1:${server.port}`).catch((e) => err = e);
  assert(err instanceof AddressInUseError, `second listen: ${err}`);
  const free = SocketServer.listenTcp("127.0.0.1", 0);
  const unused = free.port;
  await free.close();
  err = undefined;
  await connect(`tcp:127.0.0.1:${unused}`, { timeout: 5000 }).catch((e) => err = e);
  assert(err instanceof NotFoundError, `connect to nothing: ${err}`);
  const accepting = server.accept({ timeout: 10_000 });
  accepting.catch(() => {}); // awaited below
  const c = await connect(`tcp:localhost:${server.port}`, { timeout: 10_000 });
  await using s = await accepting;
  err = undefined;
  await s.receive({ timeout: 100 }).catch((e) => err = e);
  assert((err as Error)?.name === "TimeoutError", `receive timeout: ${err}`);
  await c.close();
  err = undefined;
  await s.receive({ timeout: 5000 }).catch((e) => err = e);
  assert(err instanceof ChannelClosedError, `peer gone: ${err}`);
  // A timed-out accept cancels its AcceptEx without taking a connection: the next accept gets it.
  err = undefined;
  await server.accept({ timeout: 100 }).catch((e) => err = e);
  assert(err instanceof TimeoutError, `accept timeout: ${err}`);
  const later = server.accept({ timeout: 10_000 });
  later.catch(() => {}); // awaited below
  await using c2 = await connect(`tcp:127.0.0.1:${server.port}`, { timeout: 10_000 });
  await using s2 = await later;
  await c2.send(new Uint8Array([7]));
  assert(bytesEqual(await s2.receive({ timeout: 10_000 }), new Uint8Array([7])), "accepted after a timeout");
  // Closing the server ends a pending accept with ChannelClosedError.
  const pending = server.accept();
  pending.catch(() => {}); // awaited below
  await server.close();
  err = undefined;
  await pending.catch((e) => err = e);
  assert(err instanceof ChannelClosedError, `accept on a closed server: ${err}`);
});

test("unix: an AF_UNIX stream socket carries a message both ways", async () => {
  const path = unixPath("unix");
  await using server = SocketServer.listenUnix(path);
  const accepting = server.accept({ timeout: 10_000 });
  accepting.catch(() => {}); // awaited below
  await using c = await connectUnix(path, { timeout: 10_000 });
  await using s = await accepting;
  await c.send(new Uint8Array([1, 2, 3]));
  assert(bytesEqual(await s.receive({ timeout: 10_000 }), new Uint8Array([1, 2, 3])), "AF_UNIX message");
  await s.send(new Uint8Array([4]));
  assert(bytesEqual(await c.receive({ timeout: 10_000 }), new Uint8Array([4])), "AF_UNIX reply");
}, { skip: await unixUnsupported() });
