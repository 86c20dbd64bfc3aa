/**
 * Child processes with anonymous pipes, and handle passing: spawn a program with piped stdio,
 * create pipes, duplicate handles into another process.
 *
 * ```ts
 * import { spawn } from "@winipc/winipc/process";
 *
 * await using child = spawn("cmd.exe", { args: ["/c", "sort"] });
 * await child.stdin!.write(new TextEncoder().encode("b\r\na\r\n"));
 * await child.stdin!.close();
 * console.log(new TextDecoder().decode(await child.stdout!.readAll({ timeout: 10_000 })));
 * ```
 * @module
 */
export {
  adoptHandle,
  ChildProcess,
  type ChildProcessParts,
  createPipe,
  type CreatePipeOptions,
  duplicateHandleTo,
  type DuplicateOptions,
  PipeReader,
  PipeWriter,
  quoteWindowsArg,
  spawn,
  type SpawnOptions,
  type StdioOption,
  waitForChild,
} from "./child_process.ts";
export { type OneWayChannel, ReceiveOnlyChannel, SendOnlyChannel } from "../../core/one_way.ts";
export { type Closer, OwnedHandle } from "../../ffi/handle.ts";
// The shared channel types the classes above implement (the root module exports them too).
export type { Channel, ChannelOptions, ReceiveChannel, SendChannel } from "../../core/channel.ts";
export type { WaitOptions } from "../../core/errors.ts";
