// The `net` floor: 64-byte round trips and 64 KiB throughput through node:net, over TCP (with
// TCP_NODELAY: setNoDelay) or a named pipe. Plain JavaScript, so that the same code measures the
// runtime's own TCP in Deno and Bun (bench/cases.ts) and Node for Windows (bench/node_floor.mjs).
//
// Protocol: the client connects and echoes `rttTotal` messages of 64 bytes (bytes, not frames:
// the server sends the next one only when the last came back), then counts `bulkCount * 65536`
// bytes and answers with the count as a u64 LE. Every wait is bounded by `timeoutMs`.
import net from "node:net";
import { summarize } from "../stats.mjs";

const RTT_SIZE = 64;
const BULK_SIZE = 64 * 1024;

/** Reads exact byte counts from a socket's 'data' events. */
class ByteReader {
  /** @param {net.Socket} socket */
  constructor(socket) {
    /** @type {Uint8Array[]} */
    this.chunks = [];
    this.buffered = 0;
    /** @type {null | (() => void)} */
    this.wake = null;
    /** @type {Error | null} */
    this.failure = null;
    socket.on("data", (c) => {
      this.chunks.push(c);
      this.buffered += c.length;
      this.wake?.();
    });
    const end = (/** @type {Error | undefined} */ e) => {
      this.failure ??= e ?? new Error("the connection ended");
      this.wake?.();
    };
    socket.on("error", end);
    socket.on("close", () => end(undefined));
  }

  /**
   * Resolves with exactly `n` bytes.
   * @param {number} n
   * @returns {Promise<Uint8Array>}
   */
  async read(n) {
    while (this.buffered < n) {
      if (this.failure) throw this.failure;
      await new Promise((r) => (this.wake = () => r(undefined)));
      this.wake = null;
    }
    const out = new Uint8Array(n);
    let got = 0;
    while (got < n) {
      const c = this.chunks[0];
      const take = Math.min(c.length, n - got);
      out.set(c.subarray(0, take), got);
      got += take;
      if (take === c.length) this.chunks.shift();
      else this.chunks[0] = c.subarray(take);
    }
    this.buffered -= n;
    return out;
  }
}

/**
 * Writes `bytes`, waiting for 'drain' when the socket's buffer is full.
 * @param {net.Socket} socket
 * @param {Uint8Array} bytes
 */
function write(socket, bytes) {
  if (socket.write(bytes)) return;
  return new Promise((resolve, reject) => {
    const done = (/** @type {Error | undefined} */ e) => {
      socket.off("drain", done);
      socket.off("error", done);
      e ? reject(e) : resolve(undefined);
    };
    socket.on("drain", done);
    socket.on("error", done);
  });
}

/**
 * Rejects after `ms`.
 * @template T
 * @param {number} ms
 * @param {Promise<T>} p
 * @param {string} what
 * @returns {Promise<T>}
 */
function within(ms, p, what) {
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let t;
  return Promise.race([
    p,
    new Promise((_, reject) => {
      t = setTimeout(() => reject(new Error(`${what}: not done within ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(t));
}

/**
 * The server side: listens on `target` (a pipe path, or a TCP port on 127.0.0.1 when a number),
 * starts the client with `startPeer(address)` (the pipe path or the port, as text), measures.
 * @param {{
 *   target: string | number,
 *   startPeer: (address: string) => void,
 *   warmup: number, rtt: number, bulkCount: number, timeoutMs: number,
 * }} o
 */
export async function measureNet(o) {
  const server = net.createServer();
  await new Promise((resolve, reject) => {
    server.once("error", reject);
    if (typeof o.target === "number") server.listen(o.target, "127.0.0.1", () => resolve(undefined));
    else server.listen(o.target, () => resolve(undefined));
  });
  const address = typeof o.target === "number"
    ? String(/** @type {net.AddressInfo} */ (server.address()).port)
    : o.target;
  /** @type {Promise<net.Socket>} */
  const connected = new Promise((resolve) => server.once("connection", resolve));
  o.startPeer(address);
  const socket = await within(o.timeoutMs, connected, "the net client's connection");
  server.close();
  socket.setNoDelay(true);
  const reader = new ByteReader(socket);
  try {
    const m = new Uint8Array(RTT_SIZE).fill(7);
    const samples = new Float64Array(o.rtt);
    for (let i = 0; i < o.warmup + o.rtt; i++) {
      m[0] = i & 255;
      const t0 = performance.now();
      await write(socket, m);
      const back = await within(o.timeoutMs, reader.read(RTT_SIZE), "a net round trip");
      const t1 = performance.now();
      if (back[0] !== (i & 255)) throw new Error(`round trip ${i}: wrong echo`);
      if (i >= o.warmup) samples[i - o.warmup] = (t1 - t0) * 1000;
    }
    const chunk = new Uint8Array(BULK_SIZE).fill(0x5a);
    const bytes = o.bulkCount * BULK_SIZE;
    const t0 = performance.now();
    for (let i = 0; i < o.bulkCount; i++) await write(socket, chunk);
    const ack = await within(o.timeoutMs, reader.read(8), "the net throughput acknowledgement");
    const seconds = (performance.now() - t0) / 1000;
    const got = Number(new DataView(ack.buffer, ack.byteOffset, 8).getBigUint64(0, true));
    if (got !== bytes) throw new Error(`the net client acknowledged ${got} of ${bytes} bytes`);
    return {
      rtt: summarize(samples),
      throughput: { bytes, messageSize: BULK_SIZE, seconds, mibPerSecond: bytes / seconds / (1024 * 1024) },
    };
  } finally {
    socket.destroy();
  }
}

/**
 * The client side: connects to `address` (a pipe path, or a port on 127.0.0.1), echoes the
 * round trips, counts the bulk bytes and acknowledges them; resolves when the server closes.
 * @param {string} address
 * @param {number} rttTotal
 * @param {number} bulkCount
 * @param {number} timeoutMs
 */
export async function netPeer(address, rttTotal, bulkCount, timeoutMs) {
  const socket = /^\d+$/.test(address) ? net.connect(Number(address), "127.0.0.1") : net.connect(address);
  await within(timeoutMs, new Promise((r) => socket.once("connect", r)), "net connect");
  socket.setNoDelay(true);
  const closed = new Promise((r) => socket.once("close", r));
  let echoed = 0;
  let counted = 0;
  const bulkBytes = bulkCount * BULK_SIZE;
  socket.on("data", (c) => {
    if (echoed < rttTotal * RTT_SIZE) {
      echoed += c.length; // the server sends the next message only when this one is back
      socket.write(c);
      return;
    }
    counted += c.length;
    if (counted === bulkBytes) {
      const ack = new Uint8Array(8);
      new DataView(ack.buffer).setBigUint64(0, BigInt(counted), true);
      socket.write(ack);
    }
  });
  socket.on("error", () => {});
  await within(timeoutMs * 4, closed, "the net server closing");
}
