/** ntstatus.h: the NTSTATUS codes winipc handles by name (ntdll.ts calls). @module */

export const STATUS_SUCCESS = 0;
export const STATUS_OBJECT_NAME_COLLISION = 0xc0000035;

/** The I/O has not completed yet (OVERLAPPED.Internal of a pending operation). */
export const STATUS_PENDING = 0x103;
