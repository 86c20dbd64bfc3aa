/**
 * kernel32.dll: the symbols winipc uses, declared once for every runtime. Each argument carries
 * its C prototype as a comment. Constants live in constants.ts.
 * @module
 */
import { backend } from "./runtime.ts";
import type { SymbolTable } from "./types.ts";

export const kernel32Symbols = {
  // DWORD GetLastError(void)
  GetLastError: { args: [], returns: "u32" },
  FormatMessageW: {
    args: [
      "u32", // DWORD dwFlags
      "ptr", // LPCVOID lpSource
      "u32", // DWORD dwMessageId
      "u32", // DWORD dwLanguageId
      "buf", // LPWSTR lpBuffer
      "u32", // DWORD nSize
      "ptr", // va_list *Arguments
    ],
    returns: "u32",
  },
  // BOOL CloseHandle(HANDLE hObject)
  CloseHandle: { args: ["ptr"], returns: "i32" },
  // HANDLE GetCurrentProcess(void)
  GetCurrentProcess: { args: [], returns: "ptr" },
  // DWORD GetCurrentProcessId(void)
  GetCurrentProcessId: { args: [], returns: "u32" },
  GetHandleInformation: {
    args: [
      "ptr", // HANDLE hObject
      "buf", // LPDWORD lpdwFlags
    ],
    returns: "i32",
  },
  // HANDLE GetProcessHeap(void)
  GetProcessHeap: { args: [], returns: "ptr" },
  HeapAlloc: {
    args: [
      "ptr", // HANDLE hHeap
      "u32", // DWORD dwFlags
      "ptr", // SIZE_T dwBytes
    ],
    returns: "ptr", // LPVOID
  },
  HeapFree: {
    args: [
      "ptr", // HANDLE hHeap
      "u32", // DWORD dwFlags
      "ptr", // LPVOID lpMem
    ],
    returns: "i32",
  },
  // HLOCAL LocalFree(HLOCAL hMem)
  LocalFree: { args: ["ptr"], returns: "ptr" },

  // --- synchronisation ---
  CreateEventW: {
    args: [
      "ptr", // LPSECURITY_ATTRIBUTES lpEventAttributes
      "i32", // BOOL bManualReset
      "i32", // BOOL bInitialState
      "buf", // LPCWSTR lpName (NULL for unnamed)
    ],
    returns: "ptr", // HANDLE
  },
  // BOOL SetEvent(HANDLE hEvent)
  SetEvent: { args: ["ptr"], returns: "i32" },
  // BOOL ResetEvent(HANDLE hEvent)
  ResetEvent: { args: ["ptr"], returns: "i32" },
  WaitForSingleObject: {
    args: [
      "ptr", // HANDLE hHandle
      "u32", // DWORD dwMilliseconds
    ],
    returns: "u32",
  },
  WaitForMultipleObjects: {
    args: [
      "u32", // DWORD nCount
      "buf", // const HANDLE *lpHandles
      "i32", // BOOL bWaitAll
      "u32", // DWORD dwMilliseconds
    ],
    returns: "u32",
    blocking: true,
  },

  // --- files and overlapped I/O ---
  CreateFileW: {
    args: [
      "buf", // LPCWSTR lpFileName
      "u32", // DWORD dwDesiredAccess
      "u32", // DWORD dwShareMode
      "ptr", // LPSECURITY_ATTRIBUTES lpSecurityAttributes
      "u32", // DWORD dwCreationDisposition
      "u32", // DWORD dwFlagsAndAttributes
      "ptr", // HANDLE hTemplateFile
    ],
    returns: "ptr", // HANDLE
  },
  ReadFile: {
    args: [
      "ptr", // HANDLE hFile
      "ptr", // LPVOID lpBuffer
      "u32", // DWORD nNumberOfBytesToRead
      "buf", // LPDWORD lpNumberOfBytesRead
      "ptr", // LPOVERLAPPED lpOverlapped
    ],
    returns: "i32",
  },
  WriteFile: {
    args: [
      "ptr", // HANDLE hFile
      "ptr", // LPCVOID lpBuffer
      "u32", // DWORD nNumberOfBytesToWrite
      "buf", // LPDWORD lpNumberOfBytesWritten
      "ptr", // LPOVERLAPPED lpOverlapped
    ],
    returns: "i32",
  },
  GetOverlappedResult: {
    args: [
      "ptr", // HANDLE hFile
      "ptr", // LPOVERLAPPED lpOverlapped
      "buf", // LPDWORD lpNumberOfBytesTransferred
      "i32", // BOOL bWait
    ],
    returns: "i32",
  },
  CancelIoEx: {
    args: [
      "ptr", // HANDLE hFile
      "ptr", // LPOVERLAPPED lpOverlapped (NULL: all of this process's I/O on hFile)
    ],
    returns: "i32",
  },
  // BOOL FlushFileBuffers(HANDLE hFile)
  FlushFileBuffers: { args: ["ptr"], returns: "i32" },

  // --- named pipes ---
  CreateNamedPipeW: {
    args: [
      "buf", // LPCWSTR lpName
      "u32", // DWORD dwOpenMode
      "u32", // DWORD dwPipeMode
      "u32", // DWORD nMaxInstances
      "u32", // DWORD nOutBufferSize
      "u32", // DWORD nInBufferSize
      "u32", // DWORD nDefaultTimeOut
      "buf", // LPSECURITY_ATTRIBUTES lpSecurityAttributes
    ],
    returns: "ptr", // HANDLE
  },
  ConnectNamedPipe: {
    args: [
      "ptr", // HANDLE hNamedPipe
      "ptr", // LPOVERLAPPED lpOverlapped
    ],
    returns: "i32",
  },
  // BOOL DisconnectNamedPipe(HANDLE hNamedPipe)
  DisconnectNamedPipe: { args: ["ptr"], returns: "i32" },
  WaitNamedPipeW: {
    args: [
      "buf", // LPCWSTR lpNamedPipeName
      "u32", // DWORD nTimeOut
    ],
    returns: "i32",
    blocking: true,
  },
  SetNamedPipeHandleState: {
    args: [
      "ptr", // HANDLE hNamedPipe
      "buf", // LPDWORD lpMode
      "ptr", // LPDWORD lpMaxCollectionCount
      "ptr", // LPDWORD lpCollectDataTimeout
    ],
    returns: "i32",
  },
  GetNamedPipeInfo: {
    args: [
      "ptr", // HANDLE hNamedPipe
      "buf", // LPDWORD lpFlags
      "buf", // LPDWORD lpOutBufferSize
      "buf", // LPDWORD lpInBufferSize
      "buf", // LPDWORD lpMaxInstances
    ],
    returns: "i32",
  },
  PeekNamedPipe: {
    args: [
      "ptr", // HANDLE hNamedPipe
      "ptr", // LPVOID lpBuffer
      "u32", // DWORD nBufferSize
      "buf", // LPDWORD lpBytesRead
      "buf", // LPDWORD lpTotalBytesAvail
      "buf", // LPDWORD lpBytesLeftThisMessage
    ],
    returns: "i32",
  },
  GetNamedPipeClientProcessId: {
    args: [
      "ptr", // HANDLE Pipe
      "buf", // PULONG ClientProcessId
    ],
    returns: "i32",
  },
} as const satisfies SymbolTable;

/** kernel32.dll, loaded once per process. */
export const kernel32 = backend.open("kernel32.dll", kernel32Symbols);
