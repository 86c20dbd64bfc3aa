// `node node_import.mjs LOG`: imports the installed package in Node (not supported yet) and writes
// what happened to LOG (under Wine, Node's stdout cannot be a Linux pipe).
import { writeFileSync } from "node:fs";

const log = process.argv[2];
try {
  await import("winipc");
  writeFileSync(log, "imported\n");
} catch (e) {
  writeFileSync(log, `${e?.name}: ${e?.message}\n`);
}
