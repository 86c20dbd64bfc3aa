/**
 * advapi32.dll: tokens, SIDs and security descriptors (for owner-only kernel objects), and the
 * registry (COM class registration).
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
  // DWORD GetSecurityInfo(HANDLE handle, SE_OBJECT_TYPE ObjectType, SECURITY_INFORMATION
  //   SecurityInfo, PSID *ppsidOwner, PSID *ppsidGroup, PACL *ppDacl, PACL *ppSacl,
  //   PSECURITY_DESCRIPTOR *ppSecurityDescriptor (LocalFree it)); returns a Win32 error code
  GetSecurityInfo: { args: ["ptr", "u32", "u32", "ptr", "ptr", "ptr", "ptr", "buf"], returns: "u32" },
  ConvertSecurityDescriptorToStringSecurityDescriptorW: {
    args: [
      "ptr", // PSECURITY_DESCRIPTOR SecurityDescriptor
      "u32", // DWORD RequestedStringSDRevision
      "u32", // SECURITY_INFORMATION SecurityInformation
      "buf", // LPWSTR *StringSecurityDescriptor (LocalFree it)
      "buf", // PULONG StringSecurityDescriptorLen (optional): its length in characters
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
  RegCreateKeyExW: {
    args: [
      "ptr", // HKEY hKey (HKEY_CURRENT_USER, HKEY_LOCAL_MACHINE: sign-extended)
      "buf", // LPCWSTR lpSubKey
      "u32", // DWORD Reserved
      "ptr", // LPWSTR lpClass (NULL)
      "u32", // DWORD dwOptions
      "u32", // REGSAM samDesired
      "ptr", // const LPSECURITY_ATTRIBUTES lpSecurityAttributes (NULL)
      "buf", // PHKEY phkResult (out)
      "buf", // LPDWORD lpdwDisposition (out: REG_CREATED_NEW_KEY, REG_OPENED_EXISTING_KEY)
    ],
    returns: "i32", // LSTATUS
  },
  // LSTATUS RegOpenKeyExW(HKEY hKey, LPCWSTR lpSubKey, DWORD ulOptions, REGSAM samDesired, PHKEY phkResult)
  RegOpenKeyExW: { args: ["ptr", "buf", "u32", "u32", "buf"], returns: "i32" },
  RegSetValueExW: {
    args: [
      "ptr", // HKEY hKey
      "buf", // LPCWSTR lpValueName (NULL: the key's default value)
      "u32", // DWORD Reserved
      "u32", // DWORD dwType (REG_SZ)
      "buf", // const BYTE *lpData
      "u32", // DWORD cbData (bytes, the terminating NUL included)
    ],
    returns: "i32",
  },
  // LSTATUS RegDeleteTreeW(HKEY hKey, LPCWSTR lpSubKey)
  RegDeleteTreeW: { args: ["ptr", "buf"], returns: "i32" },
  // LSTATUS RegCloseKey(HKEY hKey)
  RegCloseKey: { args: ["ptr"], returns: "i32" },
} as const satisfies SymbolTable;

let lib: Library<typeof advapi32Symbols> | undefined;
/** advapi32.dll, loaded on first use (only secured objects need it). */
export function advapi32(): Library<typeof advapi32Symbols> {
  return lib ??= backend.open("advapi32.dll", advapi32Symbols);
}
