/**
 * Mailslots (`\\.\mailslot\NAME`): one-way datagrams from any number of writers to one reader,
 * on this machine or broadcast to a domain.
 *
 * ```ts
 * import { MailslotClient, MailslotServer } from "@winipc/winipc/mailslot";
 * await using inbox = MailslotServer.create("events");
 * await using outbox = MailslotClient.open("events");
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
export { ReceiveOnlyChannel, SendOnlyChannel } from "../../core/one_way.ts";
