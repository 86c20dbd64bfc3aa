/**
 * Runtime detection and the backend interface. This module and the backends it loads are the
 * only code that touches `Deno.dlopen`, `bun:ffi` or koffi.
 * @module
 */
import type { Backend } from "./backend.ts";
import { WinipcError } from "../core/errors.ts";
export type { Backend } from "./backend.ts";

// deno-lint-ignore no-explicit-any
const g = globalThis as any;

/** The runtime this process runs on. */
export const runtimeName: "deno" | "bun" | "node" = typeof g.Bun !== "undefined"
  ? "bun"
  : typeof g.Deno !== "undefined"
  ? "deno"
  : typeof g.process?.versions?.node === "string"
  ? "node"
  : (() => {
    throw new WinipcError("winipc: unsupported runtime: winipc runs on Deno, Bun or Node (on Windows)");
  })();

/** The backend for this runtime, loaded once. */
export const backend: Backend = runtimeName === "deno"
  ? (await import("./backend_deno.ts")).denoBackend
  : runtimeName === "bun"
  ? (await import("./backend_bun.ts")).bunBackend
  : (await import("./backend_node.ts")).nodeBackend;
