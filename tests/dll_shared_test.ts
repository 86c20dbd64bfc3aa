/**
 * DLL shared sections across two processes: the library writes a DLL with an
 * IMAGE_SCN_MEM_SHARED section, both processes load it, and see one memory.
 */
import { buildSharedSectionDll, DllSharedMemory } from "../src/mechanisms/dll/mod.ts";
import { assert, test, uniqueName } from "./_support/harness.ts";
import { crossProcessWritesProperty, openControl, ringEchoProperty } from "./_support/shm_support.ts";

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
