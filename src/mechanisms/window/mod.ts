/**
 * Window messages: message-only windows pumped on their own thread ({@link WindowHost}),
 * registered and posted messages ({@link registerWindowMessage}, {@link postWindowMessage}), and
 * WM_COPYDATA channels ({@link CopyDataServer}, {@link connectCopyData}; `copydata:NAME`
 * addresses), and the top-level and message-only windows that exist ({@link listWindows}).
 *
 * ```ts
 * import { connectCopyData } from "@winipc/winipc/window";
 *
 * await using channel = await connectCopyData("notes");
 * await channel.send(new TextEncoder().encode("hello"));
 * ```
 * @module
 */
export {
  postWindowMessage,
  registerWindowMessage,
  WindowHost,
  type WindowHostOptions,
} from "../../kernel/window_host.ts";
export {
  connectCopyData,
  COPYDATA_PIECE_SIZE,
  CopyDataChannel,
  type CopyDataOptions,
  CopyDataServer,
  DEFAULT_COPYDATA_SEND_TIMEOUT,
  findCopyDataServer,
} from "./copydata.ts";
export { listWindows, type ListWindowsOptions, type WindowInfo } from "./list_windows.ts";
export type { Channel, ChannelOptions, Listener, ReceiveChannel, SendChannel } from "../../core/channel.ts";
export type { WaitOptions } from "../../core/errors.ts";
