/**
 * Kernel synchronisation objects: events, semaphores and mutexes, named (`Local\` by default,
 * `Global\` on request) or unnamed, with owner-only security by default. Every wait is async,
 * cancellable and bounded. A mutex abandoned by a process that died holding it is reported
 * (`abandoned: true`), never hidden.
 * @module
 */
import { kernel32 } from "../ffi/kernel32.ts";
import { WAIT_ABANDONED_0, WAIT_OBJECT_0 } from "../ffi/headers/winbase.ts";
import { ERROR_ALREADY_EXISTS, ERROR_FILE_NOT_FOUND, WAIT_TIMEOUT } from "../ffi/headers/winerror.ts";
import {
  EVENT_MODIFY_STATE,
  MUTEX_MODIFY_STATE,
  SEMAPHORE_MODIFY_STATE,
  SYNCHRONIZE,
} from "../ffi/headers/winnt.ts";
import { Win32Error } from "../ffi/error.ts";
import { attempt, attemptReporting, check, lastErrorAfter } from "../ffi/check.ts";
import { isInvalidHandle, OwnedHandle } from "../ffi/handle.ts";
import { type Signalled, waitAny } from "./wait.ts";
import { ownerOnlySddl, SecurityAttributes } from "./security.ts";
import { wstr } from "../ffi/wstr.ts";
import {
  AddressError,
  AddressInUseError,
  NotFoundError,
  TimeoutError,
  type WaitOptions,
} from "../core/errors.ts";
import { acquireOnOwnerThread } from "./mutex_wait.ts";
import { checkWaitOptions } from "../core/op_queue.ts";

const k = kernel32.sync;

/** Options for creating a named kernel object. */
export interface KernelObjectOptions {
  /** `Global\` (all sessions; needs SeCreateGlobalPrivilege) instead of `Local\`. */
  global?: boolean;
  /** Security descriptor in SDDL. Default: owner-only (current user and SYSTEM). */
  sddl?: string;
  /** `create` fails with AddressInUseError if the name exists; `createOrOpen` (default) opens it. */
  mode?: "create" | "createOrOpen";
}

/** The full kernel name: `Local\NAME` unless `global` or the name already has a namespace. */
export function kernelObjectName(name: string, global = false): string {
  if (typeof name !== "string" || name.length === 0) {
    throw new AddressError("a kernel object name is a non-empty string");
  }
  if (/^(Local|Global|Session\\\d+)\\/i.test(name)) return name;
  if (name.includes("\\")) {
    throw new AddressError(`bad kernel object name '${name}': no backslash outside the namespace`);
  }
  if (name.length > 250) throw new AddressError(`kernel object name too long (${name.length} > 250)`);
  return `${global ? "Global" : "Local"}\\${name}`;
}

/** Creates (or opens) a named or unnamed object with `create(sa, name)`; reports whether it was new. */
export function createKernelObject(
  api: string,
  name: string | undefined,
  opts: KernelObjectOptions,
  create: (sa: Uint8Array | null, name: Uint16Array | null) => bigint,
): { handle: OwnedHandle; created: boolean; name?: string } {
  const full = name === undefined ? undefined : kernelObjectName(name, opts.global);
  using sa = full === undefined ? undefined : new SecurityAttributes(opts.sddl ?? ownerOnlySddl());
  // Success reports ERROR_ALREADY_EXISTS when the name existed.
  const r = attemptReporting(() => create(sa?.bytes ?? null, full === undefined ? null : wstr(full)));
  if (isInvalidHandle(r.value)) throw new Win32Error(`${api}(${full ?? "unnamed"})`, r.error);
  const handle = new OwnedHandle(r.value);
  const created = r.error !== ERROR_ALREADY_EXISTS;
  if (!created && opts.mode === "create") {
    handle.close();
    throw new AddressInUseError(`${full} already exists`);
  }
  return { handle, created, name: full };
}

/** Opens an existing named object with `open(name)`; NotFoundError if there is none. */
export function openKernelObject(
  api: string,
  name: string,
  global: boolean | undefined,
  open: (name: Uint16Array) => bigint,
) {
  const full = kernelObjectName(name, global);
  const r = attempt(() => open(wstr(full)), isInvalidHandle);
  if (isInvalidHandle(r.value)) {
    if (r.error === ERROR_FILE_NOT_FOUND) throw new NotFoundError(`no object named ${full}`);
    throw new Win32Error(`${api}(${full})`, r.error);
  }
  return { handle: new OwnedHandle(r.value), name: full };
}

/** Anything with a waitable kernel handle. */
export interface Waitable {
  /** The HANDLE (owned by the object: do not close it). */
  readonly handle: bigint;
}

/**
 * Waits until one of `objects` is signalled. For a mutex this acquires it for the thread that
 * waited, which is not the JS thread: use {@link Mutex.acquire} for mutexes.
 */
export function waitForAny(objects: readonly Waitable[], opts: WaitOptions = {}): Promise<Signalled> {
  return waitAny(objects.map((o) => o.handle), opts);
}

/** What events, semaphores and mutexes share: an owned handle, the name, and whether it was new. */
export abstract class KernelObject implements Waitable, Disposable {
  /** @internal */
  protected readonly owned: OwnedHandle;
  /** The full kernel name (`Local\NAME`), or undefined for an unnamed object. */
  readonly name: string | undefined;
  /** False when `create` opened an object that already existed (and after `open`). */
  readonly created: boolean;
  /** @internal */
  protected constructor(
    owned: OwnedHandle,
    name: string | undefined,
    created: boolean,
  ) {
    this.owned = owned;
    this.name = name;
    this.created = created;
  }
  /** The HANDLE, for waits (see {@link waitForAny}). Throws after close. */
  get handle(): bigint {
    return this.owned.value;
  }
  /** Closes this process's handle; the object lives while any process has one. Idempotent. */
  close(): void {
    this.owned.close();
  }
  /** Same as `close()`. */
  [Symbol.dispose](): void {
    this.close();
  }
}

/** Options for {@link KernelEvent.create}. */
export interface EventOptions extends KernelObjectOptions {
  /** Manual reset stays signalled until reset; auto reset (default) releases one waiter. */
  manualReset?: boolean;
  /** Start signalled. Default false. */
  initialState?: boolean;
}

/**
 * An event object (CreateEventW): one process sets it, others wait for it.
 *
 * @example
 * ```ts
 * import { KernelEvent } from "@winipc/winipc/sync";
 *
 * // Process A:
 * using ready = KernelEvent.create("job-ready", { manualReset: true });
 * // Process B:
 * using seen = KernelEvent.open("job-ready");
 * seen.set();
 * // Process A:
 * await ready.wait({ timeout: 10_000 });
 * ```
 */
export class KernelEvent extends KernelObject {
  /**
   * Creates an event (unnamed when `name` is undefined); a named one that exists is opened
   * (`created` is false).
   * @throws {AddressInUseError} when `mode: "create"` and the name exists.
   */
  static create(name?: string, opts: EventOptions = {}): KernelEvent {
    const r = createKernelObject(
      "CreateEventW",
      name,
      opts,
      (sa, n) => k.CreateEventW(sa, opts.manualReset ? 1 : 0, opts.initialState ? 1 : 0, n),
    );
    return new KernelEvent(r.handle, r.name, r.created);
  }
  /**
   * Opens an existing named event (`global`: in `Global\`).
   * @throws {NotFoundError} when no event has that name.
   */
  static open(name: string, opts: { global?: boolean } = {}): KernelEvent {
    const r = openKernelObject(
      "OpenEventW",
      name,
      opts.global,
      (n) => k.OpenEventW(SYNCHRONIZE | EVENT_MODIFY_STATE, 0, n),
    );
    return new KernelEvent(r.handle, r.name, false);
  }
  /** Signals the event: releases one waiter (auto reset) or all until reset (manual reset). */
  set(): void {
    check("SetEvent", () => k.SetEvent(this.handle));
  }
  /** Unsignals a manual-reset event. */
  reset(): void {
    check("ResetEvent", () => k.ResetEvent(this.handle));
  }
  /**
   * Resolves when the event is signalled (an auto-reset event is reset by this wait). Rejects
   * with `signal.reason` on abort.
   * @throws {TimeoutError} when `timeout` passes first.
   */
  async wait(opts?: WaitOptions): Promise<void> {
    await waitAny([this.handle], opts);
  }
}

/** Options for {@link Semaphore.create}. */
export interface SemaphoreOptions extends KernelObjectOptions {
  /** Units available at first, 0 to `maximumCount`. Default `maximumCount`. */
  initialCount?: number;
  /** The most units it can hold, 1 to 2^31-1. Default 1. */
  maximumCount?: number;
}

/**
 * A counting semaphore (CreateSemaphoreW): at most `maximumCount` holders at once, across
 * processes.
 *
 * @example
 * ```ts
 * import { Semaphore } from "@winipc/winipc/sync";
 *
 * using slots = Semaphore.create("render-slots", { maximumCount: 4 });
 * await slots.acquire({ timeout: 30_000 });
 * try {
 *   // at most four processes are here at once
 * } finally {
 *   slots.release();
 * }
 * ```
 */
export class Semaphore extends KernelObject {
  /**
   * Creates a semaphore (unnamed when `name` is undefined), or opens the existing one of that
   * name (`created` false; its counts are then the creator's).
   * @throws {AddressInUseError} when `mode: "create"` and the name exists.
   * @throws {RangeError} when the counts are out of range.
   */
  static create(name?: string, opts: SemaphoreOptions = {}): Semaphore {
    const max = opts.maximumCount ?? 1;
    const initial = opts.initialCount ?? max;
    if (!Number.isInteger(max) || max < 1 || max > 0x7fffffff) {
      throw new RangeError(`bad maximumCount ${max}`);
    }
    if (!Number.isInteger(initial) || initial < 0 || initial > max) {
      throw new RangeError(`bad initialCount ${initial}`);
    }
    const r = createKernelObject(
      "CreateSemaphoreW",
      name,
      opts,
      (sa, n) => k.CreateSemaphoreW(sa, initial, max, n),
    );
    return new Semaphore(r.handle, r.name, r.created);
  }
  /**
   * Opens an existing named semaphore (`global`: in `Global\`).
   * @throws {NotFoundError} when no semaphore has that name.
   */
  static open(name: string, opts: { global?: boolean } = {}): Semaphore {
    const r = openKernelObject(
      "OpenSemaphoreW",
      name,
      opts.global,
      (n) => k.OpenSemaphoreW(SYNCHRONIZE | SEMAPHORE_MODIFY_STATE, 0, n),
    );
    return new Semaphore(r.handle, r.name, false);
  }
  /**
   * Takes one unit, waiting while the count is zero. Rejects with `signal.reason` on abort.
   * @throws {TimeoutError} when `timeout` passes first.
   */
  async acquire(opts?: WaitOptions): Promise<void> {
    await waitAny([this.handle], opts);
  }
  /** Returns `count` units; resolves the previous count. */
  release(count = 1): number {
    const prev = new Int32Array(1);
    check("ReleaseSemaphore", () => k.ReleaseSemaphore(this.handle, count, prev));
    return prev[0];
  }
}

/** Options for {@link Mutex.create}. */
export interface MutexOptions extends KernelObjectOptions {
  /** The JS thread owns the new mutex at once (ignored when it already existed). */
  initialOwner?: boolean;
}

/** What {@link Mutex.acquire} reports. */
export interface MutexAcquired {
  /** The previous owner died holding the mutex: the data it guards may be inconsistent. */
  abandoned: boolean;
}

/**
 * A mutex (CreateMutexW), owned by the JS thread while acquired. Waiting happens on a helper
 * thread that takes the mutex and hands it straight back, then the JS thread takes it; so the
 * owner is always the thread that will call {@link Mutex.release}.
 *
 * @example
 * ```ts
 * import { Mutex } from "@winipc/winipc/sync";
 *
 * using lock = Mutex.create("settings-file");
 * const { abandoned } = await lock.acquire({ timeout: 5_000 });
 * try {
 *   if (abandoned) console.warn("the last holder died: check the file");
 *   // read-modify-write the settings file
 * } finally {
 *   lock.release();
 * }
 * ```
 */
export class Mutex extends KernelObject {
  /**
   * Creates a mutex (unnamed when `name` is undefined), or opens the existing one of that name
   * (`created` false).
   * @throws {AddressInUseError} when `mode: "create"` and the name exists.
   */
  static create(name?: string, opts: MutexOptions = {}): Mutex {
    const r = createKernelObject(
      "CreateMutexW",
      name,
      opts,
      (sa, n) => k.CreateMutexW(sa, opts.initialOwner ? 1 : 0, n),
    );
    return new Mutex(r.handle, r.name, r.created);
  }
  /**
   * Opens an existing named mutex (`global`: in `Global\`).
   * @throws {NotFoundError} when no mutex has that name.
   */
  static open(name: string, opts: { global?: boolean } = {}): Mutex {
    const r = openKernelObject(
      "OpenMutexW",
      name,
      opts.global,
      (n) => k.OpenMutexW(SYNCHRONIZE | MUTEX_MODIFY_STATE, 0, n),
    );
    return new Mutex(r.handle, r.name, false);
  }

  /** Takes the mutex without waiting; undefined if another thread or process holds it. */
  tryAcquire(): MutexAcquired | undefined {
    const { value: r, error } = lastErrorAfter(() => k.WaitForSingleObject(this.handle, 0));
    if (r === WAIT_OBJECT_0) return { abandoned: false };
    if (r === WAIT_ABANDONED_0) return { abandoned: true };
    if (r === WAIT_TIMEOUT) return undefined;
    throw new Win32Error("WaitForSingleObject", error);
  }

  /**
   * Takes the mutex, waiting (off the JS thread) while another holder has it. Rejects with
   * `signal.reason` on abort. A mutex can be taken again by its owner (release it as often).
   * @throws {TimeoutError} when `timeout` passes first.
   */
  async acquire(opts: WaitOptions = {}): Promise<MutexAcquired> {
    checkWaitOptions(opts);
    const deadline = opts.timeout === undefined ? undefined : Date.now() + opts.timeout;
    let abandoned = false;
    while (true) {
      const got = this.tryAcquire();
      if (got) return { abandoned: abandoned || got.abandoned };
      const left = deadline === undefined ? undefined : deadline - Date.now();
      if (left !== undefined && left <= 0) {
        throw new TimeoutError(`mutex ${this.name ?? ""} not acquired in ${opts.timeout} ms`);
      }
      abandoned = (await acquireOnOwnerThread(this.handle, { signal: opts.signal, timeout: left })) ||
        abandoned;
    }
  }

  /**
   * Releases one level of ownership.
   * @throws {Win32Error} when the JS thread does not own the mutex.
   */
  release(): void {
    check("ReleaseMutex", () => k.ReleaseMutex(this.handle));
  }
}
