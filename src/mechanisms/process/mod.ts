/**
 * Child processes with anonymous pipes, and handle passing: spawn a program with piped stdio,
 * create pipes, duplicate handles into another process.
 * @module
 */
export {
  adoptHandle,
  ChildProcess,
  createPipe,
  duplicateHandleTo,
  PipeReader,
  PipeWriter,
  quoteWindowsArg,
  spawn,
  type SpawnOptions,
  type StdioOption,
  waitForChild,
} from "./child_process.ts";
export { ReceiveOnlyChannel, SendOnlyChannel } from "../../core/one_way.ts";
export { type Closer, OwnedHandle } from "../../ffi/handle.ts";
