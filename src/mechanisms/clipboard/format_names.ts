/**
 * The standard clipboard formats' names (the CF_* constants of winuser.h), and which formats hold
 * memory (an HGLOBAL with a byte size) rather than a GDI object. Pure: registered formats' names
 * come from the system (`Clipboard.formatName`).
 * @module
 */

const STANDARD: Readonly<Record<number, string>> = {
  1: "CF_TEXT",
  2: "CF_BITMAP",
  3: "CF_METAFILEPICT",
  4: "CF_SYLK",
  5: "CF_DIF",
  6: "CF_TIFF",
  7: "CF_OEMTEXT",
  8: "CF_DIB",
  9: "CF_PALETTE",
  10: "CF_PENDATA",
  11: "CF_RIFF",
  12: "CF_WAVE",
  13: "CF_UNICODETEXT",
  14: "CF_ENHMETAFILE",
  15: "CF_HDROP",
  16: "CF_LOCALE",
  17: "CF_DIBV5",
  0x80: "CF_OWNERDISPLAY",
  0x81: "CF_DSPTEXT",
  0x82: "CF_DSPBITMAP",
  0x83: "CF_DSPMETAFILEPICT",
  0x8e: "CF_DSPENHMETAFILE",
};
const PRIVATE_FIRST = 0x200, PRIVATE_LAST = 0x2ff;
const GDIOBJ_FIRST = 0x300, GDIOBJ_LAST = 0x3ff;
/** Formats whose data is a GDI handle (or none at all: CF_OWNERDISPLAY), not an HGLOBAL. */
const NOT_MEMORY = new Set([2, 9, 14, 0x80, 0x82, 0x8e]);

/**
 * The winuser.h name of a standard clipboard format (`CF_UNICODETEXT` for 13), a private one
 * (`CF_PRIVATEFIRST+5`) or a GDI-object one (`CF_GDIOBJFIRST+1`); null for any other format
 * (registered formats, 0xC000 and up, have names of their own: `Clipboard.formatName`).
 */
export function standardFormatName(format: number): string | null {
  if (Object.hasOwn(STANDARD, format)) return STANDARD[format];
  if (format >= PRIVATE_FIRST && format <= PRIVATE_LAST) return `CF_PRIVATEFIRST+${format - PRIVATE_FIRST}`;
  if (format >= GDIOBJ_FIRST && format <= GDIOBJ_LAST) return `CF_GDIOBJFIRST+${format - GDIOBJ_FIRST}`;
  return null;
}

/**
 * Whether a format's data is a global memory block whose size GlobalSize can tell: false for GDI
 * objects (bitmaps, palettes, enhanced metafiles), CF_OWNERDISPLAY, and the private and
 * GDI-object ranges (their handles are whatever the owner chose).
 */
export function isMemoryFormat(format: number): boolean {
  if (NOT_MEMORY.has(format)) return false;
  return !(format >= PRIVATE_FIRST && format <= GDIOBJ_LAST);
}
