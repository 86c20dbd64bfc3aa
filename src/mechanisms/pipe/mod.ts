/**
 * Named pipes (`\\.\pipe\NAME`): a server that accepts one channel per client and a client that
 * waits while every instance is busy; message mode or length-prefixed byte mode.
 *
 * ```ts
 * import { connectNamedPipe, NamedPipeServer } from "@winipc/winipc/pipe";
 * await using server = NamedPipeServer.listen("orders");
 * await using client = await connectNamedPipe("orders");
 * ```
 * @module
 */
export {
  connectNamedPipe,
  DEFAULT_CONNECT_TIMEOUT,
  NamedPipeChannel,
  type NamedPipeConnectOptions,
  NamedPipeServer,
  type NamedPipeServerOptions,
  type PipeMode,
  pipePath,
} from "./named_pipe.ts";
