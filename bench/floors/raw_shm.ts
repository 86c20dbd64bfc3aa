/**
 * Floor: a spin ping-pong through shared memory. Both processes map the same view of a
 * CreateFileMappingW region and spin on it with Atomics.load/Atomics.store (one word each way,
 * on separate cache lines): no kernel call at all, so this is what two cores and the runtimes'
 * memory access cost. Spins are bounded by a deadline, checked every 4096 loads.
 * @module
 */
import { kernel32 } from "../../src/ffi/kernel32.ts";
import { backend } from "../../src/ffi/runtime.ts";
import { checkHandle, checkPointer } from "../../src/ffi/check.ts";
import { wstr } from "../../src/ffi/wstr.ts";
import { FILE_MAP_ALL_ACCESS, INVALID_HANDLE_VALUE } from "../../src/ffi/headers/winbase.ts";
import { PAGE_READWRITE } from "../../src/ffi/headers/winnt.ts";
import { type Measured, type Settings, spawnPeer, timeRoundTrips, uniqueName } from "../measure.ts";

const k = kernel32.sync;
const SIZE = 4096;
/** Int32 indexes: 64 bytes apart, so the two writers never share a cache line. */
const PING = 0, PONG = 16, READY = 32;
const SPIN_LIMIT_MS = 30_000;

/** Spins until `word` holds `value`; throws when `SPIN_LIMIT_MS` pass. */
function spinUntil(view: Int32Array, word: number, value: number): void {
  let deadline = 0;
  for (let n = 1; Atomics.load(view, word) !== value; n++) {
    if ((n & 4095) === 0) {
      const now = performance.now();
      if (deadline === 0) deadline = now + SPIN_LIMIT_MS;
      else if (now > deadline) throw new Error(`spin: word ${word} never became ${value}`);
    }
  }
}

/** Maps the region; `using` unmaps it. */
function mapView(mapping: bigint): Disposable & { view: Int32Array } {
  const address = checkPointer(
    "MapViewOfFile",
    () => k.MapViewOfFile(mapping, FILE_MAP_ALL_ACCESS, 0, 0, BigInt(SIZE)),
  );
  return {
    view: new Int32Array(backend.memory(address, SIZE)),
    [Symbol.dispose]: () => void k.UnmapViewOfFile(address),
  };
}

/** The parent: creates the region, starts the peer, measures. */
export async function rawShm(s: Settings): Promise<Measured> {
  const name = uniqueName("spin");
  const mapping = checkHandle(
    "CreateFileMappingW",
    () => k.CreateFileMappingW(INVALID_HANDLE_VALUE, null, PAGE_READWRITE, 0, SIZE, wstr(name)),
  );
  try {
    using mapped = mapView(mapping);
    const view = mapped.view;
    await using _peer = spawnPeer("raw-shm", [name, String(s.warmup + s.rtt)]);
    const deadline = performance.now() + SPIN_LIMIT_MS;
    while (Atomics.load(view, READY) !== 1) { // the peer starts: sleep, do not spin
      if (performance.now() > deadline) throw new Error("the spin peer never mapped the region");
      await new Promise((r) => setTimeout(r, 10));
    }
    const rtt = timeRoundTrips(s, (i) => {
      Atomics.store(view, PING, i + 1);
      spinUntil(view, PONG, i + 1);
    });
    return { rtt, notes: ["Atomics.load/store on one word each way, both processes spinning"] };
  } finally {
    k.CloseHandle(mapping);
  }
}

/** The peer: maps the region, says it is ready, answers every ping. */
export function rawShmPeer(name: string, rttTotal: number): void {
  const mapping = checkHandle(
    "OpenFileMappingW",
    () => k.OpenFileMappingW(FILE_MAP_ALL_ACCESS, 0, wstr(name)),
  );
  try {
    using mapped = mapView(mapping);
    const view = mapped.view;
    Atomics.store(view, READY, 1);
    for (let i = 1; i <= rttTotal; i++) {
      spinUntil(view, PING, i);
      Atomics.store(view, PONG, i);
    }
  } finally {
    k.CloseHandle(mapping);
  }
}
