/**
 * What the CLI moves data through: an address opened as a {@link Endpoint}, a uniform face over
 * the library's channels (message mode) and its raw byte streams (`--raw`). Addresses the
 * root `connect`/`listen` know go through them; the CLI adds `mailslot:` (one-way) and
 * `serial:` (no server or client: both ends open a port).
 * @module
 */
import { connect, listen } from "../schemes.ts";
import { parseAddress } from "../core/address.ts";
import { AddressError, ChannelClosedError, type WaitOptions } from "../core/errors.ts";
import type { Channel, Listener, ReceiveChannel, SendChannel } from "../core/channel.ts";
import { connectNamedPipeStream, NamedPipeServer } from "../mechanisms/pipe/mod.ts";
import { MailslotClient, MailslotServer } from "../mechanisms/mailslot/mod.ts";
import { connectTcpStream, SocketServer, splitHostPort } from "../mechanisms/socket/mod.ts";
import { SerialPort } from "../mechanisms/serial/mod.ts";
import { CLIPBOARD_MAX_MESSAGE_SIZE } from "../mechanisms/clipboard/mod.ts";

/** The largest piece of input sent as one message or write. */
export const CHUNK = 64 * 1024;

/** One open conversation, as the CLI uses it. */
export interface Endpoint extends AsyncDisposable {
  /** `message`: whole messages, an empty one ends the data; `raw`: bytes, the end is a close. */
  readonly kind: "message" | "raw";
  /** Largest piece to send at once. */
  readonly chunk: number;
  /** Absent when this end only receives (a mailslot server). */
  send?(bytes: Uint8Array): Promise<void>;
  /** Resolves `null` when the peer has closed. Absent when this end only sends. */
  receive?(opts: WaitOptions): Promise<Uint8Array | null>;
  /** After the last send: shut a socket's sending side (raw), so the peer sees the end. */
  endSend?(): Promise<void>;
  /** Whether the peer can end its sending and still receive (a TCP socket's half-close). */
  readonly halfClose: boolean;
  close(): Promise<void>;
}

/** A server end before a peer came: {@link accept} gives the endpoint for one peer. */
export interface ServingEndpoint extends AsyncDisposable {
  /** The address peers use (`tcp:127.0.0.1:0` becomes the port picked). */
  readonly address: string;
  accept(opts: WaitOptions): Promise<Endpoint>;
  close(): Promise<void>;
}

/** The schemes that have a raw byte stream. */
const RAW_SCHEMES = ["pipe", "tcp", "serial"];

function checkRaw(scheme: string, text: string, params: URLSearchParams) {
  if (!RAW_SCHEMES.includes(scheme)) {
    throw new AddressError(`${text}: --raw works with ${RAW_SCHEMES.map((s) => `${s}:`).join(", ")}`);
  }
  if ([...params.keys()].length > 0 && scheme !== "serial") {
    throw new AddressError(`${text}: a raw stream takes no address options`);
  }
}

/** A receive or read that ends with ChannelClosedError (peer gone or closed here) reads as `null`. */
async function nullOnClose(received: Promise<Uint8Array | null>): Promise<Uint8Array | null> {
  try {
    return await received;
  } catch (e) {
    if (e instanceof ChannelClosedError) return null;
    throw e;
  }
}

function fromChannel(ch: Partial<Channel> & { close(): Promise<void> }, maxSize = Infinity): Endpoint {
  const send = ch.send;
  const receive = ch.receive;
  return {
    kind: "message",
    halfClose: false,
    chunk: Math.min(CHUNK, maxSize, ch.maxMessageSize ?? Infinity),
    send: send && ((b) => send.call(ch, b)),
    receive: receive && ((o) => nullOnClose(receive.call(ch, o))),
    close: () => ch.close(),
    [Symbol.asyncDispose]: () => ch.close(),
  };
}

interface ByteStream {
  read(opts?: WaitOptions): Promise<Uint8Array | null>;
  write(bytes: Uint8Array, opts?: WaitOptions): Promise<void>;
  close(): Promise<void>;
  shutdownWrite?(): Promise<void>;
}

function fromStream(s: ByteStream): Endpoint {
  return {
    kind: "raw",
    halfClose: s.shutdownWrite !== undefined,
    chunk: CHUNK,
    send: (b) => s.write(b),
    receive: (o) => nullOnClose(s.read(o)),
    endSend: s.shutdownWrite && (() => s.shutdownWrite!()),
    close: () => s.close(),
    [Symbol.asyncDispose]: () => s.close(),
  };
}

/** A serial port: the same in both roles (there is no server), framed or raw. */
function openSerial(path: string, params: URLSearchParams, raw: boolean): Endpoint {
  const baud = params.get("baud");
  for (const k of params.keys()) {
    if (k !== "baud") throw new AddressError(`serial:${path}: unknown option '${k}' (known: baud)`);
  }
  const port = SerialPort.open(path, baud === null ? {} : { baudRate: Number(baud) });
  if (!raw) {
    const ch = port.messages();
    const ep = fromChannel(ch);
    const close = async () => {
      await ch.close();
      await port.close();
    };
    return { ...ep, close, [Symbol.asyncDispose]: close };
  }
  return fromStream({
    read: (o) => port.read(o),
    write: (b, o) => port.write(b, o),
    close: () => port.close(),
  });
}

/** Opens `address` as a client: `connect`, or a mailslot's sending end, or a serial port. */
export async function openClient(
  address: string,
  opts: { raw: boolean; timeout?: number },
): Promise<Endpoint> {
  const a = parseAddress(address);
  const wait: WaitOptions = opts.timeout === undefined ? {} : { timeout: opts.timeout };
  if (opts.raw) checkRaw(a.scheme, a.text, a.params);
  if (a.scheme === "serial") return openSerial(a.path, a.params, opts.raw);
  if (a.scheme === "mailslot") {
    if ([...a.params.keys()].length) throw new AddressError(`${a.text}: mailslot: takes no options here`);
    const client = MailslotClient.open(a.path);
    return fromChannel(client as SendChannel, client.limit);
  }
  if (opts.raw && a.scheme === "pipe") return fromStream(await connectNamedPipeStream(a.path, wait));
  if (opts.raw && a.scheme === "tcp") {
    const { host, port } = splitHostPort(a.path);
    return fromStream(await connectTcpStream(host, port, wait));
  }
  const ch = await connect(address, wait);
  return fromChannel(ch, a.scheme === "clipboard" ? CLIPBOARD_MAX_MESSAGE_SIZE : Infinity);
}

function fromListener<T>(
  server: { address: string; close(): Promise<void> },
  accept: (o: WaitOptions) => Promise<T>,
  wrap: (t: T) => Endpoint,
): ServingEndpoint {
  return {
    address: server.address,
    accept: async (o) => wrap(await accept(o)),
    close: () => server.close(),
    [Symbol.asyncDispose]: () => server.close(),
  };
}

/**
 * Opens `address` as a server. A mailslot or serial port has no peers to accept: its one
 * endpoint is given to the first `accept` (a second waits until the server is closed).
 */
export async function openServer(address: string, opts: { raw: boolean }): Promise<ServingEndpoint> {
  const a = parseAddress(address);
  if (opts.raw) checkRaw(a.scheme, a.text, a.params);
  if (a.scheme === "serial" || a.scheme === "mailslot") {
    let ep: Endpoint | undefined;
    if (a.scheme === "serial") ep = openSerial(a.path, a.params, opts.raw);
    else {
      if ([...a.params.keys()].length) throw new AddressError(`${a.text}: mailslot: takes no options here`);
      ep = fromChannel(MailslotServer.create(a.path) as ReceiveChannel & { close(): Promise<void> });
    }
    const one = ep;
    let given = false;
    const closed = Promise.withResolvers<never>();
    const close = async () => {
      closed.reject(new ChannelClosedError(`${a.text}: closed`));
      await one.close();
    };
    closed.promise.catch(() => {});
    return {
      address: a.text,
      accept: () => given ? closed.promise : (given = true, Promise.resolve(one)),
      close,
      [Symbol.asyncDispose]: close,
    };
  }
  if (opts.raw && a.scheme === "pipe") {
    const server = NamedPipeServer.listen(a.path, { mode: "byte" });
    return fromListener(server, (o) => server.acceptStream(o), fromStream);
  }
  if (opts.raw && a.scheme === "tcp") {
    const { host, port } = splitHostPort(a.path);
    const server = SocketServer.listenTcp(host, port);
    return fromListener(server, (o) => server.acceptStream(o), fromStream);
  }
  const server: Listener = await listen(address);
  return fromListener(server, (o) => server.accept(o), (ch) => fromChannel(ch));
}
