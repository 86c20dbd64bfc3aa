/**
 * What a process holds, counted by the system rather than by the library (tests/leak_test.ts):
 * kernel handles from the system's handle table (Wine's GetProcessHandleCount does not move),
 * windows of this process (top-level and message-only), and global atoms.
 * @module
 */
import { kernel32 } from "../../src/ffi/kernel32.ts";
import { openHandleCount } from "../../src/ffi/handle.ts";
import { waitPoolHandleCount } from "../../src/kernel/wait.ts";
import { ntdll } from "../../src/ffi/ntdll.ts";
import { user32 } from "../../src/ffi/user32.ts";
import { assert } from "./harness.ts";

const SystemExtendedHandleInformation = 64;
const STATUS_INFO_LENGTH_MISMATCH = 0xc0000004;
/** SYSTEM_HANDLE_TABLE_ENTRY_INFO_EX: Object, UniqueProcessId, HandleValue (pointers), then 16 bytes. */
const ENTRY_SIZE = 40;
/** The entries start after NumberOfHandles and Reserved (two ULONG_PTRs). */
const ENTRIES_AT = 16;
/** HWND_MESSAGE: the parent of message-only windows, for FindWindowExW. */
const HWND_MESSAGE = 0xfffffffffffffffdn;

const pid = kernel32.sync.GetCurrentProcessId();
let buffer = new Uint8Array(1 << 20);

/** This process's kernel handles, as the system's handle table lists them. */
export function systemHandleCount(): number {
  const needed = new Uint32Array(1);
  for (let tries = 0; tries < 8; tries++) {
    const status = ntdll().sync.NtQuerySystemInformation(
      SystemExtendedHandleInformation,
      buffer,
      buffer.byteLength,
      needed,
    ) >>> 0;
    if (status === STATUS_INFO_LENGTH_MISMATCH) {
      buffer = new Uint8Array(Math.max(buffer.byteLength * 2, needed[0] + 65536));
      continue;
    }
    assert(status === 0, `NtQuerySystemInformation: status 0x${status.toString(16)}`);
    const view = new DataView(buffer.buffer);
    const n = Number(view.getBigUint64(0, true));
    assert(ENTRIES_AT + n * ENTRY_SIZE <= buffer.byteLength, `${n} handle entries fit the buffer`);
    let mine = 0;
    for (let i = 0; i < n; i++) {
      if (view.getBigUint64(ENTRIES_AT + i * ENTRY_SIZE + 8, true) === BigInt(pid)) mine++;
    }
    return mine;
  }
  throw new Error("NtQuerySystemInformation: the handle table kept growing");
}

/** Windows this process owns: top-level ones and message-only ones. */
export function windowCount(): number {
  const owner = new Uint32Array(1);
  let mine = 0;
  for (const parent of [0n, HWND_MESSAGE]) {
    let after = 0n;
    for (let guard = 0; guard < 100_000; guard++) {
      after = user32().sync.FindWindowExW(parent, after, null, null) as bigint;
      if (after === 0n) break;
      owner[0] = 0;
      user32().sync.GetWindowThreadProcessId(after, owner);
      if (owner[0] === pid) mine++;
    }
  }
  return mine;
}

/** Atoms in the global atom table (string atoms live at 0xC000-0xFFFF). */
export function globalAtomCount(): number {
  const name = new Uint16Array(256);
  let n = 0;
  for (let atom = 0xc000; atom <= 0xffff; atom++) {
    if (kernel32.sync.GlobalGetAtomNameW(atom, name, name.length) > 0) n++;
  }
  return n;
}

/**
 * Handles the library holds open (its own accounting), less the wait pool's wake events: those stay
 * for the life of the process, a few by peak concurrency.
 */
export function libraryHandleCount(): number {
  return openHandleCount() - waitPoolHandleCount();
}
