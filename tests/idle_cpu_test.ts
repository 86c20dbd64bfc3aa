/**
 * Idle costs no CPU (issue 12): for every mechanism, a server waiting for its next peer (a pending
 * accept(); for mailslots, UDP and serial lines, which have no listener, a pending receive) and
 * one connected channel whose two ends wait in receive() use less than 1 % of the wall time in
 * process CPU over 5 s. Each mechanism runs in a process of its own (tests/peers/idle_peer.ts,
 * scenarios in tests/_support/idle_scenarios.ts), so every figure belongs to one mechanism; the
 * processes are measured at the same time, once all are set up. Each figure is printed.
 *
 * Each process runs its scenario once and tears it down before the measured run, so the
 * process-wide objects made on first use (wait threads and their wake events, window classes,
 * Winsock) exist before the handle and native-block counts are taken; after the measured run the
 * counts must be back where they were (handles less the wait pool's wake events, kept by peak
 * concurrency). The first test is the negative control: a process that polls must show.
 *
 * The figure is the whole process's, the runtime's own background work included: under Bun, an
 * idle collection once a second on every JS thread that is not blocked in a call (pooled call
 * workers too) costs some 0.2-0.4 % here; under Deno, a full collection before the settle time
 * keeps the setup's garbage out of the window.
 */
import { readFileSync, rmSync } from "node:fs";
import process from "node:process";
import { KernelEvent } from "../src/sync.ts";
import {
  assert,
  LIBRARY_DENO_FLAGS,
  type Peer,
  runtime,
  spawnPeer,
  test,
  uniqueName,
  within,
} from "./_support/harness.ts";
import { type IdleResult, MAX_SHARE, scenarios, STEP_MS, WINDOW_MS } from "./_support/idle_scenarios.ts";
import { unixUnsupported } from "./_support/unix_socket.ts";

const unixSkip = await unixUnsupported();
const skipOf = (label: string) => label === "unix" ? unixSkip : undefined;
/** How long every process together may take to start and set up (13 runtimes on 2 cores). */
const READY_MS = 180_000;

/** Each scenario's process, started once for all the tests: label -> its result. */
let results: Promise<Map<string, Promise<IdleResult>>> | undefined;

/** A process's result, once it has exited (killed if it has not within the bound). */
async function resultOf(peer: Peer, out: string): Promise<IdleResult> {
  await using _reaped = peer;
  const code = await within(WINDOW_MS + 3 * STEP_MS, peer.exited, "the idle process");
  try {
    return JSON.parse(readFileSync(out, "utf8"));
  } catch (e) {
    return { error: `exit code ${code} and no result (${e}); its output is above` };
  } finally {
    rmSync(out, { force: true });
  }
}

/**
 * Starts every scenario's process, waits until all are set up (each sets its named event), then
 * lets them measure together (the named event they wait for). The processes' output goes to
 * this one's (a runtime here reads only so many pipes at once under Wine: the rest stalled), and
 * each writes its result to a file.
 */
async function startAll(): Promise<Map<string, Promise<IdleResult>>> {
  const base = uniqueName("idle");
  using go = KernelEvent.create(`${base}-go`, { manualReset: true });
  // unix: the scenario makes and removes a socket file in %TEMP%; every one writes its result there.
  const denoFlags = [...LIBRARY_DENO_FLAGS, "--allow-env", "--allow-read", "--allow-write"];
  const started: { label: string; peer: Peer; out: string; ready: KernelEvent }[] = [];
  try {
    for (const label of Object.keys(scenarios)) {
      if (skipOf(label)) continue;
      const ready = KernelEvent.create(`${base}-ready-${started.length}`, { manualReset: true });
      const out = `${process.env.TEMP ?? "C:\\windows\\temp"}\\${base}-${started.length}.json`;
      const args = [label, `${base}-go`, `${base}-ready-${started.length}`, out];
      started.push({ label, ready, out, peer: spawnPeer("idle_peer.ts", args, { denoFlags }) });
    }
    // One not ready in time (or ended) is killed; its test fails, the others measure all the same.
    await Promise.all(started.map(async ({ peer, ready }) => {
      const ended = new AbortController();
      peer.exited.then(() => ended.abort(), () => {});
      try {
        await ready.wait({ timeout: READY_MS, signal: ended.signal });
      } catch {
        peer.kill();
      }
    }));
  } finally {
    for (const { ready } of started) ready.close();
  }
  go.set();
  const all = new Map<string, Promise<IdleResult>>();
  for (const { label, peer, out } of started) {
    const result = resultOf(peer, out);
    result.catch(() => {}); // awaited by the label's test
    all.set(label, result);
  }
  return all;
}

for (const [label, { what, control }] of Object.entries(scenarios)) {
  const sep = what.startsWith("(") ? " " : ": ";
  const name = control
    ? `idle ${label}: ${what}`
    : `idle ${label}${sep}${what} < 1 % CPU over ${WINDOW_MS / 1000} s`;
  test(name, async () => {
    results ??= startAll();
    const result = await (await results).get(label)!;
    if ("error" in result) throw new Error(`${label}: ${result.error}`);
    const { cpuMs, wallMs, handles, blocks } = result;
    const share = (100 * cpuMs / wallMs).toFixed(2);
    console.log(
      `[idle] ${runtime} ${label}: ${cpuMs.toFixed(1)} ms CPU in ${wallMs.toFixed(0)} ms (${share} %)`,
    );
    if (control) {
      assert(cpuMs > wallMs * MAX_SHARE, `${label}: the measure saw only ${cpuMs.toFixed(1)} ms CPU`);
    } else {
      assert(
        cpuMs < wallMs * MAX_SHARE,
        `${label}: idle used ${cpuMs.toFixed(1)} ms CPU in ${wallMs.toFixed(0)} ms`,
      );
    }
    assert(handles[0] === handles[1], `${label}: open handles went from ${handles[0]} to ${handles[1]}`);
    assert(blocks[0] === blocks[1], `${label}: native blocks went from ${blocks[0]} to ${blocks[1]}`);
  }, { skip: skipOf(label) });
}
