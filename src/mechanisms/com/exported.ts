/**
 * JS objects as IDispatch servers: the answers to the GetIDsOfNames, Invoke and CreateInstance
 * calls the apartment forwards (runtime.ts). Member names are matched without regard to case, as
 * Automation clients expect; a method is called, a property read or set; a JS exception becomes
 * an EXCEPINFO (DISP_E_EXCEPTION) carrying its message.
 * @module
 */
import { backend } from "../../ffi/runtime.ts";
import type { ApartmentEvent } from "./apartment_worker.ts";
import type { ComRuntime, Exported } from "./runtime.ts";
import { allocBstr, readVariant, VariantError, writeVariant } from "./variant.ts";
import { HRESULT } from "./com_errors.ts";
import { DispatchFlags, DISPID_PROPERTYPUT, DISPID_VALUE } from "./com_object.ts";

type Ev<T extends ApartmentEvent["type"]> = Extract<ApartmentEvent, { type: T }>;

/** DISPIDs of parameter names (asked for with a member, for named arguments) start here. */
const PARAMETER_DISPIDS = 0x10000;
/** Most arguments one call may carry. */
const MAX_ARGS = 4096;

/** The member of `target` whose name is `name` without regard to case (own or inherited). */
function findMember(target: object, name: string): string | undefined {
  const want = name.toLowerCase();
  for (let o: object | null = target; o !== null && o !== Object.prototype && o !== Function.prototype;) {
    for (const key of Object.getOwnPropertyNames(o)) {
      if (key !== "constructor" && key.toLowerCase() === want) return key;
    }
    o = Object.getPrototypeOf(o);
  }
  return undefined;
}

function dispidOf(x: Exported, key: string): number {
  let id = x.dispids.get(key);
  if (id === undefined) {
    id = x.dispids.size + 1;
    x.dispids.set(key, id);
    x.names.set(id, key);
  }
  return id;
}

/** GetIDsOfNames: the member's DISPID, and DISPIDs for parameter names after it. */
export function answerNames(rt: ComRuntime, e: Ev<"names">): void {
  const x = rt.exported(e.obj);
  const out = new Int32Array(backend.memory(e.out, 4 * e.names.length));
  const member = x ? findMember(x.target, e.names[0]) : undefined;
  if (!x || member === undefined) {
    out.fill(-1); // DISPID_UNKNOWN
    return rt.apartment.answer(e.inv, HRESULT.DISP_E_UNKNOWNNAME);
  }
  out[0] = dispidOf(x, member);
  e.names.slice(1).forEach((p, i) => out[i + 1] = dispidOf(x, `\0param:${p}`) + PARAMETER_DISPIDS);
  rt.apartment.answer(e.inv, HRESULT.S_OK);
}

/** Invoke: the call, run on the JS object; its result or its exception written for the caller. */
export function answerInvoke(rt: ComRuntime, e: Ev<"invoke">): void {
  const x = rt.exported(e.obj);
  if (!x) return rt.apartment.answer(e.inv, HRESULT.E_UNEXPECTED);
  invoke(rt, x, e).then(
    (hr) => rt.apartment.answer(e.inv, hr),
    (err) => rt.apartment.answer(e.inv, raise(x, e, err)),
  );
}

class InvokeFailure {
  readonly hr: number;
  readonly argErr: number | undefined;
  constructor(hr: number, argErr?: number) {
    this.hr = hr;
    this.argErr = argErr;
  }
}

async function invoke(rt: ComRuntime, x: Exported, e: Ev<"invoke">): Promise<number> {
  if (e.params === 0n) return HRESULT.E_INVALIDARG;
  const p = new DataView(backend.memory(e.params, 24));
  const rgvarg = p.getBigUint64(0, true), rgNamed = p.getBigUint64(8, true);
  const cArgs = p.getUint32(16, true), cNamed = p.getUint32(20, true);
  if (cArgs > MAX_ARGS || cNamed > cArgs || (cArgs > 0 && rgvarg === 0n) || (cNamed > 0 && rgNamed === 0n)) {
    return HRESULT.E_INVALIDARG;
  }
  const namedIds = cNamed ? Array.from(new Int32Array(backend.memory(rgNamed, 4 * cNamed).slice(0))) : [];
  const read = (i: number) => {
    try {
      return readVariant(rgvarg + BigInt(24 * i), { bridge: rt, typed: x.options.typed });
    } catch (err) {
      if (err instanceof VariantError) throw new InvokeFailure(HRESULT.DISP_E_TYPEMISMATCH, i);
      throw err;
    }
  };
  // rgvarg holds named arguments first, then positional ones last to first.
  const positional: unknown[] = [];
  for (let i = cArgs - 1; i >= cNamed; i--) positional.push(read(i));
  const put = (e.flags & (DispatchFlags.PROPERTYPUT | DispatchFlags.PROPERTYPUTREF)) !== 0;
  let value: unknown, named: Record<string, unknown> | undefined;
  namedIds.forEach((id, i) => {
    if (id === DISPID_PROPERTYPUT) value = read(i);
    else {
      const name = x.names.get(id - PARAMETER_DISPIDS);
      if (name === undefined) throw new InvokeFailure(HRESULT.DISP_E_PARAMNOTFOUND, i);
      (named ??= {})[name.slice("\0param:".length)] = read(i);
    }
  });
  if (put && !namedIds.includes(DISPID_PROPERTYPUT)) return HRESULT.DISP_E_PARAMNOTOPTIONAL;
  const target = x.target as Record<string, unknown>;
  const args = named ? [...positional, named] : positional;
  let result: unknown;
  if (e.dispid === DISPID_VALUE) {
    const member = findMember(target, "value");
    if (typeof target === "function") result = await (target as (...a: unknown[]) => unknown)(...args);
    else if (member === undefined) return HRESULT.DISP_E_MEMBERNOTFOUND;
    else result = await access(target, member, e.flags, args, value, put);
  } else {
    const member = x.names.get(e.dispid);
    if (member === undefined || member.startsWith("\0")) return HRESULT.DISP_E_MEMBERNOTFOUND;
    result = await access(target, member, e.flags, args, value, put);
  }
  if (e.result !== 0n && !put) writeVariant(e.result, result, { bridge: rt });
  return HRESULT.S_OK;
}

/** Calls, reads or sets `member` as `flags` say. */
function access(
  target: Record<string, unknown>,
  member: string,
  flags: number,
  args: unknown[],
  value: unknown,
  put: boolean,
): unknown {
  const current = target[member];
  if (typeof current === "function") {
    return (current as (...a: unknown[]) => unknown).apply(target, put ? [...args, value] : args);
  }
  if (args.length > 0) throw new InvokeFailure(HRESULT.DISP_E_BADPARAMCOUNT);
  if (put) {
    target[member] = value;
    return undefined;
  }
  if ((flags & DispatchFlags.PROPERTYGET) === 0) throw new InvokeFailure(HRESULT.DISP_E_MEMBERNOTFOUND);
  return current;
}

/** The HRESULT for a failed call; a JS exception goes into the caller's EXCEPINFO. */
function raise(x: Exported, e: Ev<"invoke">, err: unknown): number {
  if (err instanceof InvokeFailure) {
    if (err.argErr !== undefined && e.argErr !== 0n) {
      new Uint32Array(backend.memory(e.argErr, 4))[0] = err.argErr;
    }
    return err.hr;
  }
  if (e.excep === 0n) return HRESULT.E_FAIL;
  const message = err instanceof Error ? err.message : String(err);
  const code = (err as { hresult?: unknown })?.hresult;
  const scode = typeof code === "number" && code < 0 ? code : HRESULT.E_FAIL;
  const v = new DataView(backend.memory(e.excep, 64));
  for (let i = 0; i < 64; i += 8) v.setBigUint64(i, 0n, true);
  const ctor = (x.target as { constructor?: { name?: string } }).constructor;
  const source = ctor && ctor !== Object && ctor.name ? ctor.name : "winipc";
  v.setBigUint64(8, allocBstr(source), true); // bstrSource
  v.setBigUint64(16, allocBstr(message), true); // bstrDescription
  v.setInt32(56, scode, true); // scode
  return HRESULT.DISP_E_EXCEPTION;
}

/** IClassFactory::CreateInstance: a new instance from the class's `create`, as an IDispatch. */
export function answerCreate(rt: ComRuntime, e: Ev<"create">): void {
  const x = rt.exported(e.obj);
  let instance: object;
  try {
    if (!x?.create) return rt.apartment.answer(e.inv, HRESULT.E_UNEXPECTED);
    instance = x.create();
  } catch (err) {
    console.error(`winipc COM: a class's create() failed: ${err}`);
    return rt.apartment.answer(e.inv, HRESULT.E_FAIL);
  }
  void rt.reference(instance, e.out).catch(() => {}); // posted first, so in place before the answer
  rt.apartment.answer(e.inv, HRESULT.S_OK);
}
