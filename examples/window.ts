/**
 * Window messages: a WM_COPYDATA message channel between two message-only windows (`copydata:`
 * addresses: the server's window is found by its name), whose server answers every message in
 * upper case.
 *
 *   deno run --allow-ffi examples/window.ts server    (in one terminal)
 *   deno run --allow-ffi examples/window.ts client    (in another)
 *   bun examples/window.ts server
 *   bun examples/window.ts client
 *
 * With no argument, both ends run in this one process. Either end may start first: the client
 * retries for up to 30 s while no window has the name. The server serves one client, then exits.
 */
import process from "node:process";
import { AddressInUseError, NotFoundError, TimeoutError } from "../mod.ts";
import { connectCopyData, type CopyDataChannel, CopyDataServer } from "../src/mechanisms/window/mod.ts";

const NAME = "winipc-example";
const encode = (text: string) => new TextEncoder().encode(text);
const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

/** Serves one client; `alongside` runs meanwhile (the client, when both ends run here). */
async function server(alongside?: () => Promise<void>): Promise<void> {
  await using server = await CopyDataServer.listen(NAME);
  console.log(`server: listening on ${server.address} (window ${server.hwnd})`);
  await Promise.all([serve(server), alongside?.()]);
}

/** Accepts one client and answers each of its messages, until it hangs up. */
async function serve(server: CopyDataServer): Promise<void> {
  await using channel = await server.accept({ timeout: 60_000 });
  for await (const message of channel) {
    console.log(`server: got "${decode(message)}"`);
    await channel.send(encode(decode(message).toUpperCase()));
  }
  console.log("server: the client hung up");
}

/** Connects, retrying while no window has the name yet (the server may be starting). */
async function connectWhenServed(): Promise<CopyDataChannel> {
  for (const deadline = Date.now() + 30_000;;) {
    try {
      // sendTimeout: a server window that stops answering fails a send instead of hanging it.
      return await connectCopyData(NAME, { sendTimeout: 10_000 });
    } catch (e) {
      if (!(e instanceof NotFoundError) || Date.now() > deadline) throw e;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}

async function client(): Promise<void> {
  await using channel = await connectWhenServed();
  for (const text of ["hello", "window messages"]) {
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
    console.error("usage: examples/window.ts [server|client]");
    process.exitCode = 2;
  }
} catch (e) {
  // What a user can act on gets one line; a bug keeps its stack.
  if (!(e instanceof TimeoutError || e instanceof NotFoundError || e instanceof AddressInUseError)) throw e;
  console.error(`${e.name}: ${e.message}`);
  process.exitCode = 1;
}
