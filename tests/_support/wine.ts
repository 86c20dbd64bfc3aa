/**
 * Whether this process runs under Wine (ntdll exports `wine_get_version`), for the few checks
 * where Wine is known to deviate from Windows: the test keeps the Windows-correct expectation and
 * says, next to it, what Wine does instead.
 * @module
 */
import { kernel32 } from "../../src/ffi/kernel32.ts";
import { wstr } from "../../src/ffi/wstr.ts";

export const underWine: boolean = (() => {
  const k = kernel32.sync;
  const ntdll = k.GetModuleHandleW(wstr("ntdll.dll"));
  return ntdll !== 0n && k.GetProcAddress(ntdll, new TextEncoder().encode("wine_get_version\0")) !== 0n;
})();
