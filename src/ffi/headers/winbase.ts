/**
 * winbase.h, with the API-set headers since split from it (fileapi.h, namedpipeapi.h,
 * processthreadsapi.h, memoryapi.h, minwinbase.h): waits, files, pipes, mailslots, file
 * mappings, processes, global memory and serial ports, with their structs.
 * @module
 */
import { array, struct } from "../struct.ts";

export const INFINITE = 0xffffffff;
export const INVALID_HANDLE_VALUE = 0xffffffffffffffffn;

// Wait results (WAIT_TIMEOUT is in winerror.h)
export const WAIT_OBJECT_0 = 0;
export const WAIT_ABANDONED_0 = 0x80;
export const WAIT_FAILED = 0xffffffff;

// Files
export const CREATE_ALWAYS = 2;
export const OPEN_EXISTING = 3;
export const OPEN_ALWAYS = 4;
export const FILE_FLAG_OVERLAPPED = 0x40000000;
export const FILE_FLAG_FIRST_PIPE_INSTANCE = 0x00080000;
export const SECURITY_SQOS_PRESENT = 0x00100000;
export const SECURITY_IDENTIFICATION = 0x00010000;

// Named pipes
export const PIPE_ACCESS_INBOUND = 0x1;
export const PIPE_ACCESS_OUTBOUND = 0x2;
export const PIPE_ACCESS_DUPLEX = 0x3;
export const PIPE_TYPE_BYTE = 0x0;
export const PIPE_TYPE_MESSAGE = 0x4;
export const PIPE_READMODE_BYTE = 0x0;
export const PIPE_READMODE_MESSAGE = 0x2;
export const PIPE_WAIT = 0x0;
export const PIPE_REJECT_REMOTE_CLIENTS = 0x8;
export const PIPE_UNLIMITED_INSTANCES = 255;
export const PIPE_SERVER_END = 0x1;
export const NMPWAIT_NOWAIT = 1;

// Mailslots
export const MAILSLOT_WAIT_FOREVER = 0xffffffff;
export const MAILSLOT_NO_MESSAGE = 0xffffffff;

// File mappings
export const FILE_MAP_WRITE = 0x0002;
export const FILE_MAP_READ = 0x0004;
export const FILE_MAP_ALL_ACCESS = 0x000f001f;

// FormatMessageW
export const FORMAT_MESSAGE_IGNORE_INSERTS = 0x200;
export const FORMAT_MESSAGE_FROM_SYSTEM = 0x1000;

// Global memory
export const GMEM_MOVEABLE = 0x0002;

// Processes
export const STARTF_USESTDHANDLES = 0x100;
export const EXTENDED_STARTUPINFO_PRESENT = 0x00080000;
export const CREATE_UNICODE_ENVIRONMENT = 0x00000400;
export const CREATE_NO_WINDOW = 0x08000000;
export const PROC_THREAD_ATTRIBUTE_HANDLE_LIST = 0x20002;
export const STILL_ACTIVE = 259;
export const STD_INPUT_HANDLE = 0xfffffff6; // (DWORD)-10
export const STD_OUTPUT_HANDLE = 0xfffffff5; // (DWORD)-11
export const STD_ERROR_HANDLE = 0xfffffff4; // (DWORD)-12

// Serial ports: comm events (SetCommMask, WaitCommEvent)
export const EV_RXCHAR = 0x0001;
export const EV_RXFLAG = 0x0002;
export const EV_TXEMPTY = 0x0004;
export const EV_CTS = 0x0008;
export const EV_DSR = 0x0010;
export const EV_RLSD = 0x0020;
export const EV_BREAK = 0x0040;
export const EV_ERR = 0x0080;
export const EV_RING = 0x0100;
// Serial ports: line errors (ClearCommError), purge flags, escape functions, modem lines
export const CE_RXOVER = 0x0001;
export const CE_OVERRUN = 0x0002;
export const CE_RXPARITY = 0x0004;
export const CE_FRAME = 0x0008;
export const CE_BREAK = 0x0010;
export const PURGE_TXABORT = 0x1;
export const PURGE_RXABORT = 0x2;
export const PURGE_TXCLEAR = 0x4;
export const PURGE_RXCLEAR = 0x8;
export const SETRTS = 3;
export const CLRRTS = 4;
export const SETDTR = 5;
export const CLRDTR = 6;
export const SETBREAK = 8;
export const CLRBREAK = 9;
export const MS_CTS_ON = 0x10;
export const MS_DSR_ON = 0x20;
export const MS_RING_ON = 0x40;
export const MS_RLSD_ON = 0x80;
// Serial ports: DCB.Parity and DCB.StopBits
export const NOPARITY = 0;
export const ODDPARITY = 1;
export const EVENPARITY = 2;
export const MARKPARITY = 3;
export const SPACEPARITY = 4;
export const ONESTOPBIT = 0;
export const ONE5STOPBITS = 1;
export const TWOSTOPBITS = 2;

/** SECURITY_ATTRIBUTES (minwinbase.h). */
export const SECURITY_ATTRIBUTES = struct({
  nLength: "u32",
  lpSecurityDescriptor: "ptr",
  bInheritHandle: "i32",
});

/** STARTUPINFOW (processthreadsapi.h). */
export const STARTUPINFOW = struct({
  cb: "u32",
  lpReserved: "ptr",
  lpDesktop: "ptr",
  lpTitle: "ptr",
  dwX: "u32",
  dwY: "u32",
  dwXSize: "u32",
  dwYSize: "u32",
  dwXCountChars: "u32",
  dwYCountChars: "u32",
  dwFillAttribute: "u32",
  dwFlags: "u32",
  wShowWindow: "u16",
  cbReserved2: "u16",
  lpReserved2: "ptr",
  hStdInput: "ptr",
  hStdOutput: "ptr",
  hStdError: "ptr",
});

/** STARTUPINFOEXW (winbase.h): STARTUPINFOW and an attribute list (handle lists). */
export const STARTUPINFOEXW = struct({
  StartupInfo: STARTUPINFOW,
  lpAttributeList: "ptr",
});

/** PROCESS_INFORMATION (processthreadsapi.h). */
export const PROCESS_INFORMATION = struct({
  hProcess: "ptr",
  hThread: "ptr",
  dwProcessId: "u32",
  dwThreadId: "u32",
});

/** DCB: a serial port's line settings. `flags` holds the C bit fields fBinary..fAbortOnError. */
export const DCB = struct({
  DCBlength: "u32",
  BaudRate: "u32",
  flags: "u32",
  wReserved: "u16",
  XonLim: "u16",
  XoffLim: "u16",
  ByteSize: "u8",
  Parity: "u8",
  StopBits: "u8",
  XonChar: "i8",
  XoffChar: "i8",
  ErrorChar: "i8",
  EofChar: "i8",
  EvtChar: "i8",
  wReserved1: "u16",
});

/** MAX_PATH (minwindef.h): the length of WIN32_FIND_DATAW.cFileName, in UTF-16 units. */
export const MAX_PATH = 260;

/** FILETIME (minwinbase.h): 100 ns intervals since 1601, as two DWORDs (4-byte aligned). */
export const FILETIME = struct({ dwLowDateTime: "u32", dwHighDateTime: "u32" });

/**
 * WIN32_FIND_DATAW (minwinbase.h), 592 bytes: one FindFirstFileW/FindNextFileW entry. In the
 * pipe namespace nFileSizeLow is the pipe's current instance count.
 */
export const WIN32_FIND_DATAW = struct({
  dwFileAttributes: "u32",
  ftCreationTime: FILETIME,
  ftLastAccessTime: FILETIME,
  ftLastWriteTime: FILETIME,
  nFileSizeHigh: "u32",
  nFileSizeLow: "u32",
  dwReserved0: "u32",
  dwReserved1: "u32",
  cFileName: array("u16", MAX_PATH),
  cAlternateFileName: array("u16", 14),
});
