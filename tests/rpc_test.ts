/**
 * RPC (DCE/RPC over ncacn_np and ncacn_ip_tcp) under Wine, across processes: the library's client
 * and server (tests/peers/rpc_peer.ts) with fast-check arguments at the smallest fragment size,
 * concurrent clients in several processes, a killed server, hostile PDUs on real pipes and
 * sockets; rpcrt4's own client runtime calling the library's server (tests/peers/rpcrt4_client.ts);
 * and the library's client calling Wine's Service Control Manager and endpoint mapper.
 */
import { ChannelClosedError, NotFoundError, type WaitOptions } from "../src/core/errors.ts";
import { newGuid } from "../src/core/guid.ts";
import { connect, listen } from "../mod.ts";
import {
  connectRpc,
  decodeTower,
  encodeTower,
  epmapper,
  EPT_S_NOT_REGISTERED,
  ERROR_MORE_DATA,
  NIL_UUID,
  NULL_CONTEXT_HANDLE,
  parseBinding,
  parseEnumServiceStatus,
  parseServiceStatusProcess,
  resolveEndpoint,
  type RpcClient,
  type RpcClientOptions,
  RpcServer,
  SC_MANAGER_READ,
  SERVICE_QUERY_STATUS,
  SERVICE_STATE_ALL,
  SERVICE_WIN32,
  svcctl,
  type TcpBinding,
  towerValue,
} from "../src/mechanisms/rpc/mod.ts";
import { encodePdu, NDR_SYNTAX, PFC_FIRST_FRAG, PFC_LAST_FRAG } from "../src/mechanisms/rpc/pdu.ts";
import { connectNamedPipeStream } from "../src/mechanisms/pipe/mod.ts";
import { connectTcpStream, SocketServer } from "../src/mechanisms/socket/mod.ts";
import {
  assert,
  bytesEqual,
  checkEchoPeer,
  checkEndsWhenPeerDies,
  fc,
  fcParams,
  LIBRARY_DENO_FLAGS,
  runtime,
  spawnPeer,
  test,
  uniqueName,
  within,
} from "./_support/harness.ts";
import { runChild, runtimeExecutable, spawnReadyPeer } from "./_support/process.ts";
import { echoArgs, testImplementation, testInterface } from "./core/_rpc_test_interface.ts";
import { drainPdus } from "./core/_rpc_pdus.ts";

const MIN_FRAGMENT = 1432;

/** Connects, retrying while the server is not up yet (a peer starting), for up to 30 s. */
async function connectWhenUp(binding: string, opts: RpcClientOptions): Promise<RpcClient> {
  const deadline = Date.now() + 30_000;
  while (true) {
    try {
      return await connectRpc(binding, opts);
    } catch (e) {
      if (!(e instanceof NotFoundError) || Date.now() > deadline) throw e;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

/** A TCP port nothing listens on now (bound and released). */
function freePort(): number {
  const probe = SocketServer.listenTcp("127.0.0.1", 0);
  const port = probe.port;
  void probe.close();
  return port;
}

/** A server peer on a new pipe and port, with the test interface at `maxFragment`. */
async function serverPeer(maxFragment: number) {
  const pipe = uniqueName("rpc");
  const port = freePort();
  const peer = await spawnReadyPeer("rpc_peer.ts", ["serve", pipe, String(port), String(maxFragment)]);
  return { peer, pipe: `ncacn_np:[\\pipe\\${pipe}]`, tcp: `ncacn_ip_tcp:127.0.0.1[${port}]` };
}

const ndrString = () => fc.string({ unit: "binary", maxLength: 40 }).map((t) => t.replaceAll("\0", "."));

for (const transport of ["ncacn_np", "ncacn_ip_tcp"] as const) {
  test(`rpc ${transport}: a server in another process echoes fast-check arguments, fragmented both ways at 1432 bytes`, async () => {
    const s = await serverPeer(MIN_FRAGMENT);
    await using _peer = s.peer;
    try {
      const binding = transport === "ncacn_np" ? s.pipe : s.tcp;
      await using client = await connectWhenUp(binding, {
        interfaces: [testInterface],
        maxFragment: MIN_FRAGMENT,
      });
      const proxy = client.proxy(testInterface);
      await fc.assert(
        fc.asyncProperty(echoArgs(ndrString(), 12_000), async (args) => {
          const out = await proxy.Echo(args, { timeout: 30_000 });
          assert(
            out.n === args.n && out.big === args.big && out.text === args.text && out.note === args.note,
            "values",
          );
          assert(bytesEqual(Uint8Array.from(out.data), Uint8Array.from(args.data)), "bytes");
        }),
        fcParams(25),
      );
      // One large call: 1 MiB each way is about 730 fragments.
      const big = Array.from({ length: 1 << 20 }, (_, i) => (i * 31) & 255);
      const out = await proxy.Echo({ n: 1, big: 1n, text: "big", data: big, note: null }, {
        timeout: 60_000,
      });
      assert(out.data.length === big.length && out.data.every((b, i) => b === big[i]), "1 MiB");
    } finally {
      s.peer.kill();
    }
  });
}

test("rpc: concurrent clients in three processes and eight calls at once in this one, over both transports", async () => {
  const state = { rundowns: 0 };
  await using server = new RpcServer();
  server.register(testInterface, testImplementation(state));
  const pipe = server.listen(`ncacn_np:[\\pipe\\${uniqueName("rpc-many")}]`);
  const tcp = server.listen("ncacn_ip_tcp:127.0.0.1[0]");
  const peers = [pipe.binding, tcp.binding, pipe.binding].map((b, i) =>
    spawnPeer("rpc_peer.ts", ["client", b, "40", String(i + 1)])
  );
  try {
    const local = await Promise.all([pipe.binding, tcp.binding].map(async (b) => {
      await using client = await connectRpc(b, { interfaces: [testInterface], maxConnections: 4 });
      const proxy = client.proxy(testInterface);
      const calls = Array.from(
        { length: 8 },
        (_, i) => proxy.Echo({ n: i, big: 0n, text: `${b} ${i}`, data: [i], note: null }),
      );
      const out = await Promise.all(calls);
      return out.every((r, i) => r.n === i && r.text === `${b} ${i}` && r.data[0] === i) &&
        client.connections <= 4;
    }));
    assert(local.every(Boolean), "in-process concurrent calls");
    const codes = await within(120_000, Promise.all(peers.map((p) => p.exited)), "client peers");
    assert(codes.every((c) => c === 0), `client peers exited with ${codes}`);
  } finally {
    for (const p of peers) await p[Symbol.asyncDispose]();
  }
  assert(state.rundowns === 0, "every client closed its context handle itself");
});

for (const transport of ["ncacn_np", "ncacn_ip_tcp"] as const) {
  test(`rpc ${transport}: a killed server ends a call in progress with ChannelClosedError within 1 s`, async () => {
    const s = await serverPeer(5840);
    await using _peer = s.peer;
    const binding = transport === "ncacn_np" ? s.pipe : s.tcp;
    await using client = await connectWhenUp(binding, { interfaces: [testInterface] });
    const proxy = client.proxy(testInterface);
    await proxy.Sleep({ ms: 1 });
    const pending = proxy.Sleep({ ms: 60_000 }).then(() => null, (e) => e);
    await new Promise((r) => setTimeout(r, 200));
    const t0 = Date.now();
    s.peer.kill();
    const e = await within(5000, pending, "the pending call");
    const ms = Date.now() - t0;
    console.log(`[rpc] ${binding}: the pending call failed ${ms} ms after the kill`);
    assert(e instanceof ChannelClosedError, `got ${e}`);
    assert(ms < 1000, `${ms} ms`);
  });
}

// --- hostile bytes on real transports ---

interface RawStream {
  write(b: Uint8Array, o?: WaitOptions): Promise<void>;
  read(o?: WaitOptions): Promise<Uint8Array | null>;
  close(): Promise<void>;
}

const bind = () =>
  encodePdu({
    type: "bind",
    callId: 1,
    maxXmitFrag: 5840,
    maxRecvFrag: 5840,
    assocGroupId: 0,
    contexts: [{ contextId: 0, abstractSyntax: testInterface.syntax, transferSyntaxes: [NDR_SYNTAX] }],
  });
const request = (flags: number, stub: Uint8Array, allocHint?: number) =>
  encodePdu({ type: "request", callId: 2, flags, contextId: 0, opnum: 0, stub, allocHint });
const header = (ptype: number, fragLength: number) =>
  Uint8Array.of(5, 0, ptype, 3, 0x10, 0, 0, 0, fragLength & 255, fragLength >> 8, 0, 0, 1, 0, 0, 0);

test("rpc: hostile PDUs on a pipe and a socket get a FAULT or a closed connection, and the server serves others", async () => {
  const errors: unknown[] = [];
  await using server = new RpcServer({ maxRequestSize: 256 * 1024, onError: (e) => errors.push(e) });
  server.register(testInterface, testImplementation({ rundowns: 0 }));
  const pipeName = uniqueName("rpc-hostile");
  server.listen(`ncacn_np:[\\pipe\\${pipeName}]`);
  const tcp = server.listen("ncacn_ip_tcp:127.0.0.1[0]");
  const port = (parseBinding(tcp.binding) as TcpBinding).port;
  await using good = await connectRpc(tcp.binding, { interfaces: [testInterface] });
  const proxy = good.proxy(testInterface);

  const cases: { name: string; parts: Uint8Array[]; end?: boolean; fault?: boolean }[] = [
    { name: "frag_length 8", parts: [header(11, 8)] },
    { name: "frag_length 65535 (over the limit)", parts: [header(0, 65535)] },
    { name: "version 4", parts: [Uint8Array.of(4, ...header(11, 16).slice(1))] },
    { name: "a truncated header, then the end", parts: [header(11, 16).slice(0, 7)], end: true },
    { name: "a request before bind", parts: [request(3, new Uint8Array(8))] },
    {
      name: "a fragment without FIRST_FRAG",
      parts: [bind(), request(PFC_LAST_FRAG, new Uint8Array(8))],
      fault: true,
    },
    {
      name: "FIRST_FRAG twice",
      parts: [bind(), request(PFC_FIRST_FRAG, new Uint8Array(8)), request(PFC_FIRST_FRAG, new Uint8Array(8))],
      fault: true,
    },
    {
      name: "alloc_hint 4 GiB, then the end",
      parts: [bind(), request(PFC_FIRST_FRAG, new Uint8Array(8), 0xffffffff)],
      end: true,
    },
    {
      name: "a request over maxRequestSize",
      parts: [
        bind(),
        ...Array.from({ length: 70 }, (_, i) => request(i === 0 ? PFC_FIRST_FRAG : 0, new Uint8Array(4096))),
      ],
      fault: true,
    },
  ];
  for (const where of ["pipe", "tcp"] as const) {
    for (const c of cases) {
      const stream: RawStream & { shutdownWrite?: () => Promise<void> } = where === "pipe"
        ? await connectNamedPipeStream(pipeName)
        : await connectTcpStream("127.0.0.1", port);
      try {
        for (const p of c.parts) await stream.write(p).catch(() => {});
        // A pipe has no half-close: the server sees the end when the client closes; the test
        // then only checks that the server still serves (below).
        if (c.end && stream.shutdownWrite) await stream.shutdownWrite();
        if (c.end && !stream.shutdownWrite) {
          await stream.close();
        } else {
          const got = await drainPdus((o) => stream.read(o));
          assert(got !== "open", `${where} ${c.name}: the connection stayed open`);
          if (c.fault) {
            assert(
              got.some((p) => p.type === "fault"),
              `${where} ${c.name}: no FAULT in ${got.map((p) => p.type)}`,
            );
          }
        }
      } finally {
        await stream.close();
      }
      const out = await proxy.Echo({ n: 3, big: 3n, text: `after ${c.name}`, data: [], note: null }, {
        timeout: 10_000,
      });
      assert(out.text === `after ${c.name}`, `${where} ${c.name}: the good client is still served`);
    }
  }
  assert(errors.length === 0, `errors reported: ${errors}`);
  for (let i = 0; i < 50 && server.connections > 1; i++) await new Promise((r) => setTimeout(r, 50));
  assert(server.connections === 1, `${server.connections} connections left (only the good client's)`);
});

// --- rpcrt4's client runtime calling the library's server ---

/** Runs the rpcrt4 peer with `calls` (`OPNUM HEX` lines) against `binding`; its output lines. */
async function rpcrt4Calls(binding: string, calls: string[]): Promise<string[]> {
  const exe = runtimeExecutable();
  const peer = "tests/peers/rpcrt4_client.ts";
  // RpcBindingFromStringBindingW reads a backslash as an escape: the endpoint \pipe\NAME.
  const escaped = binding.replaceAll("\\", "\\\\");
  const args = [
    escaped,
    testInterface.syntax.uuid,
    `${testInterface.syntax.major}.${testInterface.syntax.minor}`,
  ];
  const cmd = runtime === "deno"
    ? [exe, "run", ...LIBRARY_DENO_FLAGS, "--no-check", peer, ...args]
    : [exe, peer, ...args];
  await using child = runChild(cmd, { stdin: new TextEncoder().encode(calls.join("\n") + "\n") });
  const code = await within(60_000, child.exited, "the rpcrt4 peer");
  const out = new TextDecoder().decode(child.stdout()).split(/\r?\n/).filter((l) =>
    l.startsWith("ok") || l.startsWith("error")
  );
  assert(code === 0, `rpcrt4 peer exit ${code}: ${child.stderr()}`);
  return out;
}

const toHex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
const fromHex = (h: string) => Uint8Array.from(h.match(/../g) ?? [], (x) => parseInt(x, 16));

test("rpc interop: rpcrt4's own client runtime calls the library's server over ncacn_np and ncacn_ip_tcp", async () => {
  await using server = new RpcServer({ maxFragment: MIN_FRAGMENT });
  server.register(testInterface, testImplementation({ rundowns: 0 }));
  const endpoints = [
    server.listen(`ncacn_np:[\\pipe\\${uniqueName("rpc-rpcrt4")}]`),
    server.listen("ncacn_ip_tcp:127.0.0.1[0]"),
  ];
  const echo = testInterface.byName.get("Echo")!;
  const fail = testInterface.byName.get("Fail")!;
  const sleep = testInterface.byName.get("Sleep")!;
  const calls = [
    { n: 0x12345678, big: -1234567890123456789n, text: "héllo € \u{1F600}", data: [1, 2, 3], note: "a note" },
    { n: 0, big: 0n, text: "", data: [], note: null },
    // Fragmented both ways: rpcrt4 cuts the request at what the bind_ack allowed (1432), the
    // server the response.
    {
      n: 7,
      big: 7n,
      text: "x".repeat(3000),
      data: Array.from({ length: 20_000 }, (_, i) => i & 255),
      note: null,
    },
  ];
  const lines = [
    ...calls.map((c) => `${echo.opnum} ${toHex(echo.encodeArgs(c))}`),
    `${fail.opnum} ${toHex(fail.encodeArgs({ status: 5 }))}`,
    `${sleep.opnum} ${toHex(sleep.encodeArgs({ ms: 1 }))}`,
    "6 ",
    "99 ",
    `${echo.opnum} 0102`,
    `${sleep.opnum} ${toHex(sleep.encodeArgs({ ms: 1 }))}`,
  ];
  for (const e of endpoints) {
    const out = await rpcrt4Calls(e.binding, lines);
    console.log(`[rpc] rpcrt4 → ${e.binding}: ${out.map((l) => l.slice(0, 24)).join(" | ")}`);
    assert(out.length === lines.length, `${e.binding}: ${out.length} answers for ${lines.length} calls`);
    calls.forEach((c, i) => {
      assert(out[i].startsWith("ok "), `${e.binding}: call ${i}: ${out[i].slice(0, 80)}`);
      const got = echo.decodeResult(fromHex(out[i].slice(3)));
      const same = got.n === c.n && got.big === c.big && got.text === c.text && got.note === c.note &&
        bytesEqual(Uint8Array.from(got.data as number[]), Uint8Array.from(c.data)) && got.status === 0;
      assert(same, `${e.binding}: echo ${i} came back different`);
    });
    const rest = out.slice(calls.length);
    assert(rest[0] === "error 5", `a fault with status 5 reaches rpcrt4 as 5: ${rest[0]}`);
    assert(
      rest[1] === `ok ${toHex(sleep.encodeResult({ status: 0 }))}`,
      `a call after the fault: ${rest[1]}`,
    );
    assert(
      rest[2] === "error 1745" && rest[3] === "error 1745",
      `unknown opnums: RPC_S_PROCNUM_OUT_OF_RANGE: ${rest[2]}, ${rest[3]}`,
    );
    assert(rest[4] === "error 1783", `bad stub data: RPC_X_BAD_STUB_DATA: ${rest[4]}`);
    assert(rest[5].startsWith("ok "), `still served: ${rest[5]}`);
  }
});

// --- Wine's own RPC servers ---

test("rpc client → Wine's Service Control Manager (\\pipe\\svcctl): open, enumerate, query RpcSs, close", async () => {
  await using client = await connectRpc("ncacn_np:[\\pipe\\svcctl]", {
    interfaces: [svcctl],
    timeout: 10_000,
  });
  const scm = client.proxy(svcctl);
  const manager = await scm.OpenSCManagerW({ machine: null, database: null, access: SC_MANAGER_READ });
  assert(manager.status === 0 && manager.handle.uuid !== NIL_UUID, `OpenSCManagerW: ${manager.status}`);
  // Too small a buffer first: ERROR_MORE_DATA and the size needed; then all of them.
  const probe = await scm.EnumServicesStatusW({
    manager: manager.handle,
    serviceType: SERVICE_WIN32,
    serviceState: SERVICE_STATE_ALL,
    bufSize: 0,
    resumeIndex: 0,
  });
  assert(
    probe.status === ERROR_MORE_DATA && probe.bytesNeeded > 0,
    `probe: ${probe.status}, ${probe.bytesNeeded}`,
  );
  const all = await scm.EnumServicesStatusW({
    manager: manager.handle,
    serviceType: SERVICE_WIN32,
    serviceState: SERVICE_STATE_ALL,
    bufSize: probe.bytesNeeded,
    resumeIndex: 0,
  });
  assert(all.status === 0, `EnumServicesStatusW: ${all.status}`);
  const services = parseEnumServiceStatus(all.buffer, all.servicesReturned);
  const names = services.map((s) => s.serviceName);
  console.log(`[rpc] svcctl lists ${services.length} services: ${names.join(", ")}`);
  const rpcss = services.find((s) => s.serviceName.toLowerCase() === "rpcss");
  assert(rpcss, `RpcSs is listed: ${names}`);
  const service = await scm.OpenServiceW({
    manager: manager.handle,
    service: "RpcSs",
    access: SERVICE_QUERY_STATUS,
  });
  assert(service.status === 0, `OpenServiceW: ${service.status}`);
  const q = await scm.QueryServiceStatusEx({ service: service.handle, infoLevel: 0, bufSize: 36 });
  assert(q.status === 0, `QueryServiceStatusEx: ${q.status}`);
  const status = parseServiceStatusProcess(q.buffer);
  console.log(`[rpc] RpcSs: ${JSON.stringify(status)}`);
  assert(status.currentState === 4 && status.processId > 0, "RpcSs is running, with a process id");
  assert(status.currentState === rpcss.status.currentState, "the enumeration agrees");
  const missing = await scm.OpenServiceW({
    manager: manager.handle,
    service: "winipc-no-such-service",
    access: 4,
  });
  assert(missing.status === 1060, `a missing service: ERROR_SERVICE_DOES_NOT_EXIST, got ${missing.status}`);
  for (const h of [service.handle, manager.handle]) {
    const closed = await scm.CloseServiceHandle({ handle: h });
    assert(closed.status === 0 && closed.handle.uuid === NULL_CONTEXT_HANDLE.uuid, "CloseServiceHandle");
  }
});

test("rpc client → Wine's endpoint mapper (\\pipe\\epmapper): ept_map finds an interface rpcrt4 registered", async () => {
  // The registration comes from rpcrt4 itself (RpcEpRegisterW in tests/peers/rpcrt4_register.ts):
  // Wine's rpcss refuses the library's ept_insert, whose ept_entry_t is laid out as C706 and
  // Windows have it, with nca_s_fault_invalid_bound (README, "Wine is not Windows"). A new UUID
  // each run: Wine keeps registrations after their process ends, and a newer one replaces them.
  const iface = { uuid: newGuid().replace(/[{}]/g, "").toLowerCase(), major: 3, minor: 1 };
  const pipe = uniqueName("rpc-ep");
  const peer = await spawnReadyPeer("rpcrt4_register.ts", [pipe, iface.uuid, "3.1", "winipc test"]);
  await using _peer = peer;
  try {
    await using ep = await connectRpc("ncacn_np:[\\pipe\\epmapper]", {
      interfaces: [epmapper],
      timeout: 10_000,
    });
    const mapper = ep.proxy(epmapper);
    const map = (syntax: typeof iface, protocol: "ncacn_np" | "ncacn_ip_tcp") =>
      mapper.ept_map({
        object: null,
        tower: towerValue(encodeTower(
          syntax,
          protocol === "ncacn_np"
            ? { protocol, host: null, pipe: "", object: null }
            : { protocol, host: "0.0.0.0", port: 0, object: null },
        )),
        entryHandle: NULL_CONTEXT_HANDLE,
        maxTowers: 4,
      });
    const found = await map(iface, "ncacn_np");
    assert(
      found.status === 0 && found.count === 1,
      `ept_map: 0x${found.status.toString(16)}, ${found.count} towers`,
    );
    const towers = found.towers.filter((t) => t !== null).map((t) => decodeTower(Uint8Array.from(t!.octets)));
    console.log(`[rpc] ept_map: ${JSON.stringify(towers)}`);
    const [tower] = towers;
    assert(
      tower.binding.protocol === "ncacn_np" && tower.binding.pipe.toLowerCase() === pipe.toLowerCase(),
      "the pipe",
    );
    assert(
      tower.interface.uuid === iface.uuid && tower.interface.major === 3 && tower.interface.minor === 1,
      "the interface",
    );
    assert(tower.transfer.uuid === NDR_SYNTAX.uuid && tower.transfer.major === 2, "NDR 2.0");
    // An older minor version of the interface is served by it; another major version, or TCP, is not.
    assert((await map({ ...iface, minor: 0 }, "ncacn_np")).count === 1, "v3.0 maps to the v3.1 registration");
    // resolveEndpoint asks the same and gives the binding to connect to.
    const resolved = await resolveEndpoint(iface, { timeout: 10_000 });
    assert(
      resolved.protocol === "ncacn_np" && resolved.pipe.toLowerCase() === pipe.toLowerCase(),
      "resolved",
    );
    const unknown = await resolveEndpoint({ ...iface, major: 4 }, { timeout: 10_000 }).catch((e) => e);
    assert(unknown instanceof NotFoundError, `an unregistered interface: ${unknown}`);
    // Wine answers a miss with status 0 and no towers, Windows with EPT_S_NOT_REGISTERED.
    for (const miss of [await map({ ...iface, major: 4 }, "ncacn_np"), await map(iface, "ncacn_ip_tcp")]) {
      assert(
        miss.count === 0 && (miss.status === 0 || miss.status === EPT_S_NOT_REGISTERED),
        `a miss: ${miss.count}`,
      );
    }
  } finally {
    peer.kill();
  }
});

// --- the rpc: channel ---

test("rpc: an rpc:NAME channel carries fast-check messages both ways to another process", async () => {
  const name = uniqueName("rpc-chan");
  await using server = await listen(`rpc:${name}`);
  await using peer = await spawnReadyPeer("rpc_peer.ts", ["channel-echo", name]);
  await checkEchoPeer(server, peer);
});

test("rpc: an rpc:NAME channel ends within 1 s when the peer dies; a missing name is NotFoundError", async () => {
  let missing: unknown;
  await connect(`rpc:${uniqueName("rpc-missing")}`, { timeout: 10_000 }).catch((e) => missing = e);
  assert(missing instanceof NotFoundError, `${missing}`);
  const name = uniqueName("rpc-kill");
  await using server = await listen(`rpc:${name}`);
  const peer = await spawnReadyPeer("rpc_peer.ts", ["channel-echo", name]);
  await using channel = await server.accept({ timeout: 30_000 });
  await checkEndsWhenPeerDies(channel, peer);
});
