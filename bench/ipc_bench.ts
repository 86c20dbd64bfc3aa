/**
 * Benchmark (not a test): 64-byte round trip and 256 MiB in 64 KiB messages, shared-memory
 * channel against named-pipe channel, between this process and a child of the same runtime.
 * Prints absolute numbers and the ratio to the named-pipe baseline measured in the same run.
 *
 *   npm run bench            (both runtimes under Wine)
 *   deno run -A bench/ipc_bench.ts  |  bun bench/ipc_bench.ts   (on Windows)
 */
import { connect, listen } from "../mod.ts";
import process from "node:process";

// deno-lint-ignore no-explicit-any
const g = globalThis as any;
const runtime = g.Bun ? "bun" : "deno";
const [role, address, count] = process.argv.slice(2);

if (role === "echo") {
  await using ch = await connect(address, { timeout: 30_000 });
  for await (const m of ch) await ch.send(m);
  process.exit(0);
}
if (role === "sink") {
  await using ch = await connect(address, { timeout: 30_000 });
  let bytes = 0;
  for (let i = 0; i < Number(count); i++) bytes += (await ch.receive()).length;
  await ch.send(new TextEncoder().encode(String(bytes)));
  await ch.receive().catch(() => {});
  process.exit(0);
}

const ROUND_TRIPS = Number(process.env.WINIPC_BENCH_RTT ?? 2000);
const TOTAL = 256 * 1024 * 1024;
const CHUNK = 64 * 1024;

function spawnSelf(args: string[]): Promise<unknown> {
  const script = new URL(import.meta.url).pathname.replace(/^\/([A-Za-z]:)/, "$1");
  if (runtime === "deno") {
    return new g.Deno.Command(g.Deno.execPath(), { args: ["run", "-A", "--no-check", script, ...args] })
      .spawn().status;
  }
  return g.Bun.spawn([process.execPath, script, ...args], { stdout: "inherit", stderr: "inherit" }).exited;
}

interface Case {
  name: string;
  listen: (id: string) => string;
  connect: (id: string) => string;
}
const cases: Case[] = [
  { name: "named pipe", listen: (id) => `pipe:${id}`, connect: (id) => `pipe:${id}` },
  { name: "shm (events)", listen: (id) => `shm:${id}?size=1MiB`, connect: (id) => `shm:${id}` },
  {
    name: "shm (spin 1ms)",
    listen: (id) => `shm:${id}?size=1MiB&spin=1000`,
    connect: (id) => `shm:${id}?spin=1000`,
  },
];

async function roundTrip(c: Case): Promise<number> {
  const id = `winipc-bench-${runtime}-${process.pid}-rtt-${cases.indexOf(c)}`;
  await using server = await listen(c.listen(id));
  const child = spawnSelf(["echo", c.connect(id)]);
  await using ch = await server.accept({ timeout: 30_000 });
  const m = new Uint8Array(64);
  for (let i = 0; i < 50; i++) { // warm-up
    await ch.send(m);
    await ch.receive();
  }
  const t0 = performance.now();
  for (let i = 0; i < ROUND_TRIPS; i++) {
    await ch.send(m);
    await ch.receive();
  }
  const us = ((performance.now() - t0) * 1000) / ROUND_TRIPS;
  await ch.close();
  await child;
  return us;
}

async function throughput(c: Case): Promise<number> {
  const id = `winipc-bench-${runtime}-${process.pid}-bulk-${cases.indexOf(c)}`;
  await using server = await listen(c.listen(id));
  const n = TOTAL / CHUNK;
  const child = spawnSelf(["sink", c.connect(id), String(n)]);
  await using ch = await server.accept({ timeout: 30_000 });
  const m = new Uint8Array(CHUNK).fill(1);
  const t0 = performance.now();
  for (let i = 0; i < n; i++) await ch.send(m);
  const got = Number(new TextDecoder().decode(await ch.receive({ timeout: 120_000 })));
  const seconds = (performance.now() - t0) / 1000;
  if (got !== TOTAL) throw new Error(`${c.name}: sink got ${got} of ${TOTAL} bytes`);
  await ch.close();
  await child;
  return TOTAL / seconds / (1024 * 1024);
}

console.log(
  `winipc benchmark in ${runtime} (under Wine if on Linux): ${ROUND_TRIPS} round trips of 64 B; 256 MiB in 64 KiB messages`,
);
console.log(
  `${"channel".padEnd(18)} ${"64 B round trip".padStart(16)} ${"vs pipe".padStart(8)} ${
    "256 MiB rate".padStart(14)
  } ${"vs pipe".padStart(8)}`,
);
let base: { rtt: number; rate: number } | undefined;
for (const c of cases) {
  const rtt = await roundTrip(c);
  const rate = await throughput(c);
  base ??= { rtt, rate };
  console.log(
    `${c.name.padEnd(18)} ${(rtt.toFixed(1) + " us").padStart(16)} ${
      (base.rtt / rtt).toFixed(1).padStart(7)
    }x ` +
      `${(rate.toFixed(0) + " MiB/s").padStart(14)} ${(rate / base.rate).toFixed(1).padStart(7)}x`,
  );
}
