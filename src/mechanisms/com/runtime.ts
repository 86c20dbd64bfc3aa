/**
 * What ties the apartment, COM objects held by JS and JS objects held by COM together, one per
 * running apartment: the {@link ObjectBridge} the VARIANT codec uses, and the table of exposed JS
 * objects whose calls the apartment forwards (answered in exported.ts).
 *
 * An exposed JS object is kept (strongly) exactly while COM holds a reference to its block or a
 * reference to it is on its way to the apartment; when the apartment reports the block released,
 * the object is dropped from the table.
 * @module
 */
import { Apartment } from "./apartment.ts";
import { ObjectKind } from "./apartment_worker.ts";
import { backend } from "../../ffi/runtime.ts";
import type { ObjectBridge } from "./variant.ts";
import { ComObject } from "./com_object.ts";
import { answerCreate, answerInvoke, answerNames } from "./exported.ts";

/** How a JS object behaves when exposed to COM (see {@link exposeOptions}). */
export interface ExposeOptions {
  /**
   * Arguments arrive as {@link Variant}s with their exact VARIANT type, instead of plain JS
   * values. Default false.
   */
  typed?: boolean;
}

const optionsOf = new WeakMap<object, ExposeOptions>();

/**
 * Sets how `target` behaves once exposed to COM (it is exposed by passing it to COM: as an
 * argument, a result, or to {@link publishObject} / {@link registerClass}). Returns `target`.
 */
export function exposeOptions<T extends object>(target: T, options: ExposeOptions): T {
  optionsOf.set(target, { ...options });
  return target;
}

/** One exposed JS object. */
export interface Exported {
  readonly id: number;
  readonly target: object;
  readonly kind: number;
  readonly options: ExposeOptions;
  /** DISPID to member name, and back by lower-case name. */
  readonly names: Map<number, string>;
  readonly dispids: Map<string, number>;
  /** References on their way to the apartment. */
  inflight: number;
  /** The apartment holds a block for it. */
  alive: boolean;
  /** For a class factory: makes the instances. */
  create?: () => object;
}

const runtimes = new WeakMap<Apartment, ComRuntime>();

/** The bridge and the exposed-object table of one apartment. */
export class ComRuntime implements ObjectBridge {
  readonly apartment: Apartment;
  readonly #byId = new Map<number, Exported>();
  readonly #byTarget = new Map<object, Exported>();
  /** Block addresses of exposed objects (learned from the apartment), to know our own pointers. */
  readonly #blocks = new Map<bigint, Exported>();
  #nextId = 1;
  readonly #dropWaiters = new Map<object, (() => void)[]>();

  private constructor(apartment: Apartment) {
    this.apartment = apartment;
    apartment.busy = () => this.#byId.size > 0;
    apartment.server = {
      onInvoke: (e) => answerInvoke(this, e),
      onNames: (e) => answerNames(this, e),
      onCreate: (e) => answerCreate(this, e),
      onReleased: (id) => this.#onReleased(id),
    };
  }

  /** The runtime of the running apartment (started if needed), with one more apartment user. */
  static async acquire(): Promise<ComRuntime> {
    const a = await Apartment.acquire();
    let r = runtimes.get(a);
    if (!r) runtimes.set(a, r = new ComRuntime(a));
    return r;
  }

  /** The runtime of `apartment`, if it has one. */
  static of(apartment: Apartment): ComRuntime | undefined {
    return runtimes.get(apartment);
  }

  /** How many exposed JS objects COM holds now. */
  get exportedCount(): number {
    return this.#byId.size;
  }

  /** @internal What the held objects are (their own member names), for diagnostics. */
  describeExported(): string[] {
    return [...this.#byId.values()].map((e) =>
      `${e.kind === ObjectKind.factory ? "class object" : "object"} {${Object.keys(e.target).join(", ")}}` +
      ` alive=${e.alive} inflight=${e.inflight}`
    );
  }

  /**
   * Cuts every client off `target` (CoDisconnectObject): COM drops the references others hold,
   * as when a peer's process died holding them (COM itself would notice only minutes later).
   */
  disconnect(target: object): void {
    const e = this.#byTarget.get(target);
    if (!e?.alive) return;
    // Not a CoDisconnectObject frame per block known here: a block may be freed on the
    // apartment's thread before this thread hears of it.
    void this.apartment.disconnect(e.id).catch(() => {});
  }

  /** The exposed object `id`, if COM still holds it. */
  exported(id: number): Exported | undefined {
    return this.#byId.get(id);
  }

  /** The record of `target`, made on first use. */
  #export(target: object, kind: number, create?: () => object): Exported {
    let e = this.#byTarget.get(target);
    if (e && e.kind === kind) return e;
    e = {
      id: this.#nextId++,
      target,
      kind,
      options: optionsOf.get(target) ?? {},
      names: new Map(),
      dispids: new Map(),
      inflight: 0,
      alive: false,
      ...(create ? { create } : {}),
    };
    this.#byId.set(e.id, e);
    if (kind === ObjectKind.dispatch) this.#byTarget.set(target, e);
    return e;
  }

  /**
   * A new reference to `target`'s block (an IDispatch, or with `factory` an IClassFactory),
   * written at `out` when given. Posted at once: it is in place before anything posted later runs.
   */
  reference(target: object, out: bigint = 0n, factory?: () => object): Promise<bigint> {
    const e = this.#export(target, factory ? ObjectKind.factory : ObjectKind.dispatch, factory);
    e.inflight++;
    return this.apartment.ref(e.id, e.kind, out).then((block) => {
      this.#blocks.set(block, e);
      e.alive = true;
      return block;
    }).finally(() => {
      e.inflight--;
      this.#drop(e);
    });
  }

  #onReleased(id: number): void {
    const e = this.#byId.get(id);
    if (!e) return;
    e.alive = false;
    for (const [block, x] of this.#blocks) if (x === e) this.#blocks.delete(block);
    this.#drop(e);
  }

  #drop(e: Exported): void {
    if (e.alive || e.inflight > 0) return;
    this.#byId.delete(e.id);
    if (this.#byTarget.get(e.target) === e) {
      this.#byTarget.delete(e.target);
      for (const resolve of this.#dropWaiters.get(e.target) ?? []) resolve();
      this.#dropWaiters.delete(e.target);
    }
  }

  /** Resolves once COM holds `target` no more (at once if it does not now). */
  whenDropped(target: object): Promise<void> {
    if (!this.#byTarget.has(target)) return Promise.resolve();
    return new Promise((resolve) => {
      const waiting = this.#dropWaiters.get(target) ?? [];
      waiting.push(resolve);
      this.#dropWaiters.set(target, waiting);
    });
  }

  // --- ObjectBridge ---
  fromInterface(ptr: bigint, owned: boolean, dispatch: boolean): unknown {
    const own = this.#blocks.get(ptr);
    if (own) { // one of ours, back in its own apartment: the JS object itself
      if (owned) void this.apartment.method(ptr, 2, []).catch(() => {}); // Release the handed reference
      return own.target;
    }
    if (!owned) void this.apartment.method(ptr, 1, []).catch(() => {}); // AddRef: ours to keep now
    return ComObject.wrap(this, ptr, dispatch);
  }

  toInterface(value: object, out: bigint): boolean {
    if (value instanceof ComObject) {
      const ptr = value.pointer; // throws once released
      void this.apartment.method(ptr, 1, []).catch(() => {}); // AddRef: a reference for the receiver
      new BigUint64Array(backend.memory(out, 8))[0] = ptr;
      return true;
    }
    if (value instanceof Promise || ArrayBuffer.isView(value)) return false;
    void this.reference(value, out).catch(() => {});
    return true;
  }
}

/**
 * Cuts every COM client off `target`, a JS object exposed to COM (CoDisconnectObject): their calls
 * fail from now on, and the references they held are dropped, so the object is no longer kept for
 * them. For clients that died holding references: COM itself drops those only when its pings go
 * unanswered (about six minutes on Windows; never under Wine), and until then the apartment, and
 * with it a Deno process, stays up. It takes effect once no call has run on `target` for 200 ms
 * (or, if it is called without pause, 2 s later, between two calls); a call running then ends
 * first.
 */
export function disconnectObject(target: object): void {
  const a = Apartment.current;
  if (a) runtimes.get(a)?.disconnect(target);
}

/** @internal Resolves once COM holds `target` no more (see {@link ComRuntime.whenDropped}). */
export function whenObjectDropped(target: object): Promise<void> {
  const a = Apartment.current;
  return a ? runtimes.get(a)?.whenDropped(target) ?? Promise.resolve() : Promise.resolve();
}
