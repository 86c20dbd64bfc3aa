/**
 * winnt.h: access rights, page protections, file share modes and attributes, heap flags,
 * handle duplication options, token queries, and the wait limit.
 * @module
 */

// Access rights
export const GENERIC_READ = 0x80000000;
export const GENERIC_WRITE = 0x40000000;
export const SYNCHRONIZE = 0x00100000;
export const EVENT_MODIFY_STATE = 0x0002;
export const MUTEX_MODIFY_STATE = 0x0001;
export const SEMAPHORE_MODIFY_STATE = 0x0002;
export const PROCESS_DUP_HANDLE = 0x0040;
export const PROCESS_QUERY_LIMITED_INFORMATION = 0x1000;
export const TOKEN_QUERY = 0x8;
/** TOKEN_INFORMATION_CLASS TokenUser. */
export const TOKEN_USER_CLASS = 1;

// Files and memory
export const FILE_SHARE_READ = 0x1;
export const FILE_SHARE_WRITE = 0x2;
export const FILE_ATTRIBUTE_NORMAL = 0x80;
export const PAGE_READONLY = 0x02;
export const PAGE_READWRITE = 0x04;
export const HEAP_ZERO_MEMORY = 0x8;

// Handles and waits
export const DUPLICATE_CLOSE_SOURCE = 0x1;
export const DUPLICATE_SAME_ACCESS = 0x2;
export const MAXIMUM_WAIT_OBJECTS = 64;
