/**
 * winipc: Windows inter-process communication for Deno and Bun through the system DLLs.
 *
 * ```ts
 * import { connect, listen } from "@winipc/winipc";
 * await using server = await listen("pipe:orders");
 * for await (const channel of server) {
 *   for await (const message of channel) await channel.send(message); // echo
 * }
 * ```
 * @module
 */
export * from "./src/channels/channel.ts";
export { type Address, parseAddress } from "./src/channels/address.ts";
export { connect, listen, type Mechanism, registerMechanism } from "./src/channels/registry.ts";
export { encodeFrame, FrameDecoder } from "./src/channels/framing.ts";
export {
  connectNamedPipe,
  DEFAULT_CONNECT_TIMEOUT,
  NamedPipeChannel,
  type NamedPipeConnectOptions,
  NamedPipeServer,
  type NamedPipeServerOptions,
  type PipeMode,
  pipePath,
} from "./src/channels/named_pipe.ts";
export { Win32Error } from "./src/ffi/error.ts";
export { FfiLoadError, runtimeName } from "./src/ffi/runtime.ts";
export {
  allocationGranularity,
  RegionBase,
  SharedMemory,
  type SharedMemoryOpenOptions,
  type SharedMemoryOptions,
  type SharedRegion,
  SharedView,
} from "./src/channels/shared_memory.ts";
export {
  connectDll,
  connectShm,
  DEFAULT_SHM_CAPACITY,
  ShmChannel,
  type ShmChannelOptions,
  type ShmConnectOptions,
  ShmServer,
  type ShmServerOptions,
} from "./src/channels/shm_channel.ts";
export { DllSharedMemory, sharedDllPath } from "./src/channels/dll_shared.ts";
export { buildSharedSectionDll } from "./src/channels/pe_image.ts";
export {
  type EventOptions,
  KernelEvent,
  kernelObjectName,
  type KernelObjectOptions,
  Mutex,
  type MutexAcquired,
  Semaphore,
  type SemaphoreOptions,
  type Waitable,
  waitForAny,
} from "./src/sync.ts";
export { ReceiveOnlyChannel, SendOnlyChannel } from "./src/channels/one_way.ts";
export {
  DEFAULT_MAILSLOT_MESSAGE_SIZE,
  MAILSLOT_BROADCAST_LIMIT,
  MailslotClient,
  type MailslotClientOptions,
  type MailslotInfo,
  mailslotPath,
  MailslotServer,
  type MailslotServerOptions,
} from "./src/channels/mailslot.ts";
export {
  adoptHandle,
  ChildProcess,
  createPipe,
  duplicateHandleTo,
  PipeReader,
  PipeWriter,
  quoteWindowsArg,
  spawn,
  type SpawnOptions,
  type StdioOption,
  waitForChild,
} from "./src/channels/child_process.ts";
export { type Closer, OwnedHandle } from "./src/ffi/handle.ts";
export type { Signalled } from "./src/ffi/async.ts";
export {
  AF_INET,
  AF_INET6,
  AF_UNIX,
  connectTcp,
  connectTcpStream,
  connectUnix,
  MAX_UDP_PAYLOAD,
  resolve,
  type SocketAddress,
  SocketChannel,
  SocketServer,
  type SocketServerOptions,
  SocketStream,
  splitHostPort,
  type StreamConnectOptions,
  UdpSocket,
  WsaError,
} from "./src/channels/socket.ts";
export {
  postWindowMessage,
  registerWindowMessage,
  WindowHost,
  type WindowHostOptions,
} from "./src/channels/window_host.ts";
export {
  connectCopyData,
  COPYDATA_PIECE_SIZE,
  CopyDataChannel,
  type CopyDataOptions,
  CopyDataServer,
  DEFAULT_COPYDATA_SEND_TIMEOUT,
  findCopyDataServer,
} from "./src/channels/copydata.ts";
export {
  CF_HDROP,
  CF_UNICODETEXT,
  Clipboard,
  ClipboardBusyError,
  type ClipboardOptions,
  decodeDropFiles,
  decodeHtmlFormat,
  encodeHtmlFormat,
  MAX_CLIPBOARD_READ,
} from "./src/channels/clipboard.ts";
export {
  CLIPBOARD_ACK_TIMEOUT,
  ClipboardChannel,
  ClipboardChannelServer,
  connectClipboard,
} from "./src/channels/clipboard_channel.ts";
export {
  type FlowControl,
  listPorts,
  type ModemStatus,
  ParallelPort,
  type Parity,
  SerialChannel,
  SerialEvent,
  type SerialOptions,
  serialPath,
  SerialPort,
  type SerialStatus,
  validateSerialOptions,
} from "./src/channels/serial.ts";
export { CheckedFrameDecoder, encodeCheckedFrame } from "./src/channels/checked_framing.ts";
export { crc32 } from "./src/channels/crc32.ts";
