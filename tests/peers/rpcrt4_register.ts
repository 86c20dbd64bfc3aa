/**
 * An interface registered in the endpoint mapper by the system's own rpcrt4 (not by this
 * library's client, whose ept_insert Wine's rpcss refuses): for the tests of the endpoint-mapper
 * client and of binding resolution against registrations no one here made.
 *   rpcrt4_register.ts PIPE IFACE_UUID MAJOR.MINOR ANNOTATION EVENT
 * listens (RpcServerUseProtseqEpW) on ncacn_np \pipe\PIPE, registers IFACE_UUID vMAJOR.MINOR
 * with the NDR 2.0 transfer syntax, the nil object UUID and ANNOTATION for every binding of this
 * process (RpcServerInqBindings, RpcEpRegisterW), sets EVENT, then stays alive until killed. It
 * never calls RpcServerRegisterIf or RpcServerListen: nothing is served on the pipe; the
 * registration is what counts.
 * Exit code 2 for bad arguments, 1 when a runtime call fails (its RPC_STATUS on stderr).
 * Under Wine the entry outlives this process (rpcss keeps it until the wineserver stops); a later
 * registration of the same interface (and nil object) replaces it, whatever its pipe: ept_map
 * then returns only the newest one.
 */
import process from "node:process";
import { rpcrt4 } from "../../src/ffi/rpcrt4.ts";
import { NativeMemory } from "../../src/ffi/memory.ts";
import { wstr } from "../../src/ffi/wstr.ts";
import { interfaceHead } from "./_rpcrt4_interface.ts";
import {
  RPC_C_PROTSEQ_MAX_REQS_DEFAULT,
  RPC_S_OK,
  RPC_SERVER_INTERFACE,
} from "../../src/ffi/headers/rpcdcep.ts";
import { KernelEvent } from "../../src/sync.ts";

function fail(message: string, code: number): never {
  console.error(`rpcrt4_register: ${message}`);
  process.exit(code);
}

const [pipe, ifaceUuid, version, annotation, eventName] = process.argv.slice(2);
const ver = /^(\d+)\.(\d+)$/.exec(version ?? "");
if (!pipe || !ifaceUuid || !ver || annotation === undefined || !eventName) {
  fail("usage: rpcrt4_register.ts PIPE IFACE_UUID MAJOR.MINOR ANNOTATION EVENT", 2);
}

const rpc = rpcrt4().sync;
/** Fails (exit code 1) unless `status` is RPC_S_OK. */
function checkRpc(what: string, status: number): void {
  if (status !== RPC_S_OK) fail(`${what}: status ${status >>> 0}`, 1);
}

checkRpc(
  `RpcServerUseProtseqEpW(ncacn_np, \\pipe\\${pipe})`,
  rpc.RpcServerUseProtseqEpW(wstr("ncacn_np"), RPC_C_PROTSEQ_MAX_REQS_DEFAULT, wstr(`\\pipe\\${pipe}`), 0n),
);

// The interface stays at one address for the life of the process (RpcEpUnregister would take it
// again); no dispatch table: RpcEpRegisterW reads only the two syntax identifiers.
const iface = new NativeMemory(RPC_SERVER_INTERFACE.size);
RPC_SERVER_INTERFACE.write(
  iface.bytes,
  interfaceHead(RPC_SERVER_INTERFACE.size, ifaceUuid, Number(ver[1]), Number(ver[2])),
);

const vector = new BigUint64Array(1); // RPC_BINDING_VECTOR *
checkRpc("RpcServerInqBindings", rpc.RpcServerInqBindings(vector));
try {
  checkRpc(
    `RpcEpRegisterW(${ifaceUuid} v${version})`,
    rpc.RpcEpRegisterW(iface.address, vector[0], 0n, wstr(annotation)),
  );
} finally {
  rpc.RpcBindingVectorFree(vector);
}

{
  using ready = KernelEvent.open(eventName);
  ready.set();
}
setInterval(() => {}, 1 << 30); // keep the pipe and the registration until killed
