/** Win32 constants used by winipc, with their header names. @module */

export const INFINITE = 0xffffffff;
export const INVALID_HANDLE_VALUE = 0xffffffffffffffffn;

// winerror.h
export const ERROR_SUCCESS = 0;
export const ERROR_FILE_NOT_FOUND = 2;
export const ERROR_ACCESS_DENIED = 5;
export const ERROR_INVALID_HANDLE = 6;
export const ERROR_HANDLE_EOF = 38;
export const ERROR_INVALID_PARAMETER = 87;
export const ERROR_BROKEN_PIPE = 109;
export const ERROR_SEM_TIMEOUT = 121;
export const ERROR_INSUFFICIENT_BUFFER = 122;
export const ERROR_INVALID_NAME = 123;
export const ERROR_ALREADY_EXISTS = 183;
export const ERROR_PIPE_BUSY = 231;
export const ERROR_NO_DATA = 232;
export const ERROR_PIPE_NOT_CONNECTED = 233;
export const ERROR_MORE_DATA = 234;
export const ERROR_PIPE_CONNECTED = 535;
export const ERROR_PIPE_LISTENING = 536;
export const ERROR_OPERATION_ABORTED = 995;
export const ERROR_IO_INCOMPLETE = 996;
export const ERROR_IO_PENDING = 997;

// WaitForMultipleObjects results
export const WAIT_OBJECT_0 = 0;
export const WAIT_ABANDONED_0 = 0x80;
export const WAIT_TIMEOUT = 258;
export const WAIT_FAILED = 0xffffffff;
export const MAXIMUM_WAIT_OBJECTS = 64;

// winnt.h / fileapi.h
export const GENERIC_READ = 0x80000000;
export const GENERIC_WRITE = 0x40000000;
export const OPEN_EXISTING = 3;
export const FILE_FLAG_OVERLAPPED = 0x40000000;
export const FILE_FLAG_FIRST_PIPE_INSTANCE = 0x00080000;
export const SECURITY_SQOS_PRESENT = 0x00100000;
export const SECURITY_IDENTIFICATION = 0x00010000;

// winbase.h: named pipes
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

// FormatMessageW
export const FORMAT_MESSAGE_IGNORE_INSERTS = 0x200;
export const FORMAT_MESSAGE_FROM_SYSTEM = 0x1000;

// Heap
export const HEAP_ZERO_MEMORY = 0x8;

// Security
export const TOKEN_QUERY = 0x8;
export const TOKEN_USER_CLASS = 1;
export const SDDL_REVISION_1 = 1;

// Kernel objects
export const SYNCHRONIZE = 0x00100000;
export const EVENT_MODIFY_STATE = 0x0002;
export const MUTEX_MODIFY_STATE = 0x0001;
export const SEMAPHORE_MODIFY_STATE = 0x0002;
export const PROCESS_QUERY_LIMITED_INFORMATION = 0x1000;
export const ERROR_NOT_OWNER = 288;
export const ERROR_TOO_MANY_POSTS = 298;
export const ERROR_INVALID_ADDRESS = 487;

// File mappings
export const PAGE_READONLY = 0x02;
export const PAGE_READWRITE = 0x04;
export const FILE_MAP_WRITE = 0x0002;
export const FILE_MAP_READ = 0x0004;
export const FILE_MAP_ALL_ACCESS = 0x000f001f;
export const FILE_SHARE_READ = 0x1;
export const FILE_SHARE_WRITE = 0x2;
export const OPEN_ALWAYS = 4;
export const FILE_ATTRIBUTE_NORMAL = 0x80;
export const CREATE_ALWAYS = 2;
export const ERROR_SHARING_VIOLATION = 32;

// Mailslots
export const MAILSLOT_WAIT_FOREVER = 0xffffffff;
export const MAILSLOT_NO_MESSAGE = 0xffffffff;

// Processes
export const STARTF_USESTDHANDLES = 0x100;
export const EXTENDED_STARTUPINFO_PRESENT = 0x00080000;
export const CREATE_UNICODE_ENVIRONMENT = 0x00000400;
export const CREATE_NO_WINDOW = 0x08000000;
export const PROC_THREAD_ATTRIBUTE_HANDLE_LIST = 0x20002;
export const STILL_ACTIVE = 259;
export const DUPLICATE_CLOSE_SOURCE = 0x1;
export const DUPLICATE_SAME_ACCESS = 0x2;
export const PROCESS_DUP_HANDLE = 0x0040;
export const STD_INPUT_HANDLE = 0xfffffff6; // (DWORD)-10
export const STD_OUTPUT_HANDLE = 0xfffffff5; // (DWORD)-11
export const STD_ERROR_HANDLE = 0xfffffff4; // (DWORD)-12
