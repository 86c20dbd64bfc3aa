/** Shared by the Bun backend and its call worker. @module */
import type { FfiType, SymbolSpec } from "./types.ts";

/** bun:ffi type names for the table types; shared with the worker. */
export const bunType: Record<FfiType, string> = {
  void: "void",
  u8: "u8",
  i8: "i8",
  u16: "u16",
  i16: "i16",
  u32: "u32",
  i32: "i32",
  u64: "u64",
  i64: "i64",
  f64: "f64",
  ptr: "u64",
  buf: "ptr",
};

/** A request to the call worker. */
export interface CallRequest {
  id: number;
  dll: string;
  name: string;
  spec: SymbolSpec;
  args: unknown[];
}
/** The worker's answer: the result, the thread's last error, and the buffers after the call. */
export interface CallReply {
  id: number;
  result?: unknown;
  error?: string;
  buffers: [number, ArrayBufferView][];
}
