/**
 * advapi32.dll: tokens, SIDs and security descriptors (for owner-only kernel objects).
 * @module
 */
import { backend } from "./runtime.ts";
import type { Library, SymbolTable } from "./types.ts";

export const advapi32Symbols = {
  OpenProcessToken: {
    args: [
      "ptr", // HANDLE ProcessHandle
      "u32", // DWORD DesiredAccess
      "buf", // PHANDLE TokenHandle
    ],
    returns: "i32",
  },
  GetTokenInformation: {
    args: [
      "ptr", // HANDLE TokenHandle
      "u32", // TOKEN_INFORMATION_CLASS TokenInformationClass
      "buf", // LPVOID TokenInformation
      "u32", // DWORD TokenInformationLength
      "buf", // PDWORD ReturnLength
    ],
    returns: "i32",
  },
  ConvertSidToStringSidW: {
    args: [
      "ptr", // PSID Sid
      "buf", // LPWSTR *StringSid (LocalFree it)
    ],
    returns: "i32",
  },
  ConvertStringSecurityDescriptorToSecurityDescriptorW: {
    args: [
      "buf", // LPCWSTR StringSecurityDescriptor
      "u32", // DWORD StringSDRevision
      "buf", // PSECURITY_DESCRIPTOR *SecurityDescriptor (LocalFree it)
      "ptr", // PULONG SecurityDescriptorSize (optional)
    ],
    returns: "i32",
  },
} as const satisfies SymbolTable;

let lib: Library<typeof advapi32Symbols> | undefined;
/** advapi32.dll, loaded on first use (only secured objects need it). */
export function advapi32(): Library<typeof advapi32Symbols> {
  return lib ??= backend.open("advapi32.dll", advapi32Symbols);
}
