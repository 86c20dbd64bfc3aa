/**
 * Kernel synchronisation objects: events, semaphores and mutexes, named (`Local\` by default,
 * `Global\` on request) or unnamed, with owner-only security by default. Every wait is async,
 * cancellable and bounded. A mutex abandoned by a process that died holding it is reported
 * (`abandoned: true`), never hidden.
 * @module
 */
import { kernel32 } from "../ffi/kernel32.ts";
import {
  ERROR_ALREADY_EXISTS,
  ERROR_FILE_NOT_FOUND,
  EVENT_MODIFY_STATE,
  MUTEX_MODIFY_STATE,
  SEMAPHORE_MODIFY_STATE,
  SYNCHRONIZE,
  WAIT_ABANDONED_0,
  WAIT_OBJECT_0,
  WAIT_TIMEOUT,
} from "../ffi/constants.ts";
import { lastError, Win32Error } from "../ffi/error.ts";
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
  k.SetLastError(0); // success leaves the code alone; ERROR_ALREADY_EXISTS must not be stale
  const h = create(sa?.bytes ?? null, full === undefined ? null : wstr(full));
  const code = lastError();
  if (isInvalidHandle(h)) throw new Win32Error(`${api}(${full ?? "unnamed"})`, code);
  const handle = new OwnedHandle(h);
  const created = code !== ERROR_ALREADY_EXISTS;
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
  const h = open(wstr(full));
  if (isInvalidHandle(h)) {
    const code = lastError();
    if (code === ERROR_FILE_NOT_FOUND) throw new NotFoundError(`no object named ${full}`);
    throw new Win32Error(`${api}(${full})`, code);
  }
  return { handle: new OwnedHandle(h), name: full };
}

/** Anything with a waitable kernel handle. */
export interface Waitable {
  readonly handle: bigint;
}

/**
 * Waits until one of `objects` is signalled. For a mutex this acquires it for the thread that
 * waited, which is not the JS thread: use {@link Mutex.acquire} for mutexes.
 */
export function waitForAny(objects: readonly Waitable[], opts: WaitOptions = {}): Promise<Signalled> {
  return waitAny(objects.map((o) => o.handle), opts);
}

abstract class KernelObject implements Waitable, Disposable {
  protected constructor(
    protected readonly owned: OwnedHandle,
    readonly name: string | undefined,
    readonly created: boolean,
  ) {}
  get handle(): bigint {
    return this.owned.value;
  }
  close(): void {
    this.owned.close();
  }
  [Symbol.dispose](): void {
    this.close();
  }
}

/** Options for {@link KernelEvent.create}. */
export interface EventOptions extends KernelObjectOptions {
  /** Manual reset stays signalled until reset; auto reset (default) releases one waiter. */
  manualReset?: boolean;
  initialState?: boolean;
}

/** An event object (CreateEventW). */
export class KernelEvent extends KernelObject {
  /** Creates an event; a named one that exists is opened (`created` is false) unless `mode: "create"`. */
  static create(name?: string, opts: EventOptions = {}): KernelEvent {
    const r = createKernelObject(
      "CreateEventW",
      name,
      opts,
      (sa, n) => k.CreateEventW(sa, opts.manualReset ? 1 : 0, opts.initialState ? 1 : 0, n),
    );
    return new KernelEvent(r.handle, r.name, r.created);
  }
  /** Opens an existing named event. */
  static open(name: string, opts: { global?: boolean } = {}): KernelEvent {
    const r = openKernelObject(
      "OpenEventW",
      name,
      opts.global,
      (n) => k.OpenEventW(SYNCHRONIZE | EVENT_MODIFY_STATE, 0, n),
    );
    return new KernelEvent(r.handle, r.name, false);
  }
  set(): void {
    if (!k.SetEvent(this.handle)) throw new Win32Error("SetEvent", lastError());
  }
  reset(): void {
    if (!k.ResetEvent(this.handle)) throw new Win32Error("ResetEvent", lastError());
  }
  /** Resolves when the event is signalled (an auto-reset event is reset by this wait). */
  async wait(opts?: WaitOptions): Promise<void> {
    await waitAny([this.handle], opts);
  }
}

/** Options for {@link Semaphore.create}. */
export interface SemaphoreOptions extends KernelObjectOptions {
  initialCount?: number;
  maximumCount?: number;
}

/** A counting semaphore (CreateSemaphoreW). */
export class Semaphore extends KernelObject {
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
  static open(name: string, opts: { global?: boolean } = {}): Semaphore {
    const r = openKernelObject(
      "OpenSemaphoreW",
      name,
      opts.global,
      (n) => k.OpenSemaphoreW(SYNCHRONIZE | SEMAPHORE_MODIFY_STATE, 0, n),
    );
    return new Semaphore(r.handle, r.name, false);
  }
  /** Takes one unit, waiting while the count is zero. */
  async acquire(opts?: WaitOptions): Promise<void> {
    await waitAny([this.handle], opts);
  }
  /** Returns `count` units; resolves the previous count. */
  release(count = 1): number {
    const prev = new Int32Array(1);
    if (!k.ReleaseSemaphore(this.handle, count, prev)) throw new Win32Error("ReleaseSemaphore", lastError());
    return prev[0];
  }
}

/** What {@link Mutex.acquire} reports. */
export interface MutexAcquired {
  /** The previous owner died holding the mutex: the data it guards may be inconsistent. */
  abandoned: boolean;
}

/**
 * A mutex (CreateMutexW), owned by the JS thread while acquired. Waiting happens on a helper
 * thread that takes the mutex and hands it straight back, then the JS thread takes it; so the
 * owner is always the thread that will call {@link release}.
 */
export class Mutex extends KernelObject {
  static create(name?: string, opts: KernelObjectOptions & { initialOwner?: boolean } = {}): Mutex {
    const r = createKernelObject(
      "CreateMutexW",
      name,
      opts,
      (sa, n) => k.CreateMutexW(sa, opts.initialOwner ? 1 : 0, n),
    );
    return new Mutex(r.handle, r.name, r.created);
  }
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
    const r = k.WaitForSingleObject(this.handle, 0);
    if (r === WAIT_OBJECT_0) return { abandoned: false };
    if (r === WAIT_ABANDONED_0) return { abandoned: true };
    if (r === WAIT_TIMEOUT) return undefined;
    throw new Win32Error("WaitForSingleObject", lastError());
  }

  /** Takes the mutex, waiting (off the JS thread) while another holder has it. */
  async acquire(opts: WaitOptions = {}): Promise<MutexAcquired> {
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

  /** Releases one level of ownership. */
  release(): void {
    if (!k.ReleaseMutex(this.handle)) throw new Win32Error("ReleaseMutex", lastError());
  }
}
