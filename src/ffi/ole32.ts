/**
 * ole32.dll: COM apartments, activation, monikers and the Running Object Table. Functions that
 * hand out or take interface pointers run only on the COM apartment's thread
 * (src/mechanisms/com/apartment.ts calls them there by address, so their pointer arguments are
 * `ptr`: native memory, never a JS buffer).
 * @module
 */
import { backend } from "./runtime.ts";
import type { Library, SymbolTable } from "./types.ts";

export const ole32Symbols = {
  // HRESULT CoInitializeEx(LPVOID pvReserved, DWORD dwCoInit)
  CoInitializeEx: { args: ["ptr", "u32"], returns: "i32" },
  // void CoUninitialize(void)
  CoUninitialize: { args: [], returns: "void" },
  CoCreateInstance: {
    args: [
      "ptr", // REFCLSID rclsid
      "ptr", // LPUNKNOWN pUnkOuter (NULL: no aggregation)
      "u32", // DWORD dwClsContext (CLSCTX_*)
      "ptr", // REFIID riid
      "ptr", // LPVOID *ppv (out)
    ],
    returns: "i32",
  },
  CoCreateInstanceEx: {
    args: [
      "ptr", // REFCLSID Clsid
      "ptr", // IUnknown *punkOuter
      "u32", // DWORD dwClsCtx
      "ptr", // COSERVERINFO *pServerInfo (the machine, for DCOM)
      "u32", // DWORD dwCount
      "ptr", // MULTI_QI *pResults (in: IIDs; out: interfaces and their HRESULTs)
    ],
    returns: "i32",
  },
  // HRESULT CLSIDFromProgID(LPCOLESTR lpszProgID, LPCLSID lpclsid)
  CLSIDFromProgID: { args: ["ptr", "ptr"], returns: "i32" },
  CoGetObject: {
    args: [
      "ptr", // LPCWSTR pszName (a moniker's display name)
      "ptr", // BIND_OPTS *pBindOptions (NULL: defaults)
      "ptr", // REFIID riid
      "ptr", // void **ppv (out)
    ],
    returns: "i32",
  },
  CoRegisterClassObject: {
    args: [
      "ptr", // REFCLSID rclsid
      "ptr", // LPUNKNOWN pUnk (the class factory)
      "u32", // DWORD dwClsContext
      "u32", // DWORD flags (REGCLS_*)
      "ptr", // LPDWORD lpdwRegister (out: the cookie)
    ],
    returns: "i32",
  },
  // HRESULT CoRevokeClassObject(DWORD dwRegister)
  CoRevokeClassObject: { args: ["u32"], returns: "i32" },
  // HRESULT CoDisconnectObject(LPUNKNOWN pUnk, DWORD dwReserved)
  CoDisconnectObject: { args: ["ptr", "u32"], returns: "i32" },
  // HRESULT GetRunningObjectTable(DWORD reserved, LPRUNNINGOBJECTTABLE *pprot)
  GetRunningObjectTable: { args: ["u32", "ptr"], returns: "i32" },
  // HRESULT CreateFileMoniker(LPCOLESTR lpszPathName, LPMONIKER *ppmk)
  CreateFileMoniker: { args: ["ptr", "ptr"], returns: "i32" },
  // HRESULT CreateItemMoniker(LPCOLESTR lpszDelim, LPCOLESTR lpszItem, LPMONIKER *ppmk)
  CreateItemMoniker: { args: ["ptr", "ptr", "ptr"], returns: "i32" },
  // void CoTaskMemFree(LPVOID pv)
  CoTaskMemFree: { args: ["ptr"], returns: "void" },
} as const satisfies SymbolTable;

let lib: Library<typeof ole32Symbols> | undefined;
/** ole32.dll, loaded on first use. */
export function ole32(): Library<typeof ole32Symbols> {
  return lib ??= backend.open("ole32.dll", ole32Symbols);
}
