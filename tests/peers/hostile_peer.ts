/**
 * The hostile peer of tests/hostile_test.ts: a real process that sends whatever bytes the test's
 * fast-check run chose, through the raw mechanism, past the library's own encoders.
 *   hostile_peer.ts CONTROL
 * connects to the test's control pipe (pipe:CONTROL, trusted) and runs each command it receives,
 * answering "done" (or "error: ..."). A command is a message: a 4-byte little-endian length, that
 * many bytes of JSON, then the payload.
 *   {op:"pipe", name, cuts}        writes the payload into a raw byte stream on \\.\pipe\NAME
 *   {op:"tcp", port, cuts}          the same on a raw TCP connection to 127.0.0.1:PORT
 *   {op:"copydata", name, pieces}   says hello to the copydata server NAME from a window of its own,
 *                                   then sends each piece {tag, size} (cut from the payload) as a
 *                                   raw WM_COPYDATA, then bye
 *   {op:"clipboard", format}        puts the payload on the clipboard as FORMAT ("HTML Format",
 *                                   or a number such as 15 for CF_HDROP)
 *   {op:"dde", address, pokes}      opens the dde: channel ADDRESS (a conversation and its link),
 *                                   then posts each poke {item, format, flags, size, handle?} as a
 *                                   raw WM_DDE_POKE: a block of `size` bytes cut from the payload
 *                                   (its first 4 are the DDEPOKE header the test wrote), or, with
 *                                   `handle`, that value in place of a block; then ends the
 *                                   conversation.
 *   {op:"variant", name, node}      calls take(VARIANT) on the COM object at moniker NAME with the
 *                                   argument NODE (tests/_support/variant_model.ts, as JSON) made
 *                                   natively (_native_variant.ts), then take("good"); answers
 *                                   "done {hr, good}": the two calls' HRESULTs.
 */
import { connect } from "../../mod.ts";
import { connectNamedPipeStream } from "../../src/mechanisms/pipe/mod.ts";
import { connectTcpStream } from "../../src/mechanisms/socket/mod.ts";
import { Clipboard } from "../../src/mechanisms/clipboard/mod.ts";
import { user32 } from "../../src/ffi/user32.ts";
import { NativeMemory } from "../../src/ffi/memory.ts";
import { wstr } from "../../src/ffi/wstr.ts";
import { DdeClient } from "../../src/mechanisms/dde/dde_client.ts";
import { addAtom, allocBlock, freeLParam, packLParam } from "../../src/mechanisms/dde/dde_memory.ts";
import { ddeBytesFormat } from "../../src/mechanisms/dde/dde_value.ts";
import { DDE_CHANNEL_ITEM } from "../../src/mechanisms/dde/dde_channel.ts";
import { parseDdeAddress } from "../../src/mechanisms/dde/dde_format.ts";
import { type ComObject, getObject } from "../../src/mechanisms/com/mod.ts";
import { invokeWithNode, nodeFromJson } from "./_native_variant.ts";
import process from "node:process";

const HWND_MESSAGE = 0xfffffffffffffffdn;
const WM_COPYDATA = 0x004a;
const SMTO_ABORTIFHUNG = 0x0002;
const TAG_BASE = 0x5749504300000000n; // the copydata channel's "WIPC" marker
const KIND_HELLO = 1n, KIND_BYE = 3n;

const WM_DDE_POKE = 0x03e7;

/** One raw WM_DDE_POKE of the `dde` op. */
interface Poke {
  item: string;
  size: number;
  /** A value posted in place of a block (not a block at all). */
  handle?: string;
}

interface Command {
  op: "pipe" | "tcp" | "copydata" | "clipboard" | "dde" | "variant";
  node?: string;
  address?: string;
  pokes?: Poke[];
  name?: string;
  port?: number;
  cuts?: number[];
  pieces?: { tag: string; size: number }[];
  format?: string | number;
}

/** The payload cut at `cuts` (taken in turn; a 0 is an empty write). */
function* cut(bytes: Uint8Array, cuts: number[]): Generator<Uint8Array> {
  let at = 0;
  for (let i = 0; at < bytes.length; i++) {
    const n = cuts.length ? cuts[i % cuts.length] : bytes.length;
    yield bytes.subarray(at, at + Math.max(n, 1));
    at += Math.max(n, 1);
  }
}

/** One WM_COPYDATA from `from` to `to`; its LRESULT, or -1 when the send failed. */
function sendCopyData(to: bigint, from: bigint, tag: bigint, data: Uint8Array): bigint {
  using payload = new NativeMemory(Math.max(1, data.byteLength));
  payload.bytes.set(data);
  using cds = new NativeMemory(24);
  const v = cds.view();
  v.setBigUint64(0, tag, true);
  v.setUint32(8, data.byteLength, true);
  v.setBigUint64(16, data.byteLength ? payload.address : 0n, true);
  const result = new BigUint64Array(1);
  const ok = user32().sync.SendMessageTimeoutW(
    to,
    WM_COPYDATA,
    from,
    cds.address,
    SMTO_ABORTIFHUNG,
    10_000,
    result,
  );
  return ok === 0n ? -1n : result[0];
}

async function copydata(c: Command, payload: Uint8Array): Promise<void> {
  const server = user32().sync.FindWindowExW(
    HWND_MESSAGE,
    0n,
    wstr("winipc-copydata"),
    wstr(c.name!),
  ) as bigint;
  if (server === 0n) throw new Error(`no copydata server ${c.name}`);
  // A window of this process to send from: the server routes by it and watches its process.
  const own = user32().sync.CreateWindowExW(
    0,
    wstr("STATIC"),
    null,
    0,
    0,
    0,
    0,
    0,
    HWND_MESSAGE,
    0n,
    0n,
    0n,
  ) as bigint;
  try {
    if (sendCopyData(server, own, TAG_BASE | KIND_HELLO, new Uint8Array(0)) !== 1n) {
      throw new Error("hello refused");
    }
    let at = 0;
    for (const p of c.pieces!) {
      sendCopyData(server, own, BigInt(p.tag), payload.subarray(at, at + p.size));
      at += p.size;
    }
    sendCopyData(server, own, TAG_BASE | KIND_BYE, new Uint8Array(0));
  } finally {
    user32().sync.DestroyWindow(own);
  }
  await Promise.resolve();
}

async function dde(c: Command, payload: Uint8Array): Promise<void> {
  const { service, topic } = parseDdeAddress(c.address!);
  await using client = await DdeClient.connect(service, topic, { timeout: 10_000 });
  // The link makes this conversation a channel on the server (its pokes are messages from then on).
  await client.hotLink(DDE_CHANNEL_ITEM, { format: ddeBytesFormat(), ackReq: true, timeout: 10_000 });
  let at = 0;
  for (const p of c.pokes!) {
    const block = p.handle !== undefined ? BigInt(p.handle) : allocBlock(payload.subarray(at, at + p.size));
    if (p.handle === undefined) at += p.size;
    const lParam = packLParam(WM_DDE_POKE, block, BigInt(addAtom(p.item)));
    if (!user32().sync.PostMessageW(client.peer, WM_DDE_POKE, client.own, lParam)) {
      freeLParam(WM_DDE_POKE, lParam);
    }
  }
  // The server's ACKs (and anything it still sends) come to the client before its TERMINATE.
  await new Promise((r) => setTimeout(r, 200));
}

/** The COM objects the `variant` op calls, by moniker (kept for the peer's life). */
const comObjects = new Map<string, ComObject>();

/** The `variant` op: the hostile call, then a good one; their HRESULTs as JSON. */
async function variant(c: Command): Promise<string> {
  let target = comObjects.get(c.name!);
  if (!target) comObjects.set(c.name!, target = await getObject(c.name!));
  const hr = await invokeWithNode(target, "take", nodeFromJson(c.node!));
  const good = await target.call("take", "good").then(() => 0, (e) => (e as { hr?: number }).hr ?? -1);
  return JSON.stringify({ hr, good });
}

async function run(c: Command, payload: Uint8Array): Promise<string | void> {
  if (c.op === "pipe" || c.op === "tcp") {
    await using s = c.op === "pipe"
      ? await connectNamedPipeStream(c.name!, { timeout: 10_000 })
      : await connectTcpStream("127.0.0.1", c.port!, { timeout: 10_000 });
    for (const piece of cut(payload, c.cuts ?? [])) await s.write(piece, { timeout: 10_000 });
  } else if (c.op === "copydata") {
    await copydata(c, payload);
  } else if (c.op === "dde") {
    await dde(c, payload);
  } else if (c.op === "clipboard") {
    await using clipboard = await Clipboard.open();
    await clipboard.writeBytes(c.format!, payload);
  } else if (c.op === "variant") {
    return await variant(c);
  } else {
    throw new Error(`unknown op ${c.op}`);
  }
}

const control = await connect(`pipe:${process.argv[2]}`, { timeout: 30_000 });
for await (const m of control) {
  const n = new DataView(m.buffer, m.byteOffset).getUint32(0, true);
  const command = JSON.parse(new TextDecoder().decode(m.subarray(4, 4 + n))) as Command;
  let answer = "done";
  try {
    const said = await run(command, m.subarray(4 + n));
    if (said) answer = `done ${said}`;
  } catch (e) {
    answer = `error: ${e}`;
  }
  await control.send(new TextEncoder().encode(answer));
}
for (const o of comObjects.values()) o.release();
process.exit(0);
