/**
 * winternl.h (with ntdef.h): the native API's structs and object attributes, for the few ntdll
 * calls winipc makes (ntdll.ts).
 * @module
 */
import { struct } from "../struct.ts";

export const OBJ_CASE_INSENSITIVE = 0x40;

/** UNICODE_STRING: a counted UTF-16 string (lengths in bytes, no terminator needed). */
export const UNICODE_STRING = struct({ Length: "u16", MaximumLength: "u16", Buffer: "ptr" });

/** OBJECT_ATTRIBUTES: the name and security descriptor of an object an Nt call creates. */
export const OBJECT_ATTRIBUTES = struct({
  Length: "u32",
  RootDirectory: "ptr",
  ObjectName: "ptr",
  Attributes: "u32",
  SecurityDescriptor: "ptr",
  SecurityQualityOfService: "ptr",
});

/** IO_STATUS_BLOCK: an I/O call's final status and byte count. */
export const IO_STATUS_BLOCK = struct({
  Status: "ptr", // NTSTATUS in a union with PVOID Pointer
  Information: "ptr",
});
