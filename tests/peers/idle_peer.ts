/**
 * One scenario of the idle-CPU test (tests/idle_cpu_test.ts), in a process of its own, so the
 * process's CPU time is that scenario's alone while the others are measured at the same time.
 *   idle_peer.ts LABEL GO READY OUT
 * Runs the scenario once and tears it down (the process-wide objects made on first use then
 * exist), counts open handles and native blocks, starts it again, collects garbage and sets the
 * named event READY. Then it waits for the named event GO: the test sets it once every scenario
 * is ready, so no process's setup falls in another's window (CPU time is per process, but a
 * starved process's background threads finish late). Then the settle time, the measured window,
 * the teardown, and its {@link IdleResult} as JSON in the file OUT.
 */
import { writeFileSync } from "node:fs";
import process from "node:process";
import v8 from "node:v8";
import vm from "node:vm";
import { libraryHandleCount } from "../_support/resources.ts";
import { nativeBlockCount } from "../../src/ffi/memory.ts";
import { KernelEvent } from "../../src/sync.ts";
import { cpuTimeMs, within } from "../_support/harness.ts";
import { type IdleResult, scenarios, SETTLE_MS, STEP_MS, WINDOW_MS } from "../_support/idle_scenarios.ts";

const [label, goName, readyName, out] = process.argv.slice(2);
const delay = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * A full garbage collection now. Without it, the collection of the setup's garbage can fall in
 * the window (seen in Deno: a V8 mark-compact of 100-170 ms some 4 s after the clipboard setup).
 * Deno exposes `gc` only behind a V8 flag, which can still be set from JS (as in Node).
 */
const collectGarbage: () => void = (() => {
  const bun = (globalThis as { Bun?: { gc(force: boolean): void } }).Bun;
  if (bun) return () => bun.gc(true);
  v8.setFlagsFromString("--expose-gc");
  return vm.runInNewContext("gc") as () => void;
})();

/** Open handles, less the wait pool's wake events (waiting for GO adds one). */
const handleCount = libraryHandleCount;

async function run(): Promise<IdleResult> {
  const scenario = scenarios[label];
  if (!scenario) throw new Error(`no idle scenario ${label}`);
  using go = KernelEvent.open(goName);
  await (await scenario.start())();
  const handles = handleCount();
  const blocks = nativeBlockCount();
  const teardown = await scenario.start();
  let measured: { cpuMs: number; wallMs: number };
  try {
    collectGarbage();
    using ready = KernelEvent.open(readyName);
    ready.set();
    await go.wait({ timeout: 300_000 });
    await delay(SETTLE_MS);
    const cpu0 = cpuTimeMs();
    const t0 = performance.now();
    await delay(WINDOW_MS);
    measured = { cpuMs: cpuTimeMs() - cpu0, wallMs: performance.now() - t0 };
  } finally {
    await within(STEP_MS, teardown(), `${label}: teardown`);
  }
  return {
    ...measured,
    handles: [handles, handleCount()],
    blocks: [blocks, nativeBlockCount()],
  };
}

let result: IdleResult;
try {
  result = await run();
} catch (e) {
  result = { error: e instanceof Error ? e.stack ?? e.message : String(e) };
}
writeFileSync(out, JSON.stringify(result));
process.exit(0);
