/**
 * The library's side of each mechanism's case: what a user of winipc would write. The parent
 * listens (its idle CPU measured while it waits for the first client), starts a peer of the same
 * runtime that uses winipc too (bench/peer.ts), then measures round trips and throughput.
 * @module
 */
import { type Channel, listen } from "../mod.ts";
import { MailslotClient, MailslotServer } from "../src/mechanisms/mailslot/mod.ts";
import { spawn } from "../src/mechanisms/process/mod.ts";
import { listPorts, SerialPort } from "../src/mechanisms/serial/mod.ts";
import { splitHostPort, UdpSocket } from "../src/mechanisms/socket/mod.ts";
import { WsaError } from "../src/ffi/error.ts";
import { rmSync } from "node:fs";
import process from "node:process";
import {
  announcePeer,
  bulkCount,
  type Ends,
  type Measured,
  measureIdle,
  measureRtt,
  measureThroughput,
  PEER_TIMEOUT,
  READY,
  runtimeCommand,
  type Settings,
  spawnPeer,
} from "./measure.ts";

function isReady(m: Uint8Array): boolean {
  return m.length === READY.length && m.every((b, i) => b === READY[i]);
}

/** The throughput messages for `mib` MiB, or the case's own limit when lower. */
function bulkFor(s: Settings, limitMiB?: number): number {
  return bulkCount(Math.min(s.bulkMiB, limitMiB ?? Infinity));
}

/** The settings with at most `rtt` round trips (a slow mechanism's limit), the warm-up scaled down with it. */
function limited(s: Settings, rtt?: number): Settings {
  if (rtt === undefined || rtt >= s.rtt) return s;
  return { ...s, rtt, warmup: Math.min(s.warmup, Math.max(10, Math.floor(rtt / 10))) };
}

/** Ends over a channel, with the peer's bounded timeout on every receive. */
function channelEnds(ch: Channel): Ends {
  return { send: (m) => ch.send(m), receive: () => ch.receive({ timeout: PEER_TIMEOUT }) };
}

/**
 * A `connect`/`listen` mechanism: listen on `address`, measure the idle listener, start the
 * echo peer on `connectTo` (default: the listener's address), measure. `bulkLimitMiB` caps the
 * throughput total (a mechanism's practical limit).
 */
export async function channelCase(
  s: Settings,
  address: string,
  opts: { connectTo?: string; bulkLimitMiB?: number; rtt?: number } = {},
): Promise<Measured> {
  const settings = limited(s, opts.rtt);
  await using server = await listen(address);
  const accepting = server.accept({ timeout: PEER_TIMEOUT + s.idleMs + 2000 });
  accepting.catch(() => {}); // awaited below
  const idle = await measureIdle(s.idleMs);
  const count = bulkFor(s, opts.bulkLimitMiB);
  await using peer = spawnPeer("echo", [
    opts.connectTo ?? server.address,
    String(settings.warmup + settings.rtt),
    String(count),
  ]);
  await using ch = await peer.guard(accepting);
  const ends = channelEnds(ch);
  const rtt = await peer.guard(measureRtt(ends, settings));
  const throughput = await peer.guard(measureThroughput(ends, count));
  return { rtt, throughput, idle };
}

/**
 * Anonymous pipes to a child: spawn() with piped stdin/stdout, framed messages through
 * PipeWriter.messages() and PipeReader.messages(). The child copies bytes with blocking ReadFile/
 * WriteFile on its standard handles (its own runtime's stdio is not what is measured). There is no
 * listener, so no idle figure.
 */
export async function childPipeCase(s: Settings): Promise<Measured> {
  const count = bulkFor(s);
  const [file, args] = runtimeCommand("peer.ts", ["child-echo", String(s.warmup + s.rtt), String(count)]);
  await using child = spawn(file, { args, stdin: "pipe", stdout: "pipe", stderr: "inherit" });
  announcePeer(child.pid);
  const out = child.stdin!.messages();
  const back = child.stdout!.messages();
  const ends: Ends = { send: (m) => out.send(m), receive: () => back.receive({ timeout: PEER_TIMEOUT }) };
  const rtt = await measureRtt(ends, s);
  const throughput = await measureThroughput(ends, count);
  await out.close(); // end of stream: the child exits
  await child.wait({ timeout: 10_000 });
  return {
    rtt,
    throughput,
    notes: ["the child copies bytes with blocking ReadFile/WriteFile; no listener, so no idle figure"],
  };
}

/**
 * Mailslots are one-way: a round trip goes through two, one served by each process (parent ->
 * child's mailslot, child -> parent's mailslot). Throughput goes one way, the acknowledgement
 * back through the parent's mailslot.
 */
export async function mailslotCase(s: Settings, bulkLimitMiB: number): Promise<Measured> {
  const here = `winipc-bench-slot-${Date.now()}-${Math.random().toString(36).slice(2, 8)}`;
  const there = `${here}-child`;
  await using inbox = MailslotServer.create(here);
  const first = inbox.receive({ timeout: PEER_TIMEOUT + s.idleMs + 2000 });
  first.catch(() => {}); // awaited below
  const idle = await measureIdle(s.idleMs);
  const count = bulkFor(s, bulkLimitMiB);
  await using peer = spawnPeer("mailslot-echo", [here, there, String(s.warmup + s.rtt), String(count)]);
  if (!isReady(await peer.guard(first))) {
    throw new Error("the mailslot peer's first message was not its hello");
  }
  await using outbox = MailslotClient.open(there);
  const ends: Ends = { send: (m) => outbox.send(m), receive: () => inbox.receive({ timeout: PEER_TIMEOUT }) };
  const rtt = await peer.guard(measureRtt(ends, s));
  const throughput = await peer.guard(measureThroughput(ends, count));
  return {
    rtt,
    throughput,
    idle,
    notes: ["round trip through two mailslots (one served by each process)"],
  };
}

/** UDP datagrams on 127.0.0.1: round trips only (no flow control, so no throughput figure). */
export async function udpCase(s: Settings): Promise<Measured> {
  await using socket = UdpSocket.bind("127.0.0.1", 0);
  const first = socket.receiveFrom({ timeout: PEER_TIMEOUT + s.idleMs + 2000 });
  first.catch(() => {}); // awaited below
  const idle = await measureIdle(s.idleMs);
  await using peer = spawnPeer("udp-echo", [String(socket.port), String(s.warmup + s.rtt)]);
  const hello = await peer.guard(first);
  if (!isReady(hello.data)) throw new Error("the UDP peer's first datagram was not its hello");
  const port = splitHostPort(hello.from.text).port;
  const ends: Ends = {
    send: (m) => socket.sendTo(m, "127.0.0.1", port),
    receive: async () => (await socket.receiveFrom({ timeout: PEER_TIMEOUT })).data,
  };
  const rtt = await peer.guard(measureRtt(ends, s));
  return {
    rtt,
    idle,
    notes: ["round trips only: datagrams have no flow control, so a throughput total would measure loss"],
  };
}

/**
 * Serial: COM1 here, COM2 in the peer, joined by a null-modem cable (under Wine: a socat pty
 * pair, which ignores the baud rate). CRC-checked frames (`port.messages()`).
 */
export async function serialCase(s: Settings, ports: [string, string], bulkLimitMiB: number) {
  const present = listPorts();
  const missing = ports.filter((p) => !present.includes(p));
  if (missing.length) {
    return `no ${missing.join(", ")} here (ports: ${
      present.join(", ") || "none"
    }): a null-modem pair is needed`;
  }
  await using channel = SerialPort.open(ports[0], { baudRate: 115200 }).messages();
  channel.port.purge();
  const first = channel.receive({ timeout: PEER_TIMEOUT + s.idleMs + 2000 });
  first.catch(() => {}); // awaited below
  const idle = await measureIdle(s.idleMs);
  const count = bulkFor(s, bulkLimitMiB);
  await using peer = spawnPeer("serial-echo", [ports[1], String(s.warmup + s.rtt), String(count)]);
  // An earlier user of the cable may have left bytes: skip to the peer's hello.
  for (
    let m = await peer.guard(first);
    !isReady(m);
    m = await peer.guard(channel.receive({ timeout: PEER_TIMEOUT }))
  );
  const ends = channelEnds(channel);
  const rtt = await peer.guard(measureRtt(ends, s));
  const throughput = await peer.guard(measureThroughput(ends, count));
  return { rtt, throughput, idle } satisfies Measured;
}

/** AF_UNIX stream sockets (`unix:PATH`): measured where the system has them. */
export async function unixCase(s: Settings): Promise<Measured | string> {
  const path = `${process.env.TEMP ?? "C:\\windows\\temp"}\\winipc-bench-${process.pid}.sock`;
  try {
    return await channelCase(s, `unix:${path}`);
  } catch (e) {
    // WSAEAFNOSUPPORT from the listener's socket(): no AF_UNIX in this system (no released Wine has it).
    if (e instanceof WsaError && e.code === 10047) {
      return "no AF_UNIX sockets here: WSASocketW(AF_UNIX) fails with WSAEAFNOSUPPORT (10047); Wine 10 has none";
    }
    throw e;
  } finally {
    rmSync(path, { force: true });
  }
}
