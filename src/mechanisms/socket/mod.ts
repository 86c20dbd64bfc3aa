/**
 * Windows Sockets (ws2_32): TCP byte streams and message channels, a TCP server, UDP datagrams,
 * and AF_UNIX stream sockets. Every wait is an overlapped or event wait, cancellable with an
 * AbortSignal and bounded by a timeout; nothing blocks the event loop.
 *
 * ```ts
 * import { connectTcp, SocketServer } from "@winipc/winipc/socket";
 * await using server = SocketServer.listenTcp("127.0.0.1", 0);
 * await using client = await connectTcp("127.0.0.1", server.port);
 * await using peer = await server.accept();
 * await client.send(new TextEncoder().encode("hello"));
 * console.log(new TextDecoder().decode(await peer.receive()));
 * ```
 * @module
 */
export { AF_INET, AF_INET6, AF_UNIX } from "../../ffi/headers/winsock2.ts";
export {
  connectTcp,
  connectTcpStream,
  connectUnix,
  SocketChannel,
  SocketServer,
  type SocketServerOptions,
  SocketStream,
  type StreamConnectOptions,
} from "./socket.ts";
export { resolve, type SocketAddress, splitHostPort } from "./socket_address.ts";
export type { TcpOptions } from "./sock.ts";
export { type Datagram, MAX_UDP_PAYLOAD, UdpSocket } from "./udp_socket.ts";
export type { Channel, ChannelOptions, Listener, ReceiveChannel, SendChannel } from "../../core/channel.ts";
export type { WaitOptions } from "../../core/errors.ts";
