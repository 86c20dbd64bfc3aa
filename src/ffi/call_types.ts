/** The messages between a backend's call pool (call_pool.ts) and its call workers. @module */
import type { SymbolSpec } from "./types.ts";

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
