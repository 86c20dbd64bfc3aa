/**
 * ntdll.dll: the native calls winipc makes where the Win32 wrapper does not give what Windows
 * itself gives (see each symbol). Loaded on first use. Structs and constants are in
 * headers/winternl.ts and headers/ntstatus.ts.
 * @module
 */
import { backend } from "./runtime.ts";
import type { Library, SymbolTable } from "./types.ts";

export const ntdllSymbols = {
  // The call behind CreateMailslotW. Windows' CreateMailslotW makes an asynchronous handle;
  // Wine's passes FILE_SYNCHRONOUS_IO_NONALERT, so an overlapped ReadFile waits inside the call.
  NtCreateMailslotFile: {
    args: [
      "ptr", // PHANDLE FileHandle (out)
      "u32", // ULONG DesiredAccess
      "ptr", // POBJECT_ATTRIBUTES ObjectAttributes
      "ptr", // PIO_STATUS_BLOCK IoStatusBlock (out)
      "u32", // ULONG CreateOptions (0: asynchronous I/O)
      "u32", // ULONG MailslotQuota
      "u32", // ULONG MaximumMessageSize
      "ptr", // PLARGE_INTEGER ReadTimeout (-1: forever)
    ],
    returns: "u32", // NTSTATUS
  },
  // The calls behind ReadFile and WriteFile, for overlapped I/O: they return the NTSTATUS, where
  // the Win32 wrappers leave a last-error code that the runtime may overwrite before it is read.
  NtReadFile: {
    args: [
      "ptr", // HANDLE FileHandle
      "ptr", // HANDLE Event (reset when the operation starts, set when it ends)
      "ptr", // PIO_APC_ROUTINE ApcRoutine (NULL)
      "ptr", // PVOID ApcContext (the OVERLAPPED, as ReadFile passes it)
      "ptr", // PIO_STATUS_BLOCK IoStatusBlock (OVERLAPPED.Internal/InternalHigh)
      "ptr", // PVOID Buffer (out)
      "u32", // ULONG Length
      "ptr", // PLARGE_INTEGER ByteOffset (OVERLAPPED.Offset/OffsetHigh)
      "ptr", // PULONG Key (NULL)
    ],
    returns: "u32", // NTSTATUS
  },
  NtWriteFile: {
    args: [
      "ptr", // HANDLE FileHandle
      "ptr", // HANDLE Event (reset when the operation starts, set when it ends)
      "ptr", // PIO_APC_ROUTINE ApcRoutine (NULL)
      "ptr", // PVOID ApcContext (the OVERLAPPED, as WriteFile passes it)
      "ptr", // PIO_STATUS_BLOCK IoStatusBlock (OVERLAPPED.Internal/InternalHigh)
      "ptr", // const VOID *Buffer
      "u32", // ULONG Length
      "ptr", // PLARGE_INTEGER ByteOffset (OVERLAPPED.Offset/OffsetHigh)
      "ptr", // PULONG Key (NULL)
    ],
    returns: "u32", // NTSTATUS
  },
  // The system's handle table (SystemExtendedHandleInformation): a count of this process's handles
  // that moves under Wine, where GetProcessHandleCount does not (the leak tests).
  NtQuerySystemInformation: {
    args: [
      "u32", // SYSTEM_INFORMATION_CLASS SystemInformationClass
      "buf", // PVOID SystemInformation (out)
      "u32", // ULONG SystemInformationLength
      "buf", // PULONG ReturnLength (out, optional)
    ],
    returns: "u32", // NTSTATUS
  },
  // ULONG RtlNtStatusToDosError(NTSTATUS Status)
  RtlNtStatusToDosError: { args: ["u32"], returns: "u32" },
} as const satisfies SymbolTable;

let lib: Library<typeof ntdllSymbols> | undefined;
/** ntdll.dll, loaded on first use. */
export function ntdll(): Library<typeof ntdllSymbols> {
  return lib ??= backend.open("ntdll.dll", ntdllSymbols);
}
