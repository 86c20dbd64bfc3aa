/**
 * kernel32.dll: the symbols winipc uses, declared once for every runtime, each under its C
 * prototype. Constants live in headers/, by Windows header.
 * @module
 */
import { backend } from "./runtime.ts";
import type { SymbolTable } from "./types.ts";

export const kernel32Symbols = {
  // DWORD GetLastError(void)
  GetLastError: { args: [], returns: "u32" },
  // void SetLastError(DWORD dwErrCode)
  SetLastError: { args: ["u32"], returns: "void" },
  // DWORD FormatMessageW(DWORD dwFlags, LPCVOID lpSource, DWORD dwMessageId, DWORD dwLanguageId,
  //   LPWSTR lpBuffer, DWORD nSize, va_list *Arguments)
  FormatMessageW: { args: ["u32", "ptr", "u32", "u32", "buf", "u32", "ptr"], returns: "u32" },
  // BOOL CloseHandle(HANDLE hObject)
  CloseHandle: { args: ["ptr"], returns: "i32" },
  // HANDLE GetCurrentProcess(void)
  GetCurrentProcess: { args: [], returns: "ptr" },
  // DWORD GetCurrentProcessId(void)
  GetCurrentProcessId: { args: [], returns: "u32" },
  // BOOL SwitchToThread(void)
  SwitchToThread: { args: [], returns: "i32" },
  // BOOL GetHandleInformation(HANDLE hObject, LPDWORD lpdwFlags)
  GetHandleInformation: { args: ["ptr", "buf"], returns: "i32" },
  // HANDLE GetProcessHeap(void)
  GetProcessHeap: { args: [], returns: "ptr" },
  // LPVOID HeapAlloc(HANDLE hHeap, DWORD dwFlags, SIZE_T dwBytes)
  HeapAlloc: { args: ["ptr", "u32", "ptr"], returns: "ptr" },
  // BOOL HeapFree(HANDLE hHeap, DWORD dwFlags, LPVOID lpMem)
  HeapFree: { args: ["ptr", "u32", "ptr"], returns: "i32" },
  // HGLOBAL GlobalAlloc(UINT uFlags, SIZE_T dwBytes)
  GlobalAlloc: { args: ["u32", "ptr"], returns: "ptr" },
  // LPVOID GlobalLock(HGLOBAL hMem)
  GlobalLock: { args: ["ptr"], returns: "ptr" },
  // BOOL GlobalUnlock(HGLOBAL hMem)
  GlobalUnlock: { args: ["ptr"], returns: "i32" },
  // SIZE_T GlobalSize(HGLOBAL hMem)
  GlobalSize: { args: ["ptr"], returns: "ptr" },
  // HGLOBAL GlobalFree(HGLOBAL hMem)
  GlobalFree: { args: ["ptr"], returns: "ptr" },
  // ATOM GlobalAddAtomW(LPCWSTR lpString)
  GlobalAddAtomW: { args: ["buf"], returns: "u16" },
  // ATOM GlobalDeleteAtom(ATOM nAtom)  (0 when deleted)
  GlobalDeleteAtom: { args: ["u16"], returns: "u16" },
  // UINT GlobalGetAtomNameW(ATOM nAtom, LPWSTR lpBuffer, int nSize)
  GlobalGetAtomNameW: { args: ["u16", "buf", "i32"], returns: "u32" },
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
  // int lstrlenW(LPCWSTR lpString): the string's length in characters, without the NUL
  lstrlenW: { args: ["ptr"], returns: "i32" },

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
  // DWORD WaitForSingleObject(HANDLE hHandle, DWORD dwMilliseconds)
  WaitForSingleObject: { args: ["ptr", "u32"], returns: "u32" },
  // DWORD WaitForMultipleObjects(DWORD nCount, const HANDLE *lpHandles, BOOL bWaitAll, DWORD dwMilliseconds)
  WaitForMultipleObjects: { args: ["u32", "buf", "i32", "u32"], returns: "u32", blocking: true },

  // --- files and overlapped I/O ---
  // HANDLE CreateFileW(LPCWSTR lpFileName, DWORD dwDesiredAccess, DWORD dwShareMode,
  //   LPSECURITY_ATTRIBUTES lpSecurityAttributes, DWORD dwCreationDisposition, DWORD dwFlagsAndAttributes,
  //   HANDLE hTemplateFile)
  CreateFileW: { args: ["buf", "u32", "u32", "ptr", "u32", "u32", "ptr"], returns: "ptr" },
  // BOOL ReadFile(HANDLE hFile, LPVOID lpBuffer, DWORD nNumberOfBytesToRead, LPDWORD lpNumberOfBytesRead,
  //   LPOVERLAPPED lpOverlapped)
  ReadFile: { args: ["ptr", "ptr", "u32", "buf", "ptr"], returns: "i32" },
  // BOOL WriteFile(HANDLE hFile, LPCVOID lpBuffer, DWORD nNumberOfBytesToWrite,
  //   LPDWORD lpNumberOfBytesWritten, LPOVERLAPPED lpOverlapped)
  WriteFile: { args: ["ptr", "ptr", "u32", "buf", "ptr"], returns: "i32" },
  // BOOL GetOverlappedResult(HANDLE hFile, LPOVERLAPPED lpOverlapped, LPDWORD lpNumberOfBytesTransferred,
  //   BOOL bWait)
  GetOverlappedResult: { args: ["ptr", "ptr", "buf", "i32"], returns: "i32" },
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
  // HANDLE OpenFileMappingW(DWORD dwDesiredAccess, BOOL bInheritHandle, LPCWSTR lpName)
  OpenFileMappingW: { args: ["u32", "i32", "buf"], returns: "ptr" },
  // LPVOID MapViewOfFile(HANDLE hFileMappingObject, DWORD dwDesiredAccess, DWORD dwFileOffsetHigh,
  //   DWORD dwFileOffsetLow, SIZE_T dwNumberOfBytesToMap)
  MapViewOfFile: { args: ["ptr", "u32", "u32", "u32", "ptr"], returns: "ptr" },
  // BOOL UnmapViewOfFile(LPCVOID lpBaseAddress)
  UnmapViewOfFile: { args: ["ptr"], returns: "i32" },
  // BOOL FlushViewOfFile(LPCVOID lpBaseAddress, SIZE_T dwNumberOfBytesToFlush)
  FlushViewOfFile: { args: ["ptr", "ptr"], returns: "i32" },
  // SIZE_T VirtualQuery(LPCVOID lpAddress, PMEMORY_BASIC_INFORMATION lpBuffer, SIZE_T dwLength)
  VirtualQuery: { args: ["ptr", "buf", "ptr"], returns: "ptr" },
  // BOOL GetFileSizeEx(HANDLE hFile, PLARGE_INTEGER lpFileSize)
  GetFileSizeEx: { args: ["ptr", "buf"], returns: "i32" },
  // void GetSystemInfo(LPSYSTEM_INFO lpSystemInfo)
  GetSystemInfo: { args: ["buf"], returns: "void" },

  // --- named sync objects ---
  // HANDLE CreateMutexW(LPSECURITY_ATTRIBUTES lpMutexAttributes, BOOL bInitialOwner, LPCWSTR lpName)
  CreateMutexW: { args: ["buf", "i32", "buf"], returns: "ptr" },
  // HANDLE OpenMutexW(DWORD dwDesiredAccess, BOOL bInheritHandle, LPCWSTR lpName)
  OpenMutexW: { args: ["u32", "i32", "buf"], returns: "ptr" },
  // BOOL ReleaseMutex(HANDLE hMutex)
  ReleaseMutex: { args: ["ptr"], returns: "i32" },
  // HANDLE OpenEventW(DWORD dwDesiredAccess, BOOL bInheritHandle, LPCWSTR lpName)
  OpenEventW: { args: ["u32", "i32", "buf"], returns: "ptr" },
  // HANDLE CreateSemaphoreW(LPSECURITY_ATTRIBUTES lpSemaphoreAttributes, LONG lInitialCount,
  //   LONG lMaximumCount, LPCWSTR lpName)
  CreateSemaphoreW: { args: ["buf", "i32", "i32", "buf"], returns: "ptr" },
  // HANDLE OpenSemaphoreW(DWORD dwDesiredAccess, BOOL bInheritHandle, LPCWSTR lpName)
  OpenSemaphoreW: { args: ["u32", "i32", "buf"], returns: "ptr" },
  // BOOL ReleaseSemaphore(HANDLE hSemaphore, LONG lReleaseCount, LPLONG lpPreviousCount)
  ReleaseSemaphore: { args: ["ptr", "i32", "buf"], returns: "i32" },

  // --- processes and modules ---
  // HANDLE OpenProcess(DWORD dwDesiredAccess, BOOL bInheritHandle, DWORD dwProcessId)
  OpenProcess: { args: ["u32", "i32", "u32"], returns: "ptr" },
  // HMODULE LoadLibraryW(LPCWSTR lpLibFileName)
  LoadLibraryW: { args: ["buf"], returns: "ptr" },
  // BOOL FreeLibrary(HMODULE hLibModule)
  FreeLibrary: { args: ["ptr"], returns: "i32" },
  // DWORD GetTempPathW(DWORD nBufferLength, LPWSTR lpBuffer)
  GetTempPathW: { args: ["u32", "buf"], returns: "u32" },

  // --- mailslots ---
  // (A mailslot is created with ntdll's NtCreateMailslotFile, not CreateMailslotW: see ntdll.ts.)
  // BOOL SetMailslotInfo(HANDLE hMailslot, DWORD lReadTimeout)
  SetMailslotInfo: { args: ["ptr", "u32"], returns: "i32" },
  // BOOL GetMailslotInfo(HANDLE hMailslot, LPDWORD lpMaxMessageSize, LPDWORD lpNextSize,
  //   LPDWORD lpMessageCount, LPDWORD lpReadTimeout)
  GetMailslotInfo: { args: ["ptr", "buf", "buf", "buf", "buf"], returns: "i32" },

  // --- anonymous pipes and child processes ---
  // BOOL CreatePipe(PHANDLE hReadPipe, PHANDLE hWritePipe, LPSECURITY_ATTRIBUTES lpPipeAttributes,
  //   DWORD nSize)
  CreatePipe: { args: ["buf", "buf", "buf", "u32"], returns: "i32" },
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
  // BOOL InitializeProcThreadAttributeList(LPPROC_THREAD_ATTRIBUTE_LIST lpAttributeList,
  //   DWORD dwAttributeCount, DWORD dwFlags, PSIZE_T lpSize)
  InitializeProcThreadAttributeList: { args: ["ptr", "u32", "u32", "buf"], returns: "i32" },
  // BOOL UpdateProcThreadAttribute(LPPROC_THREAD_ATTRIBUTE_LIST lpAttributeList, DWORD dwFlags,
  //   DWORD_PTR Attribute, PVOID lpValue, SIZE_T cbSize, PVOID lpPreviousValue, PSIZE_T lpReturnSize)
  UpdateProcThreadAttribute: { args: ["ptr", "u32", "ptr", "ptr", "ptr", "ptr", "ptr"], returns: "i32" },
  // void DeleteProcThreadAttributeList(LPPROC_THREAD_ATTRIBUTE_LIST lpAttributeList)
  DeleteProcThreadAttributeList: { args: ["ptr"], returns: "void" },
  // BOOL GetExitCodeProcess(HANDLE hProcess, LPDWORD lpExitCode)
  GetExitCodeProcess: { args: ["ptr", "buf"], returns: "i32" },
  // BOOL TerminateProcess(HANDLE hProcess, UINT uExitCode)
  TerminateProcess: { args: ["ptr", "u32"], returns: "i32" },
  // BOOL DuplicateHandle(HANDLE hSourceProcessHandle, HANDLE hSourceHandle, HANDLE hTargetProcessHandle,
  //   LPHANDLE lpTargetHandle, DWORD dwDesiredAccess, BOOL bInheritHandle, DWORD dwOptions)
  DuplicateHandle: { args: ["ptr", "ptr", "ptr", "buf", "u32", "i32", "u32"], returns: "i32" },
  // HANDLE GetStdHandle(DWORD nStdHandle)
  GetStdHandle: { args: ["u32"], returns: "ptr" },

  // --- serial ports ---
  // BOOL GetCommState(HANDLE hFile, LPDCB lpDCB)
  GetCommState: { args: ["ptr", "buf"], returns: "i32" },
  // BOOL SetCommState(HANDLE hFile, LPDCB lpDCB)
  SetCommState: { args: ["ptr", "buf"], returns: "i32" },
  // BOOL SetCommTimeouts(HANDLE hFile, LPCOMMTIMEOUTS lpCommTimeouts)
  SetCommTimeouts: { args: ["ptr", "buf"], returns: "i32" },
  // BOOL SetCommMask(HANDLE hFile, DWORD dwEvtMask)
  SetCommMask: { args: ["ptr", "u32"], returns: "i32" },
  WaitCommEvent: {
    args: [
      "ptr", // HANDLE hFile
      "ptr", // LPDWORD lpEvtMask (native memory: written when the overlapped wait completes)
      "ptr", // LPOVERLAPPED lpOverlapped
    ],
    returns: "i32",
  },
  // BOOL PurgeComm(HANDLE hFile, DWORD dwFlags)
  PurgeComm: { args: ["ptr", "u32"], returns: "i32" },
  // BOOL ClearCommError(HANDLE hFile, LPDWORD lpErrors, LPCOMSTAT lpStat)
  ClearCommError: { args: ["ptr", "buf", "buf"], returns: "i32" },
  // BOOL EscapeCommFunction(HANDLE hFile, DWORD dwFunc)
  EscapeCommFunction: { args: ["ptr", "u32"], returns: "i32" },
  // BOOL GetCommModemStatus(HANDLE hFile, LPDWORD lpModemStat)
  GetCommModemStatus: { args: ["ptr", "buf"], returns: "i32" },
  // BOOL SetupComm(HANDLE hFile, DWORD dwInQueue, DWORD dwOutQueue)
  SetupComm: { args: ["ptr", "u32", "u32"], returns: "i32" },
  QueryDosDeviceW: {
    args: [
      "buf", // LPCWSTR lpDeviceName (NULL: list all)
      "buf", // LPWSTR lpTargetPath
      "u32", // DWORD ucchMax
    ],
    returns: "u32",
  },

  // --- named pipes ---
  // HANDLE CreateNamedPipeW(LPCWSTR lpName, DWORD dwOpenMode, DWORD dwPipeMode, DWORD nMaxInstances,
  //   DWORD nOutBufferSize, DWORD nInBufferSize, DWORD nDefaultTimeOut,
  //   LPSECURITY_ATTRIBUTES lpSecurityAttributes)
  CreateNamedPipeW: { args: ["buf", "u32", "u32", "u32", "u32", "u32", "u32", "buf"], returns: "ptr" },
  // BOOL ConnectNamedPipe(HANDLE hNamedPipe, LPOVERLAPPED lpOverlapped)
  ConnectNamedPipe: { args: ["ptr", "ptr"], returns: "i32" },
  // BOOL DisconnectNamedPipe(HANDLE hNamedPipe)
  DisconnectNamedPipe: { args: ["ptr"], returns: "i32" },
  // BOOL WaitNamedPipeW(LPCWSTR lpNamedPipeName, DWORD nTimeOut)
  WaitNamedPipeW: { args: ["buf", "u32"], returns: "i32", blocking: true },
  // BOOL SetNamedPipeHandleState(HANDLE hNamedPipe, LPDWORD lpMode, LPDWORD lpMaxCollectionCount,
  //   LPDWORD lpCollectDataTimeout)
  SetNamedPipeHandleState: { args: ["ptr", "buf", "ptr", "ptr"], returns: "i32" },
  // BOOL GetNamedPipeInfo(HANDLE hNamedPipe, LPDWORD lpFlags, LPDWORD lpOutBufferSize,
  //   LPDWORD lpInBufferSize, LPDWORD lpMaxInstances)
  GetNamedPipeInfo: { args: ["ptr", "buf", "buf", "buf", "buf"], returns: "i32" },
  // BOOL PeekNamedPipe(HANDLE hNamedPipe, LPVOID lpBuffer, DWORD nBufferSize, LPDWORD lpBytesRead,
  //   LPDWORD lpTotalBytesAvail, LPDWORD lpBytesLeftThisMessage)
  PeekNamedPipe: { args: ["ptr", "ptr", "u32", "buf", "buf", "buf"], returns: "i32" },
  // BOOL GetNamedPipeClientProcessId(HANDLE Pipe, PULONG ClientProcessId)
  GetNamedPipeClientProcessId: { args: ["ptr", "buf"], returns: "i32" },

  // --- directory listings (the pipe namespace: `\\.\pipe\*`) ---
  FindFirstFileW: {
    args: [
      "buf", // LPCWSTR lpFileName (a pattern: `\\.\pipe\*`)
      "buf", // LPWIN32_FIND_DATAW lpFindFileData (receives the first entry)
    ],
    returns: "ptr", // HANDLE: a search handle, INVALID_HANDLE_VALUE on failure
  },
  // BOOL FindNextFileW(HANDLE hFindFile, LPWIN32_FIND_DATAW lpFindFileData)
  FindNextFileW: { args: ["ptr", "buf"], returns: "i32" },
  // BOOL FindClose(HANDLE hFindFile)
  FindClose: { args: ["ptr"], returns: "i32" },
} as const satisfies SymbolTable;

/** kernel32.dll, loaded once per process. */
export const kernel32 = backend.open("kernel32.dll", kernel32Symbols);
