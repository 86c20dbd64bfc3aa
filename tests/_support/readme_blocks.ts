/**
 * The README's fenced code blocks, and running them as programs (for tests/readme_test.ts; the
 * examples/ scripts run the same way in tests/examples_test.ts).
 *
 * A block may be marked by an HTML comment on the last non-blank line before its fence (it
 * renders as nothing): `<!-- readme-test: NAME -->`. The tests give NAME its role (`echo-server`,
 * `echo-client`, `bun-tsconfig` here; `deno-links` in scripts/readme_checks.mjs); `not-run` means
 * type-checked only; an unmarked TypeScript block must run on its own and exit 0.
 * @module
 */
import process from "node:process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { nodeExit, runtime, spawnNode } from "./harness.ts";

// deno-lint-ignore no-explicit-any
const g = globalThis as any;

/** One fenced code block. */
export interface ReadmeBlock {
  /** The fence's language: `ts`, `json`, `sh`, or "" for none. */
  lang: string;
  /** The fence's line number (1-based), for messages. */
  line: number;
  /** NAME of a `<!-- readme-test: NAME -->` comment on the line before the fence. */
  marker?: string;
  /** The block's text. */
  code: string;
}

const MARKER = /^<!--\s*readme-test:\s*([\w-]+)\s*-->$/;

/** Every fenced code block of `markdown`, in order. */
export function readmeBlocks(markdown: string): ReadmeBlock[] {
  const lines = markdown.split(/\r?\n/);
  const blocks: ReadmeBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(\w*)\s*$/.exec(lines[i]);
    if (!open) continue;
    const end = lines.findIndex((l, j) => j > i && /^```\s*$/.test(l));
    if (end < 0) throw new Error(`README.md:${i + 1}: a code block is never closed`);
    let before = i - 1; // the marker's line; deno fmt puts a blank line between it and the fence
    while (before >= 0 && lines[before].trim() === "") before--;
    const marker = MARKER.exec(lines[before]?.trim() ?? "")?.[1];
    blocks.push({ lang: open[1], line: i + 1, marker, code: lines.slice(i + 1, end).join("\n") + "\n" });
    i = end;
  }
  return blocks;
}

/**
 * Where the blocks are written as files: inside the repository, so that Deno finds its deno.json.
 * An absolute path: Bun 1.4 under Wine fails with ENOENT to write a file by a relative path into a
 * directory it has just made (by an absolute path it works).
 */
export const BLOCK_DIR = resolve(`test-results/readme-${runtime}`);

/**
 * Writes every TypeScript block of README.md to {@link BLOCK_DIR} (as NAME.ts, or line-N.ts when
 * unmarked), with each `replace` key in its text replaced by its value, and for Bun a
 * tsconfig.json whose "paths" are the README's own from-a-checkout map (`bun-tsconfig`) with
 * `./winipc/` pointing at this repository. Returns the blocks (as written) with their files.
 */
export function writeReadmeBlocks(replace: Record<string, string> = {}): (ReadmeBlock & { file: string })[] {
  const blocks = readmeBlocks(readFileSync("README.md", "utf8"));
  mkdirSync(BLOCK_DIR, { recursive: true });
  const tsconfig = blocks.find((b) => b.marker === "bun-tsconfig");
  if (!tsconfig) throw new Error("README.md has no block marked bun-tsconfig");
  const mapped = tsconfig.code.replaceAll('"./winipc/', '"../../');
  writeFileSync(join(BLOCK_DIR, "tsconfig.json"), mapped);
  // Node: the same map, as a resolution hook the blocks are run with (node --import).
  writeFileSync(join(BLOCK_DIR, NODE_PATHS_HOOK), nodePathsHook(JSON.parse(mapped).compilerOptions.paths));
  return blocks.filter((b) => b.lang === "ts").map((b) => {
    const file = join(BLOCK_DIR, `${b.marker ?? `line-${b.line}`}.ts`);
    const code = Object.entries(replace).reduce((c, [from, to]) => c.replaceAll(from, to), b.code);
    writeFileSync(file, code);
    return { ...b, code, file };
  });
}

/** The file of the Node resolution hook that maps the README's names to this repository. */
const NODE_PATHS_HOOK = "paths_hook.mjs";

/** A module that maps tsconfig-style `paths` (relative to {@link BLOCK_DIR}) for Node's resolver. */
function nodePathsHook(paths: Record<string, string[]>): string {
  return `import { registerHooks } from "node:module";
const paths = ${JSON.stringify(paths)};
const base = new URL("./", import.meta.url);
registerHooks({
  resolve(specifier, context, next) {
    for (const [key, [target]] of Object.entries(paths)) {
      const wild = key.endsWith("/*") && specifier.startsWith(key.slice(0, -1));
      if (specifier === key || wild) {
        const to = wild ? target.replace("*", specifier.slice(key.length - 1)) : target;
        return next(new URL(to, base).href, context);
      }
    }
    return next(specifier, context);
  },
});
`;
}

/** A running program: its exit code, and its output if it was captured. */
export interface Program extends AsyncDisposable {
  readonly exited: Promise<number>;
  /** stdout and stderr (empty unless started with `capture`). */
  readonly output: Promise<{ stdout: string; stderr: string }>;
  kill(): void;
}

/** A started program, before the clean-up is attached. */
type Started = Pick<Program, "exited" | "output" | "kill">;

const decode = (b?: Uint8Array) => new TextDecoder().decode(b ?? new Uint8Array());

/** `deno run --allow-ffi FILE ARGS...`: the README's command line. */
function startDeno(file: string, args: readonly string[], capture: boolean): Started {
  const io = capture ? "piped" : "inherit";
  const child = new g.Deno.Command(g.Deno.execPath(), {
    args: ["run", "--allow-ffi", "--no-check", file, ...args],
    stdin: "null",
    stdout: io,
    stderr: io,
  }).spawn();
  const done = capture ? child.output() : child.status;
  return {
    exited: done.then((s: { code: number }) => s.code),
    output: done.then((o: { stdout?: Uint8Array; stderr?: Uint8Array }) => ({
      stdout: capture ? decode(o.stdout) : "",
      stderr: capture ? decode(o.stderr) : "",
    })),
    kill: () => {
      try {
        child.kill("SIGKILL");
      } catch { /* already gone */ }
    },
  };
}

/** `bun FILE ARGS...`. */
function startBun(file: string, args: readonly string[], capture: boolean): Started {
  const io = capture ? "pipe" : "inherit";
  const child = g.Bun.spawn([process.execPath, file, ...args], { stdin: "ignore", stdout: io, stderr: io });
  const text = (s: ReadableStream) => capture ? new Response(s).text() : Promise.resolve("");
  return {
    exited: child.exited,
    output: Promise.all([text(child.stdout), text(child.stderr)]).then(([stdout, stderr]) => ({
      stdout,
      stderr,
    })),
    kill: () => child.kill(9),
  };
}

/** `node FILE ARGS...`. */
function startNode(file: string, args: readonly string[], capture: boolean): Started {
  // A README block imports the README's names: mapped by the hook written beside it.
  const hook = join(BLOCK_DIR, NODE_PATHS_HOOK);
  const imports = file.startsWith(BLOCK_DIR) && existsSync(hook)
    ? ["--import", pathToFileURL(hook).href]
    : [];
  const child = spawnNode(process.execPath, [...imports, file, ...args], {
    stdio: ["ignore", capture ? "pipe" : "inherit", capture ? "pipe" : "inherit"],
  });
  const text = (s: NodeJS.ReadableStream | null) =>
    new Promise<string>((resolve) => {
      if (!s) return resolve("");
      let t = "";
      s.on("data", (c: Uint8Array) => t += decode(c));
      s.on("end", () => resolve(t));
      s.on("error", () => resolve(t));
    });
  const output = Promise.all([text(child.stdout), text(child.stderr)]);
  return {
    exited: nodeExit(child),
    output: output.then(([stdout, stderr]) => ({ stdout, stderr })),
    kill: () => child.kill("SIGKILL"),
  };
}

/**
 * Runs a script file as a user would, in this test's runtime: Deno with `--allow-ffi` only (the
 * README's command line), Bun as `bun FILE`, each followed by `args`. Disposing kills it if it
 * still runs after 5 s, or at once with `stopAtOnce` (a server, which never ends by itself).
 */
export function runScript(
  file: string,
  opts: { args?: readonly string[]; capture?: boolean; stopAtOnce?: boolean } = {},
): Program {
  const start = runtime === "deno" ? startDeno : runtime === "bun" ? startBun : startNode;
  const started = start(file, opts.args ?? [], opts.capture ?? false);
  started.output.catch(() => {}); // awaited by callers that captured
  return {
    ...started,
    async [Symbol.asyncDispose]() {
      const t = setTimeout(started.kill, opts.stopAtOnce ? 0 : 5000);
      await started.exited.finally(() => clearTimeout(t));
    },
  };
}
