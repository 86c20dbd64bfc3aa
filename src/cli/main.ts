/**
 * The `winipc` command: socat for Windows IPC. Pipes data between standard input/output and any
 * winipc address, serves an address, sends one message, lists what Windows can list.
 *
 * ```sh
 * deno run --allow-ffi jsr:@winipc/winipc/cli listen pipe:demo > received.bin
 * deno run --allow-ffi jsr:@winipc/winipc/cli cat pipe:demo < file.bin
 * bunx winipc ls pipes            # from npm
 * ```
 *
 * `winipc --help` and `winipc COMMAND --help` say the rest; the exit codes are in
 * {@link EXIT_CODES}.
 * @module
 */
import process from "node:process";
import {
  AddressError,
  AddressInUseError,
  ChannelClosedError,
  NotFoundError,
  TimeoutError,
  type WaitOptions,
} from "../core/errors.ts";
import { COMMANDS, type Invocation, MAIN_HELP, millisFlag, parseArgs, UsageError } from "./args.ts";
import { type Endpoint, openClient, openServer } from "./endpoint.ts";
import { type StdStreams, transfer } from "./transfer.ts";
import { ls, LS_HELP } from "./ls.ts";

/** The version printed by `winipc --version`. */
export const VERSION = "0.1.0";

/** What each exit code means (also in `winipc --help`). */
export const EXIT_CODES = {
  /** Done: every direction ended normally. */
  ok: 0,
  /** Failed for a reason without a code of its own (the message says which). */
  failed: 1,
  /** Bad usage: unknown command or flag, a bad address or value. */
  usage: 2,
  /** Nothing serves the address (or no such port). */
  notFound: 3,
  /** A connect, accept or receive ran past its timeout. */
  timeout: 4,
  /** Another server already serves the address, or the port is open elsewhere. */
  addressInUse: 5,
  /** The peer went away before all input was sent. */
  peerGone: 6,
  /** Interrupted (Ctrl+C). */
  interrupted: 130,
} as const;

/** The exit code for an error that ended a command. */
export function exitCodeOf(error: unknown): number {
  if (error instanceof UsageError || error instanceof AddressError) return EXIT_CODES.usage;
  if (error instanceof RangeError) return EXIT_CODES.usage; // a value out of range (settings, sizes)
  if (error instanceof NotFoundError) return EXIT_CODES.notFound;
  if (error instanceof TimeoutError) return EXIT_CODES.timeout;
  if (error instanceof AddressInUseError) return EXIT_CODES.addressInUse;
  if (error instanceof ChannelClosedError) return EXIT_CODES.peerGone;
  return EXIT_CODES.failed;
}

/** The process's standard streams, through node:process (both runtimes have it). */
function processStreams(quiet: boolean): StdStreams {
  const terminal = !quiet && process.stderr.isTTY === true;
  return {
    input: () => process.stdin as AsyncIterable<Uint8Array>,
    output: (bytes) =>
      new Promise<void>((resolve, reject) => {
        process.stdout.write(bytes, (e?: Error | null) => (e ? reject(e) : resolve()));
      }),
    status: terminal
      ? (line) => process.stderr.write(line === null ? "\r\x1b[K" : `\r${line}\x1b[K`)
      : undefined,
  };
}

function say(inv: Invocation, line: string) {
  if (!inv.flags.quiet) process.stderr.write(`winipc: ${line}\n`);
}

/** A timeout flag as wait options: 0 or `inf` is no limit. */
function waitFor(inv: Invocation, fallback: number): WaitOptions {
  const ms = millisFlag(inv, "timeout", fallback);
  return ms === 0 || ms === Infinity ? {} : { timeout: ms };
}

async function cat(inv: Invocation): Promise<number> {
  const raw = inv.flags.raw === true;
  await using ep = await openClient(inv.positionals[0], { raw, ...waitFor(inv, 10_000) });
  await transfer(ep, processStreams(inv.flags.quiet === true), {
    linger: millisFlag(inv, "linger", Infinity),
    readInput: inv.flags["receive-only"] !== true,
  });
  return EXIT_CODES.ok;
}

/** Echoes everything a peer sends (empty messages too) until it closes. */
async function echo(ep: Endpoint): Promise<void> {
  try {
    while (true) {
      const m = await ep.receive!({});
      if (m === null) return;
      await ep.send!(m);
    }
  } catch (e) {
    if (!(e instanceof ChannelClosedError)) throw e;
  } finally {
    await ep.close();
  }
}

async function listenCommand(inv: Invocation): Promise<number> {
  const raw = inv.flags.raw === true;
  await using server = await openServer(inv.positionals[0], { raw });
  say(inv, `listening on ${server.address}`);
  if (inv.flags.echo) {
    while (true) {
      const ep = await server.accept({});
      if (!ep.send || !ep.receive) throw new UsageError(`listen --echo: ${server.address} is one-way`);
      echo(ep).catch((e) => say(inv, `a peer failed: ${e instanceof Error ? e.message : e}`));
    }
  }
  await using ep = await server.accept(waitFor(inv, 0));
  await transfer(ep, processStreams(inv.flags.quiet === true), {
    linger: millisFlag(inv, "linger", Infinity),
    readInput: inv.flags["receive-only"] !== true,
  });
  return EXIT_CODES.ok;
}

async function send(inv: Invocation): Promise<number> {
  const [address, data] = inv.positionals;
  await using ep = await openClient(address, { raw: inv.flags.raw === true, ...waitFor(inv, 10_000) });
  if (!ep.send) throw new UsageError(`send: ${address} cannot be sent to`);
  await ep.send(new TextEncoder().encode(data));
  return EXIT_CODES.ok;
}

function help(topic: string | undefined): string {
  if (topic === undefined) return MAIN_HELP;
  if (topic === "ls") return LS_HELP;
  if (!Object.hasOwn(COMMANDS, topic)) throw new UsageError(`no help for '${topic}': not a command`);
  return COMMANDS[topic].help;
}

/**
 * Runs one command line (the arguments after the program name) and returns its exit code;
 * errors are reported on stderr, never thrown.
 */
export async function main(argv: readonly string[]): Promise<number> {
  let inv: Invocation | undefined;
  try {
    inv = parseArgs(argv);
    switch (inv.command) {
      case "help":
        process.stdout.write(help(inv.positionals[0]) + "\n");
        return EXIT_CODES.ok;
      case "version":
        process.stdout.write(`winipc ${VERSION}\n`);
        return EXIT_CODES.ok;
      case "cat":
        return await cat(inv);
      case "listen":
        return await listenCommand(inv);
      case "send":
        return await send(inv);
      case "ls":
        return await ls(inv.positionals[0], { json: inv.flags.json === true }, (line) => {
          process.stdout.write(line + "\n");
        });
    }
    throw new UsageError(`unknown command '${inv.command}'`);
  } catch (e) {
    const code = exitCodeOf(e);
    const text = e instanceof Error ? `${e.message}` : String(e);
    const hint = e instanceof UsageError
      ? ` (see: winipc ${inv?.command ?? ""} --help)`.replace("  ", " ")
      : "";
    process.stderr.write(`winipc: ${text}${hint}\n`);
    return code;
  }
}

if (import.meta.main) {
  process.on("SIGINT", () => process.exit(EXIT_CODES.interrupted));
  const code = await main(process.argv.slice(2));
  // Flush standard output before leaving: exit() does not wait for a pipe's pending writes.
  await new Promise<void>((resolve) => process.stdout.write("", () => resolve()));
  process.exit(code);
}
