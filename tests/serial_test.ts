/**
 * Serial ports over a virtual null-modem cable: a socat pty pair mapped to COM1/COM2 inside Wine
 * (and COM3 wired to a Linux program, socat, reachable over TCP) by scripts/wine/session.sh.
 * 115200 8N1 throughout (a pty ignores the rate, the settings still go through the DCB).
 */
import process from "node:process";
import { NotFoundError } from "../mod.ts";
import { encodeCheckedFrame } from "../src/framing.ts";
import { SerialPort } from "../src/mechanisms/serial/mod.ts";
import { connectTcpStream, type SocketStream } from "../src/mechanisms/socket/mod.ts";
import { assert, bytesEqual, fc, fcParams, patternBytes, roundTripBytes, test } from "./_support/harness.ts";
import { spawnReadyPeer } from "./_support/process.ts";

const SETTINGS = { baudRate: 115200, dataBits: 8, parity: "none", stopBits: 1 } as const;
const chunksArb = fc.array(
  fc.oneof(
    fc.uint8Array({ minLength: 1, maxLength: 64 }),
    fc.record({ size: fc.integer({ min: 1, max: 20_000 }), seed: fc.integer() }).map((r) =>
      patternBytes(r.size, r.seed)
    ),
  ),
  { minLength: 1, maxLength: 6 },
);

/** Starts the COM2 peer and waits until it has the port open (it sets a named event). */
const startPeer = (role: string) => spawnReadyPeer("serial_peer.ts", [role, "COM2"]);

test("serial: a byte stream with any chunking round-trips through a peer process on the other end", async () => {
  await using port = SerialPort.open("COM1", SETTINGS);
  port.purge();
  await using peer = await startPeer("echo-raw");
  await fc.assert(
    fc.asyncProperty(
      chunksArb,
      (chunks) => roundTripBytes(chunks, (c) => port.write(c), () => port.read({ timeout: 30_000 })),
    ),
    fcParams(),
  );
  peer.kill();
});

test("serial: framed messages round-trip through a peer process", async () => {
  await using port = SerialPort.open("COM1", SETTINGS);
  port.purge();
  await using peer = await startPeer("echo-framed");
  const ch = port.messages({ maxMessageSize: 1 << 20 });
  await fc.assert(
    fc.asyncProperty(fc.array(fc.uint8Array({ maxLength: 3000 }), { maxLength: 5 }), async (messages) => {
      for (const m of messages) {
        await ch.send(m);
        assert(bytesEqual(await ch.receive({ timeout: 30_000 }), m), `a ${m.length}-byte message`);
      }
    }),
    fcParams(),
  );
  peer.kill();
});

/**
 * The Linux side of COM3: a TCP connection to socat, which holds the other end of the pty. socat
 * serves one connection and is then restarted with a fresh pty, so connect first (retrying
 * while it restarts) and open COM3 after.
 */
async function linuxSide(): Promise<SocketStream> {
  const port = Number(process.env.WINIPC_SERIAL_TCP_PORT);
  assert(port > 0, "the harness wires COM3 to TCP (WINIPC_SERIAL_TCP_PORT)");
  for (let attempt = 0;; attempt++) {
    try {
      return await connectTcpStream("127.0.0.1", port, { timeout: 5000 });
    } catch (e) {
      assert(attempt < 50, `socat did not come back for COM3: ${e}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

test("serial: garbage injected from the Linux side between frames is skipped and reported; later frames arrive", async () => {
  const linux = await linuxSide();
  await using port = SerialPort.open("COM3", SETTINGS);
  port.purge();
  const ch = port.messages();
  let reported = 0;
  ch.onNoise = (n) => reported += n;
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.tuple(fc.uint8Array({ maxLength: 60 }), fc.uint8Array({ maxLength: 500 })), {
        minLength: 1,
        maxLength: 5,
      }),
      async (pieces) => {
        const before = ch.noiseBytes;
        const reportedBefore = reported;
        let garbage = 0;
        for (const [noise, payload] of pieces) {
          await linux.write(noise);
          await linux.write(encodeCheckedFrame(payload));
          garbage += noise.length;
        }
        for (const [, payload] of pieces) {
          assert(
            bytesEqual(await ch.receive({ timeout: 10_000 }), payload),
            `frame of ${payload.length} bytes`,
          );
        }
        assert(
          ch.noiseBytes - before === garbage,
          `skipped ${ch.noiseBytes - before} of ${garbage} noise bytes`,
        );
        assert(reported - reportedBefore === garbage, "the noise was reported");
      },
    ),
    fcParams(),
  );
  await linux.close();
});

test("serial: bytes reach a Linux program at the other end of the pty pair, and its bytes reach the library", async () => {
  const linux = await linuxSide();
  await using port = SerialPort.open("COM3", SETTINGS);
  port.purge();
  /** Reads exactly n bytes with `read`. */
  const readN = async (n: number, read: () => Promise<Uint8Array | null>) => {
    const out = new Uint8Array(n);
    for (let got = 0; got < n;) {
      const part = await read();
      assert(part !== null && got + part.length <= n, "stream ended or overran");
      out.set(part, got);
      got += part.length;
    }
    return out;
  };
  await fc.assert(
    fc.asyncProperty(fc.uint8Array({ minLength: 1, maxLength: 4000 }), async (data) => {
      await port.write(data);
      assert(
        bytesEqual(await readN(data.length, () => linux.read({ timeout: 10_000 })), data),
        "library -> Linux",
      );
      await linux.write(data);
      assert(
        bytesEqual(await readN(data.length, () => port.read({ timeout: 10_000 })), data),
        "Linux -> library",
      );
    }),
    fcParams(50),
  );
  await linux.close();
});

test("serial: a missing port is a typed error listing the ports present; bad settings never reach the port", () => {
  let err: unknown;
  try {
    SerialPort.open("COM200", SETTINGS);
  } catch (e) {
    err = e;
  }
  assert(err instanceof NotFoundError && /COM1.*COM2/.test(err.message), `missing port: ${err}`);
  for (
    const bad of [
      { baudRate: 0 },
      { dataBits: 9 as 8 },
      { parity: "sideways" as "none" },
      { stopBits: 3 as 2 },
    ]
  ) {
    let e2: unknown;
    try {
      SerialPort.open("COM200", bad); // a missing port: only validation can answer first
    } catch (e) {
      e2 = e;
    }
    assert(e2 instanceof RangeError, `${JSON.stringify(bad)} gave ${e2}`);
  }
});
