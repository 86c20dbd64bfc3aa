// Source scans for the layout rules, in plain Node (no dependencies). Each check returns
// {name, ok, detail}; scripts/test.mjs counts them with the other Linux checks.
//
//   node scripts/source_checks.mjs     runs them alone and prints the results
//
// The scans read code with comments blanked out (a comment that mentions `Deno.` is not code);
// where a rule is about code rather than text, string contents are blanked as well. Line numbers
// are kept. The lexer knows strings, template literals and regular-expression literals well
// enough for this code base; it is not a full TypeScript parser.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";

const defaultRepo = join(dirname(fileURLToPath(import.meta.url)), "..");

/** Every .ts file under `dir` (recursively), as repo-relative paths with forward slashes. */
function tsFiles(repo, dir) {
  const out = [];
  const walk = (d) => {
    if (!existsSync(d)) return;
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile() && e.name.endsWith(".ts")) out.push(rel(repo, p));
    }
  };
  walk(join(repo, dir));
  return out.sort();
}

const rel = (repo, p) => relative(repo, p).split(sep).join("/");

/** Characters after which a `/` starts a regular expression rather than a division. */
const REGEX_AFTER = new Set("(,=:[!&|?{};+-*%<>~^".split(""));
const REGEX_AFTER_WORD =
  /(?:^|[^\w$.])(?:return|typeof|instanceof|in|of|new|delete|void|throw|case|do|else|yield|await)$/;

/**
 * The text with comments blanked (and, with `strings: true`, the contents of string and template
 * literals too, but not the `${...}` code inside templates). Lengths and newlines are kept, so
 * offsets and line numbers still match the original.
 */
export function blank(text, { strings = false } = {}) {
  const out = text.split("");
  const wipe = (from, to) => {
    for (let k = from; k < to; k++) if (out[k] !== "\n") out[k] = " ";
  };
  let i = 0;
  let lastSignificant = ""; // the code before the current position, for the regex heuristic
  const braces = []; // for each open `${`, the brace depth at which its template resumes
  let depth = 0;
  const n = text.length;
  while (i < n) {
    const c = text[i];
    const next = text[i + 1];
    if (c === "/" && next === "/") {
      const end = text.indexOf("\n", i);
      const stop = end < 0 ? n : end;
      wipe(i, stop);
      i = stop;
    } else if (c === "/" && next === "*") {
      const end = text.indexOf("*/", i + 2);
      const stop = end < 0 ? n : end + 2;
      wipe(i, stop);
      i = stop;
    } else if (c === "'" || c === '"') {
      let j = i + 1;
      while (j < n && text[j] !== c && text[j] !== "\n") j += text[j] === "\\" ? 2 : 1;
      if (strings) wipe(i + 1, Math.min(j, n));
      i = j + 1;
      lastSignificant = "a";
    } else if (c === "`" || (c === "}" && braces.length > 0 && braces[braces.length - 1] === depth)) {
      // A template literal's text, from its start or from the end of a `${...}`, to its end or the next `${`.
      if (c === "}") braces.pop();
      let j = i + 1;
      while (j < n && text[j] !== "`" && !(text[j] === "$" && text[j + 1] === "{")) {
        j += text[j] === "\\" ? 2 : 1;
      }
      if (strings) wipe(i + 1, Math.min(j, n));
      if (text[j] === "$") {
        braces.push(depth);
        i = j + 2;
        lastSignificant = "{";
      } else {
        i = j + 1;
        lastSignificant = "a";
      }
    } else if (
      c === "/" && (REGEX_AFTER.has(lastSignificant) || lastSignificant === "" || lastSignificant === "w")
    ) {
      // A regular-expression literal: skip to its closing slash (outside a character class).
      let j = i + 1;
      let inClass = false;
      while (j < n && text[j] !== "\n") {
        if (text[j] === "\\") j++;
        else if (text[j] === "[") inClass = true;
        else if (text[j] === "]") inClass = false;
        else if (text[j] === "/" && !inClass) break;
        j++;
      }
      if (strings) wipe(i + 1, j);
      i = j + 1;
      lastSignificant = "a";
    } else {
      if (c === "{") depth++;
      else if (c === "}") depth--;
      if (!/\s/.test(c)) {
        if (/[\w$]/.test(c)) {
          // A word: remember whether it is one after which a regex may follow.
          let j = i;
          while (j < n && /[\w$]/.test(text[j])) j++;
          lastSignificant = REGEX_AFTER_WORD.test(" " + text.slice(i, j)) ? "w" : "a";
          i = j;
          continue;
        }
        lastSignificant = c;
      }
      i++;
    }
  }
  return out.join("");
}

/** 1-based line number of `offset` in `text`. */
function lineOf(text, offset) {
  let line = 1;
  for (let k = 0; k < offset; k++) if (text.charCodeAt(k) === 10) line++;
  return line;
}

/** The text of line `line` (1-based), trimmed. */
const lineText = (text, line) => (text.split("\n")[line - 1] ?? "").trim();

/**
 * The module specifiers a file names: static imports and re-exports (`typeOnly` when the whole
 * statement is `import type` / `export type`), side-effect imports, and dynamic imports (with
 * `computed` when the specifier is not a plain string literal).
 */
export function importsOf(text) {
  const code = blank(text);
  const found = [];
  const statement =
    /(?<![\w$.])(import|export)(\s+type(?=[\s{*]))?\s*(?:[\w$*{}\s,]*?\s*from\s*)?(["'])([^"'\n]+)\3/g;
  for (const m of code.matchAll(statement)) {
    found.push({ specifier: m[4], typeOnly: Boolean(m[2]), line: lineOf(code, m.index), computed: false });
  }
  for (const m of code.matchAll(/(?<![\w$.])import\s*\(\s*([^)]*)\)/g)) {
    const literal = /^(["'`])([^"'`$]+)\1\s*(?:,[\s\S]*)?$/.exec(m[1].trim());
    found.push({
      specifier: literal ? literal[2] : m[1].trim(),
      typeOnly: false,
      line: lineOf(code, m.index),
      computed: !literal,
    });
  }
  return found;
}

const isRelative = (s) => s.startsWith("./") || s.startsWith("../");

function result(name, problems, okDetail) {
  return {
    name,
    ok: problems.length === 0,
    detail: problems.length === 0 ? okDetail : problems.join("\n"),
  };
}

/** `Deno.`, `bun:ffi` and the package name "koffi" appear only in src/ffi (the one runtime-aware layer). */
export function checkRuntimeOnlyInFfi(repo = defaultRepo) {
  const files = ["mod.ts", ...tsFiles(repo, "src")].filter((f) => !f.startsWith("src/ffi/"));
  const problems = [];
  for (const file of files) {
    const text = readFileSync(join(repo, file), "utf8");
    const lines = new Set();
    const code = blank(text, { strings: true }); // `Deno.` in a message string is not a use
    for (const m of code.matchAll(/(?<![\w$])Deno\s*\??\./g)) lines.add(lineOf(code, m.index));
    const withStrings = blank(text); // but a "bun:ffi" specifier is
    for (const m of withStrings.matchAll(/bun:ffi|["'`]koffi["'`]/g)) lines.add(lineOf(withStrings, m.index));
    for (const line of [...lines].sort((a, b) => a - b)) {
      problems.push(`${file}:${line}: ${lineText(text, line)}`);
    }
  }
  return result("no Deno., bun:ffi or koffi outside src/ffi", problems, `${files.length} files scanned`);
}

/** Every import and re-export in src/core resolves inside src/core. */
export function checkCoreImportsOnlyCore(repo = defaultRepo) {
  const core = resolve(repo, "src/core");
  const files = tsFiles(repo, "src/core");
  const problems = [];
  for (const file of files) {
    const text = readFileSync(join(repo, file), "utf8");
    for (const imp of importsOf(text)) {
      const where = `${file}:${imp.line}`;
      if (imp.computed) {
        problems.push(`${where}: a dynamic import of a computed specifier (${imp.specifier})`);
      } else if (!isRelative(imp.specifier)) {
        problems.push(`${where}: imports '${imp.specifier}' (outside src/core)`);
      } else {
        const target = resolve(repo, dirname(file), imp.specifier);
        if (target !== core && !target.startsWith(core + sep)) {
          problems.push(`${where}: imports '${imp.specifier}' (${rel(repo, target)}, outside src/core)`);
        }
      }
    }
  }
  if (files.length === 0) problems.push("src/core has no .ts files");
  return result("core imports nothing outside core", problems, `${files.length} files scanned`);
}

/** The only files that may read the thread's last-error value. */
const LAST_ERROR_READERS = new Set(["src/ffi/check.ts", "src/ffi/check_wsa.ts"]);

/**
 * No call to GetLastError or WSAGetLastError outside the call-checking helpers. Member calls
 * (`kernel32.sync.GetLastError()`) and bare calls count; declarations (a symbol table's
 * `GetLastError: {...}`, a comment naming the C prototype, a method signature) do not.
 */
export function checkLastErrorOnlyInCheckers(repo = defaultRepo) {
  const files = tsFiles(repo, "src").filter((f) => !LAST_ERROR_READERS.has(f));
  const problems = [];
  for (const file of files) {
    const text = readFileSync(join(repo, file), "utf8");
    const code = blank(text, { strings: true });
    for (const m of code.matchAll(/(?<![\w$])(WSAGetLastError|GetLastError)\s*\(/g)) {
      const before = code.slice(Math.max(0, m.index - 20), m.index);
      if (/(?:function\s*\*?\s*|\bget\s+|\bset\s+)$/.test(before)) continue; // a function declaration
      const close = code.indexOf(")", m.index);
      if (close >= 0 && /^\s*[:{]/.test(code.slice(close + 1, close + 20)) && !/[.?]\s*$/.test(before)) {
        continue; // a method or signature declaration: `GetLastError(): number`
      }
      const line = lineOf(code, m.index);
      problems.push(`${file}:${line}: ${lineText(text, line)}`);
    }
  }
  return result(
    "GetLastError only in the call-checking helpers",
    problems,
    `${files.length} files scanned (allowed in ${[...LAST_ERROR_READERS].join(", ")})`,
  );
}

/** Modules the Linux test tier may load: pure code only (no FFI, no runtime-specific API). */
const PURE_MODULES = [
  /^src\/core\//,
  /^src\/ffi\/struct\.ts$/,
  /^src\/ffi\/headers\//,
  /^src\/mechanisms\/dll\/pe_image\.ts$/,
  /^src\/mechanisms\/clipboard\/formats\.ts$/,
  /^src\/mechanisms\/dde\/dde_format\.ts$/, // DDE blocks, ACK words, lParams, text values, addresses
  /^src\/mechanisms\/com\/variant_types\.ts$/, // VARTYPEs, Variant, OLE dates
  // DCE/RPC: NDR, PDUs, the client and server protocol logic, interfaces (not the transports,
  // server.ts's endpoints or mod.ts)
  /^src\/mechanisms\/rpc\/(?!transport\.ts$|server\.ts$|mod\.ts$|rpc_channel\.ts$|endpoint_mapper\.ts$)[\w/]+\.ts$/,
  /^src\/cli\/args\.ts$/, // the CLI's parser and transfer engine: stdio and endpoints come in as arguments
  /^src\/cli\/transfer\.ts$/,
  /^tests\/core\//,
  /^tests\/_support\/harness\.ts$/,
  /^tests\/_support\/test\.ts$/,
];
const PURE_PACKAGES = [/^node:/, /^fast-check$/];

/**
 * The Linux test tier (tests/core) loads only pure modules: following every runtime import from
 * tests/core (type-only imports are erased and not followed), each module reached is in
 * {@link PURE_MODULES}; never src/ffi (but struct.ts and headers/), src/kernel, a mechanism's
 * mod.ts or the root mod.ts.
 */
export function checkPureTestsReachOnlyPureModules(repo = defaultRepo) {
  const start = tsFiles(repo, "tests/core");
  const seen = new Set(start);
  const queue = [...start];
  const problems = [];
  while (queue.length > 0) {
    const file = queue.shift();
    const path = join(repo, file);
    if (!existsSync(path)) continue;
    for (const imp of importsOf(readFileSync(path, "utf8"))) {
      if (imp.typeOnly) continue;
      const where = `${file}:${imp.line}`;
      if (imp.computed) continue; // the harness's runtime-chosen `bun:test`
      if (!isRelative(imp.specifier)) {
        if (!PURE_PACKAGES.some((p) => p.test(imp.specifier))) {
          problems.push(`${where}: imports the package '${imp.specifier}'`);
        }
        continue;
      }
      const target = rel(repo, resolve(repo, dirname(file), imp.specifier));
      if (!PURE_MODULES.some((p) => p.test(target))) {
        problems.push(`${where}: imports ${target}, which is not a pure module`);
      } else if (!seen.has(target)) {
        seen.add(target);
        queue.push(target);
      }
    }
  }
  return result(
    "tests/core load only pure modules",
    problems,
    `${seen.size} modules reached from ${start.length} files`,
  );
}

/** All the source checks, in order. A check that throws is a failed check. */
export function sourceChecks(repo = defaultRepo) {
  return [
    checkRuntimeOnlyInFfi,
    checkCoreImportsOnlyCore,
    checkLastErrorOnlyInCheckers,
    checkPureTestsReachOnlyPureModules,
  ].map((check) => {
    try {
      return check(repo);
    } catch (e) {
      return { name: check.name, ok: false, detail: `the check itself failed: ${e?.stack ?? e}` };
    }
  });
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const results = sourceChecks();
  for (const r of results) {
    console.log(`${r.ok ? "ok    " : "FAILED"} ${r.name}: ${r.detail.split("\n").join("\n         ")}`);
  }
  process.exitCode = results.every((r) => r.ok) ? 0 : 1;
}
