/**
 * Blocking ReadFile/WriteFile on a handle through a native buffer, for the raw floors: the calls
 * a C program would make, with nothing of the library's I/O layer in between.
 * @module
 */
import { kernel32 } from "../../src/ffi/kernel32.ts";
import { check } from "../../src/ffi/check.ts";
import { NativeMemory } from "../../src/ffi/memory.ts";

const k = kernel32.sync;

/** Synchronous I/O on a handle opened without FILE_FLAG_OVERLAPPED. */
export class SyncIo implements Disposable {
  readonly #buf: NativeMemory;
  readonly #count = new Uint32Array(1);

  readonly handle: bigint;
  constructor(handle: bigint, size: number) {
    this.handle = handle;
    this.#buf = new NativeMemory(size);
  }

  /** Writes all of `bytes` (WriteFile until done). */
  write(bytes: Uint8Array): void {
    this.#buf.bytes.set(bytes);
    let done = 0;
    while (done < bytes.length) {
      const at = this.#buf.address + BigInt(done);
      check("WriteFile", () => k.WriteFile(this.handle, at, bytes.length - done, this.#count, 0n));
      done += this.#count[0];
    }
  }

  /** Reads whatever ReadFile gives, at most `max` bytes: the byte count. */
  readSome(max: number): number {
    check("ReadFile", () => k.ReadFile(this.handle, this.#buf.address, max, this.#count, 0n));
    return this.#count[0];
  }

  /** Reads exactly `n` bytes (a copy). */
  read(n: number): Uint8Array {
    let got = 0;
    while (got < n) {
      const at = this.#buf.address + BigInt(got);
      check("ReadFile", () => k.ReadFile(this.handle, at, n - got, this.#count, 0n));
      if (this.#count[0] === 0) throw new Error(`end of stream after ${got} of ${n} bytes`);
      got += this.#count[0];
    }
    return this.#buf.bytes.slice(0, n);
  }

  [Symbol.dispose](): void {
    this.#buf[Symbol.dispose]();
  }
}
