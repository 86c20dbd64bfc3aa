/**
 * The other process of every benchmark case, started by the case with a role:
 *
 *   echo ADDRESS RTT BULK                    connect(ADDRESS); echo RTT messages; count BULK
 *                                            messages; acknowledge; wait for the close
 *   child-echo RTT BULK                      the same over this process's stdin/stdout, framed,
 *                                            with blocking ReadFile/WriteFile
 *   mailslot-echo PARENT CHILD RTT BULK      serve mailslot CHILD, answer through mailslot PARENT
 *   udp-echo PORT RTT                        echo datagrams to 127.0.0.1:PORT
 *   serial-echo PORT RTT BULK                the echo over a serial port's framed channel
 *   raw-pipe NAME MODE RTT BULK, raw-event PING PONG RTT, raw-shm NAME RTT, raw-tcp PORT RTT BULK
 *                                            the floors' peers (bench/floors/)
 *   net ADDRESS RTT BULK                     node:net client (bench/floors/net_floor.mjs)
 *
 * RTT counts the warm-up too; BULK is a number of 64 KiB messages. Every wait is bounded. Nothing
 * is printed on stdout (child-echo's stdout is the channel).
 * @module
 */
import process from "node:process";
import { connect } from "../mod.ts";
import { MailslotClient, MailslotServer } from "../src/mechanisms/mailslot/mod.ts";
import { SerialPort } from "../src/mechanisms/serial/mod.ts";
import { UdpSocket } from "../src/mechanisms/socket/mod.ts";
import { kernel32 } from "../src/ffi/kernel32.ts";
import { STD_INPUT_HANDLE, STD_OUTPUT_HANDLE } from "../src/ffi/headers/winbase.ts";
import { ackOf, BULK_SIZE, PEER_TIMEOUT, READY, RTT_SIZE } from "./measure.ts";
import { rawPipePeer } from "./floors/raw_pipe.ts";
import { rawEventPeer } from "./floors/raw_event.ts";
import { rawShmPeer } from "./floors/raw_shm.ts";
import { rawTcpPeer } from "./floors/raw_tcp.ts";
import { SyncIo } from "./floors/sync_io.ts";
import { netPeer } from "./floors/net_floor.mjs";

/** A receive/send pair, each receive bounded. */
interface PeerEnds {
  send(m: Uint8Array): Promise<void> | void;
  receive(): Promise<Uint8Array>;
}

/** Echoes `rttTotal` messages, counts `count` bulk messages' bytes, sends the acknowledgement. */
async function echoThenCount(ends: PeerEnds, rttTotal: number, count: number): Promise<void> {
  for (let i = 0; i < rttTotal; i++) await ends.send(await ends.receive());
  let bytes = 0;
  for (let i = 0; i < count; i++) bytes += (await ends.receive()).length;
  await ends.send(ackOf(bytes));
}

const roles: Record<string, (...args: string[]) => Promise<void> | void> = {
  async echo(address, rtt, bulk) {
    await using ch = await connect(address, { timeout: PEER_TIMEOUT });
    await echoThenCount(
      { send: (m) => ch.send(m), receive: () => ch.receive({ timeout: PEER_TIMEOUT }) },
      +rtt,
      +bulk,
    );
    await ch.receive({ timeout: PEER_TIMEOUT }).catch(() => {}); // until the parent closes
  },

  "child-echo"(rtt, bulk) {
    const k = kernel32.sync;
    using input = new SyncIo(k.GetStdHandle(STD_INPUT_HANDLE), BULK_SIZE + 4);
    using output = new SyncIo(k.GetStdHandle(STD_OUTPUT_HANDLE), 4 + RTT_SIZE);
    // Frames are 4-byte lengths and payloads: copy the round trips back as they come.
    for (let i = 0; i < +rtt; i++) output.write(input.read(4 + RTT_SIZE));
    const total = +bulk * (4 + BULK_SIZE);
    let bytes = 0;
    while (bytes < total) bytes += input.readSome(Math.min(BULK_SIZE + 4, total - bytes));
    const ack = new Uint8Array(12);
    new DataView(ack.buffer).setUint32(0, 8, true);
    ack.set(ackOf(+bulk * BULK_SIZE), 4);
    output.write(ack);
    try {
      input.readSome(1); // until the parent closes our stdin
    } catch { /* broken pipe: done */ }
  },

  async "mailslot-echo"(parent, child, rtt, bulk) {
    await using inbox = MailslotServer.create(child);
    await using outbox = MailslotClient.open(parent);
    await outbox.send(READY);
    await echoThenCount(
      { send: (m) => outbox.send(m), receive: () => inbox.receive({ timeout: PEER_TIMEOUT }) },
      +rtt,
      +bulk,
    );
  },

  async "udp-echo"(port, rtt) {
    await using udp = UdpSocket.bind("127.0.0.1", 0);
    udp.sendTo(READY, "127.0.0.1", +port);
    for (let i = 0; i < +rtt; i++) {
      const { data } = await udp.receiveFrom({ timeout: PEER_TIMEOUT });
      udp.sendTo(data, "127.0.0.1", +port);
    }
  },

  async "serial-echo"(port, rtt, bulk) {
    await using ch = SerialPort.open(port, { baudRate: 115200 }).messages();
    ch.port.purge();
    await ch.send(READY);
    await echoThenCount(
      { send: (m) => ch.send(m), receive: () => ch.receive({ timeout: PEER_TIMEOUT }) },
      +rtt,
      +bulk,
    );
    await new Promise((r) => setTimeout(r, 500)); // let the acknowledgement leave before the port closes
  },

  "raw-pipe": (name, mode, rtt, bulk) => rawPipePeer(name, mode as "message" | "byte", +rtt, +bulk),
  "raw-event": (ping, pong, rtt) => rawEventPeer(ping, pong, +rtt),
  "raw-shm": (name, rtt) => rawShmPeer(name, +rtt),
  "raw-tcp": (port, rtt, bulk) => rawTcpPeer(+port, +rtt, +bulk),
  net: (address, rtt, bulk) => netPeer(address, +rtt, +bulk, PEER_TIMEOUT),

  /** Load for the "under load" cases: keeps one core busy until killed (at most `seconds`). */
  burn(seconds) {
    const until = performance.now() + 1000 * +seconds;
    let x = 0;
    while (performance.now() < until) x = (x * 31 + 7) % 1_000_003;
    if (x < 0) console.log(x); // keeps the loop from being optimised away
  },
};

const [role, ...args] = process.argv.slice(2);
if (!Object.hasOwn(roles, role)) {
  console.error(`bench/peer.ts: unknown role ${role}`);
  process.exit(2);
}
try {
  await roles[role](...args);
  process.exit(0);
} catch (e) {
  console.error(`bench/peer.ts ${role}: ${e instanceof Error ? e.stack : e}`);
  process.exit(1);
}
