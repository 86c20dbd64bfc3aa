/**
 * DCE/RPC (MS-RPCE) spoken in TypeScript: connection-oriented PDUs and NDR 2.0 over named pipes
 * (ncacn_np) and TCP (ncacn_ip_tcp), wire-compatible with Windows' rpcrt4. Declare an interface
 * once ({@link defineInterface}, with NDR types such as {@link u32}, {@link wstring},
 * {@link uniquePtr}, {@link struct}); call servers with {@link connectRpc} (Windows services too:
 * {@link svcctl}, {@link epmapper}) and serve clients, rpcrt4's included, with {@link RpcServer}.
 *
 * ```ts
 * import { connectRpc, svcctl } from "@winipc/winipc/rpc";
 *
 * await using client = await connectRpc("ncacn_np:[\\pipe\\svcctl]", { interfaces: [svcctl] });
 * const { handle, status } = await client.proxy(svcctl).OpenSCManagerW({ machine: null, database: null, access: 1 });
 * ```
 * @module
 */
export {
  formatBinding,
  parseBinding,
  type PipeBinding,
  type RpcBinding,
  type TcpBinding,
} from "./binding.ts";
export { type RpcCallOptions, RpcClient, type RpcClientOptions, type RpcProxy } from "./client.ts";
export { connectRpc, type RpcTransport } from "./transport.ts";
export { resolveEndpoint, type ResolveOptions } from "./endpoint_mapper.ts";
export { byteArray } from "./ndr_bytes.ts";
export { type Discriminant, encapsulatedUnion, union, type UnionArms, type UnionValue } from "./ndr_union.ts";
export { connectRpcChannel, RpcChannelListener } from "./rpc_channel.ts";
export type { InboxChannel } from "../../core/inbox_channel.ts";
export type { Channel, ChannelOptions, Listener, ReceiveChannel, SendChannel } from "../../core/channel.ts";
export { ContextHandles, NULL_CONTEXT_HANDLE } from "./context_handles.ts";
export {
  type ArgsOf,
  defineInterface,
  type InterfaceSpec,
  type Operation,
  type OperationMap,
  type OperationSpec,
  type Param,
  type ResultOf,
  type RpcInterface,
  type RpcOperation,
} from "./interface.ts";
export {
  bool,
  char,
  conformantArray,
  type ConformantTail,
  conformantVaryingArray,
  type ContextHandle,
  contextHandle,
  cstring,
  decode,
  type DecodeOptions,
  encode,
  enum16,
  enum32,
  f32,
  f64,
  fixedArray,
  fullPtr,
  type FullReferent,
  i16,
  i32,
  i64,
  i8,
  type NdrContext,
  type NdrMember,
  NdrReader,
  type NdrType,
  NdrWriter,
  NIL_UUID,
  params,
  refPtr,
  struct,
  type StructValue,
  u16,
  u32,
  u64,
  u8,
  uniquePtr,
  uuid,
  type ValueOf,
  varyingArray,
  wchar,
  wstring,
} from "./ndr.ts";
export { NDR_SYNTAX, type SyntaxId } from "./pdu.ts";
export { describeStatus, RpcBindError, RpcFaultError } from "./rpc_errors.ts";
export { type RpcEndpoint, type RpcListenOptions, RpcServer } from "./server.ts";
export { RpcDispatcher, type RpcImplementation, type RpcServerOptions } from "./dispatcher.ts";
export type { RpcCall } from "./server_connection.ts";
export { decodeTower, encodeTower, type Tower } from "./tower.ts";
export {
  type EnumeratedService,
  ERROR_MORE_DATA,
  parseEnumServiceStatus,
  parseServiceStatusProcess,
  SC_MANAGER_READ,
  SERVICE_QUERY_STATUS,
  SERVICE_STATE_ALL,
  SERVICE_WIN32,
  type ServiceStatus,
  svcctl,
  SVCCTL_OPERATIONS,
  type SvcctlOperations,
} from "./interfaces/svcctl.ts";
export {
  annotation,
  epmapper,
  EPMAPPER_OPERATIONS,
  type EpmapperOperations,
  EPT_S_NOT_REGISTERED,
  type EptEntry,
  eptEntry,
  towerValue,
  type Twr,
  twr,
} from "./interfaces/epmapper.ts";
export type {
  AddressError,
  AddressInUseError,
  ChannelClosedError,
  MessageTooLargeError,
  NotFoundError,
  ProtocolError,
  TimeoutError,
  WaitOptions,
  WinipcError,
} from "../../core/errors.ts";
