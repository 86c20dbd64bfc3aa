/**
 * winipc: Windows inter-process communication for Deno and Bun through the system DLLs.
 *
 * The root module holds what every mechanism shares: {@link connect} and {@link listen} (one
 * address syntax for all mechanisms), the channel types, and the errors. Each mechanism's full
 * native face is a subpath: `@winipc/winipc/pipe`, `/mailslot`, `/shm`, `/dll`, `/socket`,
 * `/window`, `/clipboard`, `/serial`, `/process`, `/dde`, `/sync`, `/framing`.
 *
 * ```ts
 * import { listen } from "@winipc/winipc";
 * await using server = await listen("pipe:orders");
 * for await (const channel of server) {
 *   for await (const message of channel) await channel.send(message); // echo
 * }
 * ```
 * @module
 */
export { connect, listen } from "./src/schemes.ts";
export type { Channel, ChannelOptions, Listener, ReceiveChannel, SendChannel } from "./src/core/channel.ts";
export { type Address, parseAddress } from "./src/core/address.ts";
export {
  AddressError,
  AddressInUseError,
  ChannelClosedError,
  FfiLoadError,
  MessageTooLargeError,
  NotFoundError,
  ProtocolError,
  TimeoutError,
  type WaitOptions,
  WinipcError,
} from "./src/core/errors.ts";
export { Win32Error, WsaError } from "./src/ffi/error.ts";
