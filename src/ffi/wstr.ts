/** UTF-16 strings in native memory; the pure conversions live in core/utf16.ts. @module */
import { backend } from "./runtime.ts";
import { fromWstr } from "../core/utf16.ts";

export { fromWstr, wstr } from "../core/utf16.ts";

/**
 * Reads a NUL-terminated wide string from native memory, at most `maxChars` units: the bound
 * keeps an unterminated string from running off the end of mapped memory.
 */
export function readWstr(address: bigint, maxChars: number): string {
  if (address === 0n) return "";
  const units = new Uint16Array(backend.memory(address, maxChars * 2));
  return fromWstr(units.slice());
}
