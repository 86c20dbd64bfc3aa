/**
 * The clipboard ({@link Clipboard}): text, HTML, file lists, registered formats, change
 * notifications, and a (slow, acknowledged) toy channel over it (`clipboard:NAME`).
 *
 * ```ts
 * import { Clipboard } from "@winipc/winipc/clipboard";
 *
 * await using clipboard = await Clipboard.open();
 * await clipboard.writeText("hello");
 * ```
 * @module
 */
export {
  CF_HDROP,
  CF_UNICODETEXT,
  Clipboard,
  ClipboardBusyError,
  type ClipboardFormatInfo,
  type ClipboardOptions,
  MAX_CLIPBOARD_READ,
} from "./clipboard.ts";
export { decodeDropFiles, decodeHtmlFormat, encodeHtmlFormat } from "./formats.ts";
export { standardFormatName } from "./format_names.ts";
export {
  CLIPBOARD_ACK_TIMEOUT,
  CLIPBOARD_MAX_MESSAGE_SIZE,
  ClipboardChannel,
  ClipboardChannelServer,
  connectClipboard,
} from "./clipboard_channel.ts";
export type { Channel, ChannelOptions, Listener, ReceiveChannel, SendChannel } from "../../core/channel.ts";
export type { TimeoutError, WaitOptions, WinipcError } from "../../core/errors.ts";
