// `node node_import.mjs LOG`: imports the installed package in Node on a machine that is not
// Windows (the Linux phase) and writes what happened to LOG.
import { writeFileSync } from "node:fs";

const log = process.argv[2];
try {
  await import("winipc");
  writeFileSync(log, "imported\n");
} catch (e) {
  writeFileSync(log, `${e?.name}: ${e?.message}\n`);
}
