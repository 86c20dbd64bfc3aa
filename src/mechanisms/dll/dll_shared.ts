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
import { CREATE_ALWAYS, OPEN_EXISTING } from "../../ffi/headers/winbase.ts";
import {
  FILE_ATTRIBUTE_NORMAL,
  FILE_SHARE_READ,
  GENERIC_READ,
  GENERIC_WRITE,
} from "../../ffi/headers/winnt.ts";
import { Win32Error } from "../../ffi/error.ts";
import { attempt, check, checkHandle, checkPointer } from "../../ffi/check.ts";
import { isInvalidHandle, OwnedHandle } from "../../ffi/handle.ts";
import { backend } from "../../ffi/runtime.ts";
import { fromWstr, wstr } from "../../ffi/wstr.ts";
import { AddressError, WinipcError } from "../../core/errors.ts";
import { buildSharedSectionDll, SHARED_SECTION_RVA } from "./pe_image.ts";
import { RegionBase, type SharedRegion, SharedView } from "../../kernel/shared_memory.ts";

const k = kernel32.sync;

/**
 * The DLL file for a section name and size: `%TEMP%\winipc-NAME-SIZE.dll`.
 * @throws {AddressError} when `name` is not 1 to 100 of `A-Z a-z 0-9 _ . -`.
 */
export function sharedDllPath(name: string, size: number): string {
  if (!/^[A-Za-z0-9_.-]{1,100}$/.test(name)) {
    throw new AddressError(`bad DLL section name '${name}': use 1 to 100 of A-Z a-z 0-9 _ . -`);
  }
  const buf = new Uint16Array(262);
  const r = attempt(() => k.GetTempPathW(buf.length, buf), (n) => n === 0 || n > buf.length);
  if (r.value === 0 || r.value > buf.length) throw new Win32Error("GetTempPathW", r.error);
  return `${fromWstr(buf)}winipc-${name}-${size}.dll`;
}

/** Up to `length + 1` bytes of the file at `path`, or undefined if it cannot be read. */
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

/** Replaces the file at `path` with `data`. */
function writeFile(path: string, data: Uint8Array): void {
  using file = new OwnedHandle(checkHandle(
    `CreateFileW(${path})`,
    () => k.CreateFileW(wstr(path), GENERIC_WRITE >>> 0, 0, 0n, CREATE_ALWAYS, FILE_ATTRIBUTE_NORMAL, 0n),
  ));
  const put = new Uint32Array(1);
  check(`WriteFile(${path})`, () => k.WriteFile(file.value, backend.addressOf(data), data.length, put, 0n));
  if (put[0] !== data.length) {
    throw new WinipcError(`WriteFile(${path}) wrote ${put[0]} of ${data.length} bytes`);
  }
}

/**
 * A DLL's shared section, loaded into this process: memory shared with every process that
 * loads the same name and size, with no security descriptor (prefer `SharedMemory` from
 * `@winipc/winipc/shm` unless a legacy peer needs this). Only `close()` (or `using`) unloads it:
 * one dropped without it stays loaded until this process exits.
 *
 * @example
 * ```ts
 * import { DllSharedMemory } from "@winipc/winipc/dll";
 *
 * using section = DllSharedMemory.load("counters", 4096);
 * const words = section.whole.int32(0, 16);
 * Atomics.add(words, 0, 1); // seen by every process that loaded "counters" with 4096 bytes
 * ```
 */
export class DllSharedMemory extends RegionBase implements SharedRegion {
  readonly #module: OwnedHandle;
  /** A view of the whole section. */
  readonly whole: SharedView;

  /** The DLL file, from {@link sharedDllPath}. */
  readonly path: string;
  /** The section's size in bytes. */
  readonly size: number;
  private constructor(
    module: OwnedHandle,
    path: string,
    size: number,
  ) {
    super();
    this.path = path;
    this.size = size;
    this.#module = module;
    const base = module.value + BigInt(SHARED_SECTION_RVA);
    this.whole = new SharedView({ base, length: size, readOnly: false, release: () => {} }); // FreeLibrary unmaps
  }

  /**
   * Loads (writing it first if needed) the DLL for `name` with a `size`-byte shared section.
   * Every process that loads the same name and size shares the section; it starts zero-filled
   * and lives while any process has it loaded.
   * @throws {AddressError} when `name` is not 1 to 100 of `A-Z a-z 0-9 _ . -`.
   * @throws {RangeError} when `size` is not 1 byte to 1 GiB.
   */
  static load(name: string, size: number): DllSharedMemory {
    const image = buildSharedSectionDll(size);
    const path = sharedDllPath(name, size);
    const existing = readFileHead(path, image.length);
    if (!existing || existing.length !== image.length || existing.some((b, i) => b !== image[i])) {
      writeFile(path, image);
    }
    const h = checkPointer(`LoadLibraryW(${path})`, () => k.LoadLibraryW(wstr(path)));
    return new DllSharedMemory(new OwnedHandle(h, (m) => k.FreeLibrary(m)), path, size);
  }

  /** Drops this process's reference (FreeLibrary), through `close()`. The memory lives while any process has it loaded. */
  protected release(): void {
    this.whole[Symbol.dispose]();
    this.#module.close();
  }
}
