/**
 * The `winipc` command line parser (src/cli/args.ts): commands, flags in both forms, `--`,
 * help and version, usage errors, and milliseconds flags.
 */
import { COMMANDS, type Invocation, millisFlag, parseArgs, UsageError } from "../../src/cli/args.ts";
import { assert, fc, fcParams, test } from "../_support/harness.ts";
import { thrown } from "./_util.ts";

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

function expectParse(argv: string[], want: Invocation) {
  const got = parseArgs(argv);
  assert(
    same(got, want),
    `${JSON.stringify(argv)}: got ${JSON.stringify(got)}, want ${JSON.stringify(want)}`,
  );
}

/** The UsageError `argv` gives; its message must contain each of `mentions`. */
function expectUsage(argv: string[], ...mentions: string[]) {
  const e = thrown(() => parseArgs(argv));
  assert(e instanceof UsageError, `${JSON.stringify(argv)}: threw ${e}, not a UsageError`);
  assert(e.name === "UsageError", `name ${e.name}`);
  for (const m of mentions) {
    assert(e.message.includes(m), `${JSON.stringify(argv)}: '${e.message}' lacks '${m}'`);
  }
}

const help = (topic?: string): Invocation => ({
  command: "help",
  positionals: topic === undefined ? [] : [topic],
  flags: {},
});

test("parseArgs: each command with its positionals, and no flags", () => {
  expectParse(["cat", "pipe:x"], { command: "cat", positionals: ["pipe:x"], flags: {} });
  expectParse(["listen", "tcp:127.0.0.1:0"], {
    command: "listen",
    positionals: ["tcp:127.0.0.1:0"],
    flags: {},
  });
  expectParse(["send", "pipe:x", "hello world"], {
    command: "send",
    positionals: ["pipe:x", "hello world"],
    flags: {},
  });
  expectParse(["ls", "pipes"], { command: "ls", positionals: ["pipes"], flags: {} });
  // `-` alone and the empty string are arguments, not flags.
  expectParse(["cat", "-"], { command: "cat", positionals: ["-"], flags: {} });
  expectParse(["send", "pipe:x", ""], { command: "send", positionals: ["pipe:x", ""], flags: {} });
});

test("parseArgs: valued flags as --x=v and --x v; switches; -q; flags before, between and after", () => {
  expectParse(["cat", "--timeout=250", "pipe:x"], {
    command: "cat",
    positionals: ["pipe:x"],
    flags: { timeout: "250" },
  });
  expectParse(["cat", "pipe:x", "--timeout", "250", "--raw", "-q", "--linger=inf"], {
    command: "cat",
    positionals: ["pipe:x"],
    flags: { timeout: "250", raw: true, quiet: true, linger: "inf" },
  });
  expectParse(["send", "--raw", "pipe:x", "--quiet", "data"], {
    command: "send",
    positionals: ["pipe:x", "data"],
    flags: { raw: true, quiet: true },
  });
  expectParse(["listen", "--echo", "pipe:x"], {
    command: "listen",
    positionals: ["pipe:x"],
    flags: { echo: true },
  });
  expectParse(["ls", "--json", "windows"], {
    command: "ls",
    positionals: ["windows"],
    flags: { json: true },
  });
  // The value is taken as it is: after `=` anything (another `=`, a newline, nothing); after a
  // space the next argument, even one that starts with `-`.
  expectParse(["cat", "a", "--timeout=x=y\nz"], {
    command: "cat",
    positionals: ["a"],
    flags: { timeout: "x=y\nz" },
  });
  expectParse(["cat", "a", "--timeout="], { command: "cat", positionals: ["a"], flags: { timeout: "" } });
  expectParse(["cat", "a", "--linger", "-5"], {
    command: "cat",
    positionals: ["a"],
    flags: { linger: "-5" },
  });
  // A flag given twice: the last one counts.
  expectParse(["cat", "a", "--timeout", "1", "--timeout=2"], {
    command: "cat",
    positionals: ["a"],
    flags: { timeout: "2" },
  });
});

test("parseArgs: any mix of a command's flags (both forms) and its positionals parses to them", async () => {
  const commands = Object.keys(COMMANDS);
  const positionalArb = fc.string({ maxLength: 12 }).filter((s) => !s.startsWith("-") || s === "-");
  await fc.assert(
    fc.property(
      fc.constantFrom(...commands),
      fc.array(fc.tuple(fc.nat(), fc.string({ maxLength: 12 }), fc.boolean()), { maxLength: 6 }),
      fc.array(positionalArb, { minLength: 2, maxLength: 2 }),
      fc.array(fc.boolean(), { maxLength: 10 }),
      (command, flagPicks, positionalPool, interleave) => {
        const spec = COMMANDS[command];
        const names = Object.keys(spec.flags).filter((n) => n !== "help");
        const positionals = positionalPool.slice(0, spec.positionals.length);
        const want: Invocation = { command, positionals, flags: {} };
        const flagGroups: string[][] = [];
        for (const [pick, value, eqForm] of flagPicks) {
          const name = names[pick % names.length];
          if (spec.flags[name] === "switch") {
            flagGroups.push([`--${name}`]);
            want.flags[name] = true;
          } else {
            flagGroups.push(eqForm ? [`--${name}=${value}`] : [`--${name}`, value]);
            want.flags[name] = value;
          }
        }
        // Flags go anywhere between the positionals, which keep their order.
        const argv: string[] = [];
        const ps = [...positionals];
        for (let i = 0; flagGroups.length > 0 || ps.length > 0; i++) {
          const takeFlag = ps.length === 0 || (flagGroups.length > 0 && (interleave[i] ?? true));
          argv.push(...(takeFlag ? flagGroups.shift()! : [ps.shift()!]));
        }
        const got = parseArgs([command, ...argv]);
        assert(got.command === command, `command ${got.command}`);
        // The order of flags in the record does not matter; compare as sorted entries.
        const sorted = (r: Record<string, unknown>) => Object.entries(r).sort(([a], [b]) => a < b ? -1 : 1);
        assert(
          same(sorted(got.flags), sorted(want.flags)),
          `${JSON.stringify(argv)}: flags ${JSON.stringify(got.flags)}, want ${JSON.stringify(want.flags)}`,
        );
        assert(
          same(got.positionals, want.positionals),
          `${JSON.stringify(argv)}: positionals ${JSON.stringify(got.positionals)}`,
        );
      },
    ),
    fcParams(300),
  );
});

test("parseArgs: `--` ends the flags: what follows is positional, `--help` and `--` included", () => {
  expectParse(["send", "pipe:x", "--", "--raw"], {
    command: "send",
    positionals: ["pipe:x", "--raw"],
    flags: {},
  });
  expectParse(["send", "--", "pipe:x", "-h"], { command: "send", positionals: ["pipe:x", "-h"], flags: {} });
  expectParse(["send", "--raw", "--", "-x", "--"], {
    command: "send",
    positionals: ["-x", "--"],
    flags: { raw: true },
  });
  expectParse(["cat", "--", "--help"], { command: "cat", positionals: ["--help"], flags: {} });
  expectParse(["cat", "--", "--timeout=5"], { command: "cat", positionals: ["--timeout=5"], flags: {} });
  // A valued flag right before `--` takes it as its value (it is the next argument).
  expectParse(["cat", "a", "--timeout", "--"], {
    command: "cat",
    positionals: ["a"],
    flags: { timeout: "--" },
  });
});

test("parseArgs: an unknown command is a UsageError naming it and the commands", () => {
  expectUsage(["bogus"], "'bogus'", "cat", "listen", "send", "ls");
  expectUsage([""], "''");
  expectUsage(["CAT", "pipe:x"], "'CAT'");
  // Names on Object.prototype are not commands.
  for (const name of ["toString", "constructor", "__proto__", "hasOwnProperty"]) {
    expectUsage([name], `'${name}'`);
  }
  // A flag before the command is not a command either.
  expectUsage(["--raw", "cat", "pipe:x"], "'--raw'");
});

test("parseArgs: an unknown flag (or one of another command) is a UsageError naming it", () => {
  expectUsage(["cat", "pipe:x", "--bogus"], "cat", "'--bogus'");
  expectUsage(["cat", "pipe:x", "--echo"], "'--echo'"); // listen's, not cat's
  expectUsage(["send", "pipe:x", "d", "--linger", "5"], "'--linger'");
  expectUsage(["ls", "pipes", "-q"], "'-q'"); // ls has no --quiet
  expectUsage(["cat", "pipe:x", "-x"], "'-x'");
  expectUsage(["cat", "pipe:x", "-qh"], "'-qh'"); // no bundled short flags
  expectUsage(["cat", "pipe:x", "-5"], "'-5'"); // a negative number is not an argument: use `--`
  expectUsage(["cat", "pipe:x", "--RAW"], "'--RAW'");
  expectUsage(["cat", "pipe:x", "---raw"], "'---raw'");
  expectUsage(["cat", "pipe:x", "--constructor"], "'--constructor'");
  expectUsage(["cat", "pipe:x", "--=5"], "'--=5'");
});

test("parseArgs: a switch given a value, and a valued flag without one, are UsageErrors", () => {
  expectUsage(["cat", "pipe:x", "--raw=yes"], "--raw", "no value");
  expectUsage(["cat", "pipe:x", "--raw="], "--raw", "no value");
  expectUsage(["cat", "pipe:x", "--quiet=1"], "--quiet", "no value");
  expectUsage(["ls", "pipes", "--json=true"], "--json", "no value");
  expectUsage(["cat", "pipe:x", "--timeout"], "--timeout", "needs a value");
  expectUsage(["listen", "pipe:x", "--linger"], "--linger", "needs a value");
});

test("parseArgs: the wrong number of positionals is a UsageError saying what was expected", () => {
  expectUsage(["cat"], "ADDRESS", "got 0");
  expectUsage(["cat", "a", "b"], "ADDRESS", "got 2");
  expectUsage(["listen"], "ADDRESS", "got 0");
  expectUsage(["send", "pipe:x"], "ADDRESS DATA", "got 1");
  expectUsage(["send", "pipe:x", "a", "b"], "ADDRESS DATA", "got 3");
  expectUsage(["ls"], "KIND", "got 0");
  expectUsage(["ls", "pipes", "windows"], "KIND", "got 2");
  // Flags do not count as positionals.
  expectUsage(["cat", "--raw", "-q"], "got 0");
});

test("parseArgs: no arguments, `help`, `--help`/`-h` first: the tool's help or a command's", () => {
  expectParse([], help());
  expectParse(["--help"], help());
  expectParse(["-h"], help());
  expectParse(["help"], help());
  expectParse(["help", "cat"], help("cat"));
  expectParse(["--help", "send", "extra"], help("send"));
  expectParse(["-h", "bogus"], help("bogus")); // main says there is no such command
});

test("parseArgs: `--help`/`-h` anywhere after a command gives that command's help", () => {
  for (const command of Object.keys(COMMANDS)) {
    expectParse([command, "--help"], help(command));
    expectParse([command, "-h"], help(command));
  }
  // Before the positionals are counted (too few or too many) and after other flags.
  expectParse(["send", "-h"], help("send"));
  expectParse(["cat", "a", "b", "c", "--help"], help("cat"));
  expectParse(["cat", "--raw", "--timeout", "5", "-q", "a", "--help", "b"], help("cat"));
  expectParse(["listen", "--linger=9", "-h", "pipe:x"], help("listen"));
  expectParse(["ls", "--json", "--help"], help("ls"));
  // Help wins over a mistake around it: an unknown flag, or a flag whose value would be `--help`.
  expectParse(["cat", "--bogus", "--help"], help("cat"));
  expectParse(["cat", "a", "--timeout", "--help"], help("cat"));
});

/** Whether `arg` (`--name` or `-q`) is one of `command`'s switches. */
function isOwnSwitch(command: string, arg: string): boolean {
  const name = arg === "-q" ? "quiet" : arg.slice(2);
  return Object.hasOwn(COMMANDS[command].flags, name) && COMMANDS[command].flags[name] === "switch";
}

test("parseArgs: `--help` among any switches and positionals of a command gives its help", async () => {
  await fc.assert(
    fc.property(
      fc.constantFrom(...Object.keys(COMMANDS)),
      fc.array(
        fc.oneof(
          fc.string({ maxLength: 8 }).filter((s) => !s.startsWith("-")),
          fc.constantFrom("--raw", "--quiet", "-q", "--json", "--echo"),
        ),
        { maxLength: 8 },
      ),
      fc.nat(),
      fc.constantFrom("--help", "-h"),
      (command, rest, at, flag) => {
        // Only the command's own switches: an unknown flag before `--help` is an error first.
        const own = rest.filter((a) => !a.startsWith("-") || isOwnSwitch(command, a));
        const i = at % (own.length + 1);
        const argv = [command, ...own.slice(0, i), flag, ...own.slice(i)];
        const got = parseArgs(argv);
        assert(same(got, help(command)), `${JSON.stringify(argv)}: ${JSON.stringify(got)}`);
      },
    ),
    fcParams(200),
  );
});

test("parseArgs: --version and -V, first, give `version`", () => {
  expectParse(["--version"], { command: "version", positionals: [], flags: {} });
  expectParse(["-V"], { command: "version", positionals: [], flags: {} });
  expectParse(["--version", "cat"], { command: "version", positionals: [], flags: {} });
  // After a command it is that command's flag, which none has.
  expectUsage(["cat", "pipe:x", "--version"], "'--version'");
});

test("COMMANDS: every command takes --help, and each help text names the flags it takes", () => {
  for (const [name, spec] of Object.entries(COMMANDS)) {
    assert(spec.flags.help === "switch", `${name}: --help`);
    assert(spec.positionals.length > 0, `${name}: positionals`);
    if (name === "ls") continue; // its help text is filled in by main.ts from ls.ts
    assert(spec.help.startsWith(`winipc ${name} `), `${name}: help starts with its usage line`);
    for (const flag of Object.keys(spec.flags)) {
      assert(spec.help.includes(`--${flag}`), `${name}: help does not mention --${flag}`);
    }
    for (const p of spec.positionals) {
      assert(spec.help.includes(p.replace(/\?$/, "")), `${name}: help names ${p}`);
    }
  }
});

const inv = (flags: Record<string, string | true>): Invocation => ({
  command: "cat",
  positionals: ["a"],
  flags,
});

test("millisFlag: absent gives the fallback; digits (with a fraction) give the number; inf gives Infinity", () => {
  assert(millisFlag(inv({}), "timeout", 10_000) === 10_000, "fallback");
  assert(Number.isNaN(millisFlag(inv({}), "timeout", NaN)), "the fallback is returned as it is");
  assert(millisFlag(inv({ timeout: "0" }), "timeout", 5) === 0, "0");
  assert(millisFlag(inv({ timeout: "250" }), "timeout", 5) === 250, "250");
  assert(millisFlag(inv({ timeout: "007" }), "timeout", 5) === 7, "leading zeros");
  assert(millisFlag(inv({ linger: "1.5" }), "linger", 5) === 1.5, "1.5");
  assert(millisFlag(inv({ linger: "inf" }), "linger", 5) === Infinity, "inf");
  // Another flag's value is not this one's.
  assert(millisFlag(inv({ linger: "3" }), "timeout", 9) === 9, "other flag");
});

test("millisFlag: any whole number of milliseconds, as text, reads back as itself", async () => {
  await fc.assert(
    fc.property(fc.maxSafeNat(), (n) => millisFlag(inv({ timeout: String(n) }), "timeout", -1) === n),
    fcParams(200),
  );
});

test("millisFlag: anything else is a UsageError naming the flag and the value", () => {
  const bad = [
    "",
    "-1",
    "1e3",
    "abc",
    " 5",
    "5 ",
    "5ms",
    "Infinity",
    "INF",
    "NaN",
    "0x10",
    ".5",
    "5.",
    "1,5",
    "+5",
  ];
  for (const v of bad) {
    const e = thrown(() => millisFlag(inv({ timeout: v }), "timeout", 1));
    assert(e instanceof UsageError, `'${v}': ${e}`);
    assert(e.message.includes("--timeout") && e.message.includes(`'${v}'`), `'${v}': ${e.message}`);
  }
  // A switch where a value was expected (not something parseArgs makes, but the type allows it).
  assert(thrown(() => millisFlag(inv({ linger: true }), "linger", 1)) instanceof UsageError, "true");
  // Values from the command line, end to end.
  const e = thrown(() => millisFlag(parseArgs(["cat", "a", "--linger", "soon"]), "linger", 0));
  assert(e instanceof UsageError && e.message.includes("'soon'"), `${e}`);
});
