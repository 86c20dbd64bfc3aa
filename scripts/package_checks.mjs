// The npm package and the API docs, checked on Linux as a user would meet them (plain Node, no
// dependencies). Each check returns {name, ok, detail}; scripts/test.mjs counts them with the
// other Linux checks.
//
//   1. build npm/ (scripts/build_npm.ts) and `npm pack` it; the tarball holds the library only;
//   2. install the tarball into a new project, offline, from the file, with koffi for Node and its
//      Windows binary (test-results/npm-consumer, which the Wine phase then uses:
//      tests/npm_package_test.ts, where Node for Windows makes a round trip through it);
//   3. type-check tests/package/consumer.ts against it with the TypeScript compiler, under
//      `bundler` and `nodenext` resolution, the package's declarations included;
//   4. the Linux Node importing it gets a WinipcError (nothing to call here);
//   5. typedoc builds the docs of every deno.json entry point with warnings as errors
//      (validation.notDocumented among them).
//
//   node scripts/package_checks.mjs     runs them alone and prints the results
import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const defaultRepo = join(dirname(fileURLToPath(import.meta.url)), "..");

/** The consumer project, inside the tree so the Wine phase sees it. */
export const CONSUMER_DIR = "test-results/npm-consumer";

function run(cmd, args, opts) {
  const r = spawnSync(cmd, args, { encoding: "utf8", maxBuffer: 64 << 20, ...opts });
  const output = `${r.stdout ?? ""}${r.stderr ?? ""}${r.error ? String(r.error) : ""}`;
  return { ok: r.status === 0, status: r.status, output };
}

const tail = (text, n = 15) => text.trim().split("\n").slice(-n).join("\n");

/** What the tarball must and must not hold. */
function checkTarballFiles(files) {
  const required = ["package.json", "README.md", "LICENSE", "mod.js", "mod.d.ts", "src/cli/main.js"];
  const missing = required.filter((f) => !files.includes(f));
  const stray = files.filter((f) =>
    !/^(?:package\.json|README\.md|LICENSE|[^/]+\.(?:js|d\.ts)|src\/.+\.(?:js|d\.ts))$/.test(f)
  );
  const problems = [];
  if (missing.length) problems.push(`missing ${missing.join(", ")}`);
  if (stray.length) problems.push(`holds files that are not the library: ${stray.slice(0, 10).join(", ")}`);
  return problems.join("; ");
}

/** The repository's package.json. */
const devPackage = (repo) => JSON.parse(readFileSync(join(repo, "package.json"), "utf8"));

/** Every deno.json export is a typedoc entry point. */
function typedocCoversExports(repo) {
  const exportsMap = JSON.parse(readFileSync(join(repo, "deno.json"), "utf8")).exports;
  const entries = JSON.parse(readFileSync(join(repo, "typedoc.json"), "utf8")).entryPoints ?? [];
  const norm = (p) => p.replace(/^\.\//, "");
  return Object.values(exportsMap).map(norm).filter((p) => !entries.map(norm).includes(p));
}

/** Runs the checks; `deno` is the Linux Deno that runs the build script. */
export function packageChecks(repo = defaultRepo, deno, env = process.env) {
  const results = [];
  const check = (name, fn) => {
    console.log(`\n[test] check: ${name}`);
    let detail;
    try {
      detail = fn();
    } catch (e) {
      detail = e.message;
    }
    console.log(detail ? `  FAILED: ${detail}` : "  ok");
    results.push({ name, ok: !detail, detail: detail || undefined });
    return !detail;
  };
  const packDir = join(repo, "test-results", "npm-pack");
  const consumer = join(repo, CONSUMER_DIR);
  let tarball;

  const built = check("npm package: build (scripts/build_npm.ts) and pack; library files only", () => {
    const b = run(deno, ["run", "-A", "scripts/build_npm.ts"], { cwd: repo, env });
    if (!b.ok) return `build failed:\n${tail(b.output)}`;
    rmSync(packDir, { recursive: true, force: true });
    mkdirSync(packDir, { recursive: true });
    const p = run("npm", ["pack", "--json", "--pack-destination", packDir], { cwd: join(repo, "npm"), env });
    if (!p.ok) return `npm pack failed:\n${tail(p.output)}`;
    const info = JSON.parse(p.output.slice(p.output.indexOf("[")))[0];
    tarball = join(packDir, info.filename);
    return checkTarballFiles(info.files.map((f) => f.path));
  });

  const installed = built && check("npm package: the tarball installs into a new project, offline", () => {
    rmSync(consumer, { recursive: true, force: true });
    mkdirSync(consumer, { recursive: true });
    writeFileSync(
      join(consumer, "package.json"),
      JSON.stringify({ name: "winipc-consumer", private: true, type: "module" }, null, 2) + "\n",
    );
    // The consumer is a Windows project: with koffi (the optional peer Node needs) and its Windows
    // binary, fetched into npm's cache first (the one download: the install itself is offline).
    const version = devPackage(repo).devDependencies.koffi;
    const koffi = `koffi@${version}`;
    const koffiWin = `@koromix/koffi-win32-x64@${version}`;
    const c = run("npm", ["cache", "add", koffiWin, koffi], { cwd: consumer, env });
    if (!c.ok) return `npm cache add failed:\n${tail(c.output)}`;
    const i = run(
      "npm",
      [
        "install",
        "--offline",
        "--no-audit",
        "--no-fund",
        "--ignore-scripts",
        "--os=win32",
        "--cpu=x64",
        tarball,
        koffi,
      ],
      { cwd: consumer, env },
    );
    if (!i.ok) return `npm install failed:\n${tail(i.output)}`;
    for (const f of readdirSync(join(repo, "tests", "package"))) {
      cpSync(join(repo, "tests", "package", f), join(consumer, f));
    }
    return existsSync(join(consumer, "node_modules", "winipc", "package.json"))
      ? ""
      : "node_modules/winipc is missing";
  });

  if (installed) {
    check("npm package: a consumer type-checks against it (tsc, bundler and nodenext resolution)", () => {
      const tsc = join(repo, "node_modules", "typescript", "bin", "tsc");
      const failures = [];
      for (const [module, moduleResolution] of [["ESNext", "bundler"], ["NodeNext", "NodeNext"]]) {
        const config = join(consumer, `tsconfig.${moduleResolution.toLowerCase()}.json`);
        writeFileSync(
          config,
          JSON.stringify(
            {
              compilerOptions: {
                strict: true,
                noEmit: true,
                target: "ES2022",
                module,
                moduleResolution,
                lib: ["ESNext", "DOM"],
                types: [],
                skipLibCheck: false,
              },
              files: ["consumer.ts"],
            },
            null,
            2,
          ),
        );
        const t = run("node", [tsc, "-p", config], { cwd: consumer, env });
        if (!t.ok) failures.push(`${moduleResolution}:\n${tail(t.output)}`);
      }
      return failures.join("\n");
    });
    check(
      "npm package: Node on Linux importing it gets a WinipcError (koffi has no Windows DLLs to call here)",
      () => {
        const log = join(consumer, "node-import.log");
        const r = run("node", ["node_import.mjs", log], { cwd: consumer, env });
        if (!r.ok) return `node failed:\n${tail(r.output)}`;
        const said = readFileSync(log, "utf8");
        return /^(WinipcError|FfiLoadError): /.test(said) && /koffi|kernel32/.test(said)
          ? ""
          : `Node said: ${said}`;
      },
    );
  }

  check("typedoc: every entry point documented (warnings are errors)", () => {
    const missing = typedocCoversExports(repo);
    if (missing.length) return `typedoc.json lacks the entry points ${missing.join(", ")}`;
    const out = join(repo, "test-results", "docs");
    const t = run("node", [join(repo, "node_modules", "typedoc", "bin", "typedoc"), "--out", out], {
      cwd: repo,
      env: { ...env, NO_COLOR: "1", FORCE_COLOR: "0" },
    });
    return t.ok ? "" : tail(t.output, 20);
  });
  return results;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const deno = join(defaultRepo, "node_modules/@deno/linux-x64-glibc/deno");
  const results = packageChecks(defaultRepo, deno);
  for (const r of results) {
    console.log(`${r.ok ? "ok" : "FAILED"}: ${r.name}${r.detail ? `\n  ${r.detail}` : ""}`);
  }
  process.exitCode = results.every((r) => r.ok) ? 0 : 1;
}
