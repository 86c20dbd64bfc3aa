/**
 * Mailslots (`\\.\mailslot\NAME`): one-way datagrams from any number of writers to one reader,
 * on this machine or broadcast to a domain.
 *
 * ```ts
 * import { MailslotClient, MailslotServer } from "@winipc/winipc/mailslot";
 *
 * await using inbox = MailslotServer.create("events");
 * await using outbox = MailslotClient.open("events");
 * await outbox.send(new Uint8Array([1, 2, 3]));
 * console.log(await inbox.receive({ timeout: 5_000 })); // Uint8Array [1, 2, 3]
 * ```
 * @module
 */
export {
  DEFAULT_MAILSLOT_MESSAGE_SIZE,
  MAILSLOT_BROADCAST_LIMIT,
  MailslotClient,
  type MailslotClientOptions,
  type MailslotInfo,
  mailslotPath,
  MailslotServer,
  type MailslotServerOptions,
} from "./mailslot.ts";
export { type OneWayChannel, ReceiveOnlyChannel, SendOnlyChannel } from "../../core/one_way.ts";
// The shared channel types the classes above implement (the root module exports them too).
export type { Channel, ChannelOptions, ReceiveChannel, SendChannel } from "../../core/channel.ts";
export type { WaitOptions } from "../../core/errors.ts";
