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
  // void SetLastError(DWORD dwErrCode)
  SetLastError: { args: ["u32"], returns: "void" },
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
  GlobalAlloc: {
    args: [
      "u32", // UINT uFlags
      "ptr", // SIZE_T dwBytes
    ],
    returns: "ptr", // HGLOBAL
  },
  // LPVOID GlobalLock(HGLOBAL hMem)
  GlobalLock: { args: ["ptr"], returns: "ptr" },
  // BOOL GlobalUnlock(HGLOBAL hMem)
  GlobalUnlock: { args: ["ptr"], returns: "i32" },
  // SIZE_T GlobalSize(HGLOBAL hMem)
  GlobalSize: { args: ["ptr"], returns: "ptr" },
  // HGLOBAL GlobalFree(HGLOBAL hMem)
  GlobalFree: { args: ["ptr"], returns: "ptr" },
  GetProcAddress: {
    args: [
      "ptr", // HMODULE hModule
      "buf", // LPCSTR lpProcName (ANSI)
    ],
    returns: "ptr", // FARPROC
  },
  // HMODULE GetModuleHandleW(LPCWSTR lpModuleName)
  GetModuleHandleW: { args: ["buf"], returns: "ptr" },
  // HLOCAL LocalFree(HLOCAL hMem)
  LocalFree: { args: ["ptr"], returns: "ptr" },

  // --- synchronisation ---
  CreateEventW: {
    args: [
      "buf", // LPSECURITY_ATTRIBUTES lpEventAttributes
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

  // --- file mappings ---
  CreateFileMappingW: {
    args: [
      "ptr", // HANDLE hFile (INVALID_HANDLE_VALUE: backed by the paging file)
      "buf", // LPSECURITY_ATTRIBUTES lpFileMappingAttributes
      "u32", // DWORD flProtect
      "u32", // DWORD dwMaximumSizeHigh
      "u32", // DWORD dwMaximumSizeLow
      "buf", // LPCWSTR lpName
    ],
    returns: "ptr", // HANDLE
  },
  OpenFileMappingW: {
    args: [
      "u32", // DWORD dwDesiredAccess
      "i32", // BOOL bInheritHandle
      "buf", // LPCWSTR lpName
    ],
    returns: "ptr", // HANDLE
  },
  MapViewOfFile: {
    args: [
      "ptr", // HANDLE hFileMappingObject
      "u32", // DWORD dwDesiredAccess
      "u32", // DWORD dwFileOffsetHigh
      "u32", // DWORD dwFileOffsetLow
      "ptr", // SIZE_T dwNumberOfBytesToMap
    ],
    returns: "ptr", // LPVOID
  },
  // BOOL UnmapViewOfFile(LPCVOID lpBaseAddress)
  UnmapViewOfFile: { args: ["ptr"], returns: "i32" },
  FlushViewOfFile: {
    args: [
      "ptr", // LPCVOID lpBaseAddress
      "ptr", // SIZE_T dwNumberOfBytesToFlush
    ],
    returns: "i32",
  },
  VirtualQuery: {
    args: [
      "ptr", // LPCVOID lpAddress
      "buf", // PMEMORY_BASIC_INFORMATION lpBuffer
      "ptr", // SIZE_T dwLength
    ],
    returns: "ptr", // SIZE_T
  },
  GetFileSizeEx: {
    args: [
      "ptr", // HANDLE hFile
      "buf", // PLARGE_INTEGER lpFileSize
    ],
    returns: "i32",
  },
  GetSystemInfo: {
    args: [
      "buf", // LPSYSTEM_INFO lpSystemInfo
    ],
    returns: "void",
  },

  // --- named sync objects ---
  CreateMutexW: {
    args: [
      "buf", // LPSECURITY_ATTRIBUTES lpMutexAttributes
      "i32", // BOOL bInitialOwner
      "buf", // LPCWSTR lpName
    ],
    returns: "ptr", // HANDLE
  },
  OpenMutexW: {
    args: [
      "u32", // DWORD dwDesiredAccess
      "i32", // BOOL bInheritHandle
      "buf", // LPCWSTR lpName
    ],
    returns: "ptr", // HANDLE
  },
  // BOOL ReleaseMutex(HANDLE hMutex)
  ReleaseMutex: { args: ["ptr"], returns: "i32" },
  OpenEventW: {
    args: [
      "u32", // DWORD dwDesiredAccess
      "i32", // BOOL bInheritHandle
      "buf", // LPCWSTR lpName
    ],
    returns: "ptr", // HANDLE
  },
  CreateSemaphoreW: {
    args: [
      "buf", // LPSECURITY_ATTRIBUTES lpSemaphoreAttributes
      "i32", // LONG lInitialCount
      "i32", // LONG lMaximumCount
      "buf", // LPCWSTR lpName
    ],
    returns: "ptr", // HANDLE
  },
  OpenSemaphoreW: {
    args: [
      "u32", // DWORD dwDesiredAccess
      "i32", // BOOL bInheritHandle
      "buf", // LPCWSTR lpName
    ],
    returns: "ptr", // HANDLE
  },
  ReleaseSemaphore: {
    args: [
      "ptr", // HANDLE hSemaphore
      "i32", // LONG lReleaseCount
      "buf", // LPLONG lpPreviousCount
    ],
    returns: "i32",
  },

  // --- processes and modules ---
  OpenProcess: {
    args: [
      "u32", // DWORD dwDesiredAccess
      "i32", // BOOL bInheritHandle
      "u32", // DWORD dwProcessId
    ],
    returns: "ptr", // HANDLE
  },
  // HMODULE LoadLibraryW(LPCWSTR lpLibFileName)
  LoadLibraryW: { args: ["buf"], returns: "ptr" },
  // BOOL FreeLibrary(HMODULE hLibModule)
  FreeLibrary: { args: ["ptr"], returns: "i32" },
  GetTempPathW: {
    args: [
      "u32", // DWORD nBufferLength
      "buf", // LPWSTR lpBuffer
    ],
    returns: "u32",
  },

  // --- mailslots ---
  CreateMailslotW: {
    args: [
      "buf", // LPCWSTR lpName
      "u32", // DWORD nMaxMessageSize
      "u32", // DWORD lReadTimeout
      "buf", // LPSECURITY_ATTRIBUTES lpSecurityAttributes
    ],
    returns: "ptr", // HANDLE
  },
  GetMailslotInfo: {
    args: [
      "ptr", // HANDLE hMailslot
      "buf", // LPDWORD lpMaxMessageSize
      "buf", // LPDWORD lpNextSize
      "buf", // LPDWORD lpMessageCount
      "buf", // LPDWORD lpReadTimeout
    ],
    returns: "i32",
  },

  // --- anonymous pipes and child processes ---
  CreatePipe: {
    args: [
      "buf", // PHANDLE hReadPipe
      "buf", // PHANDLE hWritePipe
      "buf", // LPSECURITY_ATTRIBUTES lpPipeAttributes
      "u32", // DWORD nSize
    ],
    returns: "i32",
  },
  CreateProcessW: {
    args: [
      "buf", // LPCWSTR lpApplicationName
      "buf", // LPWSTR lpCommandLine (modified in place: must be writable)
      "ptr", // LPSECURITY_ATTRIBUTES lpProcessAttributes
      "ptr", // LPSECURITY_ATTRIBUTES lpThreadAttributes
      "i32", // BOOL bInheritHandles
      "u32", // DWORD dwCreationFlags
      "buf", // LPVOID lpEnvironment
      "buf", // LPCWSTR lpCurrentDirectory
      "buf", // LPSTARTUPINFOW lpStartupInfo (STARTUPINFOEXW)
      "buf", // LPPROCESS_INFORMATION lpProcessInformation
    ],
    returns: "i32",
  },
  InitializeProcThreadAttributeList: {
    args: [
      "ptr", // LPPROC_THREAD_ATTRIBUTE_LIST lpAttributeList
      "u32", // DWORD dwAttributeCount
      "u32", // DWORD dwFlags
      "buf", // PSIZE_T lpSize
    ],
    returns: "i32",
  },
  UpdateProcThreadAttribute: {
    args: [
      "ptr", // LPPROC_THREAD_ATTRIBUTE_LIST lpAttributeList
      "u32", // DWORD dwFlags
      "ptr", // DWORD_PTR Attribute
      "ptr", // PVOID lpValue
      "ptr", // SIZE_T cbSize
      "ptr", // PVOID lpPreviousValue
      "ptr", // PSIZE_T lpReturnSize
    ],
    returns: "i32",
  },
  // void DeleteProcThreadAttributeList(LPPROC_THREAD_ATTRIBUTE_LIST lpAttributeList)
  DeleteProcThreadAttributeList: { args: ["ptr"], returns: "void" },
  GetExitCodeProcess: {
    args: [
      "ptr", // HANDLE hProcess
      "buf", // LPDWORD lpExitCode
    ],
    returns: "i32",
  },
  TerminateProcess: {
    args: [
      "ptr", // HANDLE hProcess
      "u32", // UINT uExitCode
    ],
    returns: "i32",
  },
  DuplicateHandle: {
    args: [
      "ptr", // HANDLE hSourceProcessHandle
      "ptr", // HANDLE hSourceHandle
      "ptr", // HANDLE hTargetProcessHandle
      "buf", // LPHANDLE lpTargetHandle
      "u32", // DWORD dwDesiredAccess
      "i32", // BOOL bInheritHandle
      "u32", // DWORD dwOptions
    ],
    returns: "i32",
  },
  // HANDLE GetStdHandle(DWORD nStdHandle)
  GetStdHandle: { args: ["u32"], returns: "ptr" },

  // --- serial ports ---
  GetCommState: {
    args: [
      "ptr", // HANDLE hFile
      "buf", // LPDCB lpDCB
    ],
    returns: "i32",
  },
  SetCommState: {
    args: [
      "ptr", // HANDLE hFile
      "buf", // LPDCB lpDCB
    ],
    returns: "i32",
  },
  SetCommTimeouts: {
    args: [
      "ptr", // HANDLE hFile
      "buf", // LPCOMMTIMEOUTS lpCommTimeouts
    ],
    returns: "i32",
  },
  SetCommMask: {
    args: [
      "ptr", // HANDLE hFile
      "u32", // DWORD dwEvtMask
    ],
    returns: "i32",
  },
  WaitCommEvent: {
    args: [
      "ptr", // HANDLE hFile
      "ptr", // LPDWORD lpEvtMask (native memory: written when the overlapped wait completes)
      "ptr", // LPOVERLAPPED lpOverlapped
    ],
    returns: "i32",
  },
  PurgeComm: {
    args: [
      "ptr", // HANDLE hFile
      "u32", // DWORD dwFlags
    ],
    returns: "i32",
  },
  ClearCommError: {
    args: [
      "ptr", // HANDLE hFile
      "buf", // LPDWORD lpErrors
      "buf", // LPCOMSTAT lpStat
    ],
    returns: "i32",
  },
  EscapeCommFunction: {
    args: [
      "ptr", // HANDLE hFile
      "u32", // DWORD dwFunc
    ],
    returns: "i32",
  },
  GetCommModemStatus: {
    args: [
      "ptr", // HANDLE hFile
      "buf", // LPDWORD lpModemStat
    ],
    returns: "i32",
  },
  SetupComm: {
    args: [
      "ptr", // HANDLE hFile
      "u32", // DWORD dwInQueue
      "u32", // DWORD dwOutQueue
    ],
    returns: "i32",
  },
  QueryDosDeviceW: {
    args: [
      "buf", // LPCWSTR lpDeviceName (NULL: list all)
      "buf", // LPWSTR lpTargetPath
      "u32", // DWORD ucchMax
    ],
    returns: "u32",
  },

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
