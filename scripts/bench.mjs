#!/usr/bin/env node
// `npm run bench`: runs bench/ipc_bench.ts in the Windows builds of Deno and Bun under Wine.
import { runInBothRuntimes } from "./wine/both.mjs";

runInBothRuntimes("bench/ipc_bench.ts");
