/**
 * Floor: a named pipe driven by raw synchronous FFI (CreateNamedPipeW, ConnectNamedPipe,
 * CreateFileW, ReadFile, WriteFile, all blocking), in the parent and in the peer alike. Same
 * buffer sizes as the library's pipes (64 KiB). Blocking is what a floor may do: it measures the
 * raw calls.
 * @module
 */
import { kernel32 } from "../../src/ffi/kernel32.ts";
import { attempt, check, checkHandle } from "../../src/ffi/check.ts";
import { Win32Error } from "../../src/ffi/error.ts";
import { wstr } from "../../src/ffi/wstr.ts";
import {
  OPEN_EXISTING,
  PIPE_ACCESS_DUPLEX,
  PIPE_READMODE_BYTE,
  PIPE_READMODE_MESSAGE,
  PIPE_TYPE_BYTE,
  PIPE_TYPE_MESSAGE,
  PIPE_WAIT,
} from "../../src/ffi/headers/winbase.ts";
import { GENERIC_READ, GENERIC_WRITE } from "../../src/ffi/headers/winnt.ts";
import {
  ERROR_FILE_NOT_FOUND,
  ERROR_PIPE_BUSY,
  ERROR_PIPE_CONNECTED,
} from "../../src/ffi/headers/winerror.ts";
import {
  ackOf,
  BULK_SIZE,
  bulkCount,
  type Measured,
  measureRttSync,
  measureThroughputSync,
  RTT_SIZE,
  type Settings,
  spawnPeer,
  uniqueName,
} from "../measure.ts";
import { SyncIo } from "./sync_io.ts";

const k = kernel32.sync;
export type PipeMode = "message" | "byte";

/** The parent: serves the pipe, starts the peer, measures. */
export async function rawPipe(mode: PipeMode, s: Settings): Promise<Measured> {
  const name = `\\\\.\\pipe\\${uniqueName(`raw-${mode}`)}`;
  const type = mode === "message"
    ? PIPE_TYPE_MESSAGE | PIPE_READMODE_MESSAGE
    : PIPE_TYPE_BYTE | PIPE_READMODE_BYTE;
  const h = checkHandle(
    "CreateNamedPipeW",
    () =>
      k.CreateNamedPipeW(wstr(name), PIPE_ACCESS_DUPLEX, type | PIPE_WAIT, 1, BULK_SIZE, BULK_SIZE, 0, null),
  );
  let open = true;
  const close = () => open && !(open = false) && k.CloseHandle(h);
  const count = bulkCount(s.bulkMiB);
  await using _peer = spawnPeer("raw-pipe", [name, mode, String(s.warmup + s.rtt), String(count)]);
  try {
    const c = attempt(() => k.ConnectNamedPipe(h, 0n), (ok) => !ok);
    if (!c.value && c.error !== ERROR_PIPE_CONNECTED) throw new Win32Error("ConnectNamedPipe", c.error);
    using io = new SyncIo(h, BULK_SIZE);
    const rtt = measureRttSync((m) => io.write(m), () => io.read(RTT_SIZE), s);
    const throughput = measureThroughputSync((m) => io.write(m), () => io.read(8), count);
    return { rtt, throughput, notes: ["blocking calls on both sides"] };
  } finally {
    close(); // before the peer is awaited: it waits for the pipe to break
  }
}

/** The peer: opens the pipe, echoes the round trips, counts the bulk bytes, acknowledges. */
export function rawPipePeer(name: string, mode: PipeMode, rttTotal: number, count: number): void {
  const deadline = performance.now() + 30_000;
  let h = 0n;
  while (true) {
    const r = attempt(
      () => k.CreateFileW(wstr(name), (GENERIC_READ | GENERIC_WRITE) >>> 0, 0, 0n, OPEN_EXISTING, 0, 0n),
      (v) => v === 0xffffffffffffffffn,
    );
    if (r.value !== 0xffffffffffffffffn) {
      h = r.value;
      break;
    }
    const retry = r.error === ERROR_PIPE_BUSY || r.error === ERROR_FILE_NOT_FOUND;
    if (!retry || performance.now() > deadline) throw new Win32Error("CreateFileW", r.error);
  }
  if (mode === "message") {
    check(
      "SetNamedPipeHandleState",
      () => k.SetNamedPipeHandleState(h, Uint32Array.of(PIPE_READMODE_MESSAGE), 0n, 0n),
    );
  }
  using io = new SyncIo(h, BULK_SIZE);
  for (let i = 0; i < rttTotal; i++) io.write(io.read(RTT_SIZE));
  let bytes = 0;
  while (bytes < count * BULK_SIZE) bytes += io.readSome(BULK_SIZE);
  io.write(ackOf(bytes));
  // Until the parent closes its end (ReadFile then fails): the parent reads the ack first.
  try {
    io.readSome(1);
  } catch { /* the pipe broke: done */ }
  k.CloseHandle(h);
}
