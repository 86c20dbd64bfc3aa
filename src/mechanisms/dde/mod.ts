/**
 * Dynamic Data Exchange: {@link DdeServer} and {@link DdeClient} speak the DDE message protocol
 * (WM_DDE_* with global atoms and memory) on a window thread, so they talk to each other and to
 * DDEML programs (Excel, Program Manager, trading and lab software): requests, pokes, executes,
 * hot links (every new value pushed) and warm links (a notice, then a request).
 *
 * ```ts
 * import { DdeClient } from "@winipc/winipc/dde";
 *
 * await using progman = await DdeClient.connect("Progman", "Progman", { timeout: 5_000 });
 * console.log(await progman.requestText("Groups"));
 * ```
 * @module
 */
export {
  DdeClient,
  type DdeConnectOptions,
  type DdeItemOptions,
  type DdeLink,
  type DdeLinkOptions,
  DdeRefusedError,
} from "./dde_client.ts";
export { DdeServer, type DdeServerOptions, type DdeTransaction, ServerConversation } from "./dde_server.ts";
export { DDE_BYTES_FORMAT_NAME, ddeBytesFormat, ddeText, type DdeValue } from "./dde_value.ts";
export { ddeHeld } from "./dde_memory.ts";
export { connectDde, DDE_CHANNEL_ITEM, DdeChannel, DdeListener } from "./dde_channel.ts";
export type { InboxChannel } from "../../core/inbox_channel.ts";
export type { Channel, ChannelOptions, Listener, ReceiveChannel, SendChannel } from "../../core/channel.ts";
export { CF_TEXT, CF_UNICODETEXT } from "./dde_format.ts";
export { Conversation } from "./dde_conversation.ts";
export type { WindowHost } from "../../kernel/window_host.ts";
export type {
  ChannelClosedError,
  NotFoundError,
  TimeoutError,
  WaitOptions,
  WinipcError,
} from "../../core/errors.ts";
