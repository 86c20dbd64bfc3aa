/**
 * `npm run demo`: every mechanism winipc implements, between two processes. This process is the
 * server (or the receiving end); for each step it starts a child process of the same runtime that
 * connects and echoes every message back (or, on a one-way mechanism, sends). Each step checks
 * every message, then prints what it showed, how many messages came back intact, and the rate.
 * Exits non-zero if any step fails.
 *
 *   deno run --allow-ffi --allow-read --allow-env examples/demo.ts
 *   bun examples/demo.ts
 *
 * The serial step needs two COM ports joined by a null-modem cable: COM1 and COM2 by default
 * (`npm run demo` makes a virtual cable under Wine), or `WINIPC_DEMO_SERIAL=COMa,COMb`.
 */
import { type Channel, connect, listen } from "../mod.ts";
import { MailslotClient, MailslotServer } from "../src/mechanisms/mailslot/mod.ts";
import { spawn } from "../src/mechanisms/process/mod.ts";
import { listPorts, SerialPort } from "../src/mechanisms/serial/mod.ts";
import { splitHostPort, UdpSocket } from "../src/mechanisms/socket/mod.ts";
import process from "node:process";

// deno-lint-ignore no-explicit-any
const g = globalThis as any;
const SIZE = 1024;
/** Messages per step; the clipboard channel carries one message per clipboard write, so fewer. */
const COUNT = 500;
const CLIPBOARD_COUNT = 20;
const READY = new TextEncoder().encode("winipc-demo: ready");
/** The Deno permissions of the demo and its children: FFI, plus what the script itself reads. */
const DENO_FLAGS = ["--allow-ffi", "--allow-read", "--allow-env"];
const [SERIAL_HERE, SERIAL_CHILD] = (process.env.WINIPC_DEMO_SERIAL ?? "COM1,COM2").split(",");

/** The two ends of a conversation, whatever the mechanism. */
interface Ends {
  send(m: Uint8Array): Promise<void> | void;
  receive(opts: { timeout: number }): Promise<Uint8Array>;
}

// --- the child: one role per step, chosen by the first argument ---

const roles: Record<string, (...args: string[]) => Promise<void>> = {
  /** Connects to the parent's address and echoes until the parent closes. */
  async echo(address) {
    await using channel = await connect(address, { timeout: 30_000 });
    for await (const message of channel) await channel.send(message);
  },
  /** Echoes stdin to stdout with the runtime's own standard streams (the parent made them pipes). */
  async "stdio-echo"() {
    if (g.Deno) await g.Deno.stdin.readable.pipeTo(g.Deno.stdout.writable);
    else for await (const chunk of g.Bun.stdin.stream()) await g.Bun.write(g.Bun.stdout, chunk);
  },
  /** Writes COUNT messages into the parent's mailslot. */
  async "mailslot-send"(path, count) {
    await using client = MailslotClient.open(path);
    const m = new Uint8Array(SIZE);
    for (let i = 0; i < Number(count); i++) await client.send(m);
  },
  /** Opens the far end of the null-modem cable and echoes framed messages until an empty one. */
  async "serial-echo"(port) {
    await using channel = SerialPort.open(port, { baudRate: 115200 }).messages();
    channel.port.purge(); // bytes an earlier user of the cable left behind
    await channel.send(READY);
    for await (const message of channel) {
      if (message.length === 0) break;
      await channel.send(message);
    }
  },
  /** Says hello to the parent's UDP port, then echoes datagrams until an empty one. */
  async "udp-echo"(port) {
    await using udp = UdpSocket.bind("127.0.0.1", 0);
    udp.sendTo(READY, "127.0.0.1", Number(port));
    while (true) {
      const { data } = await udp.receiveFrom({ timeout: 30_000 });
      if (data.length === 0) break;
      udp.sendTo(data, "127.0.0.1", Number(port));
    }
  },
};

// --- the parent ---

const runtime = g.Bun ? `Bun ${g.Bun.version}` : `Deno ${g.Deno.version.deno}`;
const script = new URL(import.meta.url).pathname.replace(/^\/([A-Za-z]:)/, "$1");
/** Names this run's pipes, mailslot and objects: the pid, and a random part (Wine reuses pids). */
const id = `winipc-demo-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;

/** The command line that runs this script again in the same runtime. */
function selfCommand(args: string[]): [string, string[]] {
  return g.Deno
    ? [g.Deno.execPath(), ["run", ...DENO_FLAGS, "--no-check", script, ...args]]
    : [process.execPath, [script, ...args]];
}

/**
 * Starts this script with `args` (a role and its arguments) as a child process, through the
 * library's own spawn() (CreateProcessW) with the standard handles inherited. Disposing waits up
 * to 10 s for it to end by itself, then kills it.
 */
function startChild(...args: string[]): AsyncDisposable {
  const [file, rest] = selfCommand(args);
  const child = spawn(file, { args: rest, stdin: "null", stdout: "inherit" });
  return {
    async [Symbol.asyncDispose]() {
      await child.wait({ timeout: 10_000 }).catch(() => {}); // a child still running is killed below
      await child[Symbol.asyncDispose]();
    },
  };
}

/**
 * How long one echo may take before the step fails. A bound on a hang, not a speed check: on a
 * loaded machine under Wine a single round trip has been seen to take seconds.
 */
const ECHO_TIMEOUT = 30_000;

/** Sends `count` numbered messages and counts the echoes that come back intact and in order. */
async function pingPong(ends: Ends, count: number): Promise<number> {
  const payload = new Uint8Array(SIZE).map((_, i) => i);
  let ok = 0;
  for (let i = 0; i < count; i++) {
    payload[0] = i & 255;
    await ends.send(payload);
    let back: Uint8Array;
    try {
      back = await ends.receive({ timeout: ECHO_TIMEOUT });
    } catch (e) {
      throw new Error(`no echo of message ${i} of ${count} (${ok} intact before it)`, { cause: e });
    }
    if (back.length === SIZE && back[0] === (i & 255) && back[SIZE - 1] === payload[SIZE - 1]) ok++;
  }
  return ok;
}

/** Waits for the child's hello, skipping anything else (an earlier user's bytes on a cable). */
async function awaitReady(ends: Ends): Promise<void> {
  while (true) {
    const m = await ends.receive({ timeout: 30_000 });
    if (m.length === READY.length && m.every((b, i) => b === READY[i])) return;
  }
}

/** What a step measured: messages intact out of `count`, in `seconds`. */
interface Outcome {
  ok: number;
  count: number;
  seconds: number;
  /** "echoed" (both directions) or "delivered" (one-way). */
  verb: "echoed" | "delivered";
}

/** Times `fn`, which returns the number of messages that came back intact. */
async function timed(count: number, fn: () => Promise<number>, verb: Outcome["verb"] = "echoed") {
  const t0 = performance.now();
  const ok = await fn();
  return { ok, count, seconds: (performance.now() - t0) / 1000, verb };
}

/** A channel step: listen here, the child connects to `connectTo` (or the listener's address). */
async function channelStep(address: string, count = COUNT, connectTo?: string): Promise<Outcome> {
  await using server = await listen(address);
  await using _child = startChild("echo", connectTo ?? server.address);
  await using channel: Channel = await server.accept({ timeout: 30_000 });
  return await timed(count, () => pingPong(channel, count));
}

async function anonymousPipes(): Promise<Outcome> {
  const [file, args] = selfCommand(["stdio-echo"]);
  await using child = spawn(file, { args });
  const out = child.stdin!.messages();
  const back = child.stdout!.messages();
  const outcome = await timed(
    COUNT,
    () => pingPong({ send: (m) => out.send(m), receive: (o) => back.receive(o) }, COUNT),
  );
  await out.close(); // end-of-stream: the child's copy loop ends
  await child.wait({ timeout: 10_000 });
  return outcome;
}

async function mailslot(): Promise<Outcome> {
  await using slot = MailslotServer.create(`${id}-slot`);
  await using _child = startChild("mailslot-send", slot.path, String(COUNT));
  return await timed(COUNT, async () => {
    let ok = 0;
    for (let i = 0; i < COUNT; i++) if ((await slot.receive({ timeout: 30_000 })).length === SIZE) ok++;
    return ok;
  }, "delivered");
}

async function udp(): Promise<Outcome> {
  await using socket = UdpSocket.bind("127.0.0.1", 0);
  await using _child = startChild("udp-echo", String(socket.port));
  let child = 0;
  const ends: Ends = {
    send: (m) => socket.sendTo(m, "127.0.0.1", child),
    receive: async (o) => {
      const { data, from } = await socket.receiveFrom(o);
      child = splitHostPort(from.text).port; // the child's port, learnt from its hello
      return data;
    },
  };
  await awaitReady(ends);
  const outcome = await timed(COUNT, () => pingPong(ends, COUNT));
  await ends.send(new Uint8Array(0)); // the child's signal to stop
  return outcome;
}

async function serial(): Promise<Outcome | string> {
  const present = listPorts();
  if (!present.includes(SERIAL_HERE) || !present.includes(SERIAL_CHILD)) {
    return `skipped: no ${SERIAL_HERE}/${SERIAL_CHILD} pair here (ports: ${present.join(", ") || "none"}); ` +
      "set WINIPC_DEMO_SERIAL=COMa,COMb to two ports joined by a null-modem cable";
  }
  await using channel = SerialPort.open(SERIAL_HERE, { baudRate: 115200 }).messages();
  channel.port.purge();
  await using _child = startChild("serial-echo", SERIAL_CHILD);
  await awaitReady(channel);
  const outcome = await timed(COUNT, () => pingPong(channel, COUNT));
  await channel.send(new Uint8Array(0)); // the child's signal to stop
  return outcome;
}

/** One step of the demo: a mechanism, its subpath, and one sentence on what the step shows. */
interface Step {
  title: string;
  subpath: string;
  shows: string;
  run(): Promise<Outcome | string>;
}

const steps: Step[] = [
  {
    title: "Named pipe, message mode",
    subpath: "pipe",
    shows: `listen("pipe:NAME") here, connect() in the child; each send() is one pipe message`,
    run: () => channelStep(`pipe:${id}-msg`),
  },
  {
    title: "Named pipe, byte mode",
    subpath: "pipe",
    shows: "the same over a byte stream: a 4-byte length prefix keeps the message boundaries",
    run: () => channelStep(`pipe:${id}-byte?mode=byte`),
  },
  {
    title: "Anonymous pipes to a child process",
    subpath: "process",
    shows: "spawn() (CreateProcessW) gives the child pipes as stdin/stdout; it copies one to the other",
    run: anonymousPipes,
  },
  {
    title: "Mailslot (one-way)",
    subpath: "mailslot",
    shows: "the child writes into this process's mailslot; whole messages arrive in order",
    run: mailslot,
  },
  {
    title: "Shared memory ring",
    subpath: "shm",
    shows: "a file mapping with one ring per direction; named events wake the other side",
    run: () => channelStep(`shm:${id}-shm?size=64KiB`),
  },
  {
    title: "DLL shared section ring",
    subpath: "dll",
    shows: "the same ring in the shared section of a DLL this process generated and both loaded",
    run: () => channelStep(`dll:${id}-dll?size=64KiB`, COUNT, `dll:${id}-dll?size=64KiB`),
  },
  {
    title: "TCP socket",
    subpath: "socket",
    shows: `listen("tcp:127.0.0.1:0") picks a free port; the child connects to server.address`,
    run: () => channelStep("tcp:127.0.0.1:0"),
  },
  {
    title: "UDP datagrams",
    subpath: "socket",
    shows: "UdpSocket.bind(): each datagram keeps its boundary (loopback, so none is lost)",
    run: udp,
  },
  {
    title: "Window messages (WM_COPYDATA)",
    subpath: "window",
    shows: "two message-only windows, one per process, send each other WM_COPYDATA",
    run: () => channelStep(`copydata:${id}-copydata`),
  },
  {
    title: "DDE",
    subpath: "dde",
    shows: "dde:SERVICE/TOPIC: the child's messages are DDE POKEs, ours updates of its hot link",
    run: () => channelStep(`dde:${id}-dde/demo`),
  },
  {
    title: "COM",
    subpath: "com",
    shows: "com:NAME: a hub object in the Running Object Table; each message is a COM call with a byte array",
    run: () => channelStep(`com:${id}-com`),
  },
  {
    title: "RPC",
    subpath: "rpc",
    shows: "rpc:NAME: DCE/RPC on a pipe; our messages are Send calls, the child's answer our waiting Receive",
    run: () => channelStep(`rpc:${id}-rpc`),
  },
  {
    title: "Clipboard",
    subpath: "clipboard",
    shows: "a toy channel: each message is a clipboard write the other side sees and acknowledges",
    run: () => channelStep(`clipboard:${id}-clipboard`, CLIPBOARD_COUNT),
  },
  {
    title: "Serial port",
    subpath: "serial",
    shows:
      `${SERIAL_HERE} here, ${SERIAL_CHILD} in the child, a null-modem cable between; CRC-checked frames`,
    run: serial,
  },
];

/** The result line of a step. */
function describe(o: Outcome): string {
  const perSecond = o.count / o.seconds;
  const bytes = o.count * SIZE * (o.verb === "echoed" ? 2 : 1);
  const unit = o.verb === "echoed" ? "round trips/s" : "messages/s";
  return `${o.ok}/${o.count} ${o.verb} intact, ${perSecond.toFixed(0)} ${unit}, ` +
    `${(bytes / o.seconds / 1e6).toFixed(2)} MB/s`;
}

/** An error and its causes, one line. */
function describeError(e: unknown): string {
  if (!(e instanceof Error)) return String(e);
  return `${e.name}: ${e.message}` + (e.cause === undefined ? "" : ` (cause: ${describeError(e.cause)})`);
}

/** Runs one step and prints what it shows and what came of it. */
async function runStep(step: Step, n: number): Promise<"passed" | "failed" | "skipped"> {
  console.log(`${String(n).padStart(2)}. ${step.title} (@winipc/winipc/${step.subpath})`);
  console.log(`    ${step.shows}`);
  try {
    const outcome = await step.run();
    console.log(`    ${typeof outcome === "string" ? outcome : describe(outcome)}`);
    if (typeof outcome === "string") return "skipped";
    return outcome.ok === outcome.count ? "passed" : "failed";
  } catch (e) {
    console.log(`    FAILED: ${describeError(e)}`);
    return "failed";
  }
}

async function main() {
  console.log(`winipc demo in ${runtime}: each mechanism implemented so far, between this process and a`);
  console.log(`child process. Each step sends ${SIZE}-byte messages and checks every one at the other end.`);
  console.log("The rates are for comparing mechanisms: under Wine every kernel wait goes through the");
  console.log("wineserver, so all of them are far slower than on Windows.\n");
  const t0 = performance.now();
  const results: string[] = [];
  for (const [i, step] of steps.entries()) results.push(await runStep(step, i + 1));
  const count = (r: string) => results.filter((x) => x === r).length;
  const [failed, skipped] = [count("failed"), count("skipped")];
  const took = `in ${((performance.now() - t0) / 1000).toFixed(1)} s`;
  if (failed) console.log(`\n${failed} of ${steps.length} steps failed.`);
  else if (skipped) console.log(`\n${steps.length - skipped} steps passed, ${skipped} skipped, ${took}.`);
  else console.log(`\nAll ${steps.length} steps passed ${took}.`);
  process.exitCode = failed ? 1 : 0;
}

const [role, ...args] = process.argv.slice(2);
if (role === undefined) {
  await main();
} else if (Object.hasOwn(roles, role)) {
  await roles[role](...args);
  process.exit(0);
} else {
  throw new Error(`unknown role ${role}`);
}
