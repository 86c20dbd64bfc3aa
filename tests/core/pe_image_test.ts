/**
 * The shared-section DLL writer (src/mechanisms/dll/pe_image.ts): its output parses as a PE32+
 * DLL whose one section is shared, writable and zero-filled, with consistent sizes.
 */
import {
  buildSharedSectionDll,
  MAX_SHARED_SECTION,
  SHARED_SECTION_RVA,
} from "../../src/mechanisms/dll/pe_image.ts";
import { assert, fc, fcParams, test } from "../_support/harness.ts";
import { thrown } from "./_util.ts";

const IMAGE_FILE_DLL = 0x2000;
const IMAGE_FILE_EXECUTABLE_IMAGE = 0x0002;
const IMAGE_SCN_CNT_UNINITIALIZED_DATA = 0x00000080;
const IMAGE_SCN_MEM_SHARED = 0x10000000;
const IMAGE_SCN_MEM_EXECUTE = 0x20000000;
const IMAGE_SCN_MEM_READ = 0x40000000;
const IMAGE_SCN_MEM_WRITE = 0x80000000;

interface Section {
  name: string;
  virtualSize: number;
  virtualAddress: number;
  sizeOfRawData: number;
  pointerToRawData: number;
  characteristics: number;
}

/** A small PE reader: follows the headers as the loader does, checking every bound on the way. */
function parsePe(bytes: Uint8Array) {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const need = (end: number, what: string) => assert(end <= bytes.length, `${what} past the end of the file`);
  need(0x40, "IMAGE_DOS_HEADER");
  assert(v.getUint16(0, true) === 0x5a4d, "MZ signature");
  const peOffset = v.getUint32(0x3c, true);
  need(peOffset + 24, "PE header");
  assert(v.getUint32(peOffset, true) === 0x00004550, "PE\\0\\0 signature");
  const fh = peOffset + 4;
  const machine = v.getUint16(fh, true);
  const numberOfSections = v.getUint16(fh + 2, true);
  const sizeOfOptionalHeader = v.getUint16(fh + 16, true);
  const fileCharacteristics = v.getUint16(fh + 18, true);
  const oh = fh + 20;
  need(oh + sizeOfOptionalHeader, "optional header");
  assert(sizeOfOptionalHeader >= 112, "optional header too small for PE32+");
  const numberOfRvaAndSizes = v.getUint32(oh + 108, true);
  assert(112 + 8 * numberOfRvaAndSizes <= sizeOfOptionalHeader, "data directories fit the optional header");
  for (let i = 0; i < numberOfRvaAndSizes; i++) {
    assert(v.getBigUint64(oh + 112 + 8 * i, true) === 0n, `data directory ${i} is empty`);
  }
  const optional = {
    magic: v.getUint16(oh, true),
    sizeOfCode: v.getUint32(oh + 4, true),
    sizeOfUninitializedData: v.getUint32(oh + 12, true),
    addressOfEntryPoint: v.getUint32(oh + 16, true),
    imageBase: v.getBigUint64(oh + 24, true),
    sectionAlignment: v.getUint32(oh + 32, true),
    fileAlignment: v.getUint32(oh + 36, true),
    sizeOfImage: v.getUint32(oh + 56, true),
    sizeOfHeaders: v.getUint32(oh + 60, true),
    subsystem: v.getUint16(oh + 68, true),
  };
  const st = oh + sizeOfOptionalHeader;
  need(st + 40 * numberOfSections, "section table");
  const sections: Section[] = [];
  for (let i = 0; i < numberOfSections; i++) {
    const s = st + 40 * i;
    sections.push({
      name: new TextDecoder().decode(bytes.subarray(s, s + 8)).replace(/\0+$/, ""),
      virtualSize: v.getUint32(s + 8, true),
      virtualAddress: v.getUint32(s + 12, true),
      sizeOfRawData: v.getUint32(s + 16, true),
      pointerToRawData: v.getUint32(s + 20, true),
      characteristics: v.getUint32(s + 36, true),
    });
  }
  return { machine, fileCharacteristics, optional, sectionTableEnd: st + 40 * numberOfSections, sections };
}

const alignUp = (n: number, a: number) => Math.ceil(n / a) * a;

function checkImage(size: number): void {
  const bytes = buildSharedSectionDll(size);
  const pe = parsePe(bytes);
  const o = pe.optional;
  assert(pe.machine === 0x8664, `machine 0x${pe.machine.toString(16)}: AMD64`);
  assert((pe.fileCharacteristics & IMAGE_FILE_DLL) !== 0, "IMAGE_FILE_DLL");
  assert((pe.fileCharacteristics & IMAGE_FILE_EXECUTABLE_IMAGE) !== 0, "IMAGE_FILE_EXECUTABLE_IMAGE");
  assert(o.magic === 0x20b, "PE32+ optional header");
  assert(o.addressOfEntryPoint === 0 && o.sizeOfCode === 0, "no code, no entry point");
  assert(o.imageBase % 0x10000n === 0n, "image base on a 64 KiB boundary");
  assert(o.sectionAlignment === 0x1000 && o.fileAlignment === 0x200, "alignments");
  assert(o.sizeOfHeaders % o.fileAlignment === 0, "SizeOfHeaders is file-aligned");
  assert(o.sizeOfHeaders >= pe.sectionTableEnd, "the headers hold the section table");
  assert(bytes.length === o.sizeOfHeaders, `file of ${bytes.length} bytes: headers only`);
  assert(o.subsystem === 2, "Windows GUI subsystem");

  assert(pe.sections.length === 1, `${pe.sections.length} sections`);
  const [s] = pe.sections;
  assert(s.name === ".shared", `section ${s.name}`);
  const flags = s.characteristics;
  assert((flags & IMAGE_SCN_MEM_SHARED) !== 0, "IMAGE_SCN_MEM_SHARED");
  assert((flags & IMAGE_SCN_MEM_READ) !== 0 && (flags & IMAGE_SCN_MEM_WRITE) >>> 0 !== 0, "read/write");
  assert((flags & IMAGE_SCN_MEM_EXECUTE) === 0, "not executable");
  assert((flags & IMAGE_SCN_CNT_UNINITIALIZED_DATA) !== 0, "uninitialised data");
  assert(s.virtualSize === size, `VirtualSize ${s.virtualSize}, expected ${size}`);
  assert(s.virtualAddress === SHARED_SECTION_RVA, "at SHARED_SECTION_RVA");
  assert(s.virtualAddress % o.sectionAlignment === 0, "section-aligned");
  assert(s.virtualAddress >= alignUp(o.sizeOfHeaders, o.sectionAlignment), "after the headers");
  assert(s.sizeOfRawData === 0 && s.pointerToRawData === 0, "no raw data: zero-filled by the loader");
  assert(o.sizeOfUninitializedData === alignUp(size, o.fileAlignment), "SizeOfUninitializedData");
  assert(
    o.sizeOfImage === s.virtualAddress + alignUp(size, o.sectionAlignment),
    `SizeOfImage ${o.sizeOfImage}`,
  );
  assert(o.sizeOfImage % o.sectionAlignment === 0, "SizeOfImage is section-aligned");
}

test("buildSharedSectionDll: boundary sizes give a well-formed PE32+ DLL with one shared section", () => {
  for (const size of [1, 0x1ff, 0x200, 0x201, 0xfff, 0x1000, 0x1001, 65536, 1 << 20, MAX_SHARED_SECTION]) {
    checkImage(size);
  }
});

test("buildSharedSectionDll: any size in range gives a well-formed image", () => {
  fc.assert(fc.property(fc.integer({ min: 1, max: MAX_SHARED_SECTION }), checkImage), fcParams());
});

test("buildSharedSectionDll: sizes out of range or not integers are RangeErrors", () => {
  for (const bad of [0, -1, MAX_SHARED_SECTION + 1, 1.5, NaN, Infinity, 2 ** 32]) {
    const e = thrown(() => buildSharedSectionDll(bad));
    assert(e instanceof RangeError, `size ${bad}: ${e}`);
  }
});

test("buildSharedSectionDll: the same size gives the same bytes (the file can be shared by name)", () => {
  const a = buildSharedSectionDll(12345);
  const b = buildSharedSectionDll(12345);
  assert(a.length === b.length && a.every((x, i) => x === b[i]), "deterministic");
});
