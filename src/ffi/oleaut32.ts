/**
 * oleaut32.dll: BSTRs, SAFEARRAYs and VARIANTs (Automation's memory, usable from any thread as
 * long as no interface pointer is inside), and the active-object table.
 * @module
 */
import { backend } from "./runtime.ts";
import type { Library, SymbolTable } from "./types.ts";

export const oleaut32Symbols = {
  // BSTR SysAllocStringLen(const OLECHAR *strIn, UINT ui)  (copies ui UTF-16 units, NULs too)
  SysAllocStringLen: { args: ["buf", "u32"], returns: "ptr" },
  // BSTR SysAllocStringByteLen(LPCSTR psz, UINT len)  (len bytes, odd counts too; psz NULL: zeroed)
  SysAllocStringByteLen: { args: ["ptr", "u32"], returns: "ptr" },
  // void SysFreeString(BSTR bstrString)
  SysFreeString: { args: ["ptr"], returns: "void" },
  SafeArrayCreateVector: {
    args: [
      "u16", // VARTYPE vt (of the elements)
      "i32", // LONG lLbound
      "u32", // ULONG cElements
    ],
    returns: "ptr", // SAFEARRAY*
  },
  SafeArrayCreate: {
    args: [
      "u16", // VARTYPE vt (of the elements)
      "u32", // UINT cDims
      "buf", // SAFEARRAYBOUND *rgsabound ({ ULONG cElements; LONG lLbound } per dimension, leftmost first)
    ],
    returns: "ptr", // SAFEARRAY* (data zeroed), or NULL
  },
  // HRESULT SafeArrayDestroy(SAFEARRAY *psa)  (clears every element: BSTRs, VARIANTs, interfaces)
  SafeArrayDestroy: { args: ["ptr"], returns: "i32" },
  // HRESULT VariantClear(VARIANTARG *pvarg)  (frees what it holds; Release on an interface)
  VariantClear: { args: ["ptr"], returns: "i32" },
  RegisterActiveObject: {
    args: [
      "ptr", // IUnknown *punk
      "ptr", // REFCLSID rclsid
      "u32", // DWORD dwFlags (ACTIVEOBJECT_STRONG / _WEAK)
      "ptr", // DWORD *pdwRegister (out)
    ],
    returns: "i32",
  },
  // HRESULT RevokeActiveObject(DWORD dwRegister, void *pvReserved)
  RevokeActiveObject: { args: ["u32", "ptr"], returns: "i32" },
  // HRESULT GetActiveObject(REFCLSID rclsid, void *pvReserved, IUnknown **ppunk)
  GetActiveObject: { args: ["ptr", "ptr", "ptr"], returns: "i32" },
  // HRESULT GetErrorInfo(ULONG dwReserved, IErrorInfo **pperrinfo)  (S_FALSE: none; this thread's)
  GetErrorInfo: { args: ["u32", "buf"], returns: "i32" },
} as const satisfies SymbolTable;

let lib: Library<typeof oleaut32Symbols> | undefined;
/** oleaut32.dll, loaded on first use. */
export function oleaut32(): Library<typeof oleaut32Symbols> {
  return lib ??= backend.open("oleaut32.dll", oleaut32Symbols);
}
