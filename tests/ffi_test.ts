/**
 * The FFI edge: calling a native function through its address (Backend.fnPointer, what COM
 * vtables need), with the same value rules as the symbol tables.
 */
import { backend } from "../src/ffi/runtime.ts";
import { kernel32 } from "../src/ffi/kernel32.ts";
import { checkPointer } from "../src/ffi/check.ts";
import { wstr } from "../src/ffi/wstr.ts";
import { existsSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { assert, LIBRARY_DENO_FLAGS, spawnPeer, test, uniqueName, within } from "./_support/harness.ts";

const k = kernel32.sync;

/** The address of `name` exported by kernel32.dll. */
function kernel32Export(name: string): bigint {
  const module = checkPointer("GetModuleHandleW", () => k.GetModuleHandleW(wstr("kernel32.dll")));
  const ascii = new TextEncoder().encode(`${name}\0`);
  return checkPointer(`GetProcAddress(${name})`, () => k.GetProcAddress(module, ascii));
}

test("fnPointer: GetCurrentProcessId through its address equals the table's", () => {
  const getPid = backend.fnPointer(kernel32Export("GetCurrentProcessId"), [], "u32");
  const pid = getPid();
  assert(pid === k.GetCurrentProcessId(), `fnPointer gave ${pid}`);
});

test("fnPointer: i32 arguments and result (MulDiv rounds half away from zero)", () => {
  const mulDiv = backend.fnPointer(kernel32Export("MulDiv"), ["i32", "i32", "i32"], "i32");
  // MulDiv's product is 64-bit (no overflow at 2^30 * 4); a zero divisor gives -1.
  const cases = [[7, 6, 4, 11], [-5, 3, 2, -8], [2 ** 30, 4, 8, 2 ** 29], [1, 1, 0, -1]];
  for (const [a, b, c, want] of cases) {
    const got = mulDiv(a, b, c);
    assert(got === want, `MulDiv(${a}, ${b}, ${c}) = ${got}, expected ${want}`);
  }
});

test("fnPointer: a pointer argument as an address or a buffer, a pointer result as bigint", () => {
  const text = wstr("hello, winipc");
  const byAddress = backend.fnPointer(kernel32Export("lstrlenW"), ["ptr"], "i32");
  assert(byAddress(backend.addressOf(text)) === 13, "lstrlenW(address)");
  const byBuffer = backend.fnPointer(kernel32Export("lstrlenW"), ["buf"], "i32");
  assert(byBuffer(text) === 13, "lstrlenW(buffer)");
  const heap = backend.fnPointer(kernel32Export("GetProcessHeap"), [], "ptr")();
  assert(typeof heap === "bigint" && heap === k.GetProcessHeap(), `GetProcessHeap gave ${heap}`);
});

test("fnPointer: a null address is a RangeError, not a crash", () => {
  let err: unknown;
  try {
    backend.fnPointer(0n, [], "void");
  } catch (e) {
    err = e;
  }
  assert(err instanceof RangeError, `got ${err}`);
});

test("a program that exits while a winipc thread waits ends with its exit code, its later exit listeners run", async () => {
  const file = join(tmpdir(), `${uniqueName("exit")}.txt`);
  try {
    const peer = spawnPeer("exit_peer.ts", [uniqueName("never-set"), file], {
      denoFlags: [...LIBRARY_DENO_FLAGS, "--allow-write"],
    });
    const code = await within(30_000, peer.exited, "the exiting program").finally(() => peer.kill());
    assert(code === 3, `exit code ${code}, not 3`);
    assert(existsSync(file), "the exit listener added after winipc loaded did not run");
    const text = readFileSync(file, "utf8");
    assert(text === "exit listener ran with code 3", text);
  } finally {
    rmSync(file, { force: true });
  }
});
