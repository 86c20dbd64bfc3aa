/**
 * The process's COM apartment as the JS thread sees it: one single-threaded apartment on its own
 * thread (apartment_worker.ts), started on first use and ended when nothing uses it any more (an
 * idle apartment would keep a Deno process alive). The JS thread never calls anything that takes
 * an interface pointer: it asks the apartment to, with a frame in native memory, and awaits the
 * answer. Calls posted to the apartment run in the order they were posted, but for one thing:
 * while a forwarded call waits for its JS answer, only the calls made on behalf of that answer
 * run (apartment_worker.ts `forward`); the others wait until it is answered.
 * @module
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { backend } from "../../ffi/runtime.ts";
import { kernel32 } from "../../ffi/kernel32.ts";
import { user32, user32Symbols } from "../../ffi/user32.ts";
import { NativeMemory } from "../../ffi/memory.ts";
import { wstr } from "../../ffi/wstr.ts";
import { type FfiWorker, startFfiWorker } from "../../ffi/ffi_worker.ts";
import { ChannelClosedError, WinipcError } from "../../core/errors.ts";
import type { SymbolTable } from "../../ffi/types.ts";
import { procAddress } from "../../ffi/proc_address.ts";
import {
  apartmentConstants,
  type ApartmentEvent,
  ApartmentMessage,
  apartmentWorker,
  type ErrorInfo,
  FRAME_ERROR_INFO,
  FRAME_INVOCATION_SHIFT,
} from "./apartment_worker.ts";

/** A pointer-sized argument of a call made in the apartment. */
export type Word = bigint | number;

/** What a call made in the apartment returned. */
export interface CallResult {
  /** The whole return register (a pointer, or an HRESULT in the low 32 bits). */
  value: bigint;
  /** The HRESULT, if the function returns one. */
  hr: number;
  /** The thread's IErrorInfo, when asked for and the call failed. */
  errorInfo?: ErrorInfo;
}

/** The calls the JS objects side (server.ts) answers. */
export interface ApartmentServer {
  onInvoke(e: Extract<ApartmentEvent, { type: "invoke" }>): void;
  onNames(e: Extract<ApartmentEvent, { type: "names" }>): void;
  onCreate(e: Extract<ApartmentEvent, { type: "create" }>): void;
  onReleased(id: number): void;
}

const wordOf = (w: Word) => BigInt.asUintN(64, BigInt(w));

/** The forwarded call (invocation id) that the JS code running now answers, through its awaits. */
const onBehalfOf = new AsyncLocalStorage<number>();

/** The process's COM apartment (see the module comment). Get it with {@link Apartment.acquire}. */
export class Apartment {
  static #current: Apartment | undefined;
  static #starting: Promise<Apartment> | undefined;

  readonly #worker: FfiWorker<never>;
  /** The apartment's window: calls are posted to it. */
  readonly hwnd: bigint;
  #users = 0;
  #nextId = 1;
  readonly #pending = new Map<number, { resolve(e: ApartmentEvent): void; reject(e: Error): void }>();
  #failure: Error | undefined;
  #closing = false;
  readonly #closed: Promise<void>;
  #closedResolve!: () => void;
  /** Answers GetIDsOfNames, Invoke and CreateInstance for JS objects (server.ts). */
  server: ApartmentServer | undefined;
  /** Whether something other than its users still needs the apartment (live JS objects). */
  busy: () => boolean = () => false;

  private constructor(worker: FfiWorker<never>, hwnd: bigint) {
    this.#worker = worker;
    this.hwnd = hwnd;
    this.#closed = new Promise((r) => this.#closedResolve = r);
  }

  /**
   * The apartment, started if needed, with one more user: call {@link Apartment.release} once
   * done with it.
   * @throws {WinipcError} when its thread cannot start or COM cannot be initialized there.
   */
  static async acquire(): Promise<Apartment> {
    const a = Apartment.#current ?? await (Apartment.#starting ??= Apartment.#start());
    if (a.#closing) { // it was ending: wait, then start another
      await a.#closed;
      return Apartment.acquire();
    }
    a.#users++;
    return a;
  }

  /** The running apartment, if any (no new user). */
  static get current(): Apartment | undefined {
    const a = Apartment.#current;
    return a === undefined || a.#closing ? undefined : a;
  }

  static #start(): Promise<Apartment> {
    return new Promise<Apartment>((resolve, reject) => {
      let a: Apartment | undefined;
      const onEvent = (e: ApartmentEvent) => {
        if (e.type === "ready") {
          a = new Apartment(worker, e.hwnd);
          Apartment.#current = a;
          Apartment.#starting = undefined;
          resolve(a);
        } else if (e.type === "error") {
          if (!a) {
            Apartment.#starting = undefined;
            worker.terminate();
            reject(new WinipcError(`COM apartment: ${e.message}`));
          } else console.error(`winipc COM apartment: ${e.message}`);
        } else if (a) a.#onEvent(e);
      };
      const onFailure = (error: WinipcError) => {
        if (!a) {
          Apartment.#starting = undefined;
          reject(error);
        } else a.#fail(error);
      };
      const k = kernel32.sync;
      const worker = startFfiWorker(apartmentWorker, {
        className: wstr("winipc-com-apartment"),
        hInstance: k.GetModuleHandleW(null),
        defWindowProc: procAddress("user32.dll", user32Symbols, "DefWindowProcW"),
        c: apartmentConstants,
      }, { onMessage: onEvent, onFailure });
    });
  }

  #onEvent(e: ApartmentEvent): void {
    switch (e.type) {
      case "done": {
        const p = this.#pending.get(e.id);
        this.#pending.delete(e.id);
        p?.resolve(e);
        break;
      }
      case "released":
        this.server?.onReleased(e.id);
        this.#maybeClose();
        break;
      case "invoke":
        this.#serve(e, () => this.server!.onInvoke(e));
        break;
      case "names":
        this.#serve(e, () => this.server!.onNames(e));
        break;
      case "create":
        this.#serve(e, () => this.server!.onCreate(e));
        break;
      case "closed":
        this.#finish(new ChannelClosedError("COM apartment: closed"));
        break;
    }
  }

  #serve(e: { inv: number }, handle: () => void): void {
    if (!this.server) return this.answer(e.inv, 0x8000ffff | 0); // E_UNEXPECTED: no objects here
    try {
      onBehalfOf.run(e.inv, handle);
    } catch (err) {
      console.error(`winipc COM: ${err}`);
      this.answer(e.inv, 0x8000ffff | 0);
    }
  }

  #fail(error: Error): void {
    this.#failure ??= error;
    this.#finish(error);
    this.#worker.terminate();
  }

  #finish(error: Error): void {
    if (Apartment.#current === this) Apartment.#current = undefined;
    this.#closing = true;
    for (const p of this.#pending.values()) p.reject(error);
    this.#pending.clear();
    this.#closedResolve();
  }

  #post(msg: number, frame: NativeMemory | null, lParam = frame?.address ?? 0n): Promise<ApartmentEvent> {
    if (this.#closing) {
      return Promise.reject(this.#failure ?? new ChannelClosedError("COM apartment: closed"));
    }
    const id = this.#nextId++;
    const done = new Promise<ApartmentEvent>((resolve, reject) => this.#pending.set(id, { resolve, reject }));
    if (!user32().sync.PostMessageW(this.hwnd, msg, BigInt(id), lParam)) {
      this.#pending.delete(id);
      return Promise.reject(new WinipcError("COM apartment: its window is gone"));
    }
    return done;
  }

  /**
   * Calls the native function at `fn` on the apartment's thread with pointer-sized `args`.
   * With `errorInfo`, a failed HRESULT comes with the thread's IErrorInfo.
   */
  async call(fn: bigint, args: readonly Word[], opts: { errorInfo?: boolean } = {}): Promise<CallResult> {
    const frame = new NativeMemory(24 + 8 * args.length);
    const f = new BigUint64Array(frame.bytes.buffer, frame.bytes.byteOffset, 3 + args.length);
    f[0] = fn;
    f[1] = BigInt(args.length) | (opts.errorInfo ? FRAME_ERROR_INFO : 0n) |
      (BigInt(onBehalfOf.getStore() ?? 0) << FRAME_INVOCATION_SHIFT);
    args.forEach((a, i) => f[3 + i] = wordOf(a));
    try {
      const done = await this.#post(ApartmentMessage.call, frame);
      const value = f[2];
      const errorInfo = done.type === "done" ? done.errorInfo : undefined;
      return { value, hr: Number(BigInt.asIntN(32, value)), ...(errorInfo ? { errorInfo } : {}) };
    } finally {
      frame[Symbol.dispose](); // the apartment is done with it (or never got it)
    }
  }

  /** Calls slot `slot` of the vtable of interface `iface` (args after `this`). */
  method(
    iface: bigint,
    slot: number,
    args: readonly Word[],
    opts: { errorInfo?: boolean } = {},
  ): Promise<CallResult> {
    return this.call(vtableSlot(iface, slot), [iface, ...args], opts);
  }

  /** Calls an exported function of a DLL declared by `table`. */
  callExport<T extends SymbolTable>(
    dll: string,
    table: T,
    name: keyof T & string,
    args: readonly Word[],
    opts: { errorInfo?: boolean } = {},
  ): Promise<CallResult> {
    return this.call(procAddress(dll, table, name), args, opts);
  }

  /**
   * A new reference to the block of JS object `id` (made on first use), also written at `out`
   * when given. Posted now; runs before anything posted after it.
   */
  async ref(id: number, kind: number, out: bigint = 0n): Promise<bigint> {
    const frame = new NativeMemory(32);
    const f = new BigUint64Array(frame.bytes.buffer, frame.bytes.byteOffset, 4);
    f[0] = BigInt(id);
    f[1] = BigInt(kind);
    f[2] = out;
    try {
      await this.#post(ApartmentMessage.ref, frame);
      return f[3];
    } finally {
      frame[Symbol.dispose]();
    }
  }

  /**
   * Cuts off every remote holder of JS object `id` (CoDisconnectObject on each of its blocks that
   * still exists: the apartment's thread checks, since it is the one that frees them). Resolves
   * once done: when no call has run on the object for a while (apartment_worker.ts says why).
   */
  async disconnect(id: number): Promise<void> {
    await this.#post(ApartmentMessage.disconnect, null, BigInt(id));
  }

  /** Answers a forwarded call (GetIDsOfNames, Invoke, CreateInstance) with its HRESULT. */
  answer(inv: number, hr: number): void {
    if (this.#closing) return;
    user32().sync.PostMessageW(this.hwnd, ApartmentMessage.answer, BigInt(inv), BigInt(hr >>> 0));
  }

  /** One user more, synchronously (the apartment is running: a new reference from a call). */
  retain(): void {
    this.#users++;
  }

  /** One user fewer; the apartment ends once it has none and holds no JS object. */
  release(): void {
    this.#users--;
    this.#maybeClose();
  }

  #maybeClose(): void {
    if (this.#users > 0 || this.#closing || this.busy()) return;
    // Not at once: a new user often follows (a call's result becomes a new object).
    setTimeout(() => {
      if (this.#users > 0 || this.#closing || this.busy()) return;
      this.#closing = true;
      if (Apartment.#current === this) Apartment.#current = undefined;
      user32().sync.PostMessageW(this.hwnd, ApartmentMessage.quit, 0n, 0n);
      const timer = setTimeout(() => this.#fail(new ChannelClosedError("COM apartment: closed")), 5000);
      this.#closed.then(() => {
        clearTimeout(timer);
        this.#worker.terminate();
      });
    }, 0);
  }

  /** Resolves once the apartment's thread has ended. */
  get closed(): Promise<void> {
    return this.#closed;
  }
}

/** The function in slot `slot` of an interface's vtable (read here: the memory is the process's). */
export function vtableSlot(iface: bigint, slot: number): bigint {
  if (iface === 0n) throw new WinipcError("COM: a null interface pointer");
  const vtbl = new BigUint64Array(backend.memory(iface, 8))[0];
  return new BigUint64Array(backend.memory(vtbl + BigInt(slot * 8), 8))[0];
}
