/**
 * Named pipes: a server on `\\.\pipe\winipc-example` answers every message of a client with the
 * same text in upper case; the client sends two messages and prints the answers.
 *
 *   deno run --allow-ffi examples/pipe.ts server    (in one terminal)
 *   deno run --allow-ffi examples/pipe.ts client    (in another)
 *   bun examples/pipe.ts server
 *   bun examples/pipe.ts client
 *
 * With no argument, both ends run in this one process. Either end may start first: the client
 * waits up to 30 s for the server. The server serves one client, then exits.
 */
import process from "node:process";
import { AddressInUseError, TimeoutError } from "../mod.ts";
import { connectNamedPipe, NamedPipeServer } from "../src/mechanisms/pipe/mod.ts";

const NAME = "winipc-example";
const encode = (text: string) => new TextEncoder().encode(text);
const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

/** Serves one client; `alongside` runs meanwhile (the client, when both ends run here). */
async function server(alongside?: () => Promise<void>): Promise<void> {
  await using server = NamedPipeServer.listen(NAME);
  console.log(`server: listening on ${server.address}`);
  await Promise.all([serve(server), alongside?.()]);
}

/** Accepts one client and answers each of its messages, until it hangs up. */
async function serve(server: NamedPipeServer): Promise<void> {
  await using channel = await server.accept({ timeout: 60_000 });
  for await (const message of channel) {
    console.log(`server: got "${decode(message)}"`);
    await channel.send(encode(decode(message).toUpperCase()));
  }
  console.log("server: the client hung up");
}

async function client(): Promise<void> {
  // waitForServer: wait for a server that is still starting, instead of NotFoundError at once.
  await using channel = await connectNamedPipe(NAME, { waitForServer: true, timeout: 30_000 });
  for (const text of ["hello", "named pipes"]) {
    await channel.send(encode(text));
    const answer = await channel.receive({ timeout: 5_000 });
    console.log(`client: sent "${text}", got "${decode(answer)}"`);
  }
}

const role = process.argv[2];
try {
  if (role === "server") await server();
  else if (role === "client") await client();
  else if (role === undefined) await server(client); // both ends in this process
  else {
    console.error("usage: examples/pipe.ts [server|client]");
    process.exitCode = 2;
  }
} catch (e) {
  // What a user can act on gets one line (no server came, a server already runs); a bug keeps its stack.
  if (!(e instanceof TimeoutError || e instanceof AddressInUseError)) throw e;
  console.error(`${e.name}: ${e.message}`);
  process.exitCode = 1;
}
