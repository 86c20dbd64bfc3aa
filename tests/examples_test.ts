/**
 * The examples in examples/ (one per mechanism; demo.ts has its own run in `npm test`) are what
 * users copy, so they run here as their first comment says: in this test's runtime, Deno with
 * `--allow-ffi` only, Bun as `bun FILE` (runScript, as the README's blocks run). Each runs with no
 * argument (both ends in one process), and each two-process example also as a server and a
 * client in two processes, started in that order without waiting (either may come first). Every
 * process must exit 0 and print the lines that show it did its part, and print nothing on stderr
 * (but the line Bun 1.4 prints under Wine in every process). Nothing is timed: each run only has a
 * bound, so that a hang fails instead of stalling the suite.
 */
import { readdirSync, readFileSync } from "node:fs";
import { assert, runtime, test, within } from "./_support/harness.ts";
import { type Program, runScript } from "./_support/readme_blocks.ts";

type Expected = readonly (string | RegExp)[];

/** What each example must print: the server's (or receiver's) lines and the client's. */
interface Example {
  server: Expected;
  client: Expected;
  /** Printed only with no argument (a part that runs in one process only). */
  alone?: Expected;
  /** Takes `server` / `client` (false: one process only). */
  roles: boolean;
}

const EXAMPLES: Record<string, Example> = {
  pipe: {
    server: ['server: got "hello"', 'server: got "named pipes"', "server: the client hung up"],
    client: ['client: sent "hello", got "HELLO"', 'client: sent "named pipes", got "NAMED PIPES"'],
    roles: true,
  },
  mailslot: {
    server: ['server: got "hello"', 'server: got "mailslots"', 'server: got "bye"'],
    client: [
      "client: sent 5 bytes",
      "client: 5000 bytes refused, over the server's limit",
      "client: sent 3 bytes",
    ],
    roles: true,
  },
  shm: {
    server: ['server: got "shared memory"', "server: the client hung up"],
    client: [/client: visitor number \d+/, 'client: sent "shared memory", got "SHARED MEMORY"'],
    roles: true,
  },
  dll: {
    server: ['server: got "DLL sections"', "server: the client hung up"],
    client: [/client: visitor number \d+/, 'client: sent "DLL sections", got "DLL SECTIONS"'],
    roles: true,
  },
  socket: {
    server: ['server: got "sockets"', "server: the client hung up", 'server: UDP "ping" from 127.0.0.1:'],
    client: ['client: sent "sockets", got "SOCKETS"', 'client: UDP ping answered with "pong"'],
    roles: true,
  },
  window: {
    server: ['server: got "window messages"', "server: the client hung up"],
    client: ['client: sent "window messages", got "WINDOW MESSAGES"'],
    roles: true,
  },
  clipboard: {
    server: ['server: got "clipboard"', "server: the client hung up"],
    client: ['client: sent "clipboard", got "CLIPBOARD"'],
    alone: [/text: the clipboard changed \(sequence number \d+\)/, 'text: it holds "Grüße from winipc 📋"'],
    roles: true,
  },
  serial: {
    server: ['server: got "serial ports"', "server: the client said bye"],
    client: [
      'client: sent "hello" on COM1, got "HELLO"',
      'client: sent "serial ports" on COM1, got "SERIAL PORTS"',
    ],
    roles: true,
  },
  dde: {
    server: [
      'server: "price" poked to 13.00',
      'server: executed "[tick(3)]", published 13.25, 13.50, 13.75',
      "server: the client hung up",
    ],
    client: [
      'client: requested "price", got "12.50"',
      'client: poked "price" = "13.00", the server acknowledged',
      'client: poked "price" = "cheap", the server refused',
      'client: executed "[tick(3)]"',
      'client: the hot link got "13.25"',
      'client: the hot link got "13.50"',
      'client: the hot link got "13.75"',
    ],
    roles: true,
  },
  com: {
    server: ["server: add(2), total 2", "server: add(40), total 42", "server: the client said bye"],
    client: [
      "client: add(2) = 2",
      "client: add(40) = 42",
      'client: notified "total is 42"',
      'client: "subtract" is not a member of the counter',
    ],
    roles: true,
  },
  rpc: {
    server: ["server: Add(2), total 2", "server: Add(40), total 42", "server: the client said bye"],
    client: [
      "client: Add(2) = 2",
      "client: Add(40) = 42",
      'client: Describe() = "the total is 42"',
      "client: Add(-1) faulted with status 87",
    ],
    roles: true,
  },
  process: {
    server: [],
    client: [
      /parent: started child process \d+/,
      'parent: the child wrote "HELLO"',
      'parent: the child wrote "ANONYMOUS PIPES"',
      "parent: the child exited with code 0",
    ],
    roles: false,
  },
};

/** The line Bun 1.4 prints on stderr in every process under Wine (see scripts/demo.mjs). */
const BUN_UNDER_WINE_NOISE = /^Internal error: directory mismatch for directory .*this indicates a bug\.\s*$/;

/** Waits (bounded) for a run, then checks its exit code, its stdout lines and an empty stderr. */
async function check(what: string, program: Program, expected: Expected): Promise<void> {
  const code = await within(120_000, program.exited, what);
  const { stdout, stderr } = await within(10_000, program.output, `${what}: its output`);
  const errors = stderr.split(/\r?\n/).filter((l) => l.trim() !== "" && !BUN_UNDER_WINE_NOISE.test(l));
  const report = `${what}: exit ${code}\n--- stdout\n${stdout}--- stderr\n${stderr}`;
  assert(code === 0, report);
  assert(errors.length === 0, `${report}\n(printed on stderr)`);
  for (const line of expected) {
    const found = typeof line === "string" ? stdout.includes(line) : line.test(stdout);
    assert(found, `${report}\n(no line ${line})`);
  }
}

test("examples/: every example but the demo is run here, and its first comment gives its two command lines", () => {
  const files = readdirSync("examples").filter((f) => f.endsWith(".ts") && f !== "demo.ts").sort();
  assert(
    JSON.stringify(files) === JSON.stringify(Object.keys(EXAMPLES).map((n) => `${n}.ts`).sort()),
    `examples/ holds ${files.join(", ")}; this test runs ${Object.keys(EXAMPLES).join(", ")}`,
  );
  for (const name of Object.keys(EXAMPLES)) {
    const head = /^\/\*\*[\s\S]*?\*\//.exec(readFileSync(`examples/${name}.ts`, "utf8"))?.[0] ?? "";
    // The Deno line must name --allow-ffi and no other permission: the test runs it with just that.
    const deno = [...head.matchAll(new RegExp(`deno run ((?:--[\\w-]+ )*)examples/${name}\\.ts`, "g"))];
    assert(
      deno.length > 0,
      `examples/${name}.ts: its first comment has no \`deno run ... examples/${name}.ts\``,
    );
    for (const [line, flags] of deno) assert(flags.trim() === "--allow-ffi", `examples/${name}.ts: ${line}`);
    assert(
      head.includes(`bun examples/${name}.ts`),
      `examples/${name}.ts: its first comment has no bun line`,
    );
  }
});

for (const [name, example] of Object.entries(EXAMPLES)) {
  const file = `examples/${name}.ts`;
  const roles = example.roles ? " and as a server and a client in two processes" : "";
  test(`${file} in ${runtime}: runs in one process${roles}, exits 0 and prints what it did`, async () => {
    {
      await using alone = runScript(file, { capture: true });
      await check(`${file} (no argument)`, alone, [
        ...example.alone ?? [],
        ...example.server,
        ...example.client,
      ]);
    }
    if (!example.roles) return;
    await using server = runScript(file, { args: ["server"], capture: true });
    await using client = runScript(file, { args: ["client"], capture: true });
    await check(`${file} client`, client, example.client);
    await check(`${file} server`, server, example.server);
  });
}
