/**
 * A server's context handles (MS-RPCE 3.3.1.5.4): values a handler keeps for a client between
 * calls, named on the wire by a 20-byte handle. They belong to the client's association group and
 * are run down (their `rundown` called) when its last connection closes, so a client that dies
 * leaks nothing.
 * @module
 */
import { newGuid } from "../../core/guid.ts";
import { type ContextHandle, NIL_UUID } from "./ndr.ts";
import { NCA_S_FAULT_CONTEXT_MISMATCH } from "./pdu.ts";
import { RpcFaultError } from "./rpc_errors.ts";

/** The null context handle (what a closing operation returns). */
export const NULL_CONTEXT_HANDLE: ContextHandle = Object.freeze({ attributes: 0, uuid: NIL_UUID });

interface Entry {
  value: unknown;
  rundown?: (value: unknown) => void;
}

/** The context handles of one association group. */
export class ContextHandles {
  readonly #entries = new Map<string, Entry>();

  /** Handles open now. */
  get size(): number {
    return this.#entries.size;
  }

  /**
   * A new handle for `value`. `rundown` is called with it if the client's association ends while
   * the handle is open (the client died or never closed it).
   */
  create<T>(value: T, rundown?: (value: T) => void): ContextHandle {
    const uuid = key(newGuid());
    this.#entries.set(uuid, { value, rundown: rundown as ((value: unknown) => void) | undefined });
    return { attributes: 0, uuid };
  }

  /**
   * The value of an open handle.
   * @throws {RpcFaultError} nca_s_fault_context_mismatch: not a handle of this association (the
   * client gets that fault).
   */
  get<T = unknown>(handle: ContextHandle): T {
    const e = typeof handle?.uuid === "string" ? this.#entries.get(key(handle.uuid)) : undefined;
    if (!e) throw new RpcFaultError(NCA_S_FAULT_CONTEXT_MISMATCH, "RPC: unknown or closed context handle");
    return e.value as T;
  }

  /**
   * Closes a handle (no rundown) and returns the null handle to send back.
   * @throws {RpcFaultError} as {@link ContextHandles.get}.
   */
  close(handle: ContextHandle): ContextHandle {
    this.get(handle);
    this.#entries.delete(key(handle.uuid));
    return NULL_CONTEXT_HANDLE;
  }

  /** Runs down every open handle (the association ended). A throwing rundown does not stop the rest. */
  rundown(onError: (e: unknown) => void): void {
    const all = [...this.#entries.values()];
    this.#entries.clear();
    for (const e of all) {
      try {
        e.rundown?.(e.value);
      } catch (err) {
        onError(err);
      }
    }
  }
}

/** A UUID as NDR reads it (lowercase, no braces): what a client sends back. */
function key(uuid: string): string {
  return uuid.replace(/[{}]/g, "").toLowerCase();
}
