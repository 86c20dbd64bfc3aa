/**
 * The clipboard: text written and read back, with the change notification the write causes; and
 * the clipboard channel (`clipboard:` addresses), a toy transport (one acknowledged message at a
 * time, each a clipboard write) whose server answers every message in upper case.
 * Running it replaces what is on your clipboard.
 *
 *   deno run --allow-ffi examples/clipboard.ts           (text, then both ends of the channel)
 *   deno run --allow-ffi examples/clipboard.ts server    (the channel's server, in one terminal)
 *   deno run --allow-ffi examples/clipboard.ts client    (its client, in another)
 *   bun examples/clipboard.ts [server|client]
 *
 * Either end of the channel may start first: the client waits up to 30 s for the server to
 * answer. The server serves one client, then exits.
 */
import process from "node:process";
import { AddressInUseError, connect, listen, type Listener, TimeoutError } from "../mod.ts";
import { Clipboard } from "../src/mechanisms/clipboard/mod.ts";

const encode = (text: string) => new TextEncoder().encode(text);
const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

/** Writes text, waits for the change notification it causes, and reads the text back. */
async function text(): Promise<void> {
  await using clipboard = await Clipboard.open(); // a message-only window, pumped on its own thread
  await clipboard.listen(); // change notifications (WM_CLIPBOARDUPDATE) from now on
  const seen = clipboard.changeCount;
  await clipboard.writeText("Grüße from winipc 📋");
  await clipboard.waitForChange(seen, { timeout: 5_000 }); // any process's change would do
  console.log(`text: the clipboard changed (sequence number ${Clipboard.sequenceNumber()})`);
  console.log(`text: it holds "${await clipboard.readText()}"`);
}

/** Serves one client of the channel; `alongside` runs meanwhile (the client, when both ends run here). */
async function server(alongside?: () => Promise<void>): Promise<void> {
  await using server = await listen("clipboard:winipc-example");
  console.log(`server: listening on ${server.address}`);
  await Promise.all([serve(server), alongside?.()]);
}

/** Accepts one client and answers each of its messages, until it hangs up. */
async function serve(server: Listener): Promise<void> {
  await using channel = await server.accept({ timeout: 60_000 });
  for await (const message of channel) {
    console.log(`server: got "${decode(message)}"`);
    await channel.send(encode(decode(message).toUpperCase()));
  }
  console.log("server: the client hung up");
}

async function client(): Promise<void> {
  await using channel = await connect("clipboard:winipc-example", { timeout: 30_000 });
  for (const text of ["hello", "clipboard"]) {
    await channel.send(encode(text));
    const answer = await channel.receive({ timeout: 10_000 });
    console.log(`client: sent "${text}", got "${decode(answer)}"`);
  }
}

const role = process.argv[2];
try {
  if (role === "server") await server();
  else if (role === "client") await client();
  else if (role === undefined) {
    await text();
    await server(client); // both ends in this process
  } else {
    console.error("usage: examples/clipboard.ts [server|client]");
    process.exitCode = 2;
  }
} catch (e) {
  // What a user can act on gets one line (ClipboardBusyError, another process holding the
  // clipboard open, is a TimeoutError too); a bug keeps its stack.
  if (!(e instanceof TimeoutError || e instanceof AddressInUseError)) throw e;
  console.error(`${e.name}: ${e.message}`);
  process.exitCode = 1;
}
