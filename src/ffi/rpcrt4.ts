/**
 * rpcrt4.dll: the system's DCE/RPC client runtime, driven without generated stubs (the stub data
 * is made by the caller): a binding from a string binding, then per call I_RpcGetBuffer,
 * I_RpcSendReceive and I_RpcFreeBuffer on an RPC_MESSAGE in native memory (headers/rpcdcep.ts).
 * Used by tests as a client no one here wrote. Also the server side's endpoint registration
 * (RpcServerUseProtseqEpW, RpcServerInqBindings, RpcEpRegisterW): an interface entered in the
 * endpoint mapper by the system's own runtime.
 * @module
 */
import { backend } from "./runtime.ts";
import type { Library, SymbolTable } from "./types.ts";

export const rpcrt4Symbols = {
  RpcBindingFromStringBindingW: {
    args: [
      "buf", // RPC_WSTR StringBinding (`\` escapes: "ncacn_np:[\\pipe\\NAME]", "ncacn_ip_tcp:HOST[PORT]")
      "buf", // RPC_BINDING_HANDLE *Binding (out)
    ],
    returns: "i32", // RPC_STATUS
  },
  // RPC_STATUS RpcBindingFree(RPC_BINDING_HANDLE *Binding) (sets *Binding to NULL)
  RpcBindingFree: { args: ["buf"], returns: "i32" },
  // RPC_STATUS I_RpcGetBuffer(RPC_MESSAGE *Message): allocates Buffer (BufferLength bytes) and,
  // on a client binding, connects and binds (BIND/BIND_ACK) unless ReservedForRuntime has a connection
  I_RpcGetBuffer: { args: ["ptr"], returns: "i32", blocking: true },
  // RPC_STATUS I_RpcSendReceive(RPC_MESSAGE *Message): sends the request and waits for the
  // response, which replaces Buffer/BufferLength; a FAULT's status is the result
  I_RpcSendReceive: { args: ["ptr"], returns: "i32", blocking: true },
  // RPC_STATUS I_RpcFreeBuffer(RPC_MESSAGE *Message): frees Buffer, gives the connection back
  I_RpcFreeBuffer: { args: ["ptr"], returns: "i32" },
  RpcServerUseProtseqEpW: {
    args: [
      "buf", // RPC_WSTR Protseq ("ncacn_np", "ncacn_ip_tcp", "ncalrpc")
      "u32", // unsigned int MaxCalls (RPC_C_PROTSEQ_MAX_REQS_DEFAULT)
      "buf", // RPC_WSTR Endpoint (no escapes here: "\\pipe\\NAME" in JS is \pipe\NAME)
      "ptr", // void *SecurityDescriptor (NULL: the default)
    ],
    returns: "i32", // RPC_STATUS
  },
  // RPC_STATUS RpcServerInqBindings(RPC_BINDING_VECTOR **BindingVector): one server binding per
  // endpoint this process listens on (RpcServerUseProtseq*), in a vector the runtime allocates
  RpcServerInqBindings: { args: ["buf"], returns: "i32" },
  // RPC_STATUS RpcBindingVectorFree(RPC_BINDING_VECTOR **BindingVector) (frees the bindings, sets
  // *BindingVector to NULL)
  RpcBindingVectorFree: { args: ["buf"], returns: "i32" },
  RpcEpRegisterW: {
    args: [
      "ptr", // RPC_IF_HANDLE IfSpec (an RPC_SERVER_INTERFACE: only its InterfaceId and TransferSyntax are read)
      "ptr", // RPC_BINDING_VECTOR *BindingVector (from RpcServerInqBindings)
      "ptr", // UUID_VECTOR *UuidVector (NULL: the nil object UUID)
      "buf", // RPC_WSTR Annotation (NULL for none; at most 63 characters are kept)
    ],
    returns: "i32", // RPC_STATUS
    blocking: true, // an ept_insert call to the endpoint mapper (rpcss)
  },
  RpcEpUnregister: {
    args: [
      "ptr", // RPC_IF_HANDLE IfSpec
      "ptr", // RPC_BINDING_VECTOR *BindingVector
      "ptr", // UUID_VECTOR *UuidVector (NULL: the nil object UUID)
    ],
    returns: "i32", // RPC_STATUS
    blocking: true, // an ept_delete call to the endpoint mapper
  },
} as const satisfies SymbolTable;

let lib: Library<typeof rpcrt4Symbols> | undefined;
/** rpcrt4.dll, loaded on first use. */
export function rpcrt4(): Library<typeof rpcrt4Symbols> {
  return lib ??= backend.open("rpcrt4.dll", rpcrt4Symbols);
}
