/**
 * Shared memory: named file mappings backed by the paging file or by a file, mapped into views.
 * Peer-to-peer use: both sides `create` and `created` tells which one initialises; client/server
 * use: the server creates, clients `open`. All access goes through bounds-checked JS arrays over
 * the mapped view, so a bad offset is a RangeError, never a stray pointer.
 * @module
 */
import { kernel32 } from "../ffi/kernel32.ts";
import {
  FILE_ATTRIBUTE_NORMAL,
  FILE_MAP_ALL_ACCESS,
  FILE_MAP_READ,
  FILE_MAP_WRITE,
  FILE_SHARE_READ,
  FILE_SHARE_WRITE,
  GENERIC_READ,
  GENERIC_WRITE,
  INVALID_HANDLE_VALUE,
  OPEN_ALWAYS,
  PAGE_READWRITE,
} from "../ffi/constants.ts";
import { lastError, Win32Error } from "../ffi/error.ts";
import { isInvalidHandle, OwnedHandle } from "../ffi/handle.ts";
import { backend } from "../ffi/runtime.ts";
import { wstr } from "../ffi/wstr.ts";
import { createKernelObject, type KernelObjectOptions, openKernelObject } from "./sync.ts";

const k = kernel32.sync;

let granularity: number | undefined;
/** The allocation granularity (view offsets must be multiples of it), usually 64 KiB. */
export function allocationGranularity(): number {
  if (granularity) return granularity;
  const info = new Uint8Array(48);
  k.GetSystemInfo(info);
  granularity = new DataView(info.buffer).getUint32(40, true) || 65536; // SYSTEM_INFO.dwAllocationGranularity
  return granularity;
}

/** Options for {@link SharedMemory.create}. */
export interface SharedMemoryOptions extends KernelObjectOptions {
  /** Size in bytes (at least 1). */
  size: number;
  /** Back the mapping with this file (created if missing, grown to `size`) instead of the paging file. */
  file?: string;
}

/** Options for {@link SharedMemory.open}. */
export interface SharedMemoryOpenOptions {
  global?: boolean;
  readOnly?: boolean;
  /** The size to map. Default: the mapping's size rounded up to whole pages. */
  size?: number;
}

function checkRange(offset: number, length: number, size: number): void {
  if (
    !Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0 ||
    offset + length > size
  ) {
    throw new RangeError(`range [${offset}, ${offset}+${length}) is outside 0..${size}`);
  }
}

/** One mapped view of a mapping. Unmapped on dispose; the arrays it gave out are then invalid. */
export class SharedView implements Disposable {
  #base: bigint;
  #bytes: Uint8Array | undefined;

  readonly #release: (base: bigint) => void;

  /** @internal `release` undoes the mapping (default UnmapViewOfFile). */
  constructor(
    base: bigint,
    delta: number,
    readonly length: number,
    readonly readOnly: boolean,
    release: (base: bigint) => void = (b) => k.UnmapViewOfFile(b),
  ) {
    this.#base = base;
    this.#release = release;
    this.#bytes = new Uint8Array(backend.memory(base, delta + length), delta, length);
  }

  #array(): Uint8Array {
    if (!this.#bytes) throw new Error("winipc: shared view used after it was unmapped");
    return this.#bytes;
  }

  /**
   * The view's bytes, live (writes are seen by every process mapping the same memory). Not
   * offered on read-only views: a write there would be an access violation, not an exception.
   */
  get bytes(): Uint8Array {
    if (this.readOnly) throw new TypeError("read-only view: use read()");
    return this.#array();
  }

  /** An Int32Array over the view for Atomics (offset and length in bytes, 4-aligned). */
  int32(offset = 0, length = this.length - offset): Int32Array {
    if (this.readOnly) throw new TypeError("read-only view");
    checkRange(offset, length, this.length);
    const b = this.#array();
    if ((b.byteOffset + offset) % 4 || length % 4) throw new RangeError("int32 view must be 4-byte aligned");
    return new Int32Array(b.buffer, b.byteOffset + offset, length / 4);
  }

  /** A copy of `length` bytes at `offset`. */
  read(offset = 0, length = this.length - offset): Uint8Array {
    checkRange(offset, length, this.length);
    return this.#array().slice(offset, offset + length);
  }

  /** Copies `data` in at `offset`. */
  write(offset: number, data: Uint8Array): void {
    if (this.readOnly) throw new TypeError("read-only view");
    checkRange(offset, data.byteLength, this.length);
    this.#array().set(data, offset);
  }

  /** Writes dirty pages of a file-backed view to the file (FlushViewOfFile). */
  flush(): void {
    if (!k.FlushViewOfFile(this.#base, 0n)) throw new Win32Error("FlushViewOfFile", lastError());
  }

  [Symbol.dispose](): void {
    if (!this.#bytes) return;
    this.#bytes = undefined;
    this.#release(this.#base);
  }
}

/** Memory several processes see: a file mapping, or a DLL's shared section. */
export interface SharedRegion extends Disposable {
  readonly size: number;
  /** A view of all of it. */
  readonly whole: SharedView;
  readonly bytes: Uint8Array;
  read(offset?: number, length?: number): Uint8Array;
  write(offset: number, data: Uint8Array): void;
  close(): void;
}

/** The byte accessors every region offers, through its whole view. */
export abstract class RegionBase implements SharedRegion {
  abstract readonly size: number;
  abstract readonly whole: SharedView;
  abstract close(): void;

  /** The whole region's bytes, live. */
  get bytes(): Uint8Array {
    return this.whole.bytes;
  }

  /** A copy of `length` bytes at `offset`. */
  read(offset = 0, length = this.size - offset): Uint8Array {
    return this.whole.read(offset, length);
  }

  /** Copies `data` in at `offset`. */
  write(offset: number, data: Uint8Array): void {
    this.whole.write(offset, data);
  }

  [Symbol.dispose](): void {
    this.close();
  }
}

/** A file mapping object and its views. */
export class SharedMemory extends RegionBase {
  readonly #mapping: OwnedHandle;
  readonly #file: OwnedHandle | undefined;
  readonly #views = new Set<SharedView>();
  #whole: SharedView | undefined;

  private constructor(
    mapping: OwnedHandle,
    file: OwnedHandle | undefined,
    readonly name: string | undefined,
    readonly size: number,
    readonly created: boolean,
    readonly readOnly: boolean,
  ) {
    super();
    this.#mapping = mapping;
    this.#file = file;
  }

  /**
   * Creates a mapping of `size` bytes, or opens the existing one of that name (`created` false;
   * `mode: "create"` makes that an AddressInUseError). Unnamed mappings are for handle passing.
   */
  static create(name: string | undefined, opts: SharedMemoryOptions): SharedMemory {
    const size = opts.size;
    if (!Number.isSafeInteger(size) || size < 1) {
      throw new RangeError(`size must be a positive integer, got ${size}`);
    }
    let file: OwnedHandle | undefined;
    if (opts.file !== undefined) {
      const h = k.CreateFileW(
        wstr(opts.file),
        (GENERIC_READ | GENERIC_WRITE) >>> 0,
        FILE_SHARE_READ | FILE_SHARE_WRITE,
        0n,
        OPEN_ALWAYS,
        FILE_ATTRIBUTE_NORMAL,
        0n,
      );
      if (isInvalidHandle(h)) throw new Win32Error(`CreateFileW(${opts.file})`, lastError());
      file = new OwnedHandle(h);
    }
    try {
      const r = createKernelObject(
        "CreateFileMappingW",
        name,
        opts,
        (sa, n) =>
          k.CreateFileMappingW(
            file?.value ?? INVALID_HANDLE_VALUE,
            sa,
            PAGE_READWRITE,
            Math.floor(size / 2 ** 32),
            size % 2 ** 32,
            n,
          ),
      );
      return new SharedMemory(r.handle, file, r.name, size, r.created, false);
    } catch (e) {
      file?.close();
      throw e;
    }
  }

  /** Opens an existing named mapping (NotFoundError if none). */
  static open(name: string, opts: SharedMemoryOpenOptions = {}): SharedMemory {
    const access = opts.readOnly ? FILE_MAP_READ : FILE_MAP_ALL_ACCESS;
    const r = openKernelObject(
      "OpenFileMappingW",
      name,
      opts.global,
      (n) => k.OpenFileMappingW(access, 0, n),
    );
    let size = opts.size;
    if (size === undefined) {
      // The mapping's size is not queryable; a whole view's region size is (rounded to pages).
      const base = k.MapViewOfFile(
        r.handle.value,
        opts.readOnly ? FILE_MAP_READ : FILE_MAP_READ | FILE_MAP_WRITE,
        0,
        0,
        0n,
      );
      if (base === 0n) {
        const code = lastError();
        r.handle.close();
        throw new Win32Error("MapViewOfFile", code);
      }
      const info = new Uint8Array(48);
      k.VirtualQuery(base, info, 48n);
      size = Number(new DataView(info.buffer).getBigUint64(24, true)); // MEMORY_BASIC_INFORMATION.RegionSize
      k.UnmapViewOfFile(base);
    }
    return new SharedMemory(r.handle, undefined, r.name, size, false, opts.readOnly ?? false);
  }

  /** The mapping HANDLE (owned). */
  get handle(): bigint {
    return this.#mapping.value;
  }

  /** Maps `length` bytes at `offset` (any offset: alignment is handled here). */
  view(offset = 0, length = this.size - offset, opts: { readOnly?: boolean } = {}): SharedView {
    checkRange(offset, length, this.size);
    if (length === 0) throw new RangeError("a view needs at least one byte");
    const readOnly = this.readOnly || (opts.readOnly ?? false);
    const g = allocationGranularity();
    const aligned = Math.floor(offset / g) * g;
    const delta = offset - aligned;
    const base = k.MapViewOfFile(
      this.#mapping.value,
      readOnly ? FILE_MAP_READ : FILE_MAP_READ | FILE_MAP_WRITE,
      Math.floor(aligned / 2 ** 32),
      aligned % 2 ** 32,
      BigInt(delta + length),
    );
    if (base === 0n) throw new Win32Error("MapViewOfFile", lastError());
    const v = new SharedView(base, delta, length, readOnly);
    this.#views.add(v);
    return v;
  }

  /** A view of the whole mapping, made on first use and kept until close. */
  get whole(): SharedView {
    return this.#whole ??= this.view(0, this.size);
  }

  flush(): void {
    for (const v of this.#views) v.flush();
  }

  /** Unmaps every view and closes the mapping (and file). Idempotent. */
  close(): void {
    for (const v of this.#views) v[Symbol.dispose]();
    this.#views.clear();
    this.#whole = undefined;
    this.#mapping.close();
    this.#file?.close();
  }
}
