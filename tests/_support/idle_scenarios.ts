/**
 * The idle scenarios of the idle-CPU test (tests/idle_cpu_test.ts), each measured in a process of
 * its own (tests/peers/idle_peer.ts). A scenario starts a mechanism's waits and returns the
 * teardown that ends them, checking that each ended as it should.
 * @module
 */
import { type Channel, ChannelClosedError, connect, listen, type Listener } from "../../mod.ts";
import { ddeHeld } from "../../src/mechanisms/dde/mod.ts";
import { MailslotClient, MailslotServer } from "../../src/mechanisms/mailslot/mod.ts";
import { connectRpc, type RpcClient, RpcServer } from "../../src/mechanisms/rpc/mod.ts";
import { SerialPort } from "../../src/mechanisms/serial/mod.ts";
import { UdpSocket } from "../../src/mechanisms/socket/mod.ts";
import { testImplementation, testInterface } from "../core/_rpc_test_interface.ts";
import { rmSync } from "node:fs";
import { unixPath } from "./unix_socket.ts";
import { assert, bytesEqual, uniqueName, within } from "./harness.ts";

const PING = new Uint8Array([1, 2, 3, 4]);
/** The bound on each step of a setup or teardown (ms). */
export const STEP_MS = 30_000;
/** The measured window, and the bound: 1 % of it. */
export const WINDOW_MS = 5000;
export const MAX_SHARE = 0.01;
/**
 * Quiet time before the window, after a full collection: the JS engine's background compiler
 * and GC threads finish the setup's work (their CPU counts as the process's).
 */
export const SETTLE_MS = 1000;

/** What a scenario's process reports: its CPU over the window, and its counts before and after. */
export type IdleResult = {
  cpuMs: number;
  wallMs: number;
  /** Open handles (the library's count): after the warm-up, and after the measured run's teardown. */
  handles: [number, number];
  /** Live native blocks, the same way. */
  blocks: [number, number];
} | { error: string };

/** A pending call that must not succeed: resolves with the error that ends it. */
function ending(p: Promise<unknown>): Promise<unknown> {
  return p.then((v) => new Error(`expected the wait to end with an error, it resolved with ${v}`), (e) => e);
}

/** Ends a started scenario: every wait ended as expected and everything closed. */
export type Teardown = () => Promise<void>;

/**
 * One message each way between the two ends: the channel is connected both ways. Each send runs
 * with its receive (a clipboard: send waits for the receiver's acknowledgement).
 */
async function pingPong(a: Channel, b: Channel): Promise<void> {
  for (const [from, to] of [[a, b], [b, a]]) {
    const [, got] = await Promise.all([
      from.send(PING, { timeout: STEP_MS }),
      to.receive({ timeout: STEP_MS }),
    ]);
    assert(bytesEqual(got, PING), `a message from ${from === a ? "the first" : "the second"} end`);
  }
}

/**
 * A listener of `address` (through the root `listen`/`connect`), one connected channel, then: a
 * pending accept (ended by its AbortSignal) and both ends of the channel in receive() (ended by
 * closing them).
 */
async function listenerIdle(address: string): Promise<Teardown> {
  const server: Listener = await listen(address);
  const stopAccept = new AbortController();
  const stop = new Error("stop accepting");
  const opened: Channel[] = [];
  try {
    // Accept first: a clipboard: server must be waiting before a client says hello.
    const first = server.accept({ timeout: STEP_MS });
    first.catch(() => {}); // awaited below
    opened.push(await connect(server.address, { timeout: STEP_MS }));
    opened.push(await first);
    const [client, channel] = opened;
    await pingPong(client, channel);
    const accepting = ending(server.accept({ signal: stopAccept.signal }));
    const receiving = opened.map((c) => ending(c.receive()));
    return async () => {
      stopAccept.abort(stop);
      const acceptEnd = await within(STEP_MS, accepting, `${address}: aborted accept`);
      assert(acceptEnd === stop, `${address}: the aborted accept ended with ${acceptEnd}`);
      for (const c of opened) await c.close();
      for (const r of await within(STEP_MS, Promise.all(receiving), `${address}: receives`)) {
        assert(r instanceof ChannelClosedError, `${address}: a pending receive ended with ${r}`);
      }
      await server.close();
    };
  } catch (e) {
    for (const c of opened) await c.close();
    await server.close();
    throw e;
  }
}

/** One scenario: what idles (the test's name, after the label), and how to start it. */
export interface IdleScenario {
  what: string;
  start(): Promise<Teardown>;
  /** The negative control: it polls, and the measure must see it. */
  control?: true;
}

const LISTENER = "listener in accept() and a channel waiting in receive() at both ends use";
const listenerScenario = (address: () => string): IdleScenario => ({
  what: LISTENER,
  start: () => listenerIdle(address()),
});

/** The null-modem pair of scripts/wine/session.sh; a pty ignores the rate, the DCB still gets it. */
const SERIAL = { baudRate: 115200, dataBits: 8, parity: "none", stopBits: 1 } as const;

/** Every scenario, by label. */
export const scenarios: Record<string, IdleScenario> = {
  "polling (negative control)": {
    what:
      "a timer that busies the thread 2 ms in every 10 uses more than 1 % CPU over 5 s: the measure sees it",
    control: true,
    start: () => {
      const timer = setInterval(() => {
        const until = performance.now() + 2;
        while (performance.now() < until) { /* busy, on purpose */ }
      }, 10);
      return Promise.resolve(() => Promise.resolve(clearInterval(timer)));
    },
  },
  pipe: listenerScenario(() => `pipe:${uniqueName("idle")}`),
  shm: listenerScenario(() => `shm:${uniqueName("idle")}`),
  dll: listenerScenario(() => `dll:${uniqueName("idle")}`),
  copydata: listenerScenario(() => `copydata:${uniqueName("idle")}`),
  clipboard: listenerScenario(() => `clipboard:${uniqueName("idle")}`),
  com: listenerScenario(() => `com:${uniqueName("idle")}`),
  rpc: listenerScenario(() => `rpc:${uniqueName("idle")}`),
  tcp: listenerScenario(() => "tcp:127.0.0.1:0"),
  dde: {
    what: LISTENER,
    start: async () => {
      // DDE's global atoms and memory blocks are its own count (ddeHeld): back where they were too.
      const held = ddeHeld();
      const teardown = await listenerIdle(`dde:${uniqueName("idle")}/idle`);
      return async () => {
        await teardown();
        const now = ddeHeld();
        assert(
          now.atoms === held.atoms && now.blocks === held.blocks,
          `dde: atoms and blocks went from ${JSON.stringify(held)} to ${JSON.stringify(now)}`,
        );
      };
    },
  },
  "rpc (pipe and TCP)": {
    what: "a server on a pipe and TCP, with an idle client on each, uses",
    start: async () => {
      const server = new RpcServer();
      server.register(testInterface, testImplementation({ rundowns: 0 }));
      const endpoints = [
        server.listen(`ncacn_np:[\\pipe\\${uniqueName("idle-rpc")}]`),
        server.listen("ncacn_ip_tcp:127.0.0.1[0]"),
      ];
      const clients: RpcClient[] = [];
      try {
        for (const e of endpoints) {
          const client = await connectRpc(e.binding, { interfaces: [testInterface], timeout: STEP_MS });
          clients.push(client);
          const out = await client.proxy(testInterface).Sleep({ ms: 1 }, { timeout: STEP_MS });
          assert(out.status === 0, `${e.binding}: a call before the idle time`);
        }
      } catch (e) {
        for (const c of clients) await c.close();
        await server.close();
        throw e;
      }
      return async () => {
        for (const c of clients) await c.close();
        await server.close();
        assert(server.connections === 0, `rpc: ${server.connections} connections left`);
      };
    },
  },
  unix: {
    what: LISTENER,
    start: async () => {
      const path = unixPath("idle");
      const teardown = await listenerIdle(`unix:${path}`);
      return async () => {
        await teardown();
        rmSync(path, { force: true });
      };
    },
  },
  mailslot: {
    what: "(no listener): a server in receive() uses",
    start: async () => {
      const name = uniqueName("idle");
      const server = MailslotServer.create(name);
      try {
        await using client = MailslotClient.open(name);
        await client.send(PING, { timeout: STEP_MS });
        assert(
          bytesEqual(await server.receive({ timeout: STEP_MS }), PING),
          "a message through the mailslot",
        );
      } catch (e) {
        await server.close();
        throw e;
      }
      const stopReceive = new AbortController();
      const stop = new Error("stop receiving");
      const receiving = ending(server.receive({ signal: stopReceive.signal }));
      return async () => {
        stopReceive.abort(stop);
        const end = await within(STEP_MS, receiving, "mailslot: aborted receive");
        assert(end === stop, `mailslot: the aborted receive ended with ${end}`);
        await server.close();
      };
    },
  },
  udp: {
    what: "(no listener): two sockets in receiveFrom() use",
    start: async () => {
      const a = UdpSocket.bind("127.0.0.1", 0);
      const b = UdpSocket.bind("127.0.0.1", 0);
      try {
        a.sendTo(PING, "127.0.0.1", b.port);
        const got = await b.receiveFrom({ timeout: STEP_MS });
        assert(
          bytesEqual(got.data, PING) && got.from.text === a.local.text,
          "a datagram from the other socket",
        );
      } catch (e) {
        await a.close();
        await b.close();
        throw e;
      }
      const stopReceive = new AbortController();
      const stop = new Error("stop receiving");
      const aborted = ending(b.receiveFrom({ signal: stopReceive.signal }));
      const closed = ending(a.receiveFrom());
      return async () => {
        stopReceive.abort(stop);
        const end = await within(STEP_MS, aborted, "udp: aborted receive");
        assert(end === stop, `udp: the aborted receive ended with ${end}`);
        await a.close();
        const closedEnd = await within(STEP_MS, closed, "udp: receive on a closed socket");
        assert(closedEnd instanceof ChannelClosedError, `udp: a pending receive ended with ${closedEnd}`);
        await b.close();
      };
    },
  },
  serial: {
    what: "(no listener): both ends of a null-modem line in receive() use",
    start: async () => {
      const opened: Channel[] = [];
      try {
        for (const name of ["COM1", "COM2"]) {
          const port = SerialPort.open(name, SERIAL);
          opened.push(port.messages()); // the channel owns the port from here
          port.purge(); // bytes an earlier test left in the line
        }
        await pingPong(opened[0], opened[1]);
      } catch (e) {
        for (const c of opened) await c.close();
        throw e;
      }
      const receiving = opened.map((c) => ending(c.receive()));
      return async () => {
        for (const c of opened) await c.close();
        for (const r of await within(STEP_MS, Promise.all(receiving), "serial: receives")) {
          assert(r instanceof ChannelClosedError, `serial: a pending receive ended with ${r}`);
        }
      };
    },
  },
};
