/**
 * RPC's typed errors: a server's FAULT ({@link RpcFaultError}, with its status) and a refused
 * bind ({@link RpcBindError}). Transport failures are the channel errors every mechanism uses
 * (ChannelClosedError, TimeoutError, NotFoundError); a peer's malformed bytes are ProtocolError.
 * @module
 */
import { WinipcError } from "../../core/errors.ts";
import {
  NCA_S_COMM_FAILURE,
  NCA_S_FAULT_ACCESS_DENIED,
  NCA_S_FAULT_ADDR_ERROR,
  NCA_S_FAULT_CANCEL,
  NCA_S_FAULT_CANT_PERFORM,
  NCA_S_FAULT_CONTEXT_MISMATCH,
  NCA_S_FAULT_INT_DIV_BY_ZERO,
  NCA_S_FAULT_INVALID_BOUND,
  NCA_S_FAULT_INVALID_TAG,
  NCA_S_FAULT_NDR,
  NCA_S_FAULT_REMOTE_NO_MEMORY,
  NCA_S_FAULT_UNSPEC,
  NCA_S_INVALID_PRES_CONTEXT_ID,
  NCA_S_MANAGER_NOT_ENTERED,
  NCA_S_OP_RNG_ERROR,
  NCA_S_OUT_ARGS_TOO_BIG,
  NCA_S_PROTO_ERROR,
  NCA_S_RPC_VERSION_MISMATCH,
  NCA_S_SERVER_TOO_BUSY,
  NCA_S_UNK_IF,
  NCA_S_UNSPEC_REJECT,
  NCA_S_UNSUPPORTED_AUTHN_LEVEL,
  NCA_S_UNSUPPORTED_TYPE,
} from "./pdu.ts";

const STATUS_NAMES: ReadonlyMap<number, string> = new Map([
  [NCA_S_COMM_FAILURE, "nca_s_comm_failure"],
  [NCA_S_OP_RNG_ERROR, "nca_s_op_rng_error (no such operation)"],
  [NCA_S_UNK_IF, "nca_s_unk_if (unknown interface)"],
  [NCA_S_PROTO_ERROR, "nca_s_proto_error"],
  [NCA_S_OUT_ARGS_TOO_BIG, "nca_s_out_args_too_big"],
  [NCA_S_SERVER_TOO_BUSY, "nca_s_server_too_busy"],
  [NCA_S_UNSUPPORTED_TYPE, "nca_s_unsupported_type"],
  [NCA_S_FAULT_INT_DIV_BY_ZERO, "nca_s_fault_int_div_by_zero"],
  [NCA_S_FAULT_ADDR_ERROR, "nca_s_fault_addr_error"],
  [NCA_S_FAULT_INVALID_TAG, "nca_s_fault_invalid_tag"],
  [NCA_S_FAULT_INVALID_BOUND, "nca_s_fault_invalid_bound"],
  [NCA_S_RPC_VERSION_MISMATCH, "nca_s_rpc_version_mismatch"],
  [NCA_S_UNSPEC_REJECT, "nca_s_unspec_reject"],
  [NCA_S_MANAGER_NOT_ENTERED, "nca_s_manager_not_entered"],
  [NCA_S_FAULT_CANCEL, "nca_s_fault_cancel"],
  [NCA_S_FAULT_UNSPEC, "nca_s_fault_unspec (the server's code failed)"],
  [NCA_S_FAULT_CONTEXT_MISMATCH, "nca_s_fault_context_mismatch (stale context handle)"],
  [NCA_S_FAULT_REMOTE_NO_MEMORY, "nca_s_fault_remote_no_memory"],
  [NCA_S_INVALID_PRES_CONTEXT_ID, "nca_s_invalid_pres_context_id"],
  [NCA_S_UNSUPPORTED_AUTHN_LEVEL, "nca_s_unsupported_authn_level"],
  [NCA_S_FAULT_ACCESS_DENIED, "ERROR_ACCESS_DENIED"],
  [NCA_S_FAULT_NDR, "RPC_X_BAD_STUB_DATA (the server could not decode the arguments)"],
  [NCA_S_FAULT_CANT_PERFORM, "RPC_S_CALL_FAILED_DNE"],
  [1726, "RPC_S_CALL_FAILED"],
  [1717, "RPC_S_UNKNOWN_IF"],
  [1745, "RPC_S_PROCNUM_OUT_OF_RANGE"],
]);

/** A status as text: `0x1C010002 nca_s_op_rng_error (no such operation)`. */
export function describeStatus(status: number): string {
  const hex = `0x${(status >>> 0).toString(16).toUpperCase().padStart(8, "0")}`;
  const name = STATUS_NAMES.get(status >>> 0);
  return name ? `${hex} ${name}` : hex;
}

/**
 * The server answered a call with a FAULT PDU: the call did not complete. `status` is the fault's
 * status, an NCA code (nca_s_op_rng_error, ...) or a Win32 error the server's code raised.
 * A server handler throws one to send that status.
 */
export class RpcFaultError extends WinipcError {
  /** The fault status (unsigned 32-bit). */
  readonly status: number;

  /** A fault with `status`; the message names it. */
  constructor(status: number, message?: string, options?: ErrorOptions) {
    super(message ?? `RPC fault ${describeStatus(status)}`, options);
    this.status = status >>> 0;
  }
}

/**
 * The server refused the bind (BIND_NAK, with its reason) or one of the interfaces asked for
 * (the presentation context's result and reason).
 */
export class RpcBindError extends WinipcError {
  /** The BIND_NAK's provider_reject_reason, or the context's reason. */
  readonly reason: number;

  /** A refusal for `reason`, described by `message`. */
  constructor(message: string, reason: number, options?: ErrorOptions) {
    super(message, options);
    this.reason = reason;
  }
}
