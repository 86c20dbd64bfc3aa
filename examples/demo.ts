/**
 * Cross-process demo over every mechanism implemented so far: this process serves, a child of
 * the same runtime is the peer; prints the mechanism, messages round-tripped (or delivered, for
 * one-way mechanisms) and the rate.
 *
 *   deno run --allow-ffi --allow-run --allow-read --allow-env examples/demo.ts
 *   bun examples/demo.ts
 */
import { type Channel, connect, listen } from "../mod.ts";
import { MailslotClient, MailslotServer } from "../src/mechanisms/mailslot/mod.ts";
import { spawn } from "../src/mechanisms/process/mod.ts";
import process from "node:process";

// deno-lint-ignore no-explicit-any
const g = globalThis as any;
const runtime = g.Bun ? "bun" : "deno";
const [role, address, count] = process.argv.slice(2);
const COUNT = 2000;
const SIZE = 1024;

// --- child roles ---
if (role === "echo") {
  // Connect to the parent's address and echo until it closes.
  await using channel = await connect(address, { timeout: 30_000 });
  for await (const message of channel) await channel.send(message);
  process.exit(0);
}
if (role === "stdio-echo") {
  // Echo stdin to stdout with the runtime's own standard streams (the parent made them pipes).
  if (g.Deno) await g.Deno.stdin.readable.pipeTo(g.Deno.stdout.writable);
  else for await (const chunk of g.Bun.stdin.stream()) await g.Bun.write(g.Bun.stdout, chunk);
  process.exit(0);
}
if (role === "mailslot-send") {
  await using client = MailslotClient.open(address);
  const m = new Uint8Array(SIZE);
  for (let i = 0; i < Number(count); i++) await client.send(m);
  process.exit(0);
}

// --- the parent ---
const script = new URL(import.meta.url).pathname.replace(/^\/([A-Za-z]:)/, "$1");
const selfCommand = (args: string[]): [string, string[]] =>
  runtime === "deno"
    ? [g.Deno.execPath(), ["run", "-A", "--no-check", script, ...args]]
    : [process.execPath, [script, ...args]];
function spawnSelf(args: string[]): Promise<unknown> {
  const [file, rest] = selfCommand(args);
  if (runtime === "deno") return new g.Deno.Command(file, { args: rest }).spawn().status;
  return g.Bun.spawn([file, ...rest], { stdout: "inherit", stderr: "inherit" }).exited;
}

/** Sends COUNT messages and checks each echo; returns how many came back right. */
async function pingPong(
  channel: { send(m: Uint8Array): Promise<void>; receive(o?: { timeout?: number }): Promise<Uint8Array> },
) {
  const payload = new Uint8Array(SIZE).map((_, i) => i);
  let ok = 0;
  for (let i = 0; i < COUNT; i++) {
    payload[0] = i & 255;
    await channel.send(payload);
    const back = await channel.receive({ timeout: 10_000 });
    if (back.length === SIZE && back[0] === (i & 255) && back[SIZE - 1] === payload[SIZE - 1]) ok++;
  }
  return ok;
}

const id = `winipc-demo-${runtime}-${process.pid}`;
const twoWay = [
  { name: "named pipe (message mode)", listen: `pipe:${id}-msg` },
  { name: "named pipe (byte mode, framed)", listen: `pipe:${id}-byte?mode=byte` },
  { name: "shared memory ring", listen: `shm:${id}-shm?size=64KiB` },
  {
    name: "DLL shared section ring",
    listen: `dll:${id}-dll?size=64KiB`,
    connect: `dll:${id}-dll?size=64KiB`,
  },
  { name: "TCP socket (ws2_32)", listen: "tcp:127.0.0.1:0" },
  { name: "WM_COPYDATA (window messages)", listen: `copydata:${id}-copydata` },
];

function report(name: string, ok: number, seconds: number, verb = "round-tripped") {
  const factor = verb === "round-tripped" ? 2 : 1;
  console.log(
    `${name.padEnd(32)} ${ok}/${COUNT} ${verb}  ${(COUNT / seconds).toFixed(0)} msg/s  ` +
      `${((COUNT * SIZE * factor) / seconds / 1e6).toFixed(2)} MB/s`,
  );
  if (ok !== COUNT) process.exitCode = 1;
}

console.log(
  `winipc demo in ${runtime}: ${COUNT} messages of ${SIZE} bytes per mechanism, with a child process`,
);
for (const m of twoWay) {
  await using server = await listen(m.listen);
  // The child connects to the address the server reports (a TCP port 0 becomes the real port).
  const child = spawnSelf(["echo", m.connect ?? server.address.split("?")[0]]);
  await using channel: Channel = await server.accept({ timeout: 30_000 });
  const t0 = performance.now();
  const ok = await pingPong(channel);
  report(m.name, ok, (performance.now() - t0) / 1000);
  await channel.close();
  await child;
}

{
  // Anonymous pipes: a child started with spawn() (CreateProcessW) echoes its stdin to stdout.
  const [file, args] = selfCommand(["stdio-echo"]);
  await using child = spawn(file, { args });
  const out = child.stdin!.messages();
  const back = child.stdout!.messages();
  const t0 = performance.now();
  const ok = await pingPong({ send: (m) => out.send(m), receive: (o) => back.receive(o) });
  report("anonymous pipes (spawn)", ok, (performance.now() - t0) / 1000);
  await out.close();
  await child.wait({ timeout: 10_000 });
}

{
  // Mailslot: one-way; the child sends, this process receives.
  await using slot = MailslotServer.create(`${id}-slot`);
  const t0 = performance.now();
  const child = spawnSelf(["mailslot-send", slot.path, String(COUNT)]);
  let ok = 0;
  for (let i = 0; i < COUNT; i++) if ((await slot.receive({ timeout: 30_000 })).length === SIZE) ok++;
  report("mailslot (one-way)", ok, (performance.now() - t0) / 1000, "delivered");
  await child;
}
