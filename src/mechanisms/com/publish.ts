/**
 * Making JS objects reachable from other processes: in the Running Object Table under a file
 * moniker (VBScript `GetObject("C:\\name")`, {@link getObject}), and as a class whose running
 * class object makes instances (CoRegisterClassObject: VBScript `CreateObject("ProgID")`,
 * {@link createObject}). Both are undone by `dispose`.
 * @module
 */
import { NativeMemory } from "../../ffi/memory.ts";
import { ole32Symbols } from "../../ffi/ole32.ts";
import { ComRuntime } from "./runtime.ts";
import { AddressInUseError } from "../../core/errors.ts";
import { comError } from "./com_errors.ts";
import { openRotEntry } from "./activation.ts";
import { nativeGuid } from "./native_args.ts";
import { formatGuid, newGuid, parseGuid } from "../../core/guid.ts";
import { ClassEntries, type RegistryHive } from "./class_registry.ts";

const ROTFLAGS_REGISTRATIONKEEPSALIVE = 0x1;
/** IRunningObjectTable::Register's success code when another object has the name already. */
const MK_S_MONIKERALREADYREGISTERED = 0x000401e7;
const CLSCTX_LOCAL_SERVER = 0x4;
const REGCLS_MULTIPLEUSE = 1;

/** Something registered with COM; disposing it revokes the registration. Idempotent. */
export interface ComRegistration extends AsyncDisposable {
  /** Revokes the registration (and removes what it wrote to the registry). */
  revoke(): Promise<void>;
}

/**
 * Registers `target` in the Running Object Table under a file moniker named `name` (a path such
 * as "C:\\my-app-object"; nothing is written to disk): other processes get it with
 * `GetObject(name)` (VBScript) or {@link getObject}.
 * @throws {AddressInUseError} another object, in any process, is registered under `name`.
 * @throws {ComError} the registration failed.
 *
 * @example
 * ```ts
 * import { publishObject } from "@winipc/winipc/com";
 *
 * const counter = { count: 0, add(n: number) { return this.count += n; } };
 * await using _ = await publishObject(counter, "C:\\my-app-counter");
 * // cscript: Set c = GetObject("C:\my-app-counter") : WScript.Echo c.Add(2)
 * ```
 */
export async function publishObject(target: object, name: string): Promise<ComRegistration> {
  const rt = await ComRuntime.acquire();
  const a = rt.apartment;
  let rot = 0n, block = 0n;
  try {
    block = await rt.reference(target);
    const entry = await openRotEntry(rt, name);
    rot = entry.rot;
    const moniker = entry.moniker;
    using cookie = new NativeMemory(8);
    // IRunningObjectTable::Register(grfFlags, punkObject, pmkObjectName, pdwRegister): slot 3
    const r = await a.method(rot, 3, [ROTFLAGS_REGISTRATIONKEEPSALIVE, block, moniker, cookie.address]);
    void a.method(moniker, 2, []).catch(() => {});
    if (r.hr < 0) throw comError(`IRunningObjectTable::Register(${name})`, r.hr);
    const id = cookie.view().getUint32(0, true);
    if (r.hr === MK_S_MONIKERALREADYREGISTERED) {
      // Registered beside another object of that name: GetObject would find either. Undone.
      await a.method(rot, 4, [id]).catch(() => {}); // Revoke
      throw new AddressInUseError(`${name} is in the Running Object Table already`);
    }
    const table = rot;
    rot = 0n;
    return once(async () => {
      await a.method(table, 4, [id]).catch(() => {}); // Revoke
      await a.method(table, 2, []).catch(() => {});
      a.release();
    });
  } catch (e) {
    if (rot) void a.method(rot, 2, []).catch(() => {});
    a.release();
    throw e;
  } finally {
    if (block) void a.method(block, 2, []).catch(() => {}); // ours; the table holds its own
  }
}

/** Options of {@link registerClass}. */
export interface ClassOptions {
  /** Makes each new instance (each `CreateObject`/CoCreateInstance). */
  create: () => object;
  /** The class's CLSID ("{...}"); default a new random one. */
  clsid?: string;
  /** A ProgID to register for it ("MyApp.Thing"), so clients can name the class. */
  progId?: string;
  /**
   * Where the ProgID goes: "user" (HKEY_CURRENT_USER\Software\Classes, the default) or "machine"
   * (HKEY_LOCAL_MACHINE, which needs administrator rights on Windows, and which Wine needs: its
   * HKEY_CLASSES_ROOT ignores the user's classes).
   */
  hive?: RegistryHive;
  /** The class's description in the registry. */
  description?: string;
}

/** A class registered by {@link registerClass}. */
export interface RegisteredClass extends ComRegistration {
  /** The class's CLSID, in braces. */
  readonly clsid: string;
  /** The ProgID registered for it, if any. */
  readonly progId: string | undefined;
}

/**
 * Registers a class whose instances are made by `create`: a running class object
 * (CoRegisterClassObject, local server, REGCLS_MULTIPLEUSE) and, with a `progId`, its registry
 * entries. Other processes then make instances with `CreateObject(progId)` or
 * {@link createObject}, for as long as this process keeps the registration.
 * @throws {AddressInUseError} the ProgID or CLSID is registered already.
 * @throws {ComError} CoRegisterClassObject failed.
 */
export async function registerClass(opts: ClassOptions): Promise<RegisteredClass> {
  const clsid = formatGuid(parseGuid(opts.clsid ?? newGuid()));
  const entries = opts.progId === undefined
    ? undefined
    : ClassEntries.add(opts.hive ?? "user", opts.progId, clsid, opts.description ?? opts.progId);
  let rt: ComRuntime;
  try {
    rt = await ComRuntime.acquire();
  } catch (e) {
    entries?.remove();
    throw e;
  }
  const a = rt.apartment;
  let block = 0n;
  try {
    const factory = {};
    block = await rt.reference(factory, 0n, opts.create);
    using id = nativeGuid(clsid);
    using cookie = new NativeMemory(8);
    const r = await a.callExport("ole32.dll", ole32Symbols, "CoRegisterClassObject", [
      id.address,
      block,
      CLSCTX_LOCAL_SERVER,
      REGCLS_MULTIPLEUSE,
      cookie.address,
    ]);
    if (r.hr < 0) throw comError(`CoRegisterClassObject(${opts.progId ?? clsid})`, r.hr);
    const registered = cookie.view().getUint32(0, true);
    const revoke = once(async () => {
      await a.callExport("ole32.dll", ole32Symbols, "CoRevokeClassObject", [registered]).catch(() => {});
      entries?.remove();
      a.release();
    });
    return { ...revoke, clsid, progId: opts.progId };
  } catch (e) {
    entries?.remove();
    a.release();
    throw e;
  } finally {
    if (block) void a.method(block, 2, []).catch(() => {}); // ours; COM holds its own
  }
}

function once(revoke: () => Promise<void>): ComRegistration {
  let done: Promise<void> | undefined;
  const r = () => done ??= revoke();
  return { revoke: r, [Symbol.asyncDispose]: r };
}
