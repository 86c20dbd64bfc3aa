/**
 * The benchmark's cases, in the order they run: each floor right before the library cases
 * measured against it, so that a load change during the run hits both alike. `floor` names the
 * case a ratio is taken against (RTT: median over median; throughput: rate over rate); `compare`
 * adds the other references the acceptance names.
 * @module
 */
import { channelCase, childPipeCase, mailslotCase, serialCase, udpCase, unixCase } from "./library.ts";
import { rawPipe } from "./floors/raw_pipe.ts";
import { rawEvent } from "./floors/raw_event.ts";
import { rawShm } from "./floors/raw_shm.ts";
import { rawTcp } from "./floors/raw_tcp.ts";
import { runtimeTcp } from "./floors/runtime_tcp.ts";
import { CALL_SHAPES, type CallShape, libraryCall, rawKoffiCall } from "./floors/ffi_call.ts";
import { type Measured, type Settings, spawnPeer } from "./measure.ts";

/** The shm spin case's spin, microseconds (shm:NAME?spin=...) on both ends. */
export const SHM_SPIN_US = 200;

/**
 * Practical limits of the slow mechanisms, measured on the 2-core machine under Wine: a clipboard
 * round trip is ~17 ms (2000 would take over half a minute per runtime), a socat pty pair moves
 * ~9 MiB/s, and a mailslot writer is never held back by its reader.
 */
export const LIMITS = {
  mailslotMiB: 64,
  clipboardRtt: 500,
  clipboardMiB: 16,
  serialMiB: 32,
};

export interface CaseSpec {
  /** The name WINIPC_BENCH_ONLY selects. */
  name: string;
  /** What the table shows. */
  title: string;
  /** A floor measures raw calls (or another implementation) without winipc. */
  kind: "library" | "floor";
  /** The floor case each ratio is taken against. */
  floor?: { rtt?: string; throughput?: string };
  /** Further references shown as ratios (RTT and throughput). */
  compare?: string[];
  /** The mechanism's practical limit, when the run uses less than the defaults. */
  limit?: string;
  /** Its RTT figures are per FFI call, not per round trip (the chart leaves it out). */
  perCall?: boolean;
  /** The case process is killed after this long. */
  timeoutMs: number;
  /** Measures; a string says why the case cannot run here (skipped). */
  run(s: Settings): Promise<Measured | string>;
}

/** The shared floors run by Node for Windows (bench/node_floor.mjs), once per run. */
export const NODE_FLOORS = ["node-net-pipe", "node-net-tcp"];

/**
 * Runs a case while another process of this runtime keeps one core busy: "under load" on the
 * 2-core machine, for the floor and the library case alike.
 */
async function underLoad(run: () => Promise<Measured | string>): Promise<Measured | string> {
  const burner = spawnPeer("burn", ["80"]);
  try {
    const r = await run();
    if (typeof r !== "string") {
      delete r.idle; // idle CPU under someone else's load says nothing about the listener
      r.notes = [...(r.notes ?? []), "one core kept busy by another process (no idle figure)"];
    }
    return r;
  } finally {
    burner.kill();
    await burner.exited;
  }
}

const id = () => `winipc-bench-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;

/**
 * One FFI call through winipc's backend, and (in Node) the same call through koffi directly: the
 * koffi backend's overhead. Deno and Bun measure their backend's call alone.
 */
const callCases = (Object.keys(CALL_SHAPES) as CallShape[]).flatMap((shape): CaseSpec[] => [
  {
    name: `raw-koffi-call-${shape}`,
    title: `raw koffi call, ${CALL_SHAPES[shape].koffi[0]}`,
    kind: "floor",
    perCall: true,
    timeoutMs: 60_000,
    run: (s) => Promise.resolve(rawKoffiCall(shape, s)),
  },
  {
    name: `ffi-call-${shape}`,
    title: `winipc's FFI backend, ${CALL_SHAPES[shape].koffi[0]}`,
    kind: "library",
    floor: { rtt: `raw-koffi-call-${shape}` },
    perCall: true,
    timeoutMs: 60_000,
    run: (s) => Promise.resolve(libraryCall(shape, s)),
  },
]);

export const CASES: CaseSpec[] = [
  ...callCases,
  {
    name: "raw-pipe-message",
    title: "raw FFI named pipe, message mode",
    kind: "floor",
    timeoutMs: 60_000,
    run: (s) => rawPipe("message", s),
  },
  {
    name: "pipe-message",
    title: "named pipe, message mode (pipe:NAME)",
    kind: "library",
    floor: { rtt: "raw-pipe-message", throughput: "raw-pipe-message" },
    compare: ["node-net-pipe"],
    timeoutMs: 60_000,
    run: (s) => channelCase(s, `pipe:${id()}`),
  },
  {
    name: "raw-pipe-message-loaded",
    title: "raw FFI named pipe, message mode, under load",
    kind: "floor",
    timeoutMs: 90_000,
    run: (s) => underLoad(() => rawPipe("message", s)),
  },
  {
    name: "pipe-message-loaded",
    title: "named pipe, message mode, under load (pipe:NAME)",
    kind: "library",
    floor: { rtt: "raw-pipe-message-loaded", throughput: "raw-pipe-message-loaded" },
    timeoutMs: 90_000,
    run: (s) => underLoad(() => channelCase(s, `pipe:${id()}`)),
  },
  {
    name: "raw-pipe-byte",
    title: "raw FFI named pipe, byte mode",
    kind: "floor",
    timeoutMs: 60_000,
    run: (s) => rawPipe("byte", s),
  },
  {
    name: "pipe-byte",
    title: "named pipe, byte mode (pipe:NAME?mode=byte)",
    kind: "library",
    floor: { rtt: "raw-pipe-byte", throughput: "raw-pipe-byte" },
    compare: ["node-net-pipe"],
    timeoutMs: 60_000,
    run: (s) => channelCase(s, `pipe:${id()}?mode=byte`),
  },
  {
    name: "child-pipe",
    title: "anonymous pipes to a child (spawn)",
    kind: "library",
    floor: { rtt: "raw-pipe-byte", throughput: "raw-pipe-byte" },
    timeoutMs: 60_000,
    run: childPipeCase,
  },
  {
    name: "mailslot",
    title: "mailslots, one each way",
    kind: "library",
    limit:
      `${LIMITS.mailslotMiB} MiB: no flow control, so the writer runs ahead and the kernel queues what the reader has not taken`,
    timeoutMs: 60_000,
    run: (s) => mailslotCase(s, LIMITS.mailslotMiB),
  },
  {
    name: "raw-event",
    title: "raw FFI event ping-pong",
    kind: "floor",
    timeoutMs: 60_000,
    run: rawEvent,
  },
  {
    name: "shm-events",
    title: "shared memory, events (shm:NAME?size=1MiB)",
    kind: "library",
    floor: { rtt: "raw-event" },
    timeoutMs: 60_000,
    run: (s) => channelCase(s, `shm:${id()}?size=1MiB`),
  },
  {
    name: "dll",
    title: "DLL shared section, events (dll:NAME?size=1MiB)",
    kind: "library",
    floor: { rtt: "raw-event" },
    timeoutMs: 60_000,
    run: (s) => {
      const a = `dll:${id()}?size=1MiB`;
      return channelCase(s, a, { connectTo: a });
    },
  },
  {
    name: "raw-shm-spin",
    title: "raw Atomics spin ping-pong on a mapped view",
    kind: "floor",
    timeoutMs: 60_000,
    run: rawShm,
  },
  {
    name: "shm-spin",
    title: `shared memory, spin ${SHM_SPIN_US} µs (shm:NAME?size=1MiB&spin=${SHM_SPIN_US})`,
    kind: "library",
    floor: { rtt: "raw-shm-spin" },
    timeoutMs: 60_000,
    run: (s) => {
      const name = id();
      return channelCase(s, `shm:${name}?size=1MiB&spin=${SHM_SPIN_US}`, {
        connectTo: `shm:${name}?spin=${SHM_SPIN_US}`,
      });
    },
  },
  {
    name: "raw-tcp",
    title: "raw ws2_32 TCP (blocking, TCP_NODELAY)",
    kind: "floor",
    timeoutMs: 60_000,
    run: rawTcp,
  },
  {
    name: "runtime-tcp",
    title: "the runtime's node:net TCP (setNoDelay)",
    kind: "floor",
    timeoutMs: 60_000,
    run: runtimeTcp,
  },
  {
    name: "tcp",
    title: "TCP socket (tcp:127.0.0.1:0)",
    kind: "library",
    floor: { rtt: "raw-tcp", throughput: "raw-tcp" },
    compare: ["runtime-tcp", "node-net-tcp"],
    timeoutMs: 60_000,
    run: (s) => channelCase(s, "tcp:127.0.0.1:0"),
  },
  {
    name: "unix",
    title: "AF_UNIX stream socket (unix:PATH)",
    kind: "library",
    timeoutMs: 60_000,
    run: unixCase,
  },
  {
    name: "udp",
    title: "UDP datagrams (UdpSocket)",
    kind: "library",
    timeoutMs: 60_000,
    run: udpCase,
  },
  {
    name: "copydata",
    title: "window messages, WM_COPYDATA (copydata:NAME)",
    kind: "library",
    timeoutMs: 60_000,
    run: (s) => channelCase(s, `copydata:${id()}`),
  },
  {
    name: "clipboard",
    title: "clipboard (clipboard:NAME)",
    kind: "library",
    limit:
      `${LIMITS.clipboardRtt} round trips and ${LIMITS.clipboardMiB} MiB: each message is a clipboard write and an acknowledgement (~17 ms)`,
    timeoutMs: 90_000,
    run: (s) =>
      channelCase(s, `clipboard:${id()}`, { rtt: LIMITS.clipboardRtt, bulkLimitMiB: LIMITS.clipboardMiB }),
  },
  {
    name: "serial",
    title: "serial COM1 <-> COM2 (framed)",
    kind: "library",
    limit:
      `${LIMITS.serialMiB} MiB: a socat pty pair under Wine (~9 MiB/s; the 115200 baud set does not apply to a pty)`,
    timeoutMs: 90_000,
    run: (s) => serialCase(s, ["COM1", "COM2"], LIMITS.serialMiB),
  },
];
