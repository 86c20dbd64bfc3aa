/**
 * DLL shared sections across two processes: the library writes a DLL with an
 * IMAGE_SCN_MEM_SHARED section, both processes load it, and see one memory.
 */
import { buildSharedSectionDll, DllSharedMemory, listen } from "../mod.ts";
import { assert, bytesEqual, fc, fcParams, spawnPeer, test, uniqueName, within } from "./_support/harness.ts";
import { openControl, ringMessagesArb } from "./_support/shm_support.ts";

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
  await fc.assert(
    fc.asyncProperty(
      fc.integer({ min: 0, max: size - 1 }).chain((offset) =>
        fc.tuple(
          fc.constant(offset),
          fc.uint8Array({ minLength: 1, maxLength: Math.min(1000, size - offset) }),
        )
      ),
      fc.boolean(),
      async ([offset, data], peerWrites) => {
        if (peerWrites) {
          await ctl.call({ write: offset, data: [...data] });
          assert(bytesEqual(mem.read(offset, data.length), data), `peer write at ${offset} seen here`);
        } else {
          mem.write(offset, data);
          const seen = new Uint8Array(await ctl.call({ read: offset, length: data.length }) as number[]);
          assert(bytesEqual(seen, data), `write at ${offset} seen by the peer`);
        }
      },
    ),
    fcParams(),
  );
});

test("dll: ring channel: any message sequence round-trips across processes", async () => {
  const name = dllName("ring");
  await using server = await listen(`dll:${name}?size=4096`);
  await using peer = spawnPeer("shm_peer.ts", ["echo", `dll:${name}?size=4096`]);
  await using ch = await server.accept({ timeout: 30_000 });
  await fc.assert(
    fc.asyncProperty(ringMessagesArb, async (messages) => {
      const sending = (async () => {
        for (const m of messages) await ch.send(m);
      })();
      sending.catch(() => {});
      for (const m of messages) {
        const back = await ch.receive({ timeout: 30_000 });
        if (!bytesEqual(back, m)) {
          throw new Error(`a ${m.length}-byte message came back as ${back.length} bytes / different`);
        }
      }
      await sending;
    }),
    fcParams(),
  );
  await ch.close();
  assert((await within(10_000, peer.exited, "peer exit")) === 0, "peer exited cleanly");
});
