/**
 * The other process in RPC tests (run by the same runtime as the test).
 *   rpc_peer.ts serve PIPE PORT MAXFRAG EVENT  serve the test interface on \pipe\PIPE and TCP
 *                                              127.0.0.1:PORT, set EVENT, serve until killed
 *   rpc_peer.ts channel-echo NAME EVENT       connect to rpc:NAME, set EVENT, echo every message
 *                                              until the server closes the channel
 *   rpc_peer.ts client BINDING CALLS SEED      call the test interface CALLS times with seeded
 *                                              payloads (and a context handle), checking every
 *                                              answer; exit code 0 if all were right
 */
import process from "node:process";
import { connectRpc, RpcServer } from "../../src/mechanisms/rpc/mod.ts";
import { KernelEvent } from "../../src/sync.ts";
import { connect } from "../../mod.ts";
import { patternBytes } from "../_support/harness.ts";
import { testImplementation, testInterface } from "../core/_rpc_test_interface.ts";

const [role, ...args] = process.argv.slice(2);

if (role === "serve") {
  const [pipe, port, maxFragment, event] = args;
  const server = new RpcServer({ maxFragment: Number(maxFragment) });
  server.register(testInterface, testImplementation({ rundowns: 0 }));
  server.listen(`ncacn_np:[\\pipe\\${pipe}]`);
  server.listen(`ncacn_ip_tcp:127.0.0.1[${port}]`);
  using ready = KernelEvent.open(event);
  ready.set();
  setInterval(() => {}, 1 << 30); // serve until killed
} else if (role === "channel-echo") {
  const [name, event] = args;
  await using channel = await connect(`rpc:${name}`, { timeout: 30_000 });
  using ready = KernelEvent.open(event);
  ready.set();
  for await (const m of channel) await channel.send(m);
} else if (role === "client") {
  const [binding, calls, seed] = args;
  await using client = await connectRpc(binding, { interfaces: [testInterface], timeout: 30_000 });
  const proxy = client.proxy(testInterface);
  for (let i = 0; i < Number(calls); i++) {
    const data = Array.from(patternBytes((i * 997) % 7000, Number(seed) + i));
    const args = {
      n: i,
      big: BigInt(seed) * 1000n + BigInt(i),
      text: `client ${seed} call ${i} ✓`,
      data,
      note: i % 3 ? null : "third",
    };
    const out = await proxy.Echo(args, { timeout: 30_000 });
    const same = out.n === i && out.big === args.big && out.text === args.text && out.note === args.note &&
      out.data.length === data.length && out.data.every((b, k) => b === data[k]);
    if (!same) {
      console.error(`rpc_peer client ${seed}: call ${i} came back wrong`);
      process.exit(1);
    }
  }
  const { handle } = await proxy.Open({ name: `peer ${seed}` });
  if ((await proxy.Read({ handle })).name !== `peer ${seed}`) process.exit(2);
  await proxy.Close({ handle });
} else {
  throw new Error(`rpc_peer: unknown role ${role}`);
}
