/**
 * Hostile input from a real peer process (tests/peers/hostile_peer.ts), chosen by fast-check, sent
 * through the raw mechanism past the library's encoders: length framing on byte-mode pipes and
 * TCP, WM_COPYDATA pieces, DDE data blocks (raw WM_DDE_POKE), clipboard HTML and file lists,
 * VARIANTs and SAFEARRAYs carried by COM's marshaller. Each parser must give exactly what the
 * bytes hold (checked against a model written here), refuse what is over the configured limit
 * with a typed error without holding it, and go on serving a well-behaved client meanwhile.
 *
 * The other parsers of peer bytes are attacked from a real peer in their own files: shm ring
 * headers and indices and the rendezvous block (shared_memory_test.ts), RPC PDUs on a real pipe and
 * socket (rpc_test.ts), checked serial frames from the Linux end of the cable (serial_test.ts).
 * VARIANTs and SAFEARRAYs of any memory layout, past what a marshaller sends, are laid out in
 * this process by variant_hostile_test.ts.
 */
import {
  type Channel,
  ChannelClosedError,
  connect,
  listen,
  type Listener,
  MessageTooLargeError,
} from "../mod.ts";
import { WinipcError } from "../src/core/errors.ts";
import { encodeFrame } from "../src/core/framing.ts";
import { Clipboard } from "../src/mechanisms/clipboard/mod.ts";
import { DDE_CHANNEL_ITEM, DdeListener } from "../src/mechanisms/dde/dde_channel.ts";
import { ddeBytesFormat } from "../src/mechanisms/dde/dde_value.ts";
import {
  assert,
  bytesEqual,
  fc,
  fcParams,
  type Peer,
  spawnPeer,
  test,
  uniqueName,
  within,
} from "./_support/harness.ts";
import { concat } from "./core/_util.ts";
import { HRESULT, publishObject } from "../src/mechanisms/com/mod.ts";
import {
  deepOf,
  ERROR,
  MAX_ROWS,
  model,
  type Node,
  product,
  same,
  SIZES,
  treeOf,
  VT_BOOL,
  VT_BSTR,
  VT_I4,
  VT_R8,
  VT_UI1,
  VT_VARIANT,
} from "./_support/variant_model.ts";
import { nodeToJson } from "./peers/_native_variant.ts";
import { underWine } from "./_support/wine.ts";

const LIMIT = 4096;
const text = (s: string) => new TextEncoder().encode(s);

/** The hostile peer process and its trusted control channel. */
class Hostile implements AsyncDisposable {
  readonly listener: Listener;
  readonly control: Channel;
  readonly peer: Peer;
  private constructor(listener: Listener, control: Channel, peer: Peer) {
    this.listener = listener;
    this.control = control;
    this.peer = peer;
  }

  static async start(): Promise<Hostile> {
    const name = uniqueName("hostile-control");
    const listener = await listen(`pipe:${name}`);
    const peer = spawnPeer("hostile_peer.ts", [name]);
    const control = await listener.accept({ timeout: 60_000 });
    return new Hostile(listener, control, peer);
  }

  /** Starts a command in the peer; resolves when the peer reports it done, with what it said after. */
  async command(header: Record<string, unknown>, payload: Uint8Array = new Uint8Array(0)): Promise<string> {
    const json = text(JSON.stringify(header));
    const m = new Uint8Array(4 + json.length + payload.length);
    new DataView(m.buffer).setUint32(0, json.length, true);
    m.set(json, 4);
    m.set(payload, 4 + json.length);
    await this.control.send(m);
    const answer = new TextDecoder().decode(await this.control.receive({ timeout: 60_000 }));
    assert(answer === "done" || answer.startsWith("done "), `the hostile peer: ${answer}`);
    return answer.slice("done ".length);
  }

  /**
   * Has the peer run a command that opens a channel to `server` and feeds it; resolves with what
   * that channel yields up to its end (messages and refused sizes).
   */
  async outcomes(
    server: Listener,
    header: Record<string, unknown>,
    payload?: Uint8Array,
  ): Promise<Outcome[]> {
    const sending = this.command(header, payload);
    await using ch = await server.accept({ timeout: 30_000 });
    const got = await drain(ch);
    await sending;
    return got;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.control.close();
    await within(30_000, this.peer.exited, "the hostile peer's exit");
    await this.listener.close();
  }
}

/** A well-behaved client of `server`, echoed by a server-side task, to check between attacks. */
async function goodClient(server: Listener, address: string) {
  const connecting = connect(address, { timeout: 30_000 });
  const served = await server.accept({ timeout: 30_000 });
  const client = await connecting;
  const echo = (async () => {
    for await (const m of served) await served.send(m);
  })();
  let n = 0;
  return {
    /** One echo, checked. */
    async check(): Promise<void> {
      const m = text(`still served ${n++}`);
      await client.send(m);
      assert(bytesEqual(await client.receive({ timeout: 30_000 }), m), "the good client's echo");
    },
    async [Symbol.asyncDispose](): Promise<void> {
      await client.close();
      await echo.catch(() => {});
      await served.close();
    },
  };
}

/** What a receiver yields: messages and refused sizes, in order, up to the channel's end. */
type Outcome = Uint8Array | number;

/** Receives from `ch` until it ends, recording messages and MessageTooLargeError sizes. */
async function drain(ch: Channel): Promise<Outcome[]> {
  const out: Outcome[] = [];
  while (true) {
    // An input here makes at most a few hundred outcomes: more means a receive that repeats.
    assert(out.length <= 1000, "more outcomes than the input can make (a receive repeating itself?)");
    try {
      out.push(await ch.receive({ timeout: 30_000 }));
    } catch (e) {
      if (e instanceof MessageTooLargeError) out.push(e.size);
      else if (e instanceof ChannelClosedError) return out;
      else throw e;
    }
  }
}

function sameOutcomes(got: Outcome[], want: Outcome[], what: string): void {
  const show = (o: Outcome[]) =>
    o.map((x) => typeof x === "number" ? `refused ${x}` : `${x.length} bytes`).join(", ");
  assert(got.length === want.length, `${what}: got [${show(got)}], want [${show(want)}]`);
  got.forEach((g, i) => {
    const w = want[i];
    const same = typeof g === "number" ? g === w : w instanceof Uint8Array && bytesEqual(g, w);
    assert(same, `${what}: outcome ${i}: got [${show(got)}], want [${show(want)}]`);
  });
}

// --- length framing on byte streams ---

/** A stream segment: a frame within the limit, an oversized one with all its payload, or garbage. */
const segmentArb = fc.oneof(
  fc.uint8Array({ maxLength: LIMIT }).map(encodeFrame),
  fc.integer({ min: LIMIT + 1, max: 3 * LIMIT }).map((n) => encodeFrame(new Uint8Array(n).fill(0xee))),
);
/** A stream: segments, then any tail (a partial frame, a header claiming up to 4 GiB, noise). */
const streamArb = fc.tuple(fc.array(segmentArb, { maxLength: 8 }), fc.uint8Array({ maxLength: 40 }))
  .map(([segments, tail]) => concat([...segments, tail]));

/** The model: what a length-prefixed decoder with LIMIT must yield for `stream`. */
function framesOf(stream: Uint8Array): Outcome[] {
  const v = new DataView(stream.buffer, stream.byteOffset, stream.byteLength);
  const out: Outcome[] = [];
  let pos = 0;
  while (stream.length - pos >= 4) {
    const n = v.getUint32(pos, true);
    pos += 4;
    if (n > LIMIT) {
      out.push(n); // refused from its header; its payload (whatever of it came) is skipped
      pos += n;
      continue;
    }
    if (stream.length - pos < n) break; // the stream ended inside a frame: the channel just ends
    out.push(stream.slice(pos, pos + n));
    pos += n;
  }
  return out;
}

for (const kind of ["pipe", "tcp"] as const) {
  test(`hostile: length framing on ${kind === "pipe" ? "a byte-mode pipe" : "TCP"}: any bytes from a peer process give exactly the frames they hold; oversized ones are refused and skipped; others are served meanwhile`, async () => {
    await using hostile = await Hostile.start();
    const name = uniqueName("hostile-frames");
    const address = kind === "pipe"
      ? `pipe:${name}?mode=byte&maxMessageSize=${LIMIT}`
      : `tcp:127.0.0.1:0?maxMessageSize=${LIMIT}`;
    await using server = await listen(address);
    await using good = await goodClient(server, kind === "pipe" ? `pipe:${name}?mode=byte` : server.address);
    const port = kind === "tcp" ? Number(server.address.slice(server.address.lastIndexOf(":") + 1)) : 0;
    await fc.assert(
      fc.asyncProperty(
        streamArb,
        fc.array(fc.integer({ min: 1, max: 5000 }), { maxLength: 6 }),
        async (stream, cuts) => {
          const got = await hostile.outcomes(server, { op: kind, name, port, cuts }, stream);
          sameOutcomes(got, framesOf(stream), "frames");
          await good.check();
        },
      ),
      fcParams(25),
    );
  });
}

// --- WM_COPYDATA pieces ---

const TAG_BASE = 0x5749504300000000n;
const KIND_DATA = 2n, KIND_PART = 4n;

/** One raw WM_COPYDATA: its dwData and its size. */
interface Piece {
  tag: bigint;
  size: number;
}

const pieceArb: fc.Arbitrary<Piece> = fc.record({
  // Mostly PART and DATA; some HELLO again, unknown kinds, and tags that are not the channel's.
  kind: fc.oneof(
    fc.constant(KIND_PART),
    fc.constant(KIND_DATA),
    fc.constantFrom(1n, 5n, 0n, 255n),
  ),
  foreign: fc.integer({ min: 0, max: 9 }).map((n) => n < 3),
  size: fc.oneof(fc.integer({ min: 0, max: LIMIT }), fc.integer({ min: LIMIT + 1, max: 2 * LIMIT })),
}).map(({ kind, foreign, size }) => ({ tag: (foreign ? 0x1234567800000000n : TAG_BASE) | kind, size }));

/** The model: what the server channel must yield for `pieces` (cut from `payload`), then the bye. */
function copyDataOutcomes(pieces: Piece[], payload: Uint8Array): Outcome[] {
  const out: Outcome[] = [];
  let parts: Uint8Array[] = [];
  let total = 0;
  let at = 0;
  for (const p of pieces) {
    const bytes = payload.subarray(at, at + p.size);
    at += p.size;
    if ((p.tag & 0xffffffff00000000n) !== TAG_BASE) continue; // not the channel's: ignored
    if (p.size > LIMIT) continue; // the window refuses it before reading (LRESULT 2)
    const kind = p.tag & 0xffn;
    if (kind !== KIND_PART && kind !== KIND_DATA) continue; // HELLO again, unknown kinds: ignored
    parts.push(bytes);
    total += p.size;
    if (kind === KIND_PART) continue;
    out.push(total > LIMIT ? total : concat(parts));
    parts = [];
    total = 0;
  }
  return out;
}

test("hostile: WM_COPYDATA pieces from a peer process (forged kinds, foreign tags, oversized pieces and totals) give exactly the messages they make; others are served meanwhile", async () => {
  await using hostile = await Hostile.start();
  const name = uniqueName("hostile-copydata");
  await using server = await listen(`copydata:${name}?maxMessageSize=${LIMIT}`);
  await using good = await goodClient(server, `copydata:${name}`);
  await fc.assert(
    fc.asyncProperty(fc.array(pieceArb, { maxLength: 12 }), fc.integer(), async (pieces, seed) => {
      const size = pieces.reduce((n, p) => n + p.size, 0);
      const payload = new Uint8Array(size).map((_, i) => (i * 31 + seed) & 255);
      const got = await hostile.outcomes(
        server,
        { op: "copydata", name, pieces: pieces.map((p) => ({ tag: String(p.tag), size: p.size })) },
        payload,
      );
      sameOutcomes(got, copyDataOutcomes(pieces, payload), "copydata");
      await good.check();
    }),
    fcParams(25),
  );
  // A message sent as endless pieces past the limit: refused once its last piece comes (the
  // pieces over the limit are not kept), and the channel goes on.
  const pieces = [...Array(300)].map(() => ({ tag: String(TAG_BASE | KIND_PART), size: LIMIT }));
  pieces.push({ tag: String(TAG_BASE | KIND_DATA), size: 1 });
  const got = await hostile.outcomes(
    server,
    { op: "copydata", name, pieces },
    new Uint8Array(300 * LIMIT + 1),
  );
  sameOutcomes(got, [300 * LIMIT + 1], "endless pieces");
  await good.check();
});

// --- DDE data blocks ---

/** One raw WM_DDE_POKE: a block of bytes (its first 4 the DDEPOKE header), or a value that is no block. */
interface RawPoke {
  item: string;
  block?: Uint8Array;
  handle?: string;
}

/**
 * Pokes as a hostile conversation might post them: well-formed winipc values (a DDEPOKE header,
 * a length prefix, the bytes) with any flags, format, item, size around the limit and a prefix
 * that may lie; blocks shorter than their header; and values that are not blocks at all.
 */
function rawPokeArb(bytesFormat: number): fc.Arbitrary<RawPoke> {
  const value = fc.record({
    item: fc.constantFrom(DDE_CHANNEL_ITEM, DDE_CHANNEL_ITEM, "another-item"),
    flags: fc.constantFrom(0, 0x2000, 0xffff), // none, fRelease, every bit
    format: fc.constantFrom(bytesFormat, bytesFormat, 1, 0xffff),
    body: fc.oneof(
      fc.uint8Array({ maxLength: 64 }),
      fc.integer({ min: LIMIT - 2, max: LIMIT + 2 }).map((n) => new Uint8Array(n).fill(0x6b)),
    ),
    lie: fc.option(fc.integer({ min: 0, max: 0xffffffff }), { freq: 3 }),
  }).map(({ item, flags, format, body, lie }) => {
    const block = new Uint8Array(8 + body.length);
    const v = new DataView(block.buffer);
    v.setUint16(0, flags, true);
    v.setUint16(2, format, true);
    v.setUint32(4, lie ?? body.length, true);
    block.set(body, 8);
    return { item, block };
  });
  return fc.oneof(
    { arbitrary: value, weight: 6 },
    fc.uint8Array({ maxLength: 7 }).map((block) => ({ item: DDE_CHANNEL_ITEM, block })),
    fc.constantFrom("0", "1", "3735928559").map((handle) => ({ item: DDE_CHANNEL_ITEM, handle })),
  );
}

/**
 * The model: the messages a `dde:` channel with maxMessageSize LIMIT must deliver for `pokes`:
 * those on the channel's item, in winipc's bytes format, whose prefix fits what came and whose
 * message is within the limit. Everything else is refused (a negative ACK the peer sees).
 */
function ddeOutcomes(pokes: RawPoke[], bytesFormat: number): Outcome[] {
  const out: Outcome[] = [];
  for (const p of pokes) {
    const b = p.block;
    if (!b || p.item !== DDE_CHANNEL_ITEM || b.length < 8) continue;
    const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
    const n = v.getUint32(4, true);
    if (v.getUint16(2, true) !== bytesFormat || b.length - 8 > LIMIT || n > b.length - 8) continue;
    out.push(b.slice(8, 8 + n));
  }
  return out;
}

test("hostile: raw WM_DDE_POKE blocks from a peer process (any header, format, item, size or length prefix; no block at all) give exactly the messages the good ones carry; others are served meanwhile", async () => {
  await using hostile = await Hostile.start();
  const bytesFormat = ddeBytesFormat();
  const path = `${uniqueName("hostile-dde")}/hostile`;
  await using server = await DdeListener.listen(path, { maxMessageSize: LIMIT });
  await using good = await goodClient(server, `dde:${path}`);
  await fc.assert(
    fc.asyncProperty(fc.array(rawPokeArb(bytesFormat), { maxLength: 8 }), async (pokes) => {
      const payload = concat(pokes.flatMap((p) => p.block ? [p.block] : []));
      const got = await hostile.outcomes(server, {
        op: "dde",
        address: path,
        pokes: pokes.map((p) => ({ item: p.item, size: p.block?.length ?? 0, handle: p.handle })),
      }, payload);
      sameOutcomes(got, ddeOutcomes(pokes, bytesFormat), "dde");
      await good.check();
    }),
    fcParams(15),
  );
});

// --- clipboard HTML Format and file lists ---

/** HTML Format headers with offsets anywhere (in range or not) around any fragment. */
const htmlFormatArb = fc.tuple(
  fc.integer({ min: -5, max: 400 }),
  fc.integer({ min: -5, max: 400 }),
  fc.integer({ min: -5, max: 400 }),
  fc.integer({ min: -5, max: 400 }),
  fc.string({ maxLength: 80 }),
).map(([a, b, c, d, body]) =>
  text(
    `Version:0.9\r\nStartHTML:${a}\r\nEndHTML:${b}\r\nStartFragment:${c}\r\nEndFragment:${d}\r\n` +
      `<html><body><!--StartFragment-->${body}<!--EndFragment--></body></html>`,
  )
);

/** DROPFILES blocks with any pFiles offset and wide flag, then any bytes. */
const dropFilesArb = fc.tuple(
  fc.integer({ min: 0, max: 0xffffffff }),
  fc.boolean(),
  fc.uint8Array({ maxLength: 200 }),
)
  .map(([offset, wide, rest]) => {
    const b = new Uint8Array(20 + rest.length);
    const v = new DataView(b.buffer);
    v.setUint32(0, offset, true);
    v.setUint32(16, wide ? 1 : 0, true);
    b.set(rest, 20);
    return b;
  });

test("hostile: clipboard HTML Format and CF_HDROP put by a peer process, with any offsets: a value or a typed WinipcError, never a crash", async () => {
  await using hostile = await Hostile.start();
  await using clipboard = await Clipboard.open();
  let values = 0, refused = 0;
  const read = async (f: () => Promise<unknown>) => {
    try {
      await f();
      values++;
    } catch (e) {
      assert(e instanceof WinipcError, `a typed error, got ${e}`);
      refused++;
    }
  };
  await fc.assert(
    fc.asyncProperty(
      fc.oneof(htmlFormatArb, fc.uint8Array({ maxLength: 300 })),
      fc.oneof(dropFilesArb, fc.uint8Array({ maxLength: 40 })),
      async (html, files) => {
        await hostile.command({ op: "clipboard", format: "HTML Format" }, html);
        await read(() => clipboard.readHtml());
        await hostile.command({ op: "clipboard", format: 15 }, files);
        await read(() => clipboard.readFiles());
      },
    ),
    fcParams(25),
  );
  console.log(`  ${values} values, ${refused} typed refusals`);
  assert(refused > 0, "some hostile blocks were refused (else the generator tested nothing)");
  await clipboard.writeText("after the attack");
  assert((await clipboard.readText()) === "after the attack", "the clipboard still works");
});

// --- VARIANTs from a peer ---

/** Leaves a peer can make (an odd BSTR must be allocated, so it is short; VT 15 is unassigned). */
const peerLeafArb: fc.Arbitrary<Node> = fc.oneof(
  fc.constantFrom<Node>({ k: "empty" }, { k: "null" }, { k: "vt", vt: 15 }),
  fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }).map((v): Node => ({ k: "i4", v })),
  fc.double().map((v): Node => ({ k: "r8", v })),
  fc.boolean().map((v): Node => ({ k: "bool", v })),
  fc.string({ unit: "binary", maxLength: 40 }).map((s): Node => ({ k: "bstr", s })),
  fc.integer({ min: 0, max: 31 }).map((n): Node => ({ k: "badBstr", bytes: 2 * n + 1 })),
);

/** SAFEARRAYs of any dimension count and bounds whose data is small, since it is made and sent. */
const peerArrayArb: fc.Arbitrary<Node> = fc.record({
  vt: fc.constantFrom(VT_I4, VT_R8, VT_BSTR, VT_UI1, VT_VARIANT, VT_BOOL),
  counts: fc.array(
    fc.oneof(
      { arbitrary: fc.integer({ min: 0, max: 3 }), weight: 6 },
      fc.constantFrom(0xffffffff, MAX_ROWS, MAX_ROWS + 1),
      fc.integer({ min: 0, max: 0xffffffff }),
    ),
    { minLength: 1, maxLength: 18 },
  ),
}).filter(({ vt, counts }) => product(counts) * SIZES[vt] <= 4096)
  .map(({ vt, counts }): Node => ({ k: "raw", vt, cb: SIZES[vt], counts }));

const peerTreeArb = treeOf(peerLeafArb, peerArrayArb);
const peerDeepArb = deepOf(peerLeafArb, 55, 75);

const DISP_E_BADVARTYPE = 0x80020008 | 0;

/**
 * What COM's marshaller hands the server for `node`. Windows carries an odd BSTR's byte length
 * (MS-OAUT's FLAGGED_WORD_BLOB has cBytes), so the reader must refuse it. Wine's marshaller rounds
 * it up to whole characters instead: the peer's bytes 1, 2, 3... (_native_variant.ts) then the
 * BSTR's NUL byte; the in-process test (variant_hostile_test.ts) still lays odd ones out.
 *
 * A VARIANT of the unassigned VARTYPE 15 is refused by the marshaller (DISP_E_BADVARTYPE) as an
 * argument; Wine's carries one that is an element of a SAFEARRAY as VT_EMPTY instead, and the call
 * succeeds (seen with seed 1353678796: [7, VT 15] arrives as [7, undefined]), unless a reference
 * leads to that array (then VT 15 arrives, and the reader refuses it). Probed: arrays nested 1-3
 * deep, with references above, between and below. The test expects Windows to refuse it in an
 * array too, as at the top: not verified here.
 */
function carried(node: Node, viaRef = false): Node {
  switch (node.k) {
    case "badBstr":
      return underWine
        ? {
          k: "bstr",
          s: String.fromCharCode(
            ...Array.from({ length: (node.bytes + 1) / 2 }, (_, i) =>
              (2 * i + 1) | ((2 * i + 2 <= node.bytes ? 2 * i + 2 : 0) << 8)),
          ),
        }
        : node;
    case "byref":
      return { k: "byref", to: carried(node.to, true) };
    case "array":
      return {
        ...node,
        elements: node.elements.map((e) =>
          underWine && !viaRef && e.k === "vt" && e.vt === 15 ? { k: "empty" } : carried(e, viaRef)
        ),
      };
    default:
      return node;
  }
}

/** A value as text, bigints and byte arrays included. */
const shown = (v: unknown) =>
  JSON.stringify(
    v,
    (_k, x) =>
      typeof x === "bigint"
        ? `${x}n`
        : x instanceof Uint8Array
        ? `<${x.length} bytes>`
        : Object.is(x, -0)
        ? "-0"
        : x === undefined
        ? "undefined"
        : x,
  );

test("hostile: VARIANTs and SAFEARRAYs a peer process sends through COM, made natively past the library's writer (odd BSTRs, an unassigned VARTYPE, arrays of any dimensions and bounds, nesting past the limit): the JS object gets exactly the model's value, or the call fails with DISP_E_TYPEMISMATCH; the peer's next call is served", async () => {
  const received: unknown[] = [];
  const moniker = `C:\\${uniqueName("hostile-com")}`;
  await using _registration = await publishObject({
    take(x: unknown) {
      received.push(x);
      return true;
    },
  }, moniker);
  await using hostile = await Hostile.start();
  let values = 0, refused = 0, unsent = 0;
  const hex = (hr: number) => `0x${(hr >>> 0).toString(16)}`;
  await fc.assert(
    fc.asyncProperty(fc.oneof(peerTreeArb, peerDeepArb, peerArrayArb), async (node) => {
      received.length = 0;
      const said = JSON.parse(
        await hostile.command({ op: "variant", name: moniker, node: nodeToJson(node) }),
      );
      const want = model(carried(node));
      assert(said.good === 0 && received.at(-1) === "good", `the peer's next call: ${hex(said.good)}`);
      const got = received.slice(0, -1);
      if (said.hr === 0) {
        values++;
        assert(want !== ERROR, `the reader took a VARIANT the model refuses: got ${shown(got)}`);
        assert(
          got.length === 1 && same(got[0], want),
          `got ${shown(got)}, want ${shown(want)}`,
        );
      } else if (said.hr === HRESULT.DISP_E_TYPEMISMATCH) {
        refused++;
        assert(want === ERROR, `the reader refused a VARIANT the model reads: ${JSON.stringify(want)}`);
        assert(got.length === 0, "a refused argument reached the JS object");
      } else {
        // The marshaller refuses a VARTYPE it cannot size (the peer's proxy or our stub): the
        // call never reaches the reader. Any other failure is the server's, and a bug.
        unsent++;
        assert(
          said.hr === DISP_E_BADVARTYPE && JSON.stringify(node).includes(`"k":"vt"`) && got.length === 0,
          `the call failed with ${hex(said.hr)}`,
        );
      }
    }),
    fcParams(100),
  );
  console.log(
    `  ${values} values, ${refused} refused by the reader, ${unsent} not carried by the marshaller`,
  );
  assert(values > 10 && refused > 10, "both outcomes were exercised");
});
