/** `deno run --allow-ffi roundtrip_deno.ts ROLE NAME` in a project that installed the winipc tarball (node_modules). */
import * as root from "npm:winipc";
import * as pipe from "npm:winipc/pipe";
import process from "node:process";
import { roundTrip } from "./roundtrip.ts";

await roundTrip(root, pipe, process.argv.slice(2));
