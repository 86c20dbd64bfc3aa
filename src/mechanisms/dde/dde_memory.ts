/**
 * What DDE messages carry besides numbers: global atoms (item, service and topic names) and
 * global memory blocks (GMEM_MOVEABLE|GMEM_DDESHARE: DDEDATA, DDEPOKE, DDEADVISE, EXECUTE text),
 * and the packed lParams of WM_DDE_ACK/DATA/POKE/ADVISE (a block of their own on 64-bit).
 *
 * Every atom and block this process holds for DDE goes through here, so {@link ddeHeld} can say
 * how many it holds: taken when made or received, given back when freed, deleted, or handed to
 * the peer (the DDE rules say, per message, which side frees what). A leak shows as a count that
 * does not come back to its baseline.
 * @module
 */
import { kernel32 } from "../../ffi/kernel32.ts";
import { user32 } from "../../ffi/user32.ts";
import { backend } from "../../ffi/runtime.ts";
import { wstr } from "../../ffi/wstr.ts";
import { WinipcError } from "../../core/errors.ts";
import { GMEM_MOVEABLE } from "../../ffi/headers/winbase.ts";
import { WM_DDE_ACK, WM_DDE_ADVISE, WM_DDE_DATA, WM_DDE_POKE } from "../../ffi/headers/dde.ts";

const GMEM_DDESHARE = 0x2000;
const k = () => kernel32.sync;
const u = () => user32().sync;

/** Atoms and memory blocks this process holds for DDE (its own accounting). */
const held = { atoms: 0, blocks: 0 };

/** How many DDE atoms and global memory blocks this process holds now. */
export function ddeHeld(): {
  /** Global atoms (item, service and topic names) held. */
  atoms: number;
  /** Global memory blocks held. */
  blocks: number;
} {
  return { ...held };
}

/** @internal Test hook: count `n` blocks as held that nobody frees (the leak check's control). */
export function ddeLeakForTest(n: number): void {
  held.blocks += n;
}

/** A global atom for `name` (a new reference: the holder deletes it or hands it on). */
export function addAtom(name: string): number {
  const atom = k().GlobalAddAtomW(wstr(name));
  if (atom === 0) throw new WinipcError(`GlobalAddAtomW failed for '${name}' (at most 255 characters)`);
  held.atoms++;
  return atom;
}

/** Deletes this process's reference to `atom` (0 is no atom). */
export function deleteAtom(atom: number): void {
  if (atom === 0) return;
  k().GlobalDeleteAtom(atom);
  held.atoms--;
}

/** An atom received from a peer: now this process's to delete or hand on. */
export function tookAtom(atom: number): void {
  if (atom !== 0) held.atoms++;
}

/** An atom handed to the peer in a posted message: the peer deletes it. */
export function gaveAtom(atom: number): void {
  if (atom !== 0) held.atoms--;
}

const nameBuf = new Uint16Array(256);
/** The text of `atom`, or null for 0 or an atom that does not exist. */
export function atomName(atom: number): string | null {
  if (atom === 0) return null;
  const n = k().GlobalGetAtomNameW(atom, nameBuf, nameBuf.length);
  if (n === 0) return null;
  return String.fromCharCode(...nameBuf.subarray(0, Math.min(n, 255)));
}

/** A new block holding `bytes` (at least one byte: a zero-size block cannot be locked). */
export function allocBlock(bytes: Uint8Array): bigint {
  const h = k().GlobalAlloc(GMEM_MOVEABLE | GMEM_DDESHARE, BigInt(Math.max(1, bytes.byteLength)));
  if (h === 0n) throw new WinipcError(`GlobalAlloc of ${bytes.byteLength} bytes failed`);
  const p = k().GlobalLock(h);
  if (p === 0n) {
    k().GlobalFree(h);
    throw new WinipcError("GlobalLock of a new block failed");
  }
  if (bytes.byteLength > 0) new Uint8Array(backend.memory(p, bytes.byteLength)).set(bytes);
  k().GlobalUnlock(h);
  held.blocks++;
  return h;
}

/**
 * A copy of a block's bytes, its size checked against `limit` before anything is read.
 * @throws {WinipcError} the handle is not a block, or it is larger than `limit`.
 */
export function readBlock(h: bigint, limit: number): Uint8Array {
  const size = Number(k().GlobalSize(h));
  if (size === 0) throw new WinipcError("a DDE memory handle that is not a block (or is empty)");
  if (size > limit) throw new WinipcError(`a DDE block of ${size} bytes is over the limit of ${limit}`);
  const p = k().GlobalLock(h);
  if (p === 0n) throw new WinipcError("GlobalLock of a received DDE block failed");
  try {
    return new Uint8Array(backend.memory(p, size).slice(0));
  } finally {
    k().GlobalUnlock(h);
  }
}

/** Frees a block this process holds. */
export function freeBlock(h: bigint): void {
  if (h === 0n) return;
  k().GlobalFree(h);
  held.blocks--;
}

/** A block received from a peer (the DDE rules make it this process's to free). */
export function tookBlock(h: bigint): void {
  if (h !== 0n) held.blocks++;
}

/** A block handed to the peer: the peer frees it. */
export function gaveBlock(h: bigint): void {
  if (h !== 0n) held.blocks--;
}

const lo = new BigUint64Array(1);
const hi = new BigUint64Array(1);
/**
 * The two values of a received DDE lParam, and the packed lParam freed (the receiver's duty).
 * Unpacked messages (INITIATE, REQUEST, UNADVISE) are split in 16-bit halves by the system.
 */
export function unpackLParam(msg: number, lParam: bigint): [bigint, bigint] {
  lo[0] = 0n;
  hi[0] = 0n;
  if (!u().UnpackDDElParam(msg, lParam, lo, hi)) {
    throw new WinipcError(`UnpackDDElParam(0x${msg.toString(16)}) failed`);
  }
  const pair: [bigint, bigint] = [lo[0], hi[0]];
  u().FreeDDElParam(msg, lParam);
  return pair;
}

/**
 * Frees the packed lParam of a DDE message nobody here handles (from a window with no
 * conversation, or a message the role never receives); the others carry nothing packed.
 */
export function freeUnhandled(msg: number, lParam: bigint): void {
  if (msg === WM_DDE_ACK || msg === WM_DDE_DATA || msg === WM_DDE_POKE || msg === WM_DDE_ADVISE) {
    try {
      unpackLParam(msg, lParam);
    } catch { /* nothing to free */ }
  }
}

/** A packed lParam for a message to post; free it with {@link freeLParam} if the post fails. */
export function packLParam(msg: number, low: bigint, high: bigint): bigint {
  return u().PackDDElParam(msg, low, high);
}

/** Frees a packed lParam that was never posted. */
export function freeLParam(msg: number, lParam: bigint): void {
  u().FreeDDElParam(msg, lParam);
}
