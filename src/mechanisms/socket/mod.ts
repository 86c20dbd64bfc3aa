/**
 * Windows Sockets (ws2_32): TCP byte streams and message channels, a TCP server, UDP datagrams,
 * and AF_UNIX stream sockets.
 * @module
 */
export {
  AF_INET,
  AF_INET6,
  AF_UNIX,
  connectTcp,
  connectTcpStream,
  connectUnix,
  MAX_UDP_PAYLOAD,
  resolve,
  type SocketAddress,
  SocketChannel,
  SocketServer,
  type SocketServerOptions,
  SocketStream,
  splitHostPort,
  type StreamConnectOptions,
  UdpSocket,
} from "./socket.ts";
