// The README checks of npm test's Linux phase (scripts/test.mjs), in the Linux build of Deno.
// tests/readme_test.ts runs the README's blocks under Wine; these need no Wine.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** Runs the Linux deno, echoing its output; returns `{ ok, output }`. */
function deno(denoPath, env, args, cwd) {
  const r = spawnSync(denoPath, args, { cwd, env, encoding: "utf8", maxBuffer: 64 << 20 });
  const output = `${r.stdout ?? ""}${r.stderr ?? ""}${r.error ? String(r.error) : ""}`;
  process.stdout.write(output);
  return { ok: r.status === 0, output };
}

/** The last line of deno's output that says what failed. */
const lastError = (output) =>
  output.split("\n").map((l) => l.trim()).findLast((l) => /^(?:error|TS\d+)/.test(l)) ?? "failed";

/**
 * Every TypeScript block of README.md type-checks: `deno check --doc-only` checks each block as a
 * module of its own. Their "@winipc/winipc" imports resolve to this checkout because deno.json
 * names the package and lists its "exports", and a package may import itself by name. The count
 * guards against a check that checks nothing (a path the config excludes only gets a warning).
 */
function codeBlocks(repo, denoPath, env) {
  const name = "deno check README.md code blocks";
  console.log(`\n[test] check: ${name}`);
  const blocks = (readFileSync(join(repo, "README.md"), "utf8").match(/^```ts\s*$/gm) ?? []).length;
  const r = deno(denoPath, env, ["check", "--doc-only", "README.md"], repo);
  const checked = (r.output.match(/^Check README\.md#/gm) ?? []).length;
  if (!r.ok) return { name, ok: false, detail: lastError(r.output) };
  if (checked !== blocks) {
    return { name, ok: false, detail: `checked ${checked} of ${blocks} TypeScript blocks` };
  }
  return { name, ok: true };
}

/**
 * The README's Deno install-from-a-checkout: a project whose deno.json is the README's `deno-links`
 * block, with this repository at ./winipc, type-checks an import of every entry point in
 * deno.json "exports" (without asking JSR: `links` serves the package from the checkout).
 */
function checkoutInstall(repo, denoPath, env) {
  const name = "README: the Deno install from a checkout (links) resolves every entry point";
  console.log(`\n[test] check: ${name}`);
  const readme = readFileSync(join(repo, "README.md"), "utf8");
  const block = /<!--\s*readme-test:\s*deno-links\s*-->\s*```json\n([\s\S]*?)```/.exec(readme);
  if (!block) return { name, ok: false, detail: "README.md has no json block marked deno-links" };
  const { exports } = JSON.parse(readFileSync(join(repo, "deno.json"), "utf8"));
  const specifiers = Object.keys(exports).map((e) => `@winipc/winipc${e.slice(1)}`);
  const app = mkdtempSync(join(tmpdir(), "winipc-app-"));
  try {
    writeFileSync(join(app, "deno.json"), block[1]);
    symlinkSync(repo, join(app, "winipc"));
    writeFileSync(
      join(app, "main.ts"),
      specifiers.map((s, i) => `import * as m${i} from "${s}";\n`).join(""),
    );
    const r = deno(denoPath, env, ["check", "main.ts"], app);
    return r.ok ? { name, ok: true } : { name, ok: false, detail: lastError(r.output) };
  } finally {
    rmSync(app, { recursive: true, force: true });
  }
}

/** The README checks, each `{ name, ok, detail? }`. */
export function readmeChecks(repo, denoPath, env) {
  return [codeBlocks(repo, denoPath, env), checkoutInstall(repo, denoPath, env)];
}
