/**
 * advapi32.dll: tokens, SIDs and security descriptors (for owner-only kernel objects).
 * @module
 */
import { backend } from "./runtime.ts";
import type { Library, SymbolTable } from "./types.ts";

export const advapi32Symbols = {
  // BOOL OpenProcessToken(HANDLE ProcessHandle, DWORD DesiredAccess, PHANDLE TokenHandle)
  OpenProcessToken: { args: ["ptr", "u32", "buf"], returns: "i32" },
  // BOOL GetTokenInformation(HANDLE TokenHandle, TOKEN_INFORMATION_CLASS TokenInformationClass,
  //   LPVOID TokenInformation, DWORD TokenInformationLength, PDWORD ReturnLength)
  GetTokenInformation: { args: ["ptr", "u32", "buf", "u32", "buf"], returns: "i32" },
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
