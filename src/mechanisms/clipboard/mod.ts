/**
 * The clipboard: text, HTML, file lists, registered formats, change notifications, and a (slow,
 * acknowledged) channel over it.
 * @module
 */
export {
  CF_HDROP,
  CF_UNICODETEXT,
  Clipboard,
  ClipboardBusyError,
  type ClipboardOptions,
  MAX_CLIPBOARD_READ,
} from "./clipboard.ts";
export { decodeDropFiles, decodeHtmlFormat, encodeHtmlFormat } from "./formats.ts";
export {
  CLIPBOARD_ACK_TIMEOUT,
  ClipboardChannel,
  ClipboardChannelServer,
  connectClipboard,
} from "./clipboard_channel.ts";
