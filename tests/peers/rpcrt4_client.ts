/**
 * A DCE/RPC client no one here wrote: the system's rpcrt4 client runtime, driven over FFI with
 * stub data made by the test (no generated stubs). For the RPC tests, with any interface.
 *   rpcrt4_client.ts BINDING IFACE_UUID MAJOR.MINOR
 *     BINDING     a string binding as RpcBindingFromStringBindingW reads it, in which a backslash
 *                 escapes the next character: ncacn_np:[\\pipe\\NAME] (two backslashes each, for
 *                 the endpoint \pipe\NAME; with single ones the runtime opens "pipeNAME" and
 *                 every call fails with 1722), ncacn_ip_tcp:127.0.0.1[PORT]
 * Then one call per line of stdin, `OPNUM HEX` (decimal opnum, the request's NDR stub data in
 * hex, possibly empty), and one line of stdout per call:
 *   ok HEX        the response's stub data (possibly empty)
 *   error STATUS  the RPC_STATUS in decimal: of I_RpcGetBuffer (connect or bind failed: 1722
 *                 RPC_S_SERVER_UNAVAILABLE, ...) or of I_RpcSendReceive (a FAULT's status mapped
 *                 by the runtime: 1745 RPC_S_PROCNUM_OUT_OF_RANGE for nca_s_op_rng_error, 1783
 *                 RPC_X_BAD_STUB_DATA, 5 access denied, unknown codes as sent)
 * Every call goes through the one binding, so calls share the association (and its context
 * handles). Exit code 0 at the end of stdin; 2 for bad arguments or a bad input line, 1 when
 * RpcBindingFromStringBindingW refuses the binding (status on stderr).
 * I_RpcSendReceive blocks this process's only thread until the response: fine for a peer.
 */
import process from "node:process";
import { rpcrt4 } from "../../src/ffi/rpcrt4.ts";
import { backend } from "../../src/ffi/runtime.ts";
import { NativeMemory } from "../../src/ffi/memory.ts";
import { wstr } from "../../src/ffi/wstr.ts";
import { kernel32 } from "../../src/ffi/kernel32.ts";
import { attempt, check } from "../../src/ffi/check.ts";
import { STD_INPUT_HANDLE, STD_OUTPUT_HANDLE } from "../../src/ffi/headers/winbase.ts";
import { ERROR_BROKEN_PIPE, ERROR_HANDLE_EOF } from "../../src/ffi/headers/winerror.ts";
import { interfaceHead } from "./_rpcrt4_interface.ts";
import {
  NDR_LOCAL_DATA_REPRESENTATION,
  RPC_CLIENT_INTERFACE,
  RPC_MESSAGE,
  RPC_S_OK,
} from "../../src/ffi/headers/rpcdcep.ts";

const k = kernel32.sync;
const stdin = k.GetStdHandle(STD_INPUT_HANDLE);
const stdout = k.GetStdHandle(STD_OUTPUT_HANDLE);

/**
 * The lines of stdin (without their line ends), the last one even if unterminated. Read with
 * synchronous ReadFile on the standard handle, as this peer is synchronous anyway: that works
 * whatever the handle is, where Bun's stdin stream under Wine fails with EBADF on a Linux pipe.
 */
function* stdinLines(): Generator<string> {
  const chunk = new Uint8Array(64 * 1024);
  const got = new Uint32Array(1);
  const decoder = new TextDecoder();
  let pending = "";
  for (;;) {
    const r = attempt(
      () => k.ReadFile(stdin, backend.addressOf(chunk), chunk.length, got, 0n),
      (ok) => ok === 0,
    );
    if (r.value === 0 && r.error !== ERROR_BROKEN_PIPE && r.error !== ERROR_HANDLE_EOF) {
      fail(`ReadFile(stdin): error ${r.error}`, 1);
    }
    if (r.value === 0 || got[0] === 0) break; // the end of the input
    pending += decoder.decode(chunk.subarray(0, got[0]), { stream: true });
    let nl: number;
    while ((nl = pending.indexOf("\n")) >= 0) {
      yield pending.slice(0, nl).replace(/\r$/, "");
      pending = pending.slice(nl + 1);
    }
  }
  pending = (pending + decoder.decode()).replace(/\r$/, "");
  if (pending !== "") yield pending;
}

/** Writes `text` to stdout, all of it (WriteFile on the standard handle, as stdin is read). */
function writeOut(text: string): void {
  const bytes = new TextEncoder().encode(text);
  const written = new Uint32Array(1);
  for (let done = 0; done < bytes.length; done += written[0]) {
    const rest = bytes.subarray(done);
    check("WriteFile(stdout)", () => k.WriteFile(stdout, backend.addressOf(rest), rest.length, written, 0n));
  }
}

function fail(message: string, code: number): never {
  console.error(`rpcrt4_client: ${message}`);
  process.exit(code);
}

const toHex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");

const [binding, ifaceUuid, version] = process.argv.slice(2);
const ver = /^(\d+)\.(\d+)$/.exec(version ?? "");
if (!binding || !ifaceUuid || !ver) fail("usage: rpcrt4_client.ts BINDING IFACE_UUID MAJOR.MINOR", 2);
// Wine's RpcBindingFromStringBindingW dereferences a NULL protocol sequence (a page fault, and the
// process hangs in winedbg) when the string has no `PROTSEQ:` part: refuse that here.
if (!/^[A-Za-z0-9_]+:/.test(binding)) fail(`not a string binding (PROTSEQ:...): ${binding}`, 2);

const rpc = rpcrt4().sync;
const handleOut = new BigUint64Array(1);
const bound = rpc.RpcBindingFromStringBindingW(wstr(binding), handleOut);
if (bound !== RPC_S_OK) fail(`RpcBindingFromStringBindingW(${binding}): status ${bound >>> 0}`, 1);
const handle = handleOut[0];

// Both structs stay at one address: the runtime keeps the interface's address in the message.
const iface = new NativeMemory(RPC_CLIENT_INTERFACE.size);
RPC_CLIENT_INTERFACE.write(
  iface.bytes,
  interfaceHead(RPC_CLIENT_INTERFACE.size, ifaceUuid, Number(ver[1]), Number(ver[2])),
);
const message = new NativeMemory(RPC_MESSAGE.size);

/** One call: the output line for it. */
function call(opnum: number, stub: Uint8Array): string {
  message.bytes.fill(0);
  RPC_MESSAGE.write(message.bytes, {
    Handle: handle,
    DataRepresentation: NDR_LOCAL_DATA_REPRESENTATION,
    BufferLength: stub.length,
    ProcNum: opnum,
    RpcInterfaceInformation: iface.address,
  });
  // On failure I_RpcGetBuffer frees the buffer itself (and Wine leaves the freed pointer in
  // Buffer), so there is nothing to free then.
  const got = rpc.I_RpcGetBuffer(message.address);
  if (got !== RPC_S_OK) return `error ${got >>> 0}`;
  try {
    const request = RPC_MESSAGE.read(message.bytes);
    if (stub.length > 0) new Uint8Array(backend.memory(request.Buffer, stub.length)).set(stub);
    const status = rpc.I_RpcSendReceive(message.address);
    if (status !== RPC_S_OK) return `error ${status >>> 0}`;
    const response = RPC_MESSAGE.read(message.bytes);
    const data = response.BufferLength > 0 && response.Buffer !== 0n
      ? new Uint8Array(backend.memory(response.Buffer, response.BufferLength)).slice()
      : new Uint8Array(0);
    return `ok ${toHex(data)}`;
  } finally {
    // After a failed send or receive too (as a generated stub's NdrFreeBuffer does): frees what
    // Buffer holds then and gives back or drops the connection.
    rpc.I_RpcFreeBuffer(message.address);
  }
}

for (const line of stdinLines()) {
  const m = /^\s*(\d+)(?:\s+([0-9a-fA-F]*))?\s*$/.exec(line);
  if (!m || (m[2] ?? "").length % 2 !== 0) fail(`bad input line ${JSON.stringify(line)} (OPNUM HEX)`, 2);
  const hex = m[2] ?? "";
  const stub = new Uint8Array(hex.length / 2);
  for (let i = 0; i < stub.length; i++) stub[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  writeOut(`${call(Number(m[1]), stub)}\n`);
}

rpc.RpcBindingFree(handleOut);
message[Symbol.dispose]();
iface[Symbol.dispose]();
