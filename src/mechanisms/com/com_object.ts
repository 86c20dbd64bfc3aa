/**
 * A COM object as JS holds it: an IDispatch (or IUnknown) reference kept in the apartment, called
 * by name through IDispatch. Calls are posted to the apartment and awaited; they run in order.
 * @module
 */
import { NativeMemory } from "../../ffi/memory.ts";
import { oleaut32, oleaut32Symbols } from "../../ffi/oleaut32.ts";
import { backend } from "../../ffi/runtime.ts";
import { ChannelClosedError, type WaitOptions, type WinipcError } from "../../core/errors.ts";
import { callScope, checkWaitOptions, raceAbort } from "../../core/op_queue.ts";
import type { ComRuntime } from "./runtime.ts";
import { readBstr, readVariant, type WriteContext, writeVariant } from "./variant.ts";
import { ComDispatchError, comError, ComMemberNotFoundError, HRESULT } from "./com_errors.ts";
import { IID_IDispatch } from "../../core/guid.ts";
import { nativeGuid } from "./native_args.ts";

/** IDispatch::Invoke's wFlags. */
export const DispatchFlags = {
  /** Call a method. */
  METHOD: 1,
  /** Read a property. */
  PROPERTYGET: 2,
  /** Set a property (by value). */
  PROPERTYPUT: 4,
  /** Set a property to an object (by reference). */
  PROPERTYPUTREF: 8,
} as const;

/** DISPID_VALUE: the default member. */
export const DISPID_VALUE: number = 0;
/** DISPID_PROPERTYPUT: the named argument a property put's value is. */
export const DISPID_PROPERTYPUT: number = -3;
const LOCALE_USER_DEFAULT = 0x400;

/** An argument passed by reference: after the call, `value` holds what the callee left there. */
export class ComRef {
  /** The value: what the callee reads, and after the call what it left there. */
  value: unknown;

  /** A reference holding `value`. */
  constructor(value: unknown) {
    this.value = value;
  }
}

const never = new AbortController().signal;

/**
 * One IDispatch::Invoke, in full. `timeout` and `signal` end the wait for the answer; the call
 * itself goes on in the apartment (a COM call cannot be taken back), and later calls wait for it.
 */
export interface InvokeOptions extends WaitOptions {
  /** IDispatch flags ({@link DispatchFlags}); default METHOD | PROPERTYGET. */
  flags?: number;
  /** Positional arguments, first first. */
  args?: readonly unknown[];
  /** Named arguments, by parameter name. */
  named?: Readonly<Record<string, unknown>>;
  /** The result as a {@link Variant} with its exact type. */
  typed?: boolean;
}

const zeroIid = new NativeMemory(16); // IID_NULL, for the riid Invoke and GetIDsOfNames ignore

interface Held {
  runtime: ComRuntime;
  ptr: bigint;
  /** An IDispatch asked for separately (the object was held by its IUnknown), or 0. */
  dispatch: bigint;
}

const safetyNet = new FinalizationRegistry<Held>(({ runtime, ptr, dispatch }) => {
  // Unreachable and never released: release it now (no one can use it any more).
  const a = runtime.apartment;
  if (dispatch) void a.method(dispatch, 2, []).catch(() => {});
  void a.method(ptr, 2, []).catch(() => {}).finally(() => a.release());
});

/**
 * A COM object: call its members by name (IDispatch). Release it with `using` (or `release()`);
 * one that becomes unreachable unreleased is released by the garbage collector.
 *
 * @example
 * ```ts
 * import { ComObject } from "@winipc/winipc/com";
 *
 * using dict = await ComObject.create("Scripting.Dictionary");
 * await dict.call("Add", "key", 42);
 * console.log(await dict.get("Count"), await dict.get("Item", "key")); // 1 42
 * ```
 */
export class ComObject implements Disposable {
  readonly #runtime: ComRuntime;
  #ptr: bigint;
  /** The IDispatch to call: `#ptr` itself, or one asked for (QueryInterface) when `#ptr` is an IUnknown. */
  #dispatch: Promise<bigint> | undefined;
  /** The IDispatch reference QueryInterface gave (to release with the object), if one was asked for. */
  #askedDispatch: Promise<bigint> | undefined;
  readonly #dispids = new Map<string, number>();
  readonly #held: Held;

  private constructor(runtime: ComRuntime, ptr: bigint, dispatch: boolean) {
    this.#runtime = runtime;
    this.#ptr = ptr;
    if (dispatch) this.#dispatch = Promise.resolve(ptr);
    this.#held = { runtime, ptr, dispatch: 0n };
    safetyNet.register(this, this.#held, this);
  }

  /**
   * @internal Wraps an owned reference (the apartment gets one more user for it): an IDispatch,
   * or with `dispatch` false an IUnknown (asked for its IDispatch on first call).
   */
  static wrap(runtime: ComRuntime, ptr: bigint, dispatch = true): ComObject {
    runtime.apartment.retain();
    return new ComObject(runtime, ptr, dispatch);
  }

  /** The IDispatch to call (QueryInterface of an IUnknown, once; it is released with the object). */
  #dispatchPointer(): Promise<bigint> {
    const ptr = this.pointer;
    return this.#dispatch ??= this.#askedDispatch = (async () => {
      using iid = nativeGuid(IID_IDispatch);
      using out = new NativeMemory(8);
      const r = await this.#runtime.apartment.method(ptr, 0, [iid.address, out.address]);
      if (r.hr < 0) throw comError("QueryInterface(IDispatch)", r.hr);
      return this.#held.dispatch = out.view().getBigUint64(0, true); // released with #ptr's
    })();
  }

  /** @internal The interface pointer; throws once released. */
  get pointer(): bigint {
    if (this.#ptr === 0n) throw new ChannelClosedError("COM object: used after release");
    return this.#ptr;
  }

  /** Whether `release()` was called. */
  get released(): boolean {
    return this.#ptr === 0n;
  }

  /** The DISPID of member `name` (GetIDsOfNames), cached. */
  async dispid(name: string): Promise<number> {
    const key = name.toLowerCase();
    const have = this.#dispids.get(key);
    if (have !== undefined) return have;
    const [id] = await this.#ids([name]);
    this.#dispids.set(key, id);
    return id;
  }

  async #ids(names: string[]): Promise<number[]> {
    const units = names.map((n) => n.length + 1).reduce((a, b) => a + b, 0);
    using mem = new NativeMemory(names.length * 12 + units * 2);
    const ptrs = new BigUint64Array(mem.bytes.buffer, mem.bytes.byteOffset, names.length);
    const ids = new Int32Array(mem.bytes.buffer, mem.bytes.byteOffset + names.length * 8, names.length);
    let at = names.length * 12;
    names.forEach((n, i) => {
      ptrs[i] = mem.address + BigInt(at);
      const w = new Uint16Array(mem.bytes.buffer, mem.bytes.byteOffset + at, n.length + 1);
      for (let j = 0; j < n.length; j++) w[j] = n.charCodeAt(j);
      at += (n.length + 1) * 2;
    });
    const r = await this.#runtime.apartment.method(await this.#dispatchPointer(), 5, [
      zeroIid.address,
      mem.address,
      names.length,
      LOCALE_USER_DEFAULT,
      mem.address + BigInt(names.length * 8),
    ]);
    if (r.hr === HRESULT.DISP_E_UNKNOWNNAME || r.hr === HRESULT.DISP_E_MEMBERNOTFOUND) {
      const missing = names.find((_, i) => ids[i] === -1) ?? names[0];
      throw new ComMemberNotFoundError(`GetIDsOfNames(${missing})`, missing, r.hr);
    }
    if (r.hr < 0) throw comError(`GetIDsOfNames(${names.join(", ")})`, r.hr);
    return Array.from(ids);
  }

  /** Calls method `name` (METHOD | PROPERTYGET, as Visual Basic does) and returns its result. */
  call(name: string, ...args: unknown[]): Promise<unknown> {
    return this.invoke(name, { args });
  }

  /** Reads property `name` (with index arguments, if it takes any). */
  get(name: string, ...args: unknown[]): Promise<unknown> {
    return this.invoke(name, { flags: DispatchFlags.PROPERTYGET, args });
  }

  /** Sets property `name`: `set("Item", key, value)` passes index arguments before the value. */
  async set(name: string, ...argsThenValue: unknown[]): Promise<void> {
    if (argsThenValue.length === 0) throw new TypeError("ComObject.set: no value");
    await this.invoke(name, { flags: DispatchFlags.PROPERTYPUT, args: argsThenValue });
  }

  /** Sets object property `name` by reference (PROPERTYPUTREF, Visual Basic's `Set`). */
  async setRef(name: string, ...argsThenValue: unknown[]): Promise<void> {
    if (argsThenValue.length === 0) throw new TypeError("ComObject.setRef: no value");
    await this.invoke(name, { flags: DispatchFlags.PROPERTYPUTREF, args: argsThenValue });
  }

  /** The default member's value (DISPID_VALUE). */
  value(...args: unknown[]): Promise<unknown> {
    return this.invoke(DISPID_VALUE, { args });
  }

  /**
   * IDispatch::Invoke of member `member` (a name, or a DISPID) in full: flags, positional and
   * named arguments, and the result typed or not.
   * @throws {ComMemberNotFoundError} the object has no such member.
   * @throws {ComDispatchError} the member raised an exception (its EXCEPINFO).
   * @throws {ComDisconnectedError} the object's server is gone.
   * @throws {ComError} any other failed HRESULT.
   */
  invoke(member: string | number, opts: InvokeOptions = {}): Promise<unknown> {
    checkWaitOptions(opts);
    const work = this.#invoke(member, opts); // runs to its end either way, and frees what it used
    if (opts.signal === undefined && opts.timeout === undefined) return work;
    work.catch(() => {});
    const scope = callScope(never, opts);
    return raceAbort(work, scope.signal).finally(() => scope.done());
  }

  async #invoke(member: string | number, opts: InvokeOptions): Promise<unknown> {
    const flags = opts.flags ?? (DispatchFlags.METHOD | DispatchFlags.PROPERTYGET);
    const args = opts.args ?? [];
    const namedNames = Object.keys(opts.named ?? {});
    const what = typeof member === "number" ? `Invoke(DISPID ${member})` : `Invoke(${member})`;
    let dispid: number, namedIds: number[] = [];
    if (typeof member === "number") {
      if (namedNames.length > 0) throw new TypeError("named arguments need the member's name");
      dispid = member;
    } else if (namedNames.length > 0) {
      [dispid, ...namedIds] = await this.#ids([member, ...namedNames]);
    } else dispid = await this.dispid(member);
    const put = (flags & (DispatchFlags.PROPERTYPUT | DispatchFlags.PROPERTYPUTREF)) !== 0;
    if (put) namedIds = [DISPID_PROPERTYPUT, ...namedIds];
    // rgvarg: named arguments first (the put's value first of them), then positional ones last
    // to first.
    const positional = put ? args.slice(0, -1) : [...args];
    const namedValues = [...(put ? [args[args.length - 1]] : []), ...namedNames.map((n) => opts.named![n])];
    const ordered = [...namedValues, ...positional.reverse()];
    const refs = ordered.filter((v): v is ComRef => v instanceof ComRef);
    const n = ordered.length;
    // Layout: DISPPARAMS 24 | result VARIANT 24 | EXCEPINFO 64 | argErr 8 | named ids 4n | args 24n | ref targets 24r
    const namedAt = 120, argsAt = 120 + 4 * n + ((4 * n) % 8 === 0 ? 0 : 4), refsAt = argsAt + 24 * n;
    const mem = new NativeMemory(refsAt + 24 * refs.length);
    const base = mem.address;
    const ctx: WriteContext = { bridge: this.#runtime };
    let written = 0, refTargets = 0;
    let failed = true;
    try {
      const v = mem.view();
      ordered.forEach((value, i) => {
        const at = base + BigInt(argsAt + 24 * i);
        if (value instanceof ComRef) {
          const target = base + BigInt(refsAt + 24 * refTargets++);
          writeVariant(target, value.value, ctx);
          v.setUint16(argsAt + 24 * i, 0x4000 | 12, true); // VT_BYREF | VT_VARIANT
          v.setBigUint64(argsAt + 24 * i + 8, target, true);
        } else writeVariant(at, value, ctx);
        written++;
      });
      namedIds.forEach((id, i) => v.setInt32(namedAt + 4 * i, id, true));
      v.setBigUint64(0, n ? base + BigInt(argsAt) : 0n, true);
      v.setBigUint64(8, namedIds.length ? base + BigInt(namedAt) : 0n, true);
      v.setUint32(16, n, true);
      v.setUint32(20, namedIds.length, true);
      const r = await this.#runtime.apartment.method(await this.#dispatchPointer(), 6, [
        dispid,
        zeroIid.address,
        LOCALE_USER_DEFAULT,
        flags,
        base,
        base + 24n,
        base + 48n,
        base + 112n,
      ]);
      if (r.hr === HRESULT.DISP_E_EXCEPTION) throw await this.#exception(what, base + 48n);
      if (r.hr === HRESULT.DISP_E_MEMBERNOTFOUND || r.hr === HRESULT.DISP_E_UNKNOWNNAME) {
        throw new ComMemberNotFoundError(what, String(member), r.hr);
      }
      if (r.hr < 0) {
        const argErr = v.getUint32(112, true);
        const which = r.hr === HRESULT.DISP_E_TYPEMISMATCH || r.hr === HRESULT.DISP_E_PARAMNOTFOUND
          ? ` (argument ${n - argErr} of ${n}, counting from 1)`
          : "";
        throw comError(what + which, r.hr);
      }
      const read = { bridge: this.#runtime, owned: true, typed: opts.typed };
      const result = readVariant(base + 24n, read);
      refs.forEach((ref, i) => ref.value = readVariant(base + BigInt(refsAt + 24 * i), read));
      failed = false;
      return result;
    } finally {
      this.#clear(mem, [
        base + 24n,
        ...Array.from({ length: written }, (_, i) => base + BigInt(argsAt + 24 * i))
          .filter((_, i) => !(ordered[i] instanceof ComRef)),
        ...Array.from({ length: refTargets }, (_, i) => base + BigInt(refsAt + 24 * i)),
      ], ctx.interfaces === true || failed);
    }
  }

  /** Frees the VARIANTs at `variants`, then `mem`: in the apartment if interfaces may be inside. */
  #clear(mem: NativeMemory, variants: bigint[], inApartment: boolean): void {
    if (!inApartment) {
      for (const p of variants) oleaut32().sync.VariantClear(p);
      mem[Symbol.dispose]();
      return;
    }
    const apartment = this.#runtime.apartment;
    const cleared = variants.map((p) =>
      apartment.callExport("oleaut32.dll", oleaut32Symbols, "VariantClear", [p])
    );
    void Promise.allSettled(cleared).then(() => mem[Symbol.dispose]());
  }

  /** The EXCEPINFO at `at` as an error (its deferred fill-in run first), its strings freed. */
  async #exception(what: string, at: bigint): Promise<WinipcError> {
    const d = () => new DataView(backend.memory(at, 64));
    const fill = d().getBigUint64(48, true);
    if (fill !== 0n) await this.#runtime.apartment.call(fill, [at]);
    const v = d();
    const take = (off: number) => {
      const p = v.getBigUint64(off, true);
      const s = readBstr(p);
      if (p !== 0n) oleaut32().sync.SysFreeString(p);
      return s;
    };
    const source = take(8), description = take(16);
    take(24);
    const scode = v.getInt32(56, true) ||
      (v.getUint16(0, true) ? 0x80040000 | v.getUint16(0, true) : HRESULT.E_FAIL);
    return new ComDispatchError(what, scode, { source, description });
  }

  /** Releases the reference (posted to the apartment). Idempotent. */
  release(): void {
    if (this.#ptr === 0n) return;
    const ptr = this.#ptr;
    this.#ptr = 0n;
    safetyNet.unregister(this);
    const apartment = this.#runtime.apartment;
    // A QueryInterface'd IDispatch is a reference of its own, even when it is the same pointer.
    const asked = this.#askedDispatch;
    this.#dispatch = undefined;
    this.#askedDispatch = undefined;
    void (asked ?? Promise.resolve(0n)).then((d) => d ? apartment.method(d, 2, []) : undefined, () => {})
      .then(() => apartment.method(ptr, 2, [])).catch(() => {}).finally(() => apartment.release());
  }

  /** Same as `release()`. */
  [Symbol.dispose](): void {
    this.release();
  }
}

/**
 * Calls method `name` of an object a COM call handed over: a {@link ComObject} (from another
 * apartment or process) through IDispatch, or the JS object itself (one of this process's, which
 * comes back as itself) directly. Either way the result is awaited.
 * @throws {ComMemberNotFoundError} the object has no such method.
 */
export async function callMember(target: unknown, name: string, ...args: unknown[]): Promise<unknown> {
  if (target instanceof ComObject) return await target.call(name, ...args);
  const method = (target as Record<string, unknown> | null)?.[name];
  if (typeof method !== "function") {
    throw new ComMemberNotFoundError(`callMember(${name})`, name, HRESULT.DISP_E_UNKNOWNNAME);
  }
  return await (method as (...a: unknown[]) => unknown).apply(target, args);
}
