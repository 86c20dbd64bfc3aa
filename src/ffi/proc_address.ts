/**
 * Addresses of exported functions (GetProcAddress), for code that must hand a function to
 * another thread or to Windows (a window class's procedure, a call made in the COM apartment).
 * The name is checked against the DLL's symbol table, where its C prototype is declared.
 * @module
 */
import { kernel32 } from "./kernel32.ts";
import { checkPointer } from "./check.ts";
import { wstr } from "./wstr.ts";
import type { SymbolTable } from "./types.ts";

const procs = new Map<string, bigint>();

/**
 * The address of `dll`!`name` (the DLL is loaded, and stays loaded, on first use).
 * @throws {Win32Error} the DLL cannot be loaded or has no such export.
 */
export function procAddress<T extends SymbolTable>(dll: string, _table: T, name: keyof T & string): bigint {
  const key = `${dll}!${name}`;
  let p = procs.get(key);
  if (p === undefined) {
    const k = kernel32.sync;
    const module = checkPointer(`LoadLibraryW(${dll})`, () => k.LoadLibraryW(wstr(dll)));
    const ascii = new TextEncoder().encode(`${name}\0`);
    p = checkPointer(`GetProcAddress(${name})`, () => k.GetProcAddress(module, ascii));
    procs.set(key, p);
  }
  return p;
}
