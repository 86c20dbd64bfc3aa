/**
 * Arguments of calls made in the COM apartment: they must be native memory (the call runs on
 * another thread, after this one has moved on), kept until the call is done (`using`).
 * @module
 */
import { NativeMemory } from "../../ffi/memory.ts";
import { wstr } from "../../ffi/wstr.ts";
import { parseGuid } from "../../core/guid.ts";

/** Native bytes holding `b`. */
export function nativeBytes(b: Uint8Array): NativeMemory {
  const m = new NativeMemory(b.length);
  m.bytes.set(b);
  return m;
}

/** `s` as a NUL-terminated UTF-16 string in native memory (an LPCOLESTR). */
export function nativeWide(s: string): NativeMemory {
  const units = wstr(s);
  return nativeBytes(new Uint8Array(units.buffer, units.byteOffset, units.byteLength));
}

/** GUID `text` as its 16 bytes in native memory (a REFIID, a REFCLSID). */
export function nativeGuid(text: string): NativeMemory {
  return nativeBytes(parseGuid(text));
}

/** The pointer stored at `offset` of `m` (an out-parameter the call wrote). */
export function pointerAt(m: NativeMemory, offset = 0): bigint {
  return m.view().getBigUint64(offset, true);
}
