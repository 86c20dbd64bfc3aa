#!/usr/bin/env node
// A Linux-native TCP echo server on 127.0.0.1 for the socket interop test (Wine's sockets are
// host sockets). Greets each connection with "linux-native-echo pid=N\n", then echoes. Prints its
// port on stdout. Stops by itself after `WINIPC_NATIVE_ECHO_LIFETIME` seconds (default 1800).
import net from "node:net";

const server = net.createServer((socket) => {
  socket.write(`linux-native-echo pid=${process.pid}\n`);
  socket.pipe(socket);
  socket.on("error", () => {});
});
server.listen(0, "127.0.0.1", () => console.log(server.address().port));
setTimeout(() => process.exit(0), Number(process.env.WINIPC_NATIVE_ECHO_LIFETIME ?? 1800) * 1000).unref();
