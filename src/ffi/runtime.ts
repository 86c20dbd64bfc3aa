/**
 * Runtime detection and the backend interface. This module and the backends it loads are the
 * only code that touches `Deno.dlopen` or `bun:ffi`.
 * @module
 */
import type { Backend } from "./backend.ts";
import { WinipcError } from "../core/errors.ts";
export type { Backend } from "./backend.ts";

// deno-lint-ignore no-explicit-any
const g = globalThis as any;

/** The runtime this process runs on. */
export const runtimeName: "deno" | "bun" = typeof g.Bun !== "undefined"
  ? "bun"
  : typeof g.Deno !== "undefined"
  ? "deno"
  : (() => {
    const node = g.process?.versions?.node;
    const found = typeof node === "string"
      ? `Node ${node}, which is not supported yet`
      : "an unknown runtime";
    throw new WinipcError(
      `winipc: unsupported runtime: winipc runs on Deno or Bun (on Windows); this is ${found}`,
    );
  })();

/** The backend for this runtime, loaded once. */
export const backend: Backend = runtimeName === "deno"
  ? (await import("./backend_deno.ts")).denoBackend
  : (await import("./backend_bun.ts")).bunBackend;
