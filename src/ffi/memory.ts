/** Native (process heap) memory for data that must not move while Windows uses it. @module */
import { backend } from "./runtime.ts";
import { kernel32 } from "./kernel32.ts";
import { HEAP_ZERO_MEMORY } from "./headers/winnt.ts";
import { Win32Error } from "./error.ts";
import { ERROR_NOT_ENOUGH_MEMORY } from "./headers/winerror.ts";
import { WinipcError } from "../core/errors.ts";

const heap = kernel32.sync.GetProcessHeap();
let live = 0;
const registry = new FinalizationRegistry<bigint>((address) => {
  live--;
  kernel32.sync.HeapFree(heap, 0, address);
});

/** How many {@link NativeMemory} blocks are allocated (for leak checks and diagnostics). */
export function nativeBlockCount(): number {
  return live;
}

/**
 * A zero-filled block of native memory: OVERLAPPED structures and I/O buffers that the kernel
 * writes after the call that named them has returned. JS arrays can move or be collected; this
 * cannot. Freed exactly once, by `dispose` or (if forgotten) by the garbage collector.
 */
export class NativeMemory implements Disposable {
  #address: bigint;
  #bytes: Uint8Array | undefined;
  readonly size: number;

  constructor(size: number) {
    if (!Number.isSafeInteger(size) || size < 0) throw new RangeError(`bad size ${size}`);
    this.size = size;
    const address = kernel32.sync.HeapAlloc(heap, HEAP_ZERO_MEMORY, BigInt(Math.max(1, size)));
    // HeapAlloc does not set the last error; it returns NULL only when out of memory.
    if (address === 0n) throw new Win32Error("HeapAlloc", ERROR_NOT_ENOUGH_MEMORY);
    this.#address = address;
    live++;
    registry.register(this, address, this);
  }

  /** The block's address; throws once freed. */
  get address(): bigint {
    if (this.#address === 0n) throw new WinipcError("winipc: native memory used after free");
    return this.#address;
  }

  /** A byte view of the whole block (valid until dispose). */
  get bytes(): Uint8Array {
    return this.#bytes ??= new Uint8Array(backend.memory(this.address, this.size));
  }

  /** A DataView over the block (little-endian accessors, as Windows is). */
  view(): DataView {
    const b = this.bytes;
    return new DataView(b.buffer, b.byteOffset, b.byteLength);
  }

  [Symbol.dispose](): void {
    if (this.#address === 0n) return;
    live--;
    registry.unregister(this);
    kernel32.sync.HeapFree(heap, 0, this.#address);
    this.#address = 0n;
    this.#bytes = undefined;
  }
}
