/**
 * Clipboard format codecs (src/mechanisms/clipboard/formats.ts): "HTML Format" and CF_HDROP.
 * Offsets inside entries are untrusted: malformed ones give WinipcError, never another error.
 */
import { WinipcError } from "../../src/core/errors.ts";
import {
  decodeDropFiles,
  decodeHtmlFormat,
  encodeHtmlFormat,
} from "../../src/mechanisms/clipboard/formats.ts";
import { assert, fc, fcParams, test } from "../_support/harness.ts";
import { concat, thrown, unicodeString } from "./_util.ts";

const utf8 = new TextEncoder();

/** The header field `key` of "HTML Format" bytes. */
function field(bytes: Uint8Array, key: string): number {
  const m = new RegExp(`${key}:(\\d+)\\r\\n`).exec(new TextDecoder().decode(bytes.subarray(0, 200)));
  assert(m !== null, `no ${key} field`);
  return Number(m[1]);
}

/** Asserts that `fn` returns, or throws a WinipcError (and nothing else). */
function returnsOrWinipcError(fn: () => unknown, what: string): void {
  try {
    fn();
  } catch (e) {
    assert(e instanceof WinipcError, `${what}: ${e}`);
  }
}

test("HTML Format: the header's byte offsets point at the document and the fragment", () => {
  fc.assert(
    fc.property(unicodeString({ noNul: true, maxLength: 100 }), (fragment) => {
      const bytes = encodeHtmlFormat(fragment);
      const text = new TextDecoder().decode(bytes);
      assert(text.startsWith("Version:0.9\r\n"), "version line");
      const [startHtml, endHtml] = [field(bytes, "StartHTML"), field(bytes, "EndHTML")];
      const [startFrag, endFrag] = [field(bytes, "StartFragment"), field(bytes, "EndFragment")];
      assert(endHtml === bytes.length, `EndHTML ${endHtml} of ${bytes.length} bytes`);
      assert(new TextDecoder().decode(bytes.subarray(startHtml, startHtml + 6)) === "<html>", "StartHTML");
      assert(startHtml <= startFrag && startFrag <= endFrag && endFrag <= endHtml, "offsets in order");
      const frag = new TextDecoder().decode(bytes.subarray(startFrag, endFrag));
      assert(frag === fragment, "the fragment's bytes");
      assert(endFrag - startFrag === utf8.encode(fragment).length, "byte offsets, not character offsets");
      const before = new TextDecoder().decode(bytes.subarray(0, startFrag));
      assert(before.endsWith("<!--StartFragment-->"), "the StartFragment marker precedes it");
    }),
    fcParams(),
  );
});

test("HTML Format: any Unicode fragment (no U+0000) round-trips", () => {
  fc.assert(
    fc.property(
      fc.oneof(
        unicodeString({ noNul: true, maxLength: 200 }),
        // Fragments that look like the header itself must not confuse the decoder.
        fc.constantFrom("StartFragment:0000000001\r\n", "EndFragment:99", "<!--EndFragment-->", ""),
      ),
      (fragment) => {
        const back = decodeHtmlFormat(encodeHtmlFormat(fragment));
        assert(back === fragment, `${JSON.stringify(back)} vs ${JSON.stringify(fragment)}`);
      },
    ),
    fcParams(),
  );
});

test("HTML Format: a trailing NUL (as clipboard entries carry) does not change the fragment", () => {
  const bytes = encodeHtmlFormat("<b>x</b>");
  assert(decodeHtmlFormat(concat([bytes, new Uint8Array(3)])) === "<b>x</b>", "NUL-padded");
});

test("HTML Format: missing, negative, reversed or out-of-range offsets are WinipcErrors", () => {
  const good = new TextDecoder().decode(encodeHtmlFormat("abc"));
  const bad = [
    "",
    "no header at all",
    good.replace(/StartFragment:\d+/, "StartFragment:"),
    good.replace(/EndFragment:\d+/, "EndFrag:1"),
    good.replace(/StartFragment:\d+/, "StartFragment:-1"),
    good.replace(/EndFragment:\d+/, "EndFragment:9999999999"),
    good.replace(/StartFragment:\d+/, "StartFragment:0000000200").replace(
      /EndFragment:\d+/,
      "EndFragment:100",
    ),
  ];
  for (const text of bad) {
    const e = thrown(() => decodeHtmlFormat(utf8.encode(text)));
    assert(e instanceof WinipcError, `${JSON.stringify(text.slice(0, 60))}: ${e}`);
  }
  // An offset past a NUL terminator is past the end of the entry.
  const withNul = encodeHtmlFormat("abcdef");
  withNul[field(withNul, "StartFragment") + 2] = 0;
  assert(thrown(() => decodeHtmlFormat(withNul)) instanceof WinipcError, "EndFragment past the NUL");
});

test("HTML Format: arbitrary bytes and damaged headers never crash the decoder", () => {
  fc.assert(
    fc.property(
      fc.oneof(
        fc.uint8Array({ maxLength: 300 }),
        fc.tuple(unicodeString({ maxLength: 40 }), fc.nat(), fc.integer({ min: 0, max: 255 })).map(
          ([f, at, b]) => {
            const bytes = encodeHtmlFormat(f);
            bytes[at % bytes.length] = b;
            return bytes;
          },
        ),
      ),
      (bytes) => returnsOrWinipcError(() => decodeHtmlFormat(bytes), `${bytes.length} bytes`),
    ),
    fcParams(),
  );
});

/** A DROPFILES block: the 20-byte header, `gap` bytes of padding, then the double-NUL list. */
function dropFiles(files: string[], wide: boolean, gap = 0): Uint8Array {
  const list = files.map((f) => f + "\0").join("") + "\0";
  let body: Uint8Array;
  if (wide) {
    body = new Uint8Array(list.length * 2);
    const v = new DataView(body.buffer);
    for (let i = 0; i < list.length; i++) v.setUint16(2 * i, list.charCodeAt(i), true);
  } else {
    body = Uint8Array.from(list, (c) => c.charCodeAt(0));
  }
  const header = new Uint8Array(20 + gap);
  const h = new DataView(header.buffer);
  h.setUint32(0, 20 + gap, true); // pFiles
  h.setInt32(4, 10, true); // pt.x
  h.setInt32(8, 20, true); // pt.y
  h.setInt32(12, 0, true); // fNC
  h.setInt32(16, wide ? 1 : 0, true); // fWide
  return concat([header, body]);
}

/** A file name as Windows might list it: any UTF-16 but NUL, lone surrogates included. */
const wideName = fc.array(fc.integer({ min: 1, max: 0xffff }), { minLength: 1, maxLength: 40 })
  .map((u) => String.fromCharCode(...u));
/** A name in the ANSI list: bytes that windows-1252 and Latin-1 decode alike. */
const ansiName = fc.array(
  fc.oneof(fc.integer({ min: 0x20, max: 0x7e }), fc.integer({ min: 0xa0, max: 0xff })),
  { minLength: 1, maxLength: 40 },
).map((b) => String.fromCharCode(...b));

test("DROPFILES: wide lists of any names come back in order", () => {
  fc.assert(
    fc.property(
      fc.array(fc.oneof(wideName, unicodeString({ minLength: 1, noNul: true })), { maxLength: 10 }),
      fc.nat(7),
      (files, gap) => {
        const back = decodeDropFiles(dropFiles(files, true, gap));
        assert(JSON.stringify(back) === JSON.stringify(files), `${JSON.stringify(back)}`);
      },
    ),
    fcParams(),
  );
});

test("DROPFILES: ANSI lists come back in order", () => {
  fc.assert(
    fc.property(fc.array(ansiName, { maxLength: 10 }), fc.nat(7), (files, gap) => {
      const back = decodeDropFiles(dropFiles(files, false, gap));
      assert(JSON.stringify(back) === JSON.stringify(files), `${JSON.stringify(back)}`);
    }),
    fcParams(),
  );
  const paths = ["C:\\Users\\me\\a.txt", "D:\\b c\\d.bin"];
  const back = decodeDropFiles(dropFiles(paths, false));
  assert(back.join("|") === paths.join("|"), "Windows paths");
});

test("DROPFILES: a list without its final terminator ends at the entry's end", () => {
  const full = dropFiles(["a", "bc"], true);
  // Cut the final empty string (and an odd byte): what is whole is still returned.
  assert(decodeDropFiles(full.subarray(0, full.length - 2)).join("|") === "a|bc", "no double NUL");
  assert(decodeDropFiles(full.subarray(0, full.length - 3)).join("|") === "a", "half a code unit");
  const ansi = dropFiles(["x", "yz"], false);
  assert(decodeDropFiles(ansi.subarray(0, ansi.length - 2)).join("|") === "x|yz", "ANSI, unterminated");
});

test("DROPFILES: short blocks and file-list offsets out of range are WinipcErrors", () => {
  for (const n of [0, 1, 19]) {
    assert(thrown(() => decodeDropFiles(new Uint8Array(n))) instanceof WinipcError, `${n}-byte block`);
  }
  for (const pFiles of [0, 19, 0x7fffffff, 0xffffffff]) {
    const block = dropFiles(["a"], true);
    new DataView(block.buffer).setUint32(0, pFiles, true);
    assert(thrown(() => decodeDropFiles(block)) instanceof WinipcError, `pFiles ${pFiles}`);
  }
  const block = dropFiles(["a"], true);
  new DataView(block.buffer).setUint32(0, block.length + 1, true);
  assert(thrown(() => decodeDropFiles(block)) instanceof WinipcError, "pFiles one past the end");
  new DataView(block.buffer).setUint32(0, block.length, true);
  assert(decodeDropFiles(block).length === 0, "pFiles at the very end: an empty list");
});

test("DROPFILES: arbitrary bytes and damaged blocks never crash the decoder", () => {
  fc.assert(
    fc.property(
      fc.oneof(
        fc.uint8Array({ maxLength: 200 }),
        fc.tuple(fc.array(wideName, { maxLength: 4 }), fc.boolean(), fc.nat(), fc.nat(255)).map(
          ([files, wide, at, b]) => {
            const block = dropFiles(files, wide);
            block[at % block.length] = b;
            return block;
          },
        ),
        fc.tuple(fc.uint8Array({ minLength: 20, maxLength: 100 }), fc.nat({ max: 0xffffffff })).map(
          ([block, pFiles]) => {
            new DataView(block.buffer).setUint32(0, pFiles, true);
            return block;
          },
        ),
      ),
      (bytes) => {
        returnsOrWinipcError(() => {
          const files = decodeDropFiles(bytes);
          assert(Array.isArray(files) && files.every((f) => typeof f === "string" && f !== ""), "names");
        }, `${bytes.length} bytes`);
      },
    ),
    fcParams(),
  );
});
