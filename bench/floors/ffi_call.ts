/**
 * The cost of one FFI call and nothing else: through winipc's symbol tables (the runtime backend
 * every mechanism calls through), and, in Node, through koffi directly. In Node the ratio of the
 * two is the koffi backend's overhead: its unused padding arguments (backend_node.ts says why
 * Wine needs them) and its 64-bit results made bigints. Each sample times a batch of calls; the
 * figures are per call.
 *
 * The raw koffi floor is the one place outside src/ffi that loads koffi: a floor must bypass the
 * library's backend to measure it.
 * @module
 */
import { createRequire } from "node:module";
import { kernel32 } from "../../src/ffi/kernel32.ts";
import { type Measured, runtime, type Settings, timeRoundTrips } from "../measure.ts";
import type { Summary } from "../stats.mjs";

/** Calls per timed sample: a single call is below performance.now()'s resolution under Wine. */
const BATCH = 1000;

/** The calls measured: each a kernel32 function Wine answers in user mode, without the wineserver. */
export const CALL_SHAPES = {
  u32: {
    what: "GetCurrentProcessId(): no arguments, a DWORD back",
    koffi: ["GetCurrentProcessId", "uint32_t", []],
  },
  ptr: {
    what: "GetCurrentProcess(): no arguments, a HANDLE back (a bigint in winipc)",
    koffi: ["GetCurrentProcess", "uintptr_t", []],
  },
  buf: {
    what: "GetSystemInfo(buffer): a 48-byte Uint8Array in, nothing back",
    koffi: ["GetSystemInfo", "void", ["void *"]],
  },
} as const;
export type CallShape = keyof typeof CALL_SHAPES;

const SYSTEM_INFO_SIZE = 48;

/** `summary` (µs per batch) as µs per call. */
function perCall(summary: Summary): Summary {
  const f = 1 / BATCH;
  return {
    n: summary.n,
    median: summary.median * f,
    p99: summary.p99 * f,
    mean: summary.mean * f,
    min: summary.min * f,
    max: summary.max * f,
  };
}

/** Times `call` in batches; `check` runs once first, so a broken binding fails instead of timing. */
function timeCalls(s: Settings, call: () => unknown, check: () => void): Summary {
  check();
  return perCall(timeRoundTrips(s, () => {
    for (let i = 0; i < BATCH; i++) call();
  }));
}

/** A call through winipc's kernel32 table (the backend of this runtime). */
export function libraryCall(shape: CallShape, s: Settings): Measured {
  const k = kernel32.sync;
  const info = new Uint8Array(SYSTEM_INFO_SIZE);
  const calls: Record<CallShape, () => unknown> = {
    u32: () => k.GetCurrentProcessId(),
    ptr: () => k.GetCurrentProcess(),
    buf: () => k.GetSystemInfo(info),
  };
  const rtt = timeCalls(s, calls[shape], () => expectResult(shape, calls[shape](), info));
  return { rtt, notes: [`µs per call, ${CALL_SHAPES[shape].what}; batches of ${BATCH}`] };
}

/** The same call through koffi directly: Node only (Deno and Bun have their own FFI). */
export function rawKoffiCall(shape: CallShape, s: Settings): Measured | string {
  if (runtime !== "node") return "Node only: koffi is Node's FFI (Deno and Bun call through their own)";
  const koffi = createRequire(import.meta.url)("koffi");
  const lib = koffi.load("kernel32.dll");
  try {
    const [name, result, args] = CALL_SHAPES[shape].koffi;
    const fn = lib.func(name, result, [...args]);
    const info = new Uint8Array(SYSTEM_INFO_SIZE);
    const call = shape === "buf" ? () => fn(info) : () => fn();
    const rtt = timeCalls(s, call, () => expectResult(shape, call(), info));
    return { rtt, notes: [`µs per call, koffi ${koffi.version}, unpadded; batches of ${BATCH}`] };
  } finally {
    lib.unload();
  }
}

/** Throws unless a call gave what it must (the process id, the pseudo-handle -1, a filled SYSTEM_INFO). */
function expectResult(shape: CallShape, got: unknown, info: Uint8Array): void {
  const ok = shape === "u32"
    ? Number(got) > 0
    : shape === "ptr"
    ? BigInt.asUintN(64, BigInt(got as number | bigint)) === 0xffffffffffffffffn
    : new DataView(info.buffer).getUint32(4, true) === 4096; // dwPageSize
  if (!ok) throw new Error(`${CALL_SHAPES[shape].what}: unexpected result ${String(got)}`);
}
