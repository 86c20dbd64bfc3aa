/** `bun roundtrip_bun.ts ROLE NAME` in a project that installed the winipc tarball. */
import * as root from "winipc";
import * as pipe from "winipc/pipe";
import process from "node:process";
import { roundTrip } from "./roundtrip.ts";

await roundTrip(root, pipe, process.argv.slice(2));
