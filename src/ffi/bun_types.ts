/** Shared by the Bun backend and its call worker. @module */
import { runtimeTypes, type SymbolSpec } from "./types.ts";

/** bun:ffi type names for the table types; shared with the worker. A `ptr` is a u64 (bigint). */
export const bunType = runtimeTypes("u64", "ptr");

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
