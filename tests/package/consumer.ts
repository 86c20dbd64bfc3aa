/**
 * A program written against the installed npm package, type-checked by the Linux phase with the
 * TypeScript compiler (scripts/package_checks.mjs) under both `bundler` and `nodenext` module
 * resolution, with the package's own declarations checked too (no skipLibCheck). Never run.
 */
import { type Channel, ChannelClosedError, connect, listen, type Listener, TimeoutError } from "winipc";
import { connectNamedPipe, NamedPipeServer, pipePath } from "winipc/pipe";
import { MailslotClient, MailslotServer } from "winipc/mailslot";
import { SharedMemory } from "winipc/shm";
import { SocketServer } from "winipc/socket";
import { SerialPort } from "winipc/serial";
import { Clipboard } from "winipc/clipboard";
import { spawn } from "winipc/process";
import { KernelEvent } from "winipc/sync";
import { encodeCheckedFrame } from "winipc/framing";
import { exitCodeOf, main } from "winipc/cli";

export async function usesTheApi(): Promise<number> {
  const server: Listener = await listen("pipe:consumer");
  const channel: Channel = await connect("pipe:consumer", { timeout: 1000 });
  await channel.send(new TextEncoder().encode("hello"));
  const reply: Uint8Array = await channel.receive({ timeout: 1000 });
  // @ts-expect-error: a channel carries bytes, not strings (proves the declarations are real)
  await channel.send("text");
  const pipe = NamedPipeServer.listen("consumer2", { mode: "byte" });
  const client = await connectNamedPipe("consumer2", { timeout: 1000 });
  const path: string = pipePath("consumer2");
  const inbox = MailslotServer.create("consumer");
  const outbox = MailslotClient.open("consumer");
  const tcp = SocketServer.listenTcp("127.0.0.1", 0);
  const port: number = tcp.port;
  const frame: Uint8Array = encodeCheckedFrame(reply);
  const code: number = exitCodeOf(new TimeoutError("x")) + (await main(["--version"]));
  const typed: boolean = new ChannelClosedError("x") instanceof Error;
  void [SharedMemory, SerialPort, Clipboard, spawn, KernelEvent, pipe, client, path, inbox, outbox, port, frame, typed];
  await server.close();
  return code;
}
