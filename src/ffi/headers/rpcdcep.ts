/**
 * rpcdcep.h: the RPC runtime's message and interface structs, as a MIDL-generated client stub
 * lays them out for I_RpcGetBuffer / I_RpcSendReceive (rpcrt4.ts). Offsets checked against
 * mingw-w64's and Wine's rpcdcep.h (x64: RPC_MESSAGE 80 bytes, RPC_CLIENT_INTERFACE 96).
 * @module
 */
import { bytes, struct } from "../struct.ts";

/** RPC_VERSION: an interface's or a transfer syntax's major and minor version. */
export const RPC_VERSION = struct({ MajorVersion: "u16", MinorVersion: "u16" });

/** RPC_SYNTAX_IDENTIFIER: an interface or transfer syntax, a GUID and its version (20 bytes). */
export const RPC_SYNTAX_IDENTIFIER = struct({ SyntaxGUID: bytes(16, 4), SyntaxVersion: RPC_VERSION });

/**
 * RPC_CLIENT_INTERFACE: what a client stub tells the runtime about its interface. `Length` is the
 * struct's own size; a stub-less client leaves the dispatch table, endpoints and interpreter
 * info NULL.
 */
export const RPC_CLIENT_INTERFACE = struct({
  Length: "u32",
  InterfaceId: RPC_SYNTAX_IDENTIFIER,
  TransferSyntax: RPC_SYNTAX_IDENTIFIER,
  DispatchTable: "ptr",
  RpcProtseqEndpointCount: "u32",
  RpcProtseqEndpoint: "ptr",
  Reserved: "ptr",
  InterpreterInfo: "ptr",
  Flags: "u32",
});

/**
 * RPC_SERVER_INTERFACE: what a server stub tells the runtime about its interface; the same x64
 * layout as RPC_CLIENT_INTERFACE (96 bytes), with the default manager EPV in place of Reserved.
 * For RpcEpRegisterW alone only InterfaceId and TransferSyntax matter (the rest may stay 0).
 */
export const RPC_SERVER_INTERFACE = struct({
  Length: "u32",
  InterfaceId: RPC_SYNTAX_IDENTIFIER,
  TransferSyntax: RPC_SYNTAX_IDENTIFIER,
  DispatchTable: "ptr",
  RpcProtseqEndpointCount: "u32",
  RpcProtseqEndpoint: "ptr",
  DefaultManagerEpv: "ptr",
  InterpreterInfo: "ptr",
  Flags: "u32",
});

/**
 * RPC_MESSAGE: one call's stub data and routing. The client sets Handle (the binding),
 * DataRepresentation, BufferLength, ProcNum (the opnum) and RpcInterfaceInformation (an
 * RPC_CLIENT_INTERFACE); I_RpcGetBuffer fills Buffer and ReservedForRuntime (the connection);
 * I_RpcSendReceive replaces Buffer and BufferLength with the response's stub data.
 */
export const RPC_MESSAGE = struct({
  Handle: "ptr",
  DataRepresentation: "u32",
  Buffer: "ptr",
  BufferLength: "u32",
  ProcNum: "u32",
  TransferSyntax: "ptr",
  RpcInterfaceInformation: "ptr",
  ReservedForRuntime: "ptr",
  ManagerEpv: "ptr",
  ImportContext: "ptr",
  RpcFlags: "u32",
});

/** NDR_LOCAL_DATA_REPRESENTATION (rpcndr.h): little-endian integers, ASCII, IEEE floats. */
export const NDR_LOCAL_DATA_REPRESENTATION = 0x10;

/** The NDR 2.0 transfer syntax: 8a885d04-1ceb-11c9-9fe8-08002b104860, version 2.0. */
export const NDR_TRANSFER_SYNTAX = "8a885d04-1ceb-11c9-9fe8-08002b104860";

/** RPC_S_OK: an RPC_STATUS of success. */
export const RPC_S_OK = 0;

/** RPC_C_PROTSEQ_MAX_REQS_DEFAULT (rpcdce.h): the MaxCalls of RpcServerUseProtseq* by default. */
export const RPC_C_PROTSEQ_MAX_REQS_DEFAULT = 10;
