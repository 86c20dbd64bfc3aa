/** winerror.h: the Win32 error codes winipc handles by name (GetLastError, GetOverlappedResult). @module */

export const ERROR_SUCCESS = 0;
export const ERROR_FILE_NOT_FOUND = 2;
export const ERROR_ACCESS_DENIED = 5;
export const ERROR_INVALID_HANDLE = 6;
export const ERROR_NOT_ENOUGH_MEMORY = 8;
export const ERROR_NO_MORE_FILES = 18;
export const ERROR_SHARING_VIOLATION = 32;
export const ERROR_HANDLE_EOF = 38;
export const ERROR_NETNAME_DELETED = 64;
export const ERROR_BAD_DEV_TYPE = 66;
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
export const WAIT_TIMEOUT = 258;
export const ERROR_NOT_OWNER = 288;
export const ERROR_TOO_MANY_POSTS = 298;
export const ERROR_INVALID_ADDRESS = 487;
export const ERROR_PIPE_CONNECTED = 535;
export const ERROR_PIPE_LISTENING = 536;
export const ERROR_OPERATION_ABORTED = 995;
export const ERROR_IO_INCOMPLETE = 996;
/** VerifyVersionInfo's "newer Windows needed": no call winipc makes fails with it (see check.ts). */
export const ERROR_OLD_WIN_VERSION = 1150;
export const ERROR_IO_PENDING = 997;
export const ERROR_CONNECTION_ABORTED = 1236;
