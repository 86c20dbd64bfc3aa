// `node roundtrip_node.mjs ROLE NAME LOG` in a project that installed the winipc tarball and
// koffi: the round trip of roundtrip.ts in Node. What it prints goes to LOG (under Wine, Node's
// standard output cannot be a pipe from a Linux-side process).
import { appendFileSync, writeFileSync } from "node:fs";

const [role, name, log] = process.argv.slice(2);
writeFileSync(log, "");
console.log = (...a) => appendFileSync(log, `${a.join(" ")}\n`);
try {
  const root = await import("winipc");
  const pipe = await import("winipc/pipe");
  const { roundTrip } = await import("./roundtrip.ts");
  await roundTrip(root, pipe, [role, name]);
} catch (e) {
  appendFileSync(log, `${e?.name}: ${e?.message}\n${e?.stack ?? ""}\n`);
  process.exitCode = 1;
}
