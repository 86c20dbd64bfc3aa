/**
 * A program that exits while a winipc thread still waits (tests/ffi_test.ts):
 *   exit_peer.ts EVENT FILE
 * waits on the named event EVENT (never set) in the background, adds an 'exit' listener (after
 * winipc loaded) that writes a line to FILE, then calls process.exit(3).
 */
import { writeFileSync } from "node:fs";
import process from "node:process";
import { KernelEvent } from "../../src/sync.ts";

const [eventName, file] = process.argv.slice(2);
const event = KernelEvent.create(eventName, { mode: "create" });
void event.wait({ timeout: 120_000 }).catch(() => {});
await new Promise((r) => setTimeout(r, 300)); // the wait is now blocked on its thread
process.on("exit", (code) => writeFileSync(file, `exit listener ran with code ${code}`));
process.exit(3);
