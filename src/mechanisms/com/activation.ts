/**
 * Getting hold of COM objects: by ProgID or CLSID (CoCreateInstance, or CoCreateInstanceEx on
 * another machine), by moniker display name (CoGetObject, which finds objects in the Running
 * Object Table), and from the active-object table (GetActiveObject).
 * @module
 */
import { NativeMemory } from "../../ffi/memory.ts";
import { ole32Symbols } from "../../ffi/ole32.ts";
import { oleaut32Symbols } from "../../ffi/oleaut32.ts";
import { ComRuntime } from "./runtime.ts";
import { ComObject } from "./com_object.ts";
import { comError } from "./com_errors.ts";
import { IID_IDispatch, isGuid } from "../../core/guid.ts";
import { nativeGuid, nativeWide, pointerAt } from "./native_args.ts";

/** Where a class's objects may live (CLSCTX). */
export const ClassContext = {
  /** A DLL loaded in this process. */
  INPROC_SERVER: 0x1,
  /** Another process on this machine. */
  LOCAL_SERVER: 0x4,
  /** Another machine (DCOM). */
  REMOTE_SERVER: 0x10,
} as const;

/** Options of {@link createObject}. */
export interface CreateOptions {
  /** CLSCTX flags; default in-process or local server. */
  context?: number;
  /**
   * DCOM: the machine to create the object on (CoCreateInstanceEx with a COSERVERINFO). Needs
   * DCOM enabled and the class's launch and access permissions granting this user on that
   * machine (dcomcnfg); Wine implements no DCOM between machines, so this is untested here.
   */
  server?: string;
}

/** The CLSID of a ProgID (CLSIDFromProgID), or of a GUID in text form. */
async function classId(rt: ComRuntime, progIdOrClsid: string): Promise<NativeMemory> {
  if (isGuid(progIdOrClsid)) return nativeGuid(progIdOrClsid);
  using name = nativeWide(progIdOrClsid);
  const clsid = new NativeMemory(16);
  const r = await rt.apartment.callExport("ole32.dll", ole32Symbols, "CLSIDFromProgID", [
    name.address,
    clsid.address,
  ]);
  if (r.hr < 0) {
    clsid[Symbol.dispose]();
    throw comError(`CLSIDFromProgID(${progIdOrClsid})`, r.hr);
  }
  return clsid;
}

/** Runs `body` with the runtime acquired; the result's ComObject holds its own use. */
async function withRuntime<T>(body: (rt: ComRuntime) => Promise<T>): Promise<T> {
  const rt = await ComRuntime.acquire();
  try {
    return await body(rt);
  } finally {
    rt.apartment.release();
  }
}

/**
 * Creates an object of class `progIdOrClsid` ("Scripting.Dictionary", or "{CLSID}") and returns
 * its IDispatch.
 * @throws {ComError} the class is not registered (REGDB_E_CLASSNOTREG, CO_E_CLASSSTRING), or has
 * no IDispatch (E_NOINTERFACE), or its server failed to start.
 */
export function createObject(progIdOrClsid: string, opts: CreateOptions = {}): Promise<ComObject> {
  return withRuntime(async (rt) => {
    using clsid = await classId(rt, progIdOrClsid);
    using iid = nativeGuid(IID_IDispatch);
    const what = `CoCreateInstance(${progIdOrClsid})`;
    if (opts.server !== undefined) {
      using host = nativeWide(opts.server);
      using info = new NativeMemory(32 + 24); // COSERVERINFO, then one MULTI_QI
      const v = info.view();
      v.setBigUint64(8, host.address, true); // pwszName
      v.setBigUint64(32, iid.address, true); // MULTI_QI.pIID
      const r = await rt.apartment.callExport("ole32.dll", ole32Symbols, "CoCreateInstanceEx", [
        clsid.address,
        0n,
        opts.context ?? ClassContext.REMOTE_SERVER,
        info.address,
        1,
        info.address + 32n,
      ], { errorInfo: true });
      const hr = r.hr < 0 ? r.hr : info.view().getInt32(48, true);
      if (hr < 0) throw comError(`CoCreateInstanceEx(${progIdOrClsid} on ${opts.server})`, hr, r.errorInfo);
      return ComObject.wrap(rt, pointerAt(info, 40));
    }
    using out = new NativeMemory(8);
    const r = await rt.apartment.callExport("ole32.dll", ole32Symbols, "CoCreateInstance", [
      clsid.address,
      0n,
      opts.context ?? (ClassContext.INPROC_SERVER | ClassContext.LOCAL_SERVER),
      iid.address,
      out.address,
    ], { errorInfo: true });
    if (r.hr < 0) throw comError(what, r.hr, r.errorInfo);
    return ComObject.wrap(rt, pointerAt(out));
  });
}

/**
 * The object a moniker's display name names (CoGetObject): a file moniker "C:\\name" finds the
 * object registered under it in the Running Object Table (what VBScript's `GetObject("C:\\name")`
 * does).
 * @throws {ComError} nothing runs under that name (MK_E_UNAVAILABLE), or the name is not a moniker.
 */
export function getObject(displayName: string): Promise<ComObject> {
  return withRuntime(async (rt) => {
    using name = nativeWide(displayName);
    using iid = nativeGuid(IID_IDispatch);
    using out = new NativeMemory(8);
    const r = await rt.apartment.callExport("ole32.dll", ole32Symbols, "CoGetObject", [
      name.address,
      0n,
      iid.address,
      out.address,
    ], { errorInfo: true });
    if (r.hr < 0) throw comError(`CoGetObject(${displayName})`, r.hr, r.errorInfo);
    return ComObject.wrap(rt, pointerAt(out));
  });
}

/**
 * The running object registered for class `progIdOrClsid` in the active-object table
 * (GetActiveObject; VBScript's `GetObject(, "ProgID")`).
 * @throws {ComError} none is registered (MK_E_UNAVAILABLE).
 */
export function getActiveObject(progIdOrClsid: string): Promise<ComObject> {
  return withRuntime(async (rt) => {
    using clsid = await classId(rt, progIdOrClsid);
    using out = new NativeMemory(8);
    const r = await rt.apartment.callExport("oleaut32.dll", oleaut32Symbols, "GetActiveObject", [
      clsid.address,
      0n,
      out.address,
    ]);
    if (r.hr < 0) throw comError(`GetActiveObject(${progIdOrClsid})`, r.hr);
    const unknown = pointerAt(out);
    using iid = nativeGuid(IID_IDispatch);
    const q = await rt.apartment.method(unknown, 0, [iid.address, out.address]); // QueryInterface
    void rt.apartment.method(unknown, 2, []).catch(() => {}); // Release the IUnknown
    if (q.hr < 0) throw comError(`QueryInterface(IDispatch) of ${progIdOrClsid}`, q.hr);
    return ComObject.wrap(rt, pointerAt(out));
  });
}

/**
 * The object registered in the Running Object Table under file moniker `name`, looked up in the
 * table only (IRunningObjectTable::GetObject): nothing is started or opened to find it.
 * @throws {ComError} nothing is registered under `name` (MK_E_UNAVAILABLE).
 */
export function getRunningObject(name: string): Promise<ComObject> {
  return withRuntime(async (rt) => {
    const a = rt.apartment;
    const { rot, moniker } = await openRotEntry(rt, name);
    try {
      using out = new NativeMemory(8);
      // IRunningObjectTable::GetObject(IMoniker *pmkObjectName, IUnknown **ppunkObject): slot 6
      const r = await a.method(rot, 6, [moniker, out.address]);
      if (r.hr < 0) throw comError(`IRunningObjectTable::GetObject(${name})`, r.hr);
      return ComObject.wrap(rt, pointerAt(out), false);
    } finally {
      void a.method(moniker, 2, []).catch(() => {});
      void a.method(rot, 2, []).catch(() => {});
    }
  });
}

/**
 * The Running Object Table and a file moniker named `name`, for a lookup or a registration: two
 * references the caller releases (IUnknown::Release, slot 2).
 * @throws {ComError} either call failed (nothing is left held).
 */
export async function openRotEntry(rt: ComRuntime, name: string): Promise<{ rot: bigint; moniker: bigint }> {
  const a = rt.apartment;
  using out = new NativeMemory(8);
  let r = await a.callExport("ole32.dll", ole32Symbols, "GetRunningObjectTable", [0, out.address]);
  if (r.hr < 0) throw comError("GetRunningObjectTable", r.hr);
  const rot = pointerAt(out);
  using path = nativeWide(name);
  r = await a.callExport("ole32.dll", ole32Symbols, "CreateFileMoniker", [path.address, out.address]);
  if (r.hr < 0) {
    void a.method(rot, 2, []).catch(() => {});
    throw comError(`CreateFileMoniker(${name})`, r.hr);
  }
  return { rot, moniker: pointerAt(out) };
}
