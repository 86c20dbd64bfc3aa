/**
 * The clipboard across processes: Unicode text (astral characters, CR/LF; the NUL rule), raw
 * bytes in registered formats, HTML fragments, file lists, and change notifications. The peer
 * process runs in the same runtime and is driven over a named pipe.
 */
import { listen } from "../mod.ts";
import { CF_HDROP, Clipboard, decodeHtmlFormat, encodeHtmlFormat } from "../src/mechanisms/clipboard/mod.ts";
import {
  assert,
  bytesEqual,
  fc,
  fcParams,
  patternBytes,
  spawnPeer,
  test,
  within,
} from "./_support/harness.ts";
import { openControl } from "./_support/shm_support.ts";

const textArb = fc.oneof(
  fc.string({ unit: "grapheme", maxLength: 200 }),
  fc.string({ unit: "binary", maxLength: 200 }), // any code points, astral ones included
  fc.array(fc.constantFrom("a", "\r\n", "\n", "\r", "😀", "𝄞", "é", "中", " "), { maxLength: 50 }).map((a) =>
    a.join("")
  ),
).filter((s) => !s.includes("\0"));

test("clipboard text: any Unicode string (no U+0000) survives a write in one process and a read in another", async () => {
  await using clip = await Clipboard.open();
  await using peer = await openControl("clip", "window_peer.ts", "clip");
  await fc.assert(
    fc.asyncProperty(textArb, fc.boolean(), async (text, peerWrites) => {
      if (peerWrites) {
        await peer.call({ setText: text });
        const got = await clip.readText();
        assert(got === text, `read ${JSON.stringify(got)} for ${JSON.stringify(text)}`);
      } else {
        await clip.writeText(text);
        const got = await peer.call({ getText: true });
        assert(got === text, `peer read ${JSON.stringify(got)} for ${JSON.stringify(text)}`);
      }
    }),
    fcParams(),
  );
  // The NUL rule: clipboard text ends at U+0000, so such a string is refused, not cut.
  let err: unknown;
  try {
    await clip.writeText("a\0b");
  } catch (e) {
    err = e;
  }
  assert(err instanceof TypeError, `NUL in text: ${err}`);
});

test("clipboard custom format: any bytes round-trip between processes", async () => {
  await using clip = await Clipboard.open();
  await using peer = await openControl("clipbytes", "window_peer.ts", "clip");
  const format = "winipc-test-bytes";
  await fc.assert(
    fc.asyncProperty(fc.uint8Array({ maxLength: 5000 }), fc.boolean(), async (data, peerWrites) => {
      if (peerWrites) {
        await peer.call({ setBytes: true, format, data: [...data] });
        assert(bytesEqual((await clip.readBytes(format))!, data), "bytes written by the peer");
      } else {
        await clip.writeBytes(format, data);
        assert(
          bytesEqual(new Uint8Array(await peer.call({ getBytes: true, format }) as number[]), data),
          "bytes read by the peer",
        );
      }
    }),
    fcParams(),
  );
  const id = Clipboard.format(format);
  assert(Clipboard.formatName(id) === format, "registered format name");
  assert((await clip.formats()).includes(id), "the format is listed");
});

test("clipboard HTML: fragments survive a write and a read (HTML Format offsets), across processes", async () => {
  await using clip = await Clipboard.open();
  await using peer = await openControl("cliphtml", "window_peer.ts", "clip");
  const fragmentArb = fc.oneof(
    fc.string({ unit: "grapheme", maxLength: 100 }),
    fc.array(fc.constantFrom("<b>", "</b>", "<p>x</p>", "é", "😀", "&amp;", "\r\n", "text"), {
      maxLength: 20,
    }).map((a) => a.join("")),
  ).filter((s) => !s.includes("\0"));
  await fc.assert(
    fc.asyncProperty(fragmentArb, fc.boolean(), async (fragment, peerWrites) => {
      assert(decodeHtmlFormat(encodeHtmlFormat(fragment)) === fragment, "encode/decode");
      if (peerWrites) {
        await peer.call({ setHtml: fragment });
        assert((await clip.readHtml()) === fragment, "fragment written by the peer");
      } else {
        await clip.writeHtml(fragment);
        assert((await peer.call({ getHtml: true })) === fragment, "fragment read by the peer");
      }
    }),
    fcParams(),
  );
});

test("clipboard files: a CF_HDROP list is read back (bounds-checked)", async () => {
  await using clip = await Clipboard.open();
  const files = ["C:\\temp\\a.txt", "C:\\Users\\me\\😀 b.bin"];
  const list = files.join("\0") + "\0\0";
  const block = new Uint8Array(20 + list.length * 2);
  const v = new DataView(block.buffer);
  v.setUint32(0, 20, true); // pFiles
  v.setInt32(16, 1, true); // fWide
  for (let i = 0; i < list.length; i++) v.setUint16(20 + i * 2, list.charCodeAt(i), true);
  await clip.write([[CF_HDROP, block]]);
  assert(JSON.stringify(await clip.readFiles()) === JSON.stringify(files), "file list");
});

test("clipboard change notifications: a change made by another process is seen by the iterator", async () => {
  await using clip = await Clipboard.open();
  await using peer = await openControl("clipnotify", "window_peer.ts", "clip");
  await clip.listen(); // the change listener is registered once this resolves
  const ac = new AbortController();
  const it = clip.changes({ signal: ac.signal })[Symbol.asyncIterator]();
  const before = Clipboard.sequenceNumber();
  const next = it.next();
  await peer.call({ setText: `changed by another process ${Date.now()}` });
  const got = await within(10_000, next, "change notification");
  assert(!got.done && got.value !== before, `sequence number ${got.value} after ${before}`);
  ac.abort();
});

test("clipboard channel (a toy transport): messages go both ways, acknowledged, across processes", async () => {
  const name = `toy-${Math.random().toString(36).slice(2)}`;
  await using server = await listen(`clipboard:${name}`);
  const accepting = server.accept({ timeout: 30_000 });
  accepting.catch(() => {});
  await using peer = spawnPeer("window_peer.ts", ["clip-echo", name]);
  await using ch = await accepting;
  for (const m of [new Uint8Array([1, 2, 3]), new Uint8Array(0), patternBytes(10_000, 3)]) {
    await ch.send(m, { timeout: 10_000 });
    assert(bytesEqual(await ch.receive({ timeout: 10_000 }), m), "echo over the clipboard");
  }
  await ch.close();
  assert((await within(10_000, peer.exited, "peer exit")) === 0, "peer exited cleanly");
});
