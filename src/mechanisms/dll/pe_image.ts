/**
 * Writes a minimal PE32+ (x64) DLL whose only content is one uninitialised section flagged
 * IMAGE_SCN_MEM_SHARED: every process that loads the same file sees the same bytes there. No
 * code, no imports, no entry point, so no compiler is needed.
 * @module
 */

const FILE_ALIGNMENT = 0x200;
const SECTION_ALIGNMENT = 0x1000;
/** Where the shared section starts, relative to the module base. */
export const SHARED_SECTION_RVA = 0x1000;
/** The largest shared section this writer makes. */
export const MAX_SHARED_SECTION = 0x40000000;

const align = (n: number, a: number) => Math.ceil(n / a) * a;

/** The bytes of a DLL with a shared, zero-filled, read/write section of `size` bytes. */
export function buildSharedSectionDll(size: number): Uint8Array {
  if (!Number.isInteger(size) || size < 1 || size > MAX_SHARED_SECTION) {
    throw new RangeError(`shared section size must be 1 to ${MAX_SHARED_SECTION} bytes, got ${size}`);
  }
  const out = new Uint8Array(FILE_ALIGNMENT); // headers only: the section has no raw data
  const v = new DataView(out.buffer);
  // IMAGE_DOS_HEADER: "MZ" and e_lfanew.
  v.setUint16(0, 0x5a4d, true);
  v.setUint32(0x3c, 0x40, true);
  // "PE\0\0" and IMAGE_FILE_HEADER.
  const pe = 0x40;
  v.setUint32(pe, 0x00004550, true);
  const fh = pe + 4;
  v.setUint16(fh + 0, 0x8664, true); // Machine: AMD64
  v.setUint16(fh + 2, 1, true); // NumberOfSections
  v.setUint16(fh + 16, 240, true); // SizeOfOptionalHeader
  v.setUint16(fh + 18, 0x2000 | 0x0020 | 0x0002, true); // DLL | LARGE_ADDRESS_AWARE | EXECUTABLE_IMAGE
  // IMAGE_OPTIONAL_HEADER64.
  const oh = fh + 20;
  const sectionSpan = align(size, SECTION_ALIGNMENT);
  v.setUint16(oh + 0, 0x20b, true); // Magic: PE32+
  v.setUint32(oh + 12, align(size, FILE_ALIGNMENT), true); // SizeOfUninitializedData
  v.setUint32(oh + 16, 0, true); // AddressOfEntryPoint: none
  v.setBigUint64(oh + 24, 0x180000000n, true); // ImageBase (relocatable: nothing needs fixing)
  v.setUint32(oh + 32, SECTION_ALIGNMENT, true);
  v.setUint32(oh + 36, FILE_ALIGNMENT, true);
  v.setUint16(oh + 40, 6, true); // MajorOperatingSystemVersion
  v.setUint16(oh + 48, 6, true); // MajorSubsystemVersion
  v.setUint32(oh + 56, SHARED_SECTION_RVA + sectionSpan, true); // SizeOfImage
  v.setUint32(oh + 60, FILE_ALIGNMENT, true); // SizeOfHeaders
  v.setUint16(oh + 68, 2, true); // Subsystem: Windows GUI
  v.setUint16(oh + 70, 0x0100, true); // DllCharacteristics: NX_COMPAT
  v.setBigUint64(oh + 72, 0x100000n, true); // SizeOfStackReserve
  v.setBigUint64(oh + 80, 0x1000n, true); // SizeOfStackCommit
  v.setBigUint64(oh + 88, 0x100000n, true); // SizeOfHeapReserve
  v.setBigUint64(oh + 96, 0x1000n, true); // SizeOfHeapCommit
  v.setUint32(oh + 108, 16, true); // NumberOfRvaAndSizes (all empty)
  // IMAGE_SECTION_HEADER ".shared".
  const sh = oh + 240;
  new TextEncoder().encodeInto(".shared", out.subarray(sh, sh + 8));
  v.setUint32(sh + 8, size, true); // VirtualSize
  v.setUint32(sh + 12, SHARED_SECTION_RVA, true); // VirtualAddress
  v.setUint32(sh + 16, 0, true); // SizeOfRawData: zero-filled by the loader
  v.setUint32(sh + 20, 0, true); // PointerToRawData
  // UNINITIALIZED_DATA | MEM_SHARED | MEM_READ | MEM_WRITE
  v.setUint32(sh + 36, (0x00000080 | 0x10000000 | 0x40000000 | 0x80000000) >>> 0, true);
  return out;
}
