#!/usr/bin/env node
// Pairs record_server.mjs's recording with client.exe's output: prints "label opnum hex" for each
// call, for tests/core/_rpc_widl_vectors.ts (see README.md).
//   node print_vectors.mjs recorded.json client.out
// client.exe prints "ok LABEL" or "FAILED LABEL: ..." per call in call order; the recording holds
// the requests that reached the server, in the same order. A call that failed before sending has
// no request: the opnums (from vectors.idl's operation order, given by OPNUMS) tell them apart.
import { readFileSync } from "node:fs";

const [recorded, out] = process.argv.slice(2);
const calls = JSON.parse(readFileSync(recorded, "utf8")).calls;
const idl = readFileSync(new URL("./vectors.idl", import.meta.url), "utf8");
const ops = [...idl.matchAll(/void (op_\w+)\(/g)].map((m) => m[1]);
// The operation each label calls, from client.c.
const client = readFileSync(new URL("./client.c", import.meta.url), "utf8");
const opOf = Object.fromEntries([...client.matchAll(/CALL\("(\w+)", (op_\w+)\(/g)].map((m) => [m[1], m[2]]));
let i = 0;
for (const line of readFileSync(out, "utf8").split("\n")) {
  const m = line.match(/^(ok|FAILED) (\w+)/);
  if (!m) continue;
  const opnum = ops.indexOf(opOf[m[2]]);
  if (i < calls.length && calls[i].opnum === opnum) {
    console.log(
      `${m[2]} ${opnum} ${calls[i].stub}${m[1] === "ok" ? "" : "  (the call FAILED after sending)"}`,
    );
    i++;
  } else console.log(`${m[2]} ${opnum} -  (no request: ${line.trim()})`);
}
if (i !== calls.length) console.log(`${calls.length - i} recorded requests left unpaired`);
