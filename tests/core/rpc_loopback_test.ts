/**
 * The RPC client and server (src/mechanisms/rpc) against each other over in-memory connections:
 * the protocol logic without a transport (the Wine tests repeat it over pipes and TCP, across
 * processes). Typed round trips with fragmenting sizes, concurrent calls on a pool, faults,
 * context handles and their rundown, timeouts, and hostile bytes that end one connection while
 * the server goes on serving.
 */
import { ChannelClosedError, ProtocolError, TimeoutError } from "../../src/core/errors.ts";
import { RpcClient } from "../../src/mechanisms/rpc/client.ts";
import { MIN_FRAGMENT } from "../../src/mechanisms/rpc/client_connection.ts";
import { RpcDispatcher } from "../../src/mechanisms/rpc/dispatcher.ts";
import { defineInterface } from "../../src/mechanisms/rpc/interface.ts";
import { NIL_UUID, u32 } from "../../src/mechanisms/rpc/ndr.ts";
import {
  encodePdu,
  NCA_S_FAULT_NDR,
  NCA_S_FAULT_UNSPEC,
  NCA_S_OP_RNG_ERROR,
  NCA_S_PROTO_ERROR,
  NDR_SYNTAX,
  PFC_FIRST_FRAG,
  PFC_LAST_FRAG,
  REASON_ABSTRACT_SYNTAX_NOT_SUPPORTED,
} from "../../src/mechanisms/rpc/pdu.ts";
import { RpcBindError, RpcFaultError } from "../../src/mechanisms/rpc/rpc_errors.ts";
import { assert, bytesEqual, fc, fcParams, test } from "../_support/harness.ts";
import { caught, unicodeString } from "./_util.ts";
import { memoryPair } from "./_rpc_memory.ts";
import { drainPdus } from "./_rpc_pdus.ts";
import { echoArgs, testImplementation, testInterface, THROW_PLAIN_ERROR } from "./_rpc_test_interface.ts";

/** A server with the test interface, and a way to connect clients to it in memory. */
function setup(opts: { maxFragment?: number; maxRequestSize?: number } = {}) {
  const state = { rundowns: 0 };
  const errors: unknown[] = [];
  const server = new RpcDispatcher({ ...opts, onError: (e) => errors.push(e) });
  server.register(testInterface, testImplementation(state));
  const served: Promise<void>[] = [];
  const open = () => {
    const { client, server: end } = memoryPair();
    served.push(server.serve(end, "\\PIPE\\memory"));
    return Promise.resolve(client);
  };
  return { server, state, errors, open, served };
}

/** Strings NDR's `[string]` carries: any UTF-16 but NUL (C code would end the string there). */
const ndrString = () => unicodeString().map((t) => t.replaceAll("\0", "."));

test("rpc: typed echoes round-trip, fragmented both ways at the smallest fragment size", async () => {
  const s = setup({ maxFragment: MIN_FRAGMENT });
  await using client = await RpcClient.connectWith(s.open, {
    interfaces: [testInterface],
    maxFragment: MIN_FRAGMENT,
  });
  const proxy = client.proxy(testInterface);
  await fc.assert(
    fc.asyncProperty(echoArgs(ndrString(), 9000), async (args) => {
      const out = await proxy.Echo(args);
      assert(out.status === 0 && out.n === args.n && out.big === args.big, "numbers");
      assert(out.text === args.text && out.note === args.note, "strings");
      assert(bytesEqual(Uint8Array.from(out.data), Uint8Array.from(args.data)), "data");
    }),
    fcParams(60),
  );
  assert(s.errors.length === 0, `server errors: ${s.errors}`);
  await s.server.close();
});

test("rpc: concurrent calls share a pool of connections in one association", async () => {
  const s = setup();
  await using client = await RpcClient.connectWith(s.open, {
    interfaces: [testInterface],
    maxConnections: 3,
  });
  const proxy = client.proxy(testInterface);
  const calls = Array.from(
    { length: 30 },
    (_, i) =>
      proxy.Echo({
        n: i,
        big: BigInt(i) << 40n,
        text: `call ${i}`,
        data: [i & 255],
        note: i % 2 ? null : "even",
      }),
  );
  const slow = proxy.Sleep({ ms: 50 });
  const results = await Promise.all(calls);
  results.forEach((r, i) =>
    assert(r.n === i && r.text === `call ${i}` && r.data[0] === (i & 255), `call ${i}`)
  );
  assert((await slow).status === 0, "slow call");
  assert(client.connections <= 3, `${client.connections} connections`);
  assert(s.server.connections === client.connections, `server sees ${s.server.connections}`);
  // Context handles belong to the association: opened on one connection, read on any.
  const { handle } = await proxy.Open({ name: "shared" });
  const reads = await Promise.all(Array.from({ length: 6 }, () => proxy.Read({ handle })));
  assert(reads.every((r) => r.name === "shared"), "read through the association");
  await proxy.Close({ handle });
  await s.server.close();
});

test("rpc: faults are typed errors with their status; the next call works", async () => {
  const s = setup();
  await using client = await RpcClient.connectWith(s.open, { interfaces: [testInterface] });
  const proxy = client.proxy(testInterface);
  const statusOf = async (p: Promise<unknown>) => {
    const e = await caught(() => p);
    assert(e instanceof RpcFaultError, `expected RpcFaultError, got ${e}`);
    return e.status;
  };
  assert(await statusOf(proxy.Fail({ status: 5 })) === 5, "the handler's status");
  assert(await statusOf(proxy.Fail({ status: THROW_PLAIN_ERROR })) === NCA_S_FAULT_UNSPEC, "a plain Error");
  assert(s.errors.length === 1 && String(s.errors[0]).includes("boom"), "onError saw the plain Error");
  assert(await statusOf(proxy.Missing({})) === NCA_S_OP_RNG_ERROR, "an unimplemented operation");
  assert(
    await statusOf(client.callRaw(testInterface, 77, new Uint8Array(0))) === NCA_S_OP_RNG_ERROR,
    "opnum 77",
  );
  assert(
    await statusOf(client.callRaw(testInterface, 0, Uint8Array.of(1, 2, 3))) === NCA_S_FAULT_NDR,
    "bad stub",
  );
  const stale = { attributes: 0, uuid: "0f0e0d0c-0b0a-0908-0706-050403020100" };
  assert(await statusOf(proxy.Read({ handle: stale })) === 0x1c00001a, "stale context handle");
  const ok = await proxy.Echo({ n: 1, big: 2n, text: "after", data: [], note: null });
  assert(ok.text === "after", "a call after the faults");
  await s.server.close();
});

test("rpc: an interface the server lacks is an RpcBindError naming it", async () => {
  const s = setup();
  const other = defineInterface({
    name: "absent",
    uuid: "11111111-2222-3333-4444-555555555555",
    version: "1.0",
    operations: { Op: { opnum: 0, in: [], out: [["status", u32]] } },
  });
  const e = await caught(() => RpcClient.connectWith(s.open, { interfaces: [other] }));
  assert(e instanceof RpcBindError && e.reason === REASON_ABSTRACT_SYNTAX_NOT_SUPPORTED, `got ${e}`);
  assert(e.message.includes("absent"), e.message);
  // With one interface known and one not, the known one works and the other fails on call.
  await using client = await RpcClient.connectWith(s.open, { interfaces: [testInterface, other] });
  assert(
    (await client.call(testInterface, "Fail", { status: 0 }).catch((x) => x)) instanceof RpcFaultError,
    "known",
  );
  assert((await caught(() => client.call(other, "Op", {}))) instanceof RpcBindError, "unknown");
  // A newer minor version than the server's is refused; an older one is accepted.
  const spec = { name: "winipc_test", uuid: testInterface.syntax.uuid, operations: testInterface.operations };
  const newer = defineInterface({ ...spec, version: "1.3" });
  assert(
    (await caught(() => RpcClient.connectWith(s.open, { interfaces: [newer] }))) instanceof RpcBindError,
    "1.3",
  );
  const older = defineInterface({ ...spec, version: "1.0" });
  await (await RpcClient.connectWith(s.open, { interfaces: [older] })).close();
  await s.server.close();
});

test("rpc: a connection retired after a fault keeps the association: context handles stay valid", async () => {
  const s = setup();
  await using client = await RpcClient.connectWith(s.open, {
    interfaces: [testInterface],
    maxConnections: 1,
  });
  const proxy = client.proxy(testInterface);
  const { handle } = await proxy.Open({ name: "kept" });
  for (let i = 0; i < 3; i++) {
    assert((await caught(() => proxy.Fail({ status: 5 }))) instanceof RpcFaultError, "fault");
    assert((await proxy.Read({ handle })).name === "kept", `the handle after fault ${i + 1}`);
  }
  assert(s.state.rundowns === 0, "nothing was run down");
  await proxy.Close({ handle });
  await s.server.close();
});

test("rpc: context handles are run down when the client's association ends", async () => {
  const s = setup();
  const client = await RpcClient.connectWith(s.open, { interfaces: [testInterface] });
  const proxy = client.proxy(testInterface);
  const a = await proxy.Open({ name: "a" });
  const b = await proxy.Open({ name: "b" });
  assert((await proxy.Read({ handle: b.handle })).name === "b", "read");
  const closed = await proxy.Close({ handle: a.handle });
  assert(closed.handle.uuid === NIL_UUID, "Close returns the null handle");
  const openBefore: number = s.server.contextHandles;
  assert(openBefore === 1, `${openBefore} open`);
  await client.close();
  await Promise.all(s.served);
  assert(s.state.rundowns === 1 && s.server.contextHandles === 0, `rundowns ${s.state.rundowns}`);
  await s.server.close();
});

test("rpc: a call's timeout is a TimeoutError, retires its connection, and the server's call sees the abort", async () => {
  const s = setup();
  await using client = await RpcClient.connectWith(s.open, { interfaces: [testInterface] });
  const proxy = client.proxy(testInterface);
  const e = await caught(() => proxy.Sleep({ ms: 60_000 }, { timeout: 50 }));
  assert(e instanceof TimeoutError, `got ${e}`);
  // The timed-out connection is replaced (bound first, so the association lives on), then closed.
  for (let i = 0; i < 100 && s.server.connections !== 1; i++) await new Promise((r) => setTimeout(r, 20));
  assert(
    s.server.connections === 1 && client.connections === 1,
    `${s.server.connections} server connections`,
  );
  assert((await proxy.Sleep({ ms: 1 })).status === 0, "a new connection serves the next call");
  const ac = new AbortController();
  const pending = proxy.Sleep({ ms: 60_000 }, { signal: ac.signal });
  ac.abort(new Error("stop"));
  assert(String(await caught(() => pending)).includes("stop"), "the signal's reason");
  await client.close();
  assert((await caught(() => proxy.Sleep({ ms: 1 }))) instanceof ChannelClosedError, "after close");
  await s.server.close();
});

// --- hostile clients ---

/** A raw connection to the server: send bytes, read PDUs back until it closes. */
function rawClient(s: ReturnType<typeof setup>) {
  const { client, server: end } = memoryPair("raw");
  const done = s.server.serve(end);
  return {
    send: (b: Uint8Array) => client.write(b),
    /** Every PDU the server sends until it closes the connection, or "open". */
    drain: () => drainPdus((o) => client.read(o), 2000),
    close: () => client.close(),
    endWrite: () => client.endWrite(),
    done,
  };
}

const bindPdu = (maxRecv = 5840) =>
  encodePdu({
    type: "bind",
    callId: 1,
    maxXmitFrag: 5840,
    maxRecvFrag: maxRecv,
    assocGroupId: 0,
    contexts: [{ contextId: 0, abstractSyntax: testInterface.syntax, transferSyntaxes: [NDR_SYNTAX] }],
  });

const request = (callId: number, flags: number, stub: Uint8Array, allocHint?: number) =>
  encodePdu({ type: "request", callId, flags, contextId: 0, opnum: 2, stub, allocHint });

test("rpc: hostile PDUs end their connection (with a FAULT where one fits) and the server keeps serving", async () => {
  const s = setup({ maxRequestSize: 64 * 1024 });
  await using good = await RpcClient.connectWith(s.open, { interfaces: [testInterface] });
  const proxy = good.proxy(testInterface);
  const echo = () => proxy.Echo({ n: 7, big: 7n, text: "still here", data: [1, 2, 3], note: null });

  const cases: { name: string; bytes: Uint8Array[]; fault?: number }[] = [
    { name: "not version 5", bytes: [Uint8Array.of(4, 0, 11, 3, 16, 0, 0, 0, 16, 0, 0, 0, 1, 0, 0, 0)] },
    {
      name: "frag_length below 16",
      bytes: [Uint8Array.of(5, 0, 11, 3, 16, 0, 0, 0, 8, 0, 0, 0, 1, 0, 0, 0)],
    },
    {
      name: "frag_length above the maximum",
      bytes: [Uint8Array.of(5, 0, 0, 3, 16, 0, 0, 0, 0xff, 0xff, 0, 0, 1, 0, 0, 0)],
    },
    { name: "a truncated header, then the end", bytes: [Uint8Array.of(5, 0, 11, 3, 16, 0)] },
    { name: "a request before bind", bytes: [request(2, PFC_FIRST_FRAG | PFC_LAST_FRAG, new Uint8Array(4))] },
    {
      name: "a response from a client",
      bytes: [bindPdu(), encodePdu({ type: "response", callId: 2, contextId: 0, stub: new Uint8Array(0) })],
    },
    {
      name: "a middle fragment first",
      bytes: [bindPdu(), request(2, 0, new Uint8Array(8))],
      fault: NCA_S_PROTO_ERROR,
    },
    {
      name: "FIRST_FRAG twice",
      bytes: [
        bindPdu(),
        request(2, PFC_FIRST_FRAG, new Uint8Array(8)),
        request(2, PFC_FIRST_FRAG, new Uint8Array(8)),
      ],
      fault: NCA_S_PROTO_ERROR,
    },
    {
      name: "a huge alloc_hint (nothing is allocated from it)",
      bytes: [bindPdu(), request(2, PFC_FIRST_FRAG, new Uint8Array(8), 0xffffffff)],
    },
    {
      name: "more than maxRequestSize in fragments",
      bytes: [
        bindPdu(),
        ...Array.from(
          { length: 20 },
          (_, i) => request(2, i === 0 ? PFC_FIRST_FRAG : 0, new Uint8Array(4096)),
        ),
      ],
      fault: NCA_S_PROTO_ERROR,
    },
  ];
  for (const c of cases) {
    const raw = rawClient(s);
    for (const b of c.bytes) await raw.send(b);
    if (c.name.includes("truncated") || c.name.includes("alloc_hint")) raw.endWrite();
    const got = await raw.drain();
    assert(got !== "open", `${c.name}: the server kept the connection open`);
    if (c.fault !== undefined) {
      const f = got.find((p) => p.type === "fault");
      assert(
        f && f.type === "fault" && f.status === c.fault,
        `${c.name}: ${JSON.stringify(got.map((p) => p.type))}`,
      );
    }
    await raw.done;
    assert((await echo()).text === "still here", `${c.name}: the server still serves others`);
  }
  assert(s.errors.length === 0, `no error escaped: ${s.errors}`);
  await s.server.close();
});

test("rpc: fuzzed bytes after a bind end only that connection, with nothing but protocol errors", async () => {
  const s = setup({ maxRequestSize: 32 * 1024 });
  await using good = await RpcClient.connectWith(s.open, { interfaces: [testInterface] });
  const proxy = good.proxy(testInterface);
  const pduish = fc.uint8Array({ minLength: 16, maxLength: 300 }).map((b) => {
    b[0] = 5;
    b[1] = 0;
    b[4] = 0x10;
    const n = Math.min(b.length, 16 + (b[8] % (b.length - 15)));
    b[8] = n;
    b[9] = 0;
    return b.slice(0, n);
  });
  await fc.assert(
    fc.asyncProperty(
      fc.boolean(),
      fc.array(fc.oneof(pduish, fc.uint8Array({ maxLength: 64 })), { maxLength: 6 }),
      async (bind, parts) => {
        const raw = rawClient(s);
        if (bind) await raw.send(bindPdu());
        for (const p of parts) await raw.send(p);
        raw.endWrite();
        await raw.drain();
        await raw.close();
        await raw.done;
        const out = await proxy.Echo({ n: 1, big: 1n, text: "ok", data: [], note: null });
        assert(out.text === "ok", "served");
      },
    ),
    fcParams(150),
  );
  assert(s.errors.every((e) => e instanceof ProtocolError), `errors: ${s.errors}`);
  await s.server.close();
});

test("rpc: a handler that never returns delays neither the connection's end nor the server's close", async () => {
  const stuck = defineInterface({
    name: "stuck",
    uuid: "5a5a5a5a-1111-2222-3333-444444444444",
    version: "1.0",
    operations: { Hang: { opnum: 0, in: [], out: [["status", u32]] } },
  });
  const server = new RpcDispatcher();
  server.register(stuck, { Hang: () => new Promise<never>(() => {}) });
  const open = () => {
    const { client, server: end } = memoryPair();
    void server.serve(end);
    return Promise.resolve(client);
  };
  const client = await RpcClient.connectWith(open, { interfaces: [stuck] });
  const e = await caught(() => client.proxy(stuck).Hang({}, { timeout: 50 }));
  assert(e instanceof TimeoutError, `got ${e}`);
  await client.close();
  const closed = await Promise.race([
    server.close().then(() => "closed"),
    new Promise((r) => setTimeout(() => r("hung"), 2000)),
  ]);
  assert(closed === "closed", "the server closed");
});
