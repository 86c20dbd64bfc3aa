/**
 * DLL shared data sections (`dll:NAME`): the classic way to share memory through a DLL. winipc
 * writes a minimal DLL with one IMAGE_SCN_MEM_SHARED section of the requested size (see
 * pe_image.ts) into the temp directory, and every process that loads that file with
 * LoadLibraryW sees the same bytes at the section's address.
 *
 * Prefer file mappings (`shm:`): a shared section has no security descriptor (any process that
 * can read the DLL file can load it and write the memory), cannot be resized, lives as long as
 * any process has the DLL loaded, and on Windows is shared across sessions. It is here because
 * it is part of the classic list and because old software still speaks it.
 * @module
 */
import { kernel32 } from "../../ffi/kernel32.ts";
import {
  CREATE_ALWAYS,
  FILE_ATTRIBUTE_NORMAL,
  FILE_SHARE_READ,
  GENERIC_READ,
  GENERIC_WRITE,
  OPEN_EXISTING,
} from "../../ffi/constants.ts";
import { lastError, Win32Error } from "../../ffi/error.ts";
import { isInvalidHandle, OwnedHandle } from "../../ffi/handle.ts";
import { backend } from "../../ffi/runtime.ts";
import { fromWstr, wstr } from "../../ffi/wstr.ts";
import { AddressError } from "../../core/errors.ts";
import { buildSharedSectionDll, SHARED_SECTION_RVA } from "./pe_image.ts";
import { RegionBase, SharedView } from "../../kernel/shared_memory.ts";

const k = kernel32.sync;

/** The DLL file for a name and size: `%TEMP%\winipc-NAME-SIZE.dll`. */
export function sharedDllPath(name: string, size: number): string {
  if (!/^[A-Za-z0-9_.-]{1,100}$/.test(name)) {
    throw new AddressError(`bad DLL section name '${name}': use 1 to 100 of A-Z a-z 0-9 _ . -`);
  }
  const buf = new Uint16Array(262);
  const n = k.GetTempPathW(buf.length, buf);
  if (n === 0 || n > buf.length) throw new Win32Error("GetTempPathW", lastError());
  return `${fromWstr(buf)}winipc-${name}-${size}.dll`;
}

function readFileHead(path: string, length: number): Uint8Array | undefined {
  const h = k.CreateFileW(
    wstr(path),
    GENERIC_READ >>> 0,
    FILE_SHARE_READ,
    0n,
    OPEN_EXISTING,
    FILE_ATTRIBUTE_NORMAL,
    0n,
  );
  if (isInvalidHandle(h)) return undefined;
  using file = new OwnedHandle(h);
  const buf = new Uint8Array(length + 1);
  const got = new Uint32Array(1);
  if (!k.ReadFile(file.value, backend.addressOf(buf), buf.length, got, 0n)) return undefined;
  return buf.subarray(0, got[0]);
}

function writeFile(path: string, data: Uint8Array): void {
  const h = k.CreateFileW(wstr(path), GENERIC_WRITE >>> 0, 0, 0n, CREATE_ALWAYS, FILE_ATTRIBUTE_NORMAL, 0n);
  if (isInvalidHandle(h)) throw new Win32Error(`CreateFileW(${path})`, lastError());
  using file = new OwnedHandle(h);
  const put = new Uint32Array(1);
  if (!k.WriteFile(file.value, backend.addressOf(data), data.length, put, 0n) || put[0] !== data.length) {
    throw new Win32Error(`WriteFile(${path})`, lastError());
  }
}

/** A DLL's shared section, loaded into this process. */
export class DllSharedMemory extends RegionBase {
  readonly #module: OwnedHandle;
  readonly whole: SharedView;

  private constructor(module: OwnedHandle, readonly path: string, readonly size: number) {
    super();
    this.#module = module;
    this.whole = new SharedView(module.value + BigInt(SHARED_SECTION_RVA), 0, size, false, () => {});
  }

  /**
   * Loads (writing it first if needed) the DLL for `name` with a `size`-byte shared section.
   * Every process that loads the same name and size shares the section.
   */
  static load(name: string, size: number): DllSharedMemory {
    const image = buildSharedSectionDll(size);
    const path = sharedDllPath(name, size);
    const existing = readFileHead(path, image.length);
    if (!existing || existing.length !== image.length || existing.some((b, i) => b !== image[i])) {
      writeFile(path, image);
    }
    const h = k.LoadLibraryW(wstr(path));
    if (h === 0n) throw new Win32Error(`LoadLibraryW(${path})`, lastError());
    return new DllSharedMemory(new OwnedHandle(h, (m) => k.FreeLibrary(m)), path, size);
  }

  /** Drops this process's reference (FreeLibrary). The memory lives while any process has it loaded. */
  close(): void {
    this.whole[Symbol.dispose]();
    this.#module.close();
  }
}
