/**
 * COM: a server publishes a JS object, a counter, in the Running Object Table under the file
 * moniker `C:\winipc-example-counter`; a client (another process, or VBScript's
 * `GetObject("C:\winipc-example-counter")`) calls its methods by name through IDispatch, hands it
 * a JS object of its own that the server calls back, and gets a typed error for a member the
 * counter does not have.
 *
 *   deno run --allow-ffi examples/com.ts server    (in one terminal)
 *   deno run --allow-ffi examples/com.ts client    (in another)
 *   bun examples/com.ts server
 *   bun examples/com.ts client
 *
 * With no argument, both ends run in this one process (the calls still go through COM). Either
 * end may start first: the client retries for up to 30 s while nothing is published. The server
 * serves until a client says bye.
 */
import process from "node:process";
import { TimeoutError } from "../mod.ts";
import {
  callMember,
  ComError,
  ComMemberNotFoundError,
  ComObject,
  getRunningObject,
  HRESULT,
  publishObject,
} from "../src/mechanisms/com/mod.ts";

const MONIKER = "C:\\winipc-example-counter";

/** `promise`, or a TimeoutError once `ms` have passed (for waits that take no timeout). */
function within<T>(ms: number, promise: Promise<T>, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new TimeoutError(`${what}: nothing within ${ms} ms`)), ms);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

/** Serves until a client says bye; `alongside` runs meanwhile (the client, in one process). */
async function server(alongside?: () => Promise<void>): Promise<void> {
  let bye!: () => void;
  const saidBye = new Promise<void>((resolve) => bye = resolve);
  // A plain JS object: COM clients call its methods and read its properties by name.
  const counter = {
    total: 0,
    add(n: number) {
      this.total += n;
      console.log(`server: add(${n}), total ${this.total}`);
      return this.total;
    },
    /**
     * Calls the client's object back: a ComObject when the client is another process, the JS
     * object itself when it is this one (callMember calls either).
     */
    async watch(listener: unknown) {
      try {
        await callMember(listener, "notify", `total is ${this.total}`);
      } finally {
        if (listener instanceof ComObject) listener.release();
      }
    },
    bye() {
      bye();
    },
  };
  await using _published = await publishObject(counter, MONIKER);
  console.log(`server: published the counter as ${MONIKER}`);
  await Promise.all([
    within(60_000, saidBye, "waiting for a client").then(() => console.log("server: the client said bye")),
    alongside?.(),
  ]);
}

/** The counter, retrying while nothing is published under the moniker (the server may be starting). */
async function counterWhenPublished(): Promise<ComObject> {
  for (const deadline = Date.now() + 30_000;;) {
    try {
      return await getRunningObject(MONIKER);
    } catch (e) {
      const absent = e instanceof ComError && e.hresult === HRESULT.MK_E_UNAVAILABLE;
      if (!absent || Date.now() > deadline) throw e;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}

async function client(): Promise<void> {
  using counter = await counterWhenPublished();
  console.log(`client: add(2) = ${await counter.call("add", 2)}`);
  console.log(`client: add(40) = ${await counter.call("add", 40)}`);
  // A JS object of ours goes to the server, which calls it while we wait for watch() to return.
  await counter.call("watch", { notify: (text: string) => console.log(`client: notified "${text}"`) });
  try {
    await counter.call("subtract", 1);
  } catch (e) {
    if (!(e instanceof ComMemberNotFoundError)) throw e;
    console.log(`client: "${e.member}" is not a member of the counter`);
  }
  await counter.call("bye");
}

const role = process.argv[2];
try {
  if (role === "server") await server();
  else if (role === "client") await client();
  else if (role === undefined) await server(client); // both ends in this process
  else {
    console.error("usage: examples/com.ts [server|client]");
    process.exitCode = 2;
  }
} catch (e) {
  // What a user can act on gets one line (nothing published, no answer); a bug keeps its stack.
  if (!(e instanceof TimeoutError || e instanceof ComError)) throw e;
  console.error(`${e.name}: ${e.message}`);
  process.exitCode = 1;
}
