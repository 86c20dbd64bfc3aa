#!/usr/bin/env node
// `npm run demo`: sets up the Wine environment (once, cached) and runs examples/demo.ts in the
// Windows builds of Deno and Bun.
import { runInBothRuntimes } from "./wine/both.mjs";

runInBothRuntimes("examples/demo.ts");
