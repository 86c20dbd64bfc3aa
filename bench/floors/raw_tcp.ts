/**
 * Floor: TCP through raw ws2_32 calls (WSASocketW, bind, listen, accept, connect, send, recv, all
 * blocking, TCP_NODELAY on both ends) on 127.0.0.1, in the parent and in the peer alike.
 * @module
 */
import { ws2_32 } from "../../src/ffi/ws2_32.ts";
import { checkWsa } from "../../src/ffi/check_wsa.ts";
import { WsaError } from "../../src/ffi/error.ts";
import {
  AF_INET,
  IPPROTO_TCP,
  SOCK_STREAM,
  TCP_NODELAY,
  WSA_FLAG_OVERLAPPED,
} from "../../src/ffi/headers/winsock2.ts";
import {
  ackOf,
  BULK_SIZE,
  bulkCount,
  type Measured,
  measureRttSync,
  measureThroughputSync,
  RTT_SIZE,
  type Settings,
  spawnPeer,
} from "../measure.ts";

const w = () => ws2_32().sync;
const INVALID_SOCKET = 0xffffffffffffffffn;
const failed = (r: number) => r !== 0;

function startup(): void {
  const r = w().WSAStartup(0x0202, new Uint8Array(408));
  if (r !== 0) throw new WsaError("WSAStartup", r);
}

/** sockaddr_in for 127.0.0.1:`port`. */
function loopback(port: number): Uint8Array {
  const sa = new Uint8Array(16);
  const v = new DataView(sa.buffer);
  v.setUint16(0, AF_INET, true);
  v.setUint16(2, port, false);
  sa.set([127, 0, 0, 1], 4);
  return sa;
}

/** socket(): WSASocketW with WSA_FLAG_OVERLAPPED is what socket() makes; used blocking here. */
function tcpSocket(): bigint {
  return checkWsa(
    "WSASocketW",
    () => w().WSASocketW(AF_INET, SOCK_STREAM, IPPROTO_TCP, 0n, 0, WSA_FLAG_OVERLAPPED),
    (s) => s === INVALID_SOCKET,
  );
}

function noDelay(s: bigint): void {
  checkWsa("setsockopt", () => w().setsockopt(s, IPPROTO_TCP, TCP_NODELAY, Int32Array.of(1), 4), failed);
}

/** Blocking send of all of `bytes`. */
function sendAll(s: bigint, bytes: Uint8Array): void {
  for (let done = 0; done < bytes.length;) {
    const part = done === 0 ? bytes : bytes.subarray(done);
    done += checkWsa("send", () => w().send(s, part, part.length, 0), (n) => n < 0);
  }
}

/** Blocking recv of exactly `n` bytes into `buf` (a view of it returned). */
function recvExact(s: bigint, buf: Uint8Array, n: number): Uint8Array {
  for (let got = 0; got < n;) {
    const part = got === 0 ? buf : buf.subarray(got, n);
    const r = checkWsa("recv", () => w().recv(s, part, n - got, 0), (x) => x < 0);
    if (r === 0) throw new Error(`connection closed after ${got} of ${n} bytes`);
    got += r;
  }
  return buf.subarray(0, n);
}

/** The parent: listens on an ephemeral port, starts the peer, accepts, measures. */
export async function rawTcp(s: Settings): Promise<Measured> {
  startup();
  const listener = tcpSocket();
  let conn = INVALID_SOCKET;
  try {
    checkWsa("bind", () => w().bind(listener, loopback(0), 16), failed);
    checkWsa("listen", () => w().listen(listener, 1), failed);
    const sa = new Uint8Array(16);
    checkWsa("getsockname", () => w().getsockname(listener, sa, Int32Array.of(16)), failed);
    const port = new DataView(sa.buffer).getUint16(2, false);
    const count = bulkCount(s.bulkMiB);
    await using _peer = spawnPeer("raw-tcp", [String(port), String(s.warmup + s.rtt), String(count)]);
    try {
      conn = checkWsa("accept", () => w().accept(listener, null, null), (x) => x === INVALID_SOCKET);
      noDelay(conn);
      const buf = new Uint8Array(BULK_SIZE);
      const rtt = measureRttSync((m) => sendAll(conn, m), () => recvExact(conn, buf, RTT_SIZE).slice(), s);
      const throughput = measureThroughputSync(
        (m) => sendAll(conn, m),
        () => recvExact(conn, buf, 8).slice(),
        count,
      );
      return { rtt, throughput, notes: ["blocking send/recv, TCP_NODELAY"] };
    } finally {
      if (conn !== INVALID_SOCKET) w().closesocket(conn); // before the peer is awaited: it waits for the close
    }
  } finally {
    w().closesocket(listener);
  }
}

/** The peer: connects, echoes the round trips, counts the bulk bytes, acknowledges. */
export function rawTcpPeer(port: number, rttTotal: number, count: number): void {
  startup();
  const s = tcpSocket();
  try {
    checkWsa("connect", () => w().connect(s, loopback(port), 16), failed);
    noDelay(s);
    const buf = new Uint8Array(BULK_SIZE);
    for (let i = 0; i < rttTotal; i++) sendAll(s, recvExact(s, buf, RTT_SIZE));
    let bytes = 0;
    while (bytes < count * BULK_SIZE) {
      const r = checkWsa("recv", () => w().recv(s, buf, BULK_SIZE, 0), (x) => x < 0);
      if (r === 0) throw new Error(`connection closed after ${bytes} bulk bytes`);
      bytes += r;
    }
    sendAll(s, ackOf(bytes));
    w().recv(s, buf, 1, 0); // until the parent closes
  } finally {
    w().closesocket(s);
  }
}
