/**
 * A DDE program no one here wrote, for the DDE interop tests (issue 14): Windows' own DDE
 * Management Library (DDEML, user32's Dde* functions) driven over FFI. It shares nothing with
 * src/mechanisms/dde but the FFI layer, and its constants are copied from ddeml.h, so it checks
 * winipc's WM_DDE_* protocol against the system's implementation. One line per event on stdout.
 *
 *   ddeml_peer.ts server SERVICE TOPIC [--seconds S]
 *     registers SERVICE and accepts TOPIC only. Items hold text (CF_TEXT or CF_UNICODETEXT);
 *     "greeting" starts as "hello from ddeml". Prints `ready`, then `connect TOPIC`,
 *     `request ITEM`, `poke ITEM=VALUE`, `execute CMD` (refused when CMD contains "fail"),
 *     `advstart ITEM`, `advstop ITEM`, `advise ticker=VALUE`, `disconnect`. A POKE of N to
 *     "publish" sets "ticker" to tick-0..tick-(N-1), calling DdePostAdvise after each (paced:
 *     see publish()). Exits 0 after a POKE to "quit" or S seconds (default 120).
 *   ddeml_peer.ts client SERVICE TOPIC
 *     connects (retrying for up to 30 s), then prints in order: `connected`,
 *     `request greeting=VALUE`, `poke inbox ok|fail`, `execute [hello] ok|fail`,
 *     `execute [fail] ok|fail`, `hot VALUE` x5 (hot link on "ticker" after a POKE of 5 to
 *     "publish"), `warm VALUE` x3 (warm link, POKE of 3, a REQUEST after each notice), `done`.
 *
 * Exit code 0 on success, 1 with the reason on stderr. CF_TEXT bytes are read and written as
 * UTF-8 (the tests send ASCII). The peer is synchronous: it blocks its own thread in DDEML's
 * synchronous transactions and in MsgWaitForMultipleObjects, which a test program may do.
 *   deno run --allow-ffi --no-check tests/peers/ddeml_peer.ts server winipc-test topic
 *   bun tests/peers/ddeml_peer.ts client winipc-test topic
 */
import { writeSync } from "node:fs";
import process from "node:process";
import { backend } from "../../src/ffi/runtime.ts";
import { user32 } from "../../src/ffi/user32.ts";
import { fromWstr, wstr } from "../../src/ffi/wstr.ts";

// From ddeml.h and winuser.h.
const CP_WINUNICODE = 1200;
const APPCMD_CLIENTONLY = 0x10;
const CBF_SKIP_REGISTRATIONS = 0x80000, CBF_SKIP_UNREGISTRATIONS = 0x100000;
const DNS_REGISTER = 1, DNS_UNREGISTER = 2;
const XTYPF_NODATA = 0x0004;
const XTYP_ADVDATA = 0x4010, XTYP_ADVREQ = 0x2022, XTYP_ADVSTART = 0x1030, XTYP_ADVSTOP = 0x8040;
const XTYP_EXECUTE = 0x4050, XTYP_CONNECT = 0x1062, XTYP_POKE = 0x4090, XTYP_REQUEST = 0x20b0;
const XTYP_DISCONNECT = 0x80c2;
const DDE_FACK = 0x8000, DDE_FNOTPROCESSED = 0;
const DMLERR_NO_ERROR = 0, DMLERR_NO_CONV_ESTABLISHED = 0x400a;
const CF_TEXT = 1, CF_UNICODETEXT = 13;
const PM_REMOVE = 1, QS_ALLINPUT = 0x04ff;
/** The timeout of each synchronous transaction, ms. */
const TRANSACTION_TIMEOUT = 10_000;

const u = user32().sync;
const out = (line: string) => writeSync(1, `${line}\n`); // synchronous: the test reads lines as they come
function fail(message: string): never {
  writeSync(2, `ddeml_peer: ${message}\n`);
  process.exit(1);
}

// --- the DDEML instance, its string handles and message pump ---
let inst = 0;
const strings = new Map<string, bigint>();
/** The instance's string handle for `s`, made once and freed at exit. */
function hsz(s: string): bigint {
  let h = strings.get(s);
  if (h === undefined) {
    h = u.DdeCreateStringHandleW(inst, wstr(s), CP_WINUNICODE);
    if (h === 0n) fail(`DdeCreateStringHandleW(${s}): DMLERR 0x${u.DdeGetLastError(inst).toString(16)}`);
    strings.set(s, h);
  }
  return h;
}
/** The text of a string handle DDEML passed to the callback. */
function text(h: bigint): string {
  const buf = new Uint16Array(256);
  const n = u.DdeQueryStringW(inst, h, buf, buf.length, CP_WINUNICODE);
  return fromWstr(buf.subarray(0, Math.min(n, buf.length)));
}
/** A copy of a data handle's bytes (at most 1 MiB). */
function bytesOf(data: bigint): Uint8Array {
  const size = Math.min(u.DdeGetData(data, null, 0, 0), 1 << 20);
  const b = new Uint8Array(size);
  if (size > 0) u.DdeGetData(data, b, size, 0);
  return b;
}
/** A value in a clipboard format, NUL-terminated; null for a format this peer does not hold. */
function encode(format: number, value: string): Uint8Array | null {
  if (format === CF_TEXT) return new TextEncoder().encode(`${value}\0`);
  if (format === CF_UNICODETEXT) return new Uint8Array(wstr(value).buffer);
  return null;
}
/** Text up to the first NUL: UTF-16 for CF_UNICODETEXT (or `wide`), UTF-8 otherwise. */
function decode(format: number, b: Uint8Array, wide = format === CF_UNICODETEXT): string {
  if (wide) return fromWstr(new Uint16Array(b.buffer, b.byteOffset, b.length >> 1));
  const end = b.indexOf(0);
  return new TextDecoder().decode(end < 0 ? b : b.subarray(0, end));
}

const msg = new Uint8Array(48); // MSG
/** Dispatches every queued message: DDEML's windows run the callback from here. */
function pump(): void {
  while (u.PeekMessageW(msg, 0n, 0, 0, PM_REMOVE) !== 0) {
    u.TranslateMessage(msg);
    u.DispatchMessageW(msg);
  }
}
/** Pumps until `done()` or `ms` pass; whether `done()` became true. */
function pumpUntil(done: () => boolean, ms: number): boolean {
  const end = Date.now() + ms;
  for (;;) {
    pump();
    if (done()) return true;
    const left = end - Date.now();
    if (left <= 0) return false;
    u.MsgWaitForMultipleObjects(0, null, 0, Math.min(left, 50), QS_ALLINPUT); // wakes on a message
  }
}

type Handler = (type: number, format: number, hsz1: bigint, hsz2: bigint, data: bigint) => bigint;
/** DdeInitializeW with `handler` as the callback (called on this thread only). */
function initialize(afCmd: number, handler: Handler): { close(): void } {
  const cb = backend.callback(
    ["u32", "u32", "ptr", "ptr", "ptr", "ptr", "ptr", "ptr"], // uType, uFmt, hconv, hsz1, hsz2, hdata, dwData1, dwData2
    "ptr", // HDDEDATA
    ((type: number, format: number, _conv: bigint, h1: bigint, h2: bigint, data: bigint) => {
      try { // never throw into DDEML's native frames
        return handler(type, format, BigInt(h1), BigInt(h2), BigInt(data));
      } catch (e) {
        writeSync(2, `ddeml_peer: callback 0x${type.toString(16)}: ${e}\n`);
        return 0n;
      }
    }) as never,
  );
  const id = new Uint32Array(1);
  const r = u.DdeInitializeW(id, cb.pointer, afCmd, 0);
  if (r !== DMLERR_NO_ERROR) fail(`DdeInitializeW: DMLERR 0x${r.toString(16)}`);
  inst = id[0];
  return cb;
}
/** Frees the string handles and the instance (which ends its conversations). */
function uninitialize(cb: { close(): void }): void {
  for (const h of strings.values()) u.DdeFreeStringHandle(inst, h);
  u.DdeUninitialize(inst);
  cb.close();
}

// --- server ---
function server(service: string, topic: string, seconds: number): void {
  const items = new Map([["greeting", "hello from ddeml"]]);
  let publishCount = 0; // ticks asked for by a POKE to "publish", run by the main loop
  let tickerRequests = 0; // REQUESTs of "ticker" so far: they pace publish()
  let quit = false;
  const cb = initialize(CBF_SKIP_REGISTRATIONS | CBF_SKIP_UNREGISTRATIONS, (type, format, h1, h2, data) => {
    switch (type) {
      case XTYP_CONNECT: { // h1: topic, h2: service
        const ok = text(h1).toLowerCase() === topic.toLowerCase() &&
          text(h2).toLowerCase() === service.toLowerCase();
        if (ok) out(`connect ${text(h1)}`);
        return ok ? 1n : 0n;
      }
      case XTYP_REQUEST:
      case XTYP_ADVREQ: { // h2: item; the answer is a new handle DDEML frees once sent
        const item = text(h2);
        if (type === XTYP_REQUEST) out(`request ${item}`);
        if (type === XTYP_REQUEST && item === "ticker") tickerRequests++;
        const value = items.get(item);
        const b = value === undefined ? null : encode(format, value);
        return b === null ? 0n : u.DdeCreateDataHandle(inst, b, b.length, 0, h2, format, 0);
      }
      case XTYP_POKE: {
        const item = text(h2), value = decode(format, bytesOf(data));
        out(`poke ${item}=${value}`);
        items.set(item, value);
        if (item === "publish") {
          publishCount = Math.max(0, Math.min(Number.parseInt(value, 10) || 0, 100_000));
        }
        if (item === "quit") quit = true;
        return BigInt(DDE_FACK); // the ACK is posted after this returns; the main loop acts later
      }
      case XTYP_EXECUTE: { // the command as the client's window sent it: UTF-16 between W windows
        const b = bytesOf(data);
        const cmd = decode(CF_TEXT, b, b.length >= 2 && b[0] !== 0 && b[1] === 0);
        out(`execute ${cmd}`);
        return BigInt(cmd.includes("fail") ? DDE_FNOTPROCESSED : DDE_FACK);
      }
      case XTYP_ADVSTART:
        out(`advstart ${text(h2)}`);
        return 1n;
      case XTYP_ADVSTOP:
        out(`advstop ${text(h2)}`);
        return 0n;
      case XTYP_DISCONNECT:
        out("disconnect");
        return 0n;
    }
    return 0n;
  });

  // Wine's DdePostAdvise posts each update without fAckReq, whatever the link asked for
  // (dde_server.c), so nothing paces it: a warm-link client that requests the value after each
  // notice reads the last value every time, and a Wine DDEML client's REQUEST takes a notice
  // still queued for that item as its reply (it fails, DMLERR_NOTPROCESSED; the real reply then
  // comes as a link update). So after each update the server waits for a REQUEST of "ticker":
  // 1 s the first time (none: hot links only, the rest go out at once), then up to 10 s.
  function publish(n: number): void {
    let warm: boolean | undefined;
    for (let i = 0; i < n; i++) {
      items.set("ticker", `tick-${i}`);
      const seen = tickerRequests;
      if (!u.DdePostAdvise(inst, hsz(topic), hsz("ticker"))) {
        writeSync(2, `ddeml_peer: DdePostAdvise failed\n`);
      }
      out(`advise ticker=tick-${i}`);
      if (warm === false || i === n - 1) continue;
      warm = pumpUntil(() => tickerRequests > seen || quit, warm ? 10_000 : 1_000);
    }
  }

  if (u.DdeNameService(inst, hsz(service), 0n, DNS_REGISTER) === 0n) {
    fail(`DdeNameService(${service}): DMLERR 0x${u.DdeGetLastError(inst).toString(16)}`);
  }
  out("ready");
  const end = Date.now() + seconds * 1000;
  while (!quit && Date.now() < end) {
    pumpUntil(() => quit || publishCount > 0, end - Date.now());
    const n = publishCount;
    publishCount = 0;
    if (n > 0 && !quit) publish(n);
  }
  u.DdeNameService(inst, hsz(service), 0n, DNS_UNREGISTER);
  uninitialize(cb);
}

// --- client ---
function client(service: string, topic: string): void {
  const updates: (string | null)[] = []; // XTYP_ADVDATA values, null for a warm link's notice
  const cb = initialize(APPCMD_CLIENTONLY, (type, format, _h1, _h2, data) => {
    if (type === XTYP_ADVDATA) {
      updates.push(data === 0n ? null : decode(format, bytesOf(data)));
      return BigInt(DDE_FACK);
    }
    return 0n;
  });

  // No server yet (DMLERR_NO_CONV_ESTABLISHED): retry, so the test may start both at once.
  let conv = 0n;
  const connectBy = Date.now() + 30_000;
  while ((conv = u.DdeConnect(inst, hsz(service), hsz(topic), null)) === 0n) {
    const err = u.DdeGetLastError(inst);
    if (err !== DMLERR_NO_CONV_ESTABLISHED) fail(`DdeConnect: DMLERR 0x${err.toString(16)}`);
    if (Date.now() > connectBy) fail(`no server ${service}|${topic} within 30 s`);
    pumpUntil(() => false, 250);
  }
  out("connected");

  const status = new Uint32Array(1);
  /** A synchronous transaction; its HDDEDATA (0 on failure) and the ACK word in `status`. */
  function transact(type: number, item: string | null, data: Uint8Array | null = null): bigint {
    status[0] = 0;
    const r = u.DdeClientTransaction(
      data,
      data?.length ?? 0,
      conv,
      item === null ? 0n : hsz(item),
      CF_TEXT,
      type,
      TRANSACTION_TIMEOUT,
      status,
    );
    // Workaround for Wine DDEML bug 2 (WINE.md, "DDE"): a Wine DDEML server posts a stray
    // positive WM_DDE_ACK after each REQUEST's data, and Wine's DDEML client hands it to the
    // next synchronous transaction (wrong results, dead hot links). Draining the queue now lets
    // the conversation window swallow it; done after every transaction.
    pump();
    return r;
  }
  const request = (item: string): string => {
    const h = transact(XTYP_REQUEST, item);
    if (h === 0n) fail(`REQUEST ${item}: DMLERR 0x${u.DdeGetLastError(inst).toString(16)}`);
    const value = decode(CF_TEXT, bytesOf(h));
    u.DdeFreeDataHandle(h);
    return value;
  };
  // Wine's DDEML reports every acknowledged POKE as a success, refused or not: check the ACK word.
  const accepted = (r: bigint) => r !== 0n && (status[0] & DDE_FACK) !== 0 ? "ok" : "fail";
  const poke = (item: string, value: string) => accepted(transact(XTYP_POKE, item, encode(CF_TEXT, value)));
  const execute = (cmd: string) => accepted(transact(XTYP_EXECUTE, null, new Uint8Array(wstr(cmd).buffer)));
  const advise = (type: number, item: string) => {
    if (transact(type, item) === 0n) fail(`ADVSTART/ADVSTOP 0x${type.toString(16)} ${item}: refused`);
  };
  /** The next `n` link updates (waits up to 15 s for each). */
  function* nextUpdates(n: number, what: string): Generator<string | null> {
    for (let i = 0; i < n; i++) {
      if (!pumpUntil(() => updates.length > 0, 15_000)) fail(`${what}: update ${i + 1} of ${n} never came`);
      yield updates.shift()!;
    }
  }

  out(`request greeting=${request("greeting")}`);
  out(`poke inbox ${poke("inbox", "from ddeml")}`);
  out(`execute [hello] ${execute("[hello]")}`);
  out(`execute [fail] ${execute("[fail]")}`);

  advise(XTYP_ADVSTART, "ticker"); // hot link: each update carries the value
  if (poke("publish", "5") !== "ok") fail("POKE publish=5 refused");
  for (const value of nextUpdates(5, "hot link")) out(`hot ${value}`);
  advise(XTYP_ADVSTOP, "ticker");
  updates.length = 0;

  advise(XTYP_ADVSTART | XTYPF_NODATA, "ticker"); // warm link: notices only, then a REQUEST
  if (poke("publish", "3") !== "ok") fail("POKE publish=3 refused");
  for (const _notice of nextUpdates(3, "warm link")) out(`warm ${request("ticker")}`);
  advise(XTYP_ADVSTOP, "ticker");

  poke("quit", "quit"); // the server exits; the answer does not matter
  u.DdeDisconnect(conv);
  out("done");
  uninitialize(cb);
}

const [role, service, topic, ...rest] = process.argv.slice(2);
if (!service || !topic) fail("usage: ddeml_peer.ts server|client SERVICE TOPIC [--seconds S]");
const at = rest.indexOf("--seconds");
const seconds = at >= 0 ? Number(rest[at + 1]) : 120;
if (!(seconds > 0)) fail(`bad --seconds ${rest[at + 1]}`);
if (role === "server") server(service, topic, seconds);
else if (role === "client") client(service, topic);
else fail(`unknown role ${role}`);
process.exit(0);
