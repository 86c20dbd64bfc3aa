/**
 * Dynamic Data Exchange: a server publishes the item "price" of the topic "Prices" under the
 * service `winipc-example`; a client requests it once (a cold link), pokes a new price (the
 * server acknowledges it, and refuses one that is not a price), takes a hot link on it, and runs
 * the command `[tick(3)]`, which makes the server publish three new prices: the link gets each.
 *
 *   deno run --allow-ffi examples/dde.ts server    (in one terminal)
 *   deno run --allow-ffi examples/dde.ts client    (in another)
 *   bun examples/dde.ts server
 *   bun examples/dde.ts client
 *
 * With no argument, both ends run in this one process. Either end may start first: the client
 * retries for up to 30 s while no server answers. The server serves one client, then exits.
 */
import process from "node:process";
import { ChannelClosedError, NotFoundError, TimeoutError } from "../mod.ts";
import { CF_TEXT, DdeClient, DdeRefusedError, DdeServer, ddeText } from "../src/mechanisms/dde/mod.ts";

const SERVICE = "winipc-example";
const TOPIC = "Prices";
const ITEM = "price";
const TICKS = 3;

/** `promise`, or a TimeoutError once `ms` have passed (for waits that take no timeout). */
function within<T>(ms: number, promise: Promise<T>, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new TimeoutError(`${what}: nothing within ${ms} ms`)), ms);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

/** Serves one client; `alongside` runs meanwhile (the client, when both ends run here). */
async function server(alongside?: () => Promise<void>): Promise<void> {
  await using server = await DdeServer.create(SERVICE, { topics: [TOPIC] });
  let price = 12.5;
  server.publish(TOPIC, ITEM, price.toFixed(2)); // what a REQUEST gets until the next publish
  // A poke sets the price; anything but a number is refused (the client gets a DdeRefusedError).
  server.onPoke = (t, value) => {
    const text = ddeText(value, t.format); // throws (so refuses) in a format that is not text
    if (t.item.toLowerCase() !== ITEM || !/^\d+(\.\d+)?$/.test(text)) return false;
    price = Number(text);
    console.log(`server: "${t.item}" poked to ${text}`);
    server.publish(TOPIC, ITEM, price.toFixed(2));
  };
  // `[tick(N)]` publishes N new prices: each goes to every hot link on the item.
  server.onExecute = (_t, command) => {
    const tick = /^\[tick\((\d+)\)\]$/.exec(command);
    if (!tick) return false;
    const published = [];
    for (let i = 0; i < Number(tick[1]); i++) {
      price += 0.25;
      server.publish(TOPIC, ITEM, price.toFixed(2));
      published.push(price.toFixed(2));
    }
    console.log(`server: executed "${command}", published ${published.join(", ")}`);
  };
  const hungUp = new Promise<void>((resolve) => server.onConversationEnd = () => resolve());
  console.log(`server: serving ${SERVICE}|${TOPIC}`);
  await Promise.all([
    within(60_000, hungUp, "waiting for a client to come and go").then(() =>
      console.log("server: the client hung up")
    ),
    alongside?.(),
  ]);
}

/** Connects, retrying while no server answers (it may be starting). */
async function connectWhenServed(): Promise<DdeClient> {
  for (const deadline = Date.now() + 30_000;;) {
    try {
      return await DdeClient.connect(SERVICE, TOPIC, { timeout: 5_000 });
    } catch (e) {
      if (!(e instanceof NotFoundError) || Date.now() > deadline) throw e;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}

async function client(): Promise<void> {
  await using client = await connectWhenServed();
  const wait = { timeout: 5_000 };
  console.log(`client: requested "${ITEM}", got "${await client.requestText(ITEM, wait)}"`);
  await client.poke(ITEM, "13.00", wait);
  console.log(`client: poked "${ITEM}" = "13.00", the server acknowledged`);
  try {
    await client.poke(ITEM, "cheap", wait);
  } catch (e) {
    if (!(e instanceof DdeRefusedError)) throw e;
    console.log(`client: poked "${ITEM}" = "cheap", the server refused`);
  }
  // A hot link: the server sends every new value (and waits for our ACK before the next one).
  await using link = await client.hotLink(ITEM, { format: CF_TEXT, timeout: 5_000 });
  await client.execute(`[tick(${TICKS})]`, wait);
  console.log(`client: executed "[tick(${TICKS})]"`);
  for (let i = 0; i < TICKS; i++) {
    const update = await within(5_000, link.next(), `update ${i + 1} of the hot link`);
    if (update.done) throw new ChannelClosedError("the hot link ended early");
    console.log(`client: the hot link got "${ddeText(update.value)}"`);
  }
}

const role = process.argv[2];
try {
  if (role === "server") await server();
  else if (role === "client") await client();
  else if (role === undefined) await server(client); // both ends in this process
  else {
    console.error("usage: examples/dde.ts [server|client]");
    process.exitCode = 2;
  }
} catch (e) {
  // What a user can act on gets one line (no server, no answer, a refusal, the peer gone); a bug keeps its stack.
  if (
    !(e instanceof TimeoutError || e instanceof NotFoundError || e instanceof DdeRefusedError ||
      e instanceof ChannelClosedError)
  ) throw e;
  console.error(`${e.name}: ${e.message}`);
  process.exitCode = 1;
}
