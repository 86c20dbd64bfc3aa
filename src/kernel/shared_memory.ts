/**
 * Shared memory: named file mappings backed by the paging file or by a file, mapped into views.
 * Peer-to-peer use: both sides `create` and `created` tells which one initialises; client/server
 * use: the server creates, clients `open`. All access goes through bounds-checked JS arrays over
 * the mapped view, so a bad offset is a RangeError, never a stray pointer.
 *
 * Lifetime: a region (a mapping here, a DLL section in the dll mechanism) is released by `close()`
 * (or `using`) and by nothing else. Every open region is held by a module-level set until then, so
 * the garbage-collector safety net of its handles can never unmap it. That safety net must not:
 * the region is memory other processes read, and a binding that the program never reads again can
 * be collected while it is still in scope (a top-level `const` once the module has finished
 * evaluating, in Bun and in Deno), which closed a mapping's last handle, and with it its name, or
 * unloaded a DLL section, while the program still meant to share it. A region dropped without
 * `close()` therefore stays mapped until the process exits.
 * @module
 */
import { kernel32 } from "../ffi/kernel32.ts";
import {
  FILE_MAP_ALL_ACCESS,
  FILE_MAP_READ,
  FILE_MAP_WRITE,
  INVALID_HANDLE_VALUE,
  OPEN_ALWAYS,
} from "../ffi/headers/winbase.ts";
import {
  FILE_ATTRIBUTE_NORMAL,
  FILE_SHARE_READ,
  FILE_SHARE_WRITE,
  GENERIC_READ,
  GENERIC_WRITE,
  PAGE_READWRITE,
} from "../ffi/headers/winnt.ts";
import { Win32Error } from "../ffi/error.ts";
import { attempt, check, checkHandle, checkPointer } from "../ffi/check.ts";
import { OwnedHandle } from "../ffi/handle.ts";
import { backend } from "../ffi/runtime.ts";
import { wstr } from "../ffi/wstr.ts";
import { createKernelObject, type KernelObjectOptions, openKernelObject } from "./sync.ts";
import { WinipcError } from "../core/errors.ts";

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
  /** The mapping is in `Global\` (it was created with `global: true`), not `Local\`. */
  global?: boolean;
  /** Map read-only: views offer `read()` but no live `bytes`. */
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

/** Where a {@link SharedView}'s memory is (the internal constructor's argument). */
export interface ViewMemory {
  /** The address the mapping call returned. */
  readonly base: bigint;
  /** Bytes from `base` to the view's first byte (view offsets are aligned down). Default 0. */
  readonly delta?: number;
  readonly length: number;
  readonly readOnly: boolean;
  /** Undoes the mapping. Default UnmapViewOfFile. */
  readonly release?: (base: bigint) => void;
}

/** One mapped view of a mapping. Unmapped on dispose; the arrays it gave out are then invalid. */
export class SharedView implements Disposable {
  #base: bigint;
  #bytes: Uint8Array | undefined;
  /** The view's size in bytes. */
  readonly length: number;
  /** Whether the view was mapped read-only. */
  readonly readOnly: boolean;
  readonly #release: (base: bigint) => void;

  /** @internal Views come from {@link SharedMemory.view} and `whole`. */
  constructor(memory: ViewMemory) {
    const delta = memory.delta ?? 0;
    this.#base = memory.base;
    this.length = memory.length;
    this.readOnly = memory.readOnly;
    this.#release = memory.release ?? ((b) => k.UnmapViewOfFile(b));
    this.#bytes = new Uint8Array(backend.memory(memory.base, delta + memory.length), delta, memory.length);
  }

  #array(): Uint8Array {
    if (!this.#bytes) throw new WinipcError("winipc: shared view used after it was unmapped");
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
  int32(offset = 0, length?: number): Int32Array {
    length ??= this.length - offset;
    if (this.readOnly) throw new TypeError("read-only view");
    checkRange(offset, length, this.length);
    const b = this.#array();
    if ((b.byteOffset + offset) % 4 || length % 4) throw new RangeError("int32 view must be 4-byte aligned");
    return new Int32Array(b.buffer, b.byteOffset + offset, length / 4);
  }

  /** A copy of `length` bytes at `offset`. */
  read(offset = 0, length?: number): Uint8Array {
    length ??= this.length - offset;
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
    check("FlushViewOfFile", () => k.FlushViewOfFile(this.#base, 0n));
  }

  /** Unmaps the view; later calls do nothing. */
  [Symbol.dispose](): void {
    if (!this.#bytes) return;
    this.#bytes = undefined;
    this.#release(this.#base);
  }
}

/** Memory several processes see: a file mapping, or a DLL's shared section. */
export interface SharedRegion extends Disposable {
  /** Its size in bytes. */
  readonly size: number;
  /** A view of all of it. */
  readonly whole: SharedView;
  /** All of its bytes, live (writes are seen by every process sharing it). */
  readonly bytes: Uint8Array;
  /** A copy of `length` bytes at `offset` (default: to the end). */
  read(offset?: number, length?: number): Uint8Array;
  /** Copies `data` in at `offset`. */
  write(offset: number, data: Uint8Array): void;
  /** Releases this process's hold on it; the arrays it gave out are then invalid. Idempotent. */
  close(): void;
}

/** Regions not closed yet: held strongly so that only `close()` releases one (see the module doc). */
const openRegions = new Set<RegionBase>();

/** How many regions (mappings, DLL sections) this process has open and not closed. */
export function openRegionCount(): number {
  return openRegions.size;
}

/** @internal The byte accessors every region offers, through its whole view, and close-once. */
export abstract class RegionBase implements SharedRegion {
  abstract readonly size: number;
  abstract readonly whole: SharedView;
  /** Releases what the region holds; called once, by `close()`. */
  protected abstract release(): void;

  constructor() {
    openRegions.add(this);
  }

  /** Releases this process's hold on the region; the arrays it gave out are then invalid. Idempotent. */
  close(): void {
    if (!openRegions.delete(this)) return;
    this.release();
  }

  /** The whole region's bytes, live. */
  get bytes(): Uint8Array {
    return this.whole.bytes;
  }

  /** A copy of `length` bytes at `offset`. */
  read(offset = 0, length?: number): Uint8Array {
    return this.whole.read(offset, length ?? this.size - offset);
  }

  /** Copies `data` in at `offset`. */
  write(offset: number, data: Uint8Array): void {
    this.whole.write(offset, data);
  }

  /** Same as `close()`. */
  [Symbol.dispose](): void {
    this.close();
  }
}

/** What a {@link SharedMemory} is made of (its private constructor's argument). */
interface MappingParts {
  readonly mapping: OwnedHandle;
  readonly file?: OwnedHandle;
  readonly name: string | undefined;
  readonly size: number;
  readonly created: boolean;
  readonly readOnly: boolean;
}

/**
 * A file mapping object and its views: memory shared by name with other processes, backed by
 * the paging file or by a file. Only `close()` (or `using`) releases it: one dropped without it
 * stays mapped, and its name stays open to other processes, until this process exits.
 *
 * @example
 * ```ts
 * import { SharedMemory } from "@winipc/winipc/shm";
 *
 * // Process A: create (or open) the mapping and write into it.
 * using memory = SharedMemory.create("status", { size: 4096 });
 * memory.write(0, new TextEncoder().encode("ready"));
 *
 * // Process B: open it and read.
 * using peer = SharedMemory.open("status");
 * console.log(new TextDecoder().decode(peer.read(0, 5))); // "ready"
 * ```
 */
export class SharedMemory extends RegionBase implements SharedRegion {
  readonly #mapping: OwnedHandle;
  readonly #file: OwnedHandle | undefined;
  readonly #views = new Set<SharedView>();
  #whole: SharedView | undefined;
  /** The full kernel name (`Local\NAME`), or undefined for an unnamed mapping. */
  readonly name: string | undefined;
  /** The mapping's size in bytes (for an opened mapping: rounded up to whole pages unless given). */
  readonly size: number;
  /** False when `create` found and opened an existing mapping (or after `open`). */
  readonly created: boolean;
  /** Whether every view of it is read-only. */
  readonly readOnly: boolean;

  private constructor(parts: MappingParts) {
    super();
    this.#mapping = parts.mapping;
    this.#file = parts.file;
    this.name = parts.name;
    this.size = parts.size;
    this.created = parts.created;
    this.readOnly = parts.readOnly;
  }

  /**
   * Creates a mapping of `size` bytes, or opens the existing one of that name (`created` false).
   * Named mappings are `Local\NAME` and owner-only unless the options say otherwise; unnamed
   * ones are for handle passing.
   *
   * @example
   * ```ts
   * import { SharedMemory } from "@winipc/winipc/shm";
   *
   * using memory = SharedMemory.create("frames", { size: 1 << 20, mode: "create" });
   * const counter = memory.whole.int32(0, 4);
   * Atomics.add(counter, 0, 1);
   * ```
   * @throws {AddressInUseError} when `mode: "create"` and the name exists.
   * @throws {RangeError} when `size` is not a positive integer.
   */
  static create(name: string | undefined, opts: SharedMemoryOptions): SharedMemory {
    const size = opts.size;
    if (!Number.isSafeInteger(size) || size < 1) {
      throw new RangeError(`size must be a positive integer, got ${size}`);
    }
    let file: OwnedHandle | undefined;
    if (opts.file !== undefined) {
      const path = wstr(opts.file);
      const access = (GENERIC_READ | GENERIC_WRITE) >>> 0;
      const share = FILE_SHARE_READ | FILE_SHARE_WRITE;
      file = new OwnedHandle(
        checkHandle(
          `CreateFileW(${opts.file})`,
          () => k.CreateFileW(path, access, share, 0n, OPEN_ALWAYS, FILE_ATTRIBUTE_NORMAL, 0n),
        ),
      );
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
      return new SharedMemory({
        mapping: r.handle,
        file,
        name: r.name,
        size,
        created: r.created,
        readOnly: false,
      });
    } catch (e) {
      file?.close();
      throw e;
    }
  }

  /**
   * Opens an existing named mapping.
   *
   * @example
   * ```ts
   * import { SharedMemory } from "@winipc/winipc/shm";
   *
   * using memory = SharedMemory.open("frames", { readOnly: true });
   * const header = memory.read(0, 16);
   * ```
   * @throws {NotFoundError} when no mapping has that name.
   */
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
      const viewAccess = opts.readOnly ? FILE_MAP_READ : FILE_MAP_READ | FILE_MAP_WRITE;
      const mapped = attempt(() => k.MapViewOfFile(r.handle.value, viewAccess, 0, 0, 0n), (b) => b === 0n);
      const base = mapped.value;
      if (base === 0n) {
        r.handle.close();
        throw new Win32Error("MapViewOfFile", mapped.error);
      }
      const info = new Uint8Array(48);
      k.VirtualQuery(base, info, 48n);
      size = Number(new DataView(info.buffer).getBigUint64(24, true)); // MEMORY_BASIC_INFORMATION.RegionSize
      k.UnmapViewOfFile(base);
    }
    return new SharedMemory({
      mapping: r.handle,
      name: r.name,
      size,
      created: false,
      readOnly: opts.readOnly ?? false,
    });
  }

  /** The mapping HANDLE (owned). */
  get handle(): bigint {
    return this.#mapping.value;
  }

  /** Maps `length` bytes at `offset` (any offset: alignment is handled here). */
  view(offset = 0, length?: number, opts: { readOnly?: boolean } = {}): SharedView {
    length ??= this.size - offset;
    checkRange(offset, length, this.size);
    if (length === 0) throw new RangeError("a view needs at least one byte");
    const readOnly = this.readOnly || (opts.readOnly ?? false);
    const g = allocationGranularity();
    const aligned = Math.floor(offset / g) * g;
    const delta = offset - aligned;
    const base = checkPointer("MapViewOfFile", () =>
      k.MapViewOfFile(
        this.#mapping.value,
        readOnly ? FILE_MAP_READ : FILE_MAP_READ | FILE_MAP_WRITE,
        Math.floor(aligned / 2 ** 32),
        aligned % 2 ** 32,
        BigInt(delta + length),
      ));
    const v = new SharedView({ base, delta, length, readOnly });
    this.#views.add(v);
    return v;
  }

  /** A view of the whole mapping, made on first use and kept until close. */
  get whole(): SharedView {
    return this.#whole ??= this.view(0, this.size);
  }

  /** Writes the dirty pages of every view to the backing file (FlushViewOfFile). */
  flush(): void {
    for (const v of this.#views) v.flush();
  }

  /** Unmaps every view and closes the mapping (and file), through `close()`. */
  protected release(): void {
    for (const v of this.#views) v[Symbol.dispose]();
    this.#views.clear();
    this.#whole = undefined;
    this.#mapping.close();
    this.#file?.close();
  }
}
