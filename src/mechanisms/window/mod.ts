/**
 * Window messages: message-only windows pumped on their own thread ({@link WindowHost}),
 * registered and posted messages, and WM_COPYDATA channels.
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
