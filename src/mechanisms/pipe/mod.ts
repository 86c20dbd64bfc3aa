/**
 * Named pipes (`\\.\pipe\NAME`): a server that accepts one channel per client and a client that
 * waits while every instance is busy; message mode or length-prefixed byte mode, or raw bytes
 * (`acceptStream`, `connectNamedPipeStream`) for peers that are not winipc; and the names of the
 * pipes that exist ({@link listNamedPipes}).
 *
 * ```ts
 * import { connectNamedPipe, NamedPipeServer } from "@winipc/winipc/pipe";
 *
 * await using server = NamedPipeServer.listen("orders");
 * await using client = await connectNamedPipe("orders");
 * await using channel = await server.accept({ timeout: 5_000 });
 * await client.send(new Uint8Array([1, 2, 3]));
 * console.log(await channel.receive({ timeout: 5_000 })); // Uint8Array [1, 2, 3]
 * ```
 * @module
 */
export {
  connectNamedPipe,
  connectNamedPipeStream,
  DEFAULT_CONNECT_TIMEOUT,
  NamedPipeChannel,
  type NamedPipeChannelOptions,
  type NamedPipeConnectOptions,
  NamedPipeServer,
  type NamedPipeServerOptions,
  type PipeMode,
  pipePath,
} from "./named_pipe.ts";
export { NamedPipeStream, type NamedPipeStreamOptions } from "./named_pipe_stream.ts";
export { listNamedPipes, PipeListingUnsupportedError } from "./list_pipes.ts";
export { type Closer, OwnedHandle } from "../../ffi/handle.ts";
// The shared channel types the classes above implement (the root module exports them too).
export type { Channel, ChannelOptions, Listener, ReceiveChannel, SendChannel } from "../../core/channel.ts";
export type { WaitOptions, WinipcError } from "../../core/errors.ts";
