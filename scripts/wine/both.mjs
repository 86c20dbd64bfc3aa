// Runs one script in the Windows builds of Deno and Bun under Wine (set-up and clean-up
// included) and exits non-zero if either run failed. Used by `npm run demo` and `npm run bench`.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export function runInBothRuntimes(script) {
  const repo = join(dirname(fileURLToPath(import.meta.url)), "../..");
  process.chdir(repo);
  const session = join(repo, "scripts/wine/session.sh");
  const sh = (cmd, args) => spawnSync(cmd, args, { stdio: "inherit" }).status ?? 1;
  if (!existsSync("node_modules/.package-lock.json")) sh("npm", ["ci", "--no-audit", "--no-fund"]);
  if (sh("bash", [session, "up"]) !== 0) process.exit(1);
  let failed = 0;
  try {
    failed += sh("bash", [session, "exec", "deno", "run", "-A", "--no-check", script]) !== 0 ? 1 : 0;
    failed += sh("bash", [session, "exec", "bun", script]) !== 0 ? 1 : 0;
  } finally {
    sh("bash", [session, "down"]);
  }
  process.exit(failed ? 1 : 0);
}
