/**
 * DLL shared sections: memory shared through a DLL that winipc writes (a PE file with one
 * `IMAGE_SCN_MEM_SHARED` section, no compiler) and every process loads, and a message channel in
 * such a section (`dll:` addresses). The server loads a 4 KiB section holding a visit counter; the
 * client loads the same one, counts itself in with `Atomics.add`, then sends two messages that
 * the server answers in upper case.
 *
 *   deno run --allow-ffi examples/dll.ts server    (in one terminal)
 *   deno run --allow-ffi examples/dll.ts client    (in another)
 *   bun examples/dll.ts server
 *   bun examples/dll.ts client
 *
 * With no argument, both ends run in this one process. Either end may start first: the client
 * retries for up to 30 s while nothing serves the name. The server serves one client, then exits.
 * Prefer file mappings (examples/shm.ts): a shared section has no security descriptor.
 */
import process from "node:process";
import {
  AddressError,
  type Channel,
  connect,
  listen,
  type Listener,
  NotFoundError,
  TimeoutError,
} from "../mod.ts";
import { DllSharedMemory } from "../src/mechanisms/dll/mod.ts";

const NAME = "winipc-example";
/** Both ends give the same size: it names the DLL file and sizes its section. */
const ADDRESS = `dll:${NAME}?size=64KiB`;
const encode = (text: string) => new TextEncoder().encode(text);
const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

/** Serves one client; `alongside` runs meanwhile (the client, when both ends run here). */
async function server(alongside?: () => Promise<void>): Promise<void> {
  using visits = DllSharedMemory.load(`${NAME}-visits`, 4096);
  await using server = await listen(ADDRESS);
  console.log(`server: listening on ${server.address}, counting visits in ${visits.path}`);
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

/** Connects, retrying while nothing serves the name yet (the server may be starting). */
async function connectWhenServed(address: string): Promise<Channel> {
  for (const deadline = Date.now() + 30_000;;) {
    try {
      return await connect(address, { timeout: 10_000 });
    } catch (e) {
      if (!(e instanceof NotFoundError) || Date.now() > deadline) throw e;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}

async function client(): Promise<void> {
  await using channel = await connectWhenServed(ADDRESS);
  using visits = DllSharedMemory.load(`${NAME}-visits`, 4096); // the same name and size: the same memory
  const visitor = Atomics.add(visits.whole.int32(0, 4), 0, 1) + 1;
  console.log(`client: visitor number ${visitor}`);
  for (const text of ["hello", "DLL sections"]) {
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
    console.error("usage: examples/dll.ts [server|client]");
    process.exitCode = 2;
  }
} catch (e) {
  // What a user can act on gets one line (AddressError: the two ends gave different sizes); a bug keeps its stack.
  if (!(e instanceof TimeoutError || e instanceof NotFoundError || e instanceof AddressError)) throw e;
  console.error(`${e.name}: ${e.message}`);
  process.exitCode = 1;
}
