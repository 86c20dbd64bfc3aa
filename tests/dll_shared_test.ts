/**
 * DLL shared sections across two processes: the library writes a DLL with an
 * IMAGE_SCN_MEM_SHARED section, both processes load it, and see one memory.
 */
import { connect, listen, NotFoundError, TimeoutError } from "../mod.ts";
import { buildSharedSectionDll, DllSharedMemory } from "../src/mechanisms/dll/mod.ts";
import { assert, bytesEqual, test, uniqueName } from "./_support/harness.ts";
import {
  crossProcessWritesProperty,
  droppedRegionSurvivesGc,
  echoIdiomServesClientsAtOnce,
  openControl,
  ringEchoProperty,
} from "./_support/shm_support.ts";

const dllName = (what: string) => uniqueName(what).replace(/[^A-Za-z0-9_.-]/g, "-");

test("the generated DLL is a PE32+ image with one shared, writable, uninitialised section", () => {
  const image = buildSharedSectionDll(12345);
  const v = new DataView(image.buffer);
  assert(v.getUint16(0, true) === 0x5a4d && v.getUint32(0x40, true) === 0x4550, "MZ and PE signatures");
  assert(v.getUint16(0x44, true) === 0x8664 && v.getUint16(0x58, true) === 0x20b, "AMD64, PE32+");
  const section = 0x58 + 240;
  assert(new TextDecoder().decode(image.subarray(section, section + 7)) === ".shared", "section name");
  assert(v.getUint32(section + 8, true) === 12345, "virtual size");
  assert((v.getUint32(section + 36, true) & 0x10000000) !== 0, "IMAGE_SCN_MEM_SHARED");
});

test("DLL section: writes at any offset are seen by the other process that loaded the same DLL, both ways", async () => {
  const name = dllName("raw");
  const size = 50_000;
  using mem = DllSharedMemory.load(name, size);
  await using ctl = await openControl("dll");
  await ctl.call({ open: "dll", name, size });
  await crossProcessWritesProperty(mem, ctl, 1000);
});

test("dll: ring channel: any message sequence round-trips across processes", () =>
  ringEchoProperty("dll", dllName("ring")));

test("dll: the README echo idiom serves 3 client processes at once", () =>
  echoIdiomServesClientsAtOnce(`dll:${dllName("idiom")}?size=4096`));

test("a DLL section held only by a dead const in another process survives a forced GC there", () =>
  droppedRegionSurvivesGc("dll", dllName("gc")));

test("dll: while every slot is in use a client waits for one within its timeout, and is served when one frees", async () => {
  const address = `dll:${dllName("slots")}?size=1024&slots=1`;
  await using server = await listen(address);
  const first = await connect(address, { timeout: 5_000 });
  const firstServed = await server.accept({ timeout: 5_000 });
  let err: unknown;
  await connect(address, { timeout: 300 }).catch((e) => err = e);
  assert(err instanceof TimeoutError, `a client while the only slot is taken: ${err}`);
  const second = connect(address, { timeout: 10_000 });
  const secondServed = server.accept({ timeout: 10_000 });
  await first.close();
  await firstServed.close(); // both ends have let go: the slot is free again
  await using client = await second;
  await using served = await secondServed;
  await client.send(new Uint8Array([1, 2, 3]));
  assert(
    bytesEqual(await served.receive({ timeout: 5_000 }), new Uint8Array([1, 2, 3])),
    "served in the freed slot",
  );
  await server.close();
  err = undefined;
  await connect(address, { timeout: 5_000 }).catch((e) => err = e);
  assert(err instanceof NotFoundError, `a client after the server closed: ${err}`);
});
