/**
 * `npm run build:npm`: builds the npm package in `npm/` from the same sources JSR publishes.
 *
 * Built with the TypeScript compiler from npm, not @deno/dnt: dnt is published only on JSR, which
 * this project's machines and CI cannot reach. The package needs none of dnt's Node shims anyway:
 * it runs on Deno and Bun natively, and on Node through koffi (src/ffi/backend_node.ts).
 *
 * What it does: compiles every entry point of deno.json's `exports` (and what they import) to ESM
 * JavaScript plus declarations, with relative `.ts` specifiers rewritten to `.js`
 * (`rewriteRelativeImportExtensions`); gives the CLI a `bun` shebang; writes package.json with one
 * `exports` entry per deno.json export, no dependencies (koffi, which Node needs, is an optional
 * peer); copies README.md and LICENSE. Then checks
 * the result: every export target exists, and no emitted file still imports a `.ts` specifier.
 *
 * The compiler only emits here (`noCheck`): the sources are type-checked by `deno check` in the
 * same test run, with the Deno and Bun types they are written against; the built declarations are
 * then type-checked as a consumer sees them (scripts/package_checks.mjs).
 *
 *   node_modules/@deno/linux-x64-glibc/deno run -A scripts/build_npm.ts [--out DIR]
 *
 * Node APIs only (node:fs, node:child_process), so the script runs in Deno or a Node that strips types.
 */
import { spawnSync } from "node:child_process";
import {
  chmodSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import process from "node:process";

const repo = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const outArg = process.argv.indexOf("--out");
const out = resolve(outArg >= 0 ? process.argv[outArg + 1] : join(repo, "npm"));

interface DenoJson {
  name: string;
  version: string;
  exports: Record<string, string>;
}
const denoJson: DenoJson = JSON.parse(readFileSync(join(repo, "deno.json"), "utf8"));
const devPackage = JSON.parse(readFileSync(join(repo, "package.json"), "utf8"));

/** The npm name of the JSR package (`@winipc/winipc` is `winipc` on npm). */
const NAME = devPackage.name as string;
/** The JavaScript file the CLI becomes, and its command name. */
const CLI_EXPORT = "./cli";
const BIN = "winipc";

/** `./src/x.ts` -> `./src/x.js` (or `.d.ts`). */
const emitted = (source: string, ext: ".js" | ".d.ts") => source.replace(/\.ts$/, ext);

function compile() {
  const tmp = mkdtempSync(join(tmpdir(), "winipc-build-"));
  try {
    const tsconfig = {
      compilerOptions: {
        target: "ES2022", // `using` is lowered to helpers; everything else is native in Deno and Bun
        module: "ESNext",
        moduleResolution: "bundler",
        allowImportingTsExtensions: true,
        rewriteRelativeImportExtensions: true,
        declaration: true,
        noCheck: true,
        skipLibCheck: true,
        types: [],
        lib: ["ESNext"],
        rootDir: repo,
        outDir: out,
        newLine: "lf",
      },
      files: Object.values(denoJson.exports).map((p) => join(repo, p)),
    };
    const config = join(tmp, "tsconfig.json");
    writeFileSync(config, JSON.stringify(tsconfig, null, 2));
    const tsc = join(repo, "node_modules", "typescript", "bin", "tsc");
    const r = spawnSync("node", [tsc, "-p", config], { stdio: "inherit" });
    if (r.status !== 0) throw new Error(`tsc failed (exit ${r.status ?? r.signal})`);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** Every file under `dir`, as paths relative to `out` with forward slashes. */
function filesUnder(dir: string): string[] {
  const found: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else found.push(relative(out, p).split(sep).join("/"));
    }
  };
  walk(dir);
  return found.sort();
}

function packageJson() {
  const exportsMap: Record<string, unknown> = {};
  for (const [subpath, source] of Object.entries(denoJson.exports)) {
    exportsMap[subpath] = { types: emitted(source, ".d.ts"), default: emitted(source, ".js") };
  }
  exportsMap["./package.json"] = "./package.json";
  const cli = denoJson.exports[CLI_EXPORT];
  if (!cli) throw new Error(`deno.json has no ${CLI_EXPORT} export`);
  return {
    name: NAME,
    version: denoJson.version,
    description: "Windows inter-process communication for Deno and Bun through the system DLLs: " +
      "named and anonymous pipes, mailslots, shared memory, DLL shared sections, sockets, " +
      "WM_COPYDATA, clipboard, serial ports.",
    keywords: [
      "windows",
      "ipc",
      "named-pipe",
      "mailslot",
      "shared-memory",
      "wm_copydata",
      "ffi",
      "bun",
      "deno",
      "node",
    ],
    license: "MIT",
    repository: { type: "git", url: "git+https://github.com/winipc/winipc.git" },
    type: "module",
    main: emitted(denoJson.exports["."], ".js"),
    types: emitted(denoJson.exports["."], ".d.ts"),
    exports: exportsMap,
    bin: { [BIN]: emitted(cli, ".js") },
    files: ["*.js", "*.d.ts", "src/", "README.md", "LICENSE"],
    // Only Windows can run it; not `os: ["win32"]`, which would refuse installs on a developer's
    // Linux or macOS machine that builds a tool for Windows.
    engines: { bun: ">=1.4", deno: ">=2.9", node: ">=22" },
    // Node calls DLLs through koffi (prebuilt, nothing compiled); Deno and Bun need nothing.
    peerDependencies: { koffi: `^${devPackage.devDependencies.koffi}` },
    peerDependenciesMeta: { koffi: { optional: true } },
    // No module does anything at import that a program relies on without using its exports.
    sideEffects: false,
  };
}

/**
 * The compiler rewrites `.ts` specifiers in JavaScript but leaves them in declarations; a
 * consumer under `nodenext` resolution needs `.js` there too.
 */
function rewriteDeclarationSpecifiers() {
  for (const f of filesUnder(out).filter((f) => f.endsWith(".d.ts"))) {
    const path = join(out, f);
    const text = readFileSync(path, "utf8");
    const fixed = text.replace(/((?:from\s*|import\s*\(\s*)["'])(\.{1,2}\/[^"']+)\.ts(["'])/g, "$1$2.js$3");
    if (fixed !== text) writeFileSync(path, fixed);
  }
}

/** Fails on an export target that was not emitted, or an emitted import of a `.ts` file. */
function verify(pkg: ReturnType<typeof packageJson>) {
  const problems: string[] = [];
  for (const [subpath, target] of Object.entries(pkg.exports)) {
    const paths = typeof target === "string" ? [target] : Object.values(target as Record<string, string>);
    for (const p of paths) if (!existsSync(join(out, p))) problems.push(`${subpath}: ${p} was not built`);
  }
  for (const f of filesUnder(out).filter((f) => f.endsWith(".js") || f.endsWith(".d.ts"))) {
    const text = readFileSync(join(out, f), "utf8");
    for (const m of text.matchAll(/(?:from\s*|import\s*\(\s*)["'](\.{1,2}\/[^"']+\.ts)["']/g)) {
      problems.push(`${f} imports ${m[1]}`);
    }
  }
  if (problems.length) throw new Error(`the npm build is broken:\n  ${problems.join("\n  ")}`);
}

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
compile();
rewriteDeclarationSpecifiers();
const pkg = packageJson();
const binFile = join(out, pkg.bin[BIN]);
writeFileSync(binFile, "#!/usr/bin/env bun\n" + readFileSync(binFile, "utf8"));
chmodSync(binFile, 0o755);
writeFileSync(join(out, "package.json"), JSON.stringify(pkg, null, 2) + "\n");
for (const f of ["README.md", "LICENSE"]) cpSync(join(repo, f), join(out, f));
verify(pkg);
console.log(
  `[build:npm] ${NAME}@${pkg.version}: ${filesUnder(out).length} files in ${relative(repo, out) || "."}`,
);
