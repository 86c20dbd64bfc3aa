/**
 * RPC: a server offers a small DCE/RPC interface, a counter, on the named pipe
 * `\pipe\winipc-example-counter` (ncacn_np): `Add` takes a number and returns the total,
 * `Describe` returns it as text, and `Bye` ends the server. A client (another process, or any
 * rpcrt4 client built from the same IDL) calls it with typed arguments; a number the server
 * refuses comes back as a FAULT with its status.
 *
 *   deno run --allow-ffi examples/rpc.ts server    (in one terminal)
 *   deno run --allow-ffi examples/rpc.ts client    (in another)
 *   bun examples/rpc.ts server
 *   bun examples/rpc.ts client
 *
 * With no argument, both ends run in this one process (the calls still go through the pipe).
 * Either end may start first: the client retries for up to 30 s while nothing serves the pipe.
 * The server serves until a client says bye.
 */
import process from "node:process";
import { NotFoundError, TimeoutError } from "../mod.ts";
import {
  connectRpc,
  defineInterface,
  i32,
  type RpcClient,
  RpcFaultError,
  RpcServer,
  u32,
  wstring,
} from "../src/mechanisms/rpc/mod.ts";

const BINDING = "ncacn_np:[\\pipe\\winipc-example-counter]";
/** ERROR_INVALID_PARAMETER: the status the server faults with for a number it refuses. */
const INVALID_PARAMETER = 87;

/** The interface, as its IDL would declare it: `[uuid(...), version(1.0)] interface counter`. */
const counter = defineInterface({
  name: "counter",
  uuid: "5d0f4a2e-7c1b-4e39-a8d6-3b2c1f0e9a87",
  version: "1.0",
  operations: {
    Add: { opnum: 0, in: [["n", i32]], out: [["total", i32]] },
    Describe: { opnum: 1, in: [], out: [["text", wstring]] },
    Bye: { opnum: 2, in: [], out: [["status", u32]] },
  },
});

/** Serves until a client says bye; `alongside` runs meanwhile (the client, in one process). */
async function server(alongside?: () => Promise<void>): Promise<void> {
  let bye!: () => void;
  const saidBye = new Promise<void>((resolve) => bye = resolve);
  let total = 0;
  await using rpc = new RpcServer();
  rpc.register(counter, {
    Add: ({ n }) => {
      if (n < 0) throw new RpcFaultError(INVALID_PARAMETER, "negative numbers are not counted");
      total += n;
      console.log(`server: Add(${n}), total ${total}`);
      return { total };
    },
    Describe: () => ({ text: `the total is ${total}` }),
    Bye: () => {
      bye();
      return { status: 0 };
    },
  });
  rpc.listen(BINDING);
  console.log(`server: serving ${BINDING}`);
  await Promise.all([
    within(60_000, saidBye, "waiting for a client").then(() => console.log("server: the client said bye")),
    alongside?.(),
  ]);
}

/** A client, retrying while nothing serves the pipe (the server may be starting). */
async function connectWhenServed(): Promise<RpcClient> {
  for (const deadline = Date.now() + 30_000;;) {
    try {
      return await connectRpc(BINDING, { interfaces: [counter], timeout: 10_000 });
    } catch (e) {
      if (!(e instanceof NotFoundError) || Date.now() > deadline) throw e;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}

async function client(): Promise<void> {
  await using rpc = await connectWhenServed();
  const calls = rpc.proxy(counter);
  console.log(`client: Add(2) = ${(await calls.Add({ n: 2 })).total}`);
  console.log(`client: Add(40) = ${(await calls.Add({ n: 40 })).total}`);
  console.log(`client: Describe() = "${(await calls.Describe({})).text}"`);
  try {
    await calls.Add({ n: -1 });
  } catch (e) {
    if (!(e instanceof RpcFaultError)) throw e;
    console.log(`client: Add(-1) faulted with status ${e.status}`);
  }
  await calls.Bye({});
}

/** `promise`, or a TimeoutError once `ms` have passed. */
function within<T>(ms: number, promise: Promise<T>, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new TimeoutError(`${what}: nothing within ${ms} ms`)), ms);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

const role = process.argv[2];
try {
  if (role === "server") await server();
  else if (role === "client") await client();
  else if (role === undefined) await server(client); // both ends in this process
  else {
    console.error("usage: examples/rpc.ts [server|client]");
    process.exitCode = 2;
  }
} catch (e) {
  // What a user can act on gets one line (no server, no answer); a bug keeps its stack.
  if (!(e instanceof TimeoutError || e instanceof NotFoundError)) throw e;
  console.error(`${e.name}: ${e.message}`);
  process.exitCode = 1;
}
