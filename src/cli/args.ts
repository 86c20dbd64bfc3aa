/**
 * The `winipc` command line: its commands, their flags and help texts, and a parser that turns
 * argv into a checked {@link Invocation} (pure: no I/O, so bad usage is found before anything
 * opens).
 * @module
 */

/** A command line that cannot be obeyed: unknown command or flag, missing or bad value. Exit 2. */
export class UsageError extends Error {
  /** `message` says what is wrong; the CLI adds a pointer to `--help`. */
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/** The flags a command takes: name -> whether it takes a value. */
type FlagSpec = Record<string, "value" | "switch">;

interface CommandSpec {
  /** Positional argument names; a trailing `?` marks an optional one. */
  positionals: string[];
  flags: FlagSpec;
  help: string;
}

const COMMON_HELP = `
Common flags:
  --timeout MS   connect/accept timeout in milliseconds (default 10000; 0 waits without limit)
  -q, --quiet    no status lines or progress on stderr
  -h, --help     this help`;

const ADDRESSES = `
Addresses: pipe:NAME  shm:NAME  dll:NAME  tcp:HOST:PORT  unix:PATH  copydata:NAME
           clipboard:NAME  mailslot:NAME (one-way)  serial:COM1 (also LPT1)
Options go after '?', as in the library: pipe:NAME?mode=byte, shm:NAME?size=1MiB.`;

/** Every command: its arguments, flags and help text. */
export const COMMANDS: Record<string, CommandSpec> = {
  cat: {
    positionals: ["ADDRESS"],
    flags: {
      raw: "switch",
      "receive-only": "switch",
      linger: "value",
      timeout: "value",
      quiet: "switch",
      help: "switch",
    },
    help: `winipc cat ADDRESS [--raw] [--receive-only] [--linger MS] [--timeout MS]

Connects to ADDRESS. Standard input goes to the channel; what arrives goes to standard output.
In message mode (the default) each piece of input read becomes one message (up to 64 KiB); at
the end of input an empty message tells the peer "no more data" (a winipc listen or cat at the
other end stops its output there). cat ends once both directions have: its input has ended, and
the peer has sent its own empty message (or closed: a peer that closes takes no more input, so
input is no longer read). With --raw, bytes go over the pipe, socket or serial port as they
are, with no framing, to talk to programs that are not winipc (a socket's sending side is shut
down at the end of input); the peer's side ends when it closes.
  --raw          raw byte stream (pipe:, tcp:, serial: only)
  --receive-only do not read standard input (its end is sent at once)
  --linger MS    after the end of input, stop once nothing has arrived for MS milliseconds
                 (default: wait for the peer to finish)` + COMMON_HELP + ADDRESSES,
  },
  listen: {
    positionals: ["ADDRESS"],
    flags: {
      raw: "switch",
      echo: "switch",
      "receive-only": "switch",
      linger: "value",
      timeout: "value",
      quiet: "switch",
      help: "switch",
    },
    help: `winipc listen ADDRESS [--echo] [--raw] [--receive-only] [--linger MS] [--timeout MS]

Serves ADDRESS and accepts one peer: what it sends goes to standard output, standard input goes
to it (the same rules as cat, in the other role). Prints "winipc: listening on ADDRESS" on
stderr once peers can connect. A mailslot: listen receives; serial: opens the port.
  --echo         serve every peer (concurrently, until interrupted), echoing each message back;
                 standard input is not read
  --raw          raw byte stream (pipe:, tcp:, serial: only)
  --receive-only do not read standard input (its end is sent at once)
  --linger MS    after the end of input, stop once nothing has arrived for MS milliseconds
  --timeout MS   how long to wait for the first peer (default: no limit)` + COMMON_HELP.replace(
      /\n {2}--timeout[^\n]*/,
      "",
    ) + ADDRESSES,
  },
  send: {
    positionals: ["ADDRESS", "DATA"],
    flags: { raw: "switch", timeout: "value", quiet: "switch", help: "switch" },
    help: `winipc send ADDRESS DATA [--raw] [--timeout MS]

Connects to ADDRESS, sends DATA (as UTF-8) as one message (or, with --raw, as bytes), closes.` +
      COMMON_HELP + ADDRESSES,
  },
  ls: {
    positionals: ["KIND"],
    flags: { json: "switch", help: "switch" },
    help: "", // filled in from ls.ts by main.ts
  },
};

/** The whole tool's help (`winipc --help`). */
export const MAIN_HELP =
  `winipc: Windows IPC from the command line (socat for pipes, mailslots, shared memory, ...)

Usage:
  winipc cat ADDRESS            stdin to the channel, its messages to stdout
  winipc listen ADDRESS         serve ADDRESS for one peer (--echo: every peer, echoing)
  winipc send ADDRESS DATA      send one message
  winipc ls KIND                list pipes, mailslots, windows, ports or clipboard
  winipc COMMAND --help         a command's flags
  winipc --version

Exit codes: 0 done; 1 failed; 2 bad usage or address; 3 nothing serves the address;
4 timed out; 5 address in use; 6 the peer went away before all input was sent; 130 interrupted.`;

/** A parsed, checked command line. */
export interface Invocation {
  command: string;
  positionals: string[];
  /** Switches are `true`; valued flags their text. */
  flags: Record<string, string | true>;
}

const SHORT: Record<string, string> = { q: "quiet", h: "help" };

/**
 * Parses `argv` (the arguments after the program). `--help`/`-h` anywhere, or no command, gives
 * command `help` (with the command asked about as its positional).
 * @throws {UsageError} for an unknown command or flag, a missing value, or a wrong argument count.
 */
export function parseArgs(argv: readonly string[]): Invocation {
  if (argv.length === 0 || argv[0] === "--help" || argv[0] === "-h" || argv[0] === "help") {
    return { command: "help", positionals: argv.slice(1, 2), flags: {} };
  }
  if (argv[0] === "--version" || argv[0] === "-V") return { command: "version", positionals: [], flags: {} };
  const command = argv[0];
  const spec = Object.hasOwn(COMMANDS, command) ? COMMANDS[command] : undefined;
  if (!spec) {
    throw new UsageError(`unknown command '${command}' (commands: ${Object.keys(COMMANDS).join(", ")})`);
  }
  // Asking for help wins over any mistake around it (before `--`, which ends the flags).
  const flagsEnd = argv.indexOf("--");
  const asked = argv.slice(1, flagsEnd < 0 ? undefined : flagsEnd);
  if (asked.includes("--help") || asked.includes("-h")) {
    return { command: "help", positionals: [command], flags: {} };
  }
  const positionals: string[] = [];
  const flags: Record<string, string | true> = {};
  let onlyPositionals = false;
  for (let i = 1; i < argv.length; i++) {
    const arg = argv[i];
    if (onlyPositionals || !arg.startsWith("-") || arg === "-") {
      positionals.push(arg);
      continue;
    }
    if (arg === "--") {
      onlyPositionals = true;
      continue;
    }
    const long = /^--([a-z-]+)(?:=(.*))?$/s.exec(arg);
    const short = /^-([a-zA-Z])$/.exec(arg);
    const name = long ? long[1] : short ? SHORT[short[1]] : undefined;
    if (!name || !Object.hasOwn(spec.flags, name)) {
      throw new UsageError(`${command}: unknown flag '${arg}'`);
    }
    if (name === "help") return { command: "help", positionals: [command], flags: {} };
    if (spec.flags[name] === "switch") {
      if (long?.[2] !== undefined) throw new UsageError(`${command}: --${name} takes no value`);
      flags[name] = true;
    } else {
      const value = long?.[2] ?? argv[++i];
      if (value === undefined) throw new UsageError(`${command}: --${name} needs a value`);
      flags[name] = value;
    }
  }
  const required = spec.positionals.filter((p) => !p.endsWith("?")).length;
  if (positionals.length < required || positionals.length > spec.positionals.length) {
    throw new UsageError(
      `${command}: expected ${spec.positionals.join(" ")}, got ${positionals.length} argument(s)`,
    );
  }
  return { command, positionals, flags };
}

/**
 * A flag's value as milliseconds: a non-negative number, `inf` for no limit (returns Infinity).
 * @throws {UsageError} when it is not.
 */
export function millisFlag(inv: Invocation, name: string, fallback: number): number {
  const v = inv.flags[name];
  if (v === undefined) return fallback;
  if (v === "inf") return Infinity;
  const n = typeof v === "string" && /^\d+(\.\d+)?$/.test(v) ? Number(v) : NaN;
  if (!Number.isFinite(n)) throw new UsageError(`--${name}: expected milliseconds (or inf), got '${v}'`);
  return n;
}
