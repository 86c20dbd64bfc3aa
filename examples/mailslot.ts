/**
 * Mailslots (one-way): a server creates `\\.\mailslot\winipc-example` and prints what arrives; a
 * client sends a few messages, one of them over the server's 4 KiB limit, which the client
 * refuses before it is sent (MessageTooLargeError), and then "bye".
 *
 *   deno run --allow-ffi examples/mailslot.ts server    (in one terminal)
 *   deno run --allow-ffi examples/mailslot.ts client    (in another)
 *   bun examples/mailslot.ts server
 *   bun examples/mailslot.ts client
 *
 * With no argument, both ends run in this one process. Either end may start first: the client
 * retries for up to 30 s while no server has the name. The server exits after "bye".
 */
import process from "node:process";
import { AddressInUseError, MessageTooLargeError, NotFoundError, TimeoutError } from "../mod.ts";
import { MailslotClient, MailslotServer } from "../src/mechanisms/mailslot/mod.ts";

const NAME = "winipc-example";
const encode = (text: string) => new TextEncoder().encode(text);
const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

/** Receives until "bye"; `alongside` runs meanwhile (the client, when both ends run here). */
async function server(alongside?: () => Promise<void>): Promise<void> {
  await using inbox = MailslotServer.create(NAME, { maxMessageSize: 4096 });
  console.log(`server: receiving on ${inbox.path}`);
  await Promise.all([serve(inbox), alongside?.()]);
}

/** Prints each message until "bye" (waiting at most 30 s for each). */
async function serve(inbox: MailslotServer): Promise<void> {
  while (true) {
    const text = decode(await inbox.receive({ timeout: 30_000 }));
    console.log(`server: got "${text}" (${inbox.info().messageCount} more waiting)`);
    if (text === "bye") return;
  }
}

/** Opens the mailslot, retrying while nothing has the name yet (the server may be starting). */
async function openWhenServed(): Promise<MailslotClient> {
  for (const deadline = Date.now() + 30_000;;) {
    try {
      return MailslotClient.open(NAME);
    } catch (e) {
      if (!(e instanceof NotFoundError) || Date.now() > deadline) throw e;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}

async function client(): Promise<void> {
  await using outbox = await openWhenServed();
  for (const message of [encode("hello"), encode("mailslots"), new Uint8Array(5000), encode("bye")]) {
    try {
      await outbox.send(message);
      console.log(`client: sent ${message.length} bytes`);
    } catch (e) {
      if (!(e instanceof MessageTooLargeError)) throw e;
      console.log(`client: ${message.length} bytes refused, over the server's limit`);
    }
  }
}

const role = process.argv[2];
try {
  if (role === "server") await server();
  else if (role === "client") await client();
  else if (role === undefined) await server(client); // both ends in this process
  else {
    console.error("usage: examples/mailslot.ts [server|client]");
    process.exitCode = 2;
  }
} catch (e) {
  // What a user can act on gets one line; a bug keeps its stack.
  if (!(e instanceof TimeoutError || e instanceof NotFoundError || e instanceof AddressInUseError)) throw e;
  console.error(`${e.name}: ${e.message}`);
  process.exitCode = 1;
}
