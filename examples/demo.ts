/**
 * Cross-process demo over every mechanism implemented so far: this process serves, a child of
 * the same runtime connects and echoes; prints the mechanism, messages round-tripped and rate.
 *
 *   deno run --allow-ffi --allow-run --allow-read --allow-env examples/demo.ts
 *   bun examples/demo.ts
 */
import { connect, listen } from "../mod.ts";
import process from "node:process";

// deno-lint-ignore no-explicit-any
const g = globalThis as any;
const runtime = g.Bun ? "bun" : "deno";
const [role, address] = process.argv.slice(2);

if (role === "echo") {
  // Child: connect to the parent's address and echo until it closes.
  await using channel = await connect(address, { timeout: 30_000 });
  for await (const message of channel) await channel.send(message);
  process.exit(0);
}

function spawnSelf(address: string): Promise<unknown> {
  const script = new URL(import.meta.url).pathname.replace(/^\/([A-Za-z]:)/, "$1");
  if (runtime === "deno") {
    return new g.Deno.Command(g.Deno.execPath(), { args: ["run", "-A", script, "echo", address] }).spawn()
      .status;
  }
  return g.Bun.spawn([process.execPath, script, "echo", address], { stdout: "inherit", stderr: "inherit" })
    .exited;
}

const mechanisms = [
  { name: "named pipe (message mode)", address: `pipe:winipc-demo-${runtime}-${process.pid}-msg` },
  {
    name: "named pipe (byte mode, framed)",
    address: `pipe:winipc-demo-${runtime}-${process.pid}-byte?mode=byte`,
  },
  { name: "shared memory ring", address: `shm:winipc-demo-${runtime}-${process.pid}-shm?size=64KiB` },
  { name: "DLL shared section ring", address: `dll:winipc-demo-${runtime}-${process.pid}-dll?size=64KiB` },
];
const COUNT = 2000;
const SIZE = 1024;

console.log(
  `winipc demo in ${runtime}: ${COUNT} messages of ${SIZE} bytes per mechanism, echoed by a child process`,
);
for (const m of mechanisms) {
  await using server = await listen(m.address);
  // Pipes and shm need only the name to connect; a DLL section also needs its size.
  const child = spawnSelf(m.address.startsWith("dll:") ? m.address : m.address.split("?")[0]);
  await using channel = await server.accept({ timeout: 30_000 });
  const payload = new Uint8Array(SIZE).map((_, i) => i);
  let ok = 0;
  const t0 = performance.now();
  for (let i = 0; i < COUNT; i++) {
    payload[0] = i & 255;
    await channel.send(payload);
    const back = await channel.receive({ timeout: 10_000 });
    if (back.length === SIZE && back[0] === (i & 255) && back[SIZE - 1] === payload[SIZE - 1]) ok++;
  }
  const seconds = (performance.now() - t0) / 1000;
  await channel.close();
  await child;
  console.log(
    `${m.name.padEnd(32)} ${ok}/${COUNT} round-tripped  ${(COUNT / seconds).toFixed(0)} msg/s  ` +
      `${((COUNT * SIZE * 2) / seconds / 1e6).toFixed(2)} MB/s`,
  );
  if (ok !== COUNT) process.exitCode = 1;
}
