/**
 * A COM class's registry entries (ProgID to CLSID and back), made and removed by winipc: under
 * HKEY_CURRENT_USER\Software\Classes by default, which Windows merges into HKEY_CLASSES_ROOT, or
 * under HKEY_LOCAL_MACHINE (needs administrator rights on Windows; needed under Wine, whose
 * HKEY_CLASSES_ROOT does not merge the user's classes).
 * @module
 */
import { advapi32 } from "../../ffi/advapi32.ts";
import { wstr } from "../../ffi/wstr.ts";
import { Win32Error } from "../../ffi/error.ts";
import { AddressInUseError } from "../../core/errors.ts";

/** Which registry hive holds the entries. */
export type RegistryHive = "user" | "machine";

const HKEY_CURRENT_USER = 0xffffffff80000001n;
const HKEY_LOCAL_MACHINE = 0xffffffff80000002n;
const KEY_READ = 0x20019, KEY_WRITE = 0x20006, REG_SZ = 1;
const ERROR_FILE_NOT_FOUND = 2;

const root = (hive: RegistryHive) => hive === "machine" ? HKEY_LOCAL_MACHINE : HKEY_CURRENT_USER;

function exists(hive: RegistryHive, path: string): boolean {
  const out = new BigUint64Array(1);
  const r = advapi32().sync.RegOpenKeyExW(root(hive), wstr(path), 0, KEY_READ, out);
  if (r === 0) advapi32().sync.RegCloseKey(out[0]);
  return r === 0;
}

function setDefault(hive: RegistryHive, path: string, value: string): void {
  const a = advapi32().sync;
  const key = new BigUint64Array(1), disposition = new Uint32Array(1);
  const r = a.RegCreateKeyExW(root(hive), wstr(path), 0, 0n, 0, KEY_WRITE, 0n, key, disposition);
  if (r !== 0) throw new Win32Error(`RegCreateKeyExW(${path})`, r);
  try {
    const data = wstr(value);
    const w = a.RegSetValueExW(key[0], null, 0, REG_SZ, data, data.byteLength);
    if (w !== 0) throw new Win32Error(`RegSetValueExW(${path})`, w);
  } finally {
    a.RegCloseKey(key[0]);
  }
}

function deleteTree(hive: RegistryHive, path: string): void {
  const r = advapi32().sync.RegDeleteTreeW(root(hive), wstr(path));
  if (r !== 0 && r !== ERROR_FILE_NOT_FOUND) throw new Win32Error(`RegDeleteTreeW(${path})`, r);
}

/** The registry entries of one class; `remove()` deletes exactly what `add` made. */
export class ClassEntries {
  readonly hive: RegistryHive;
  readonly progId: string;
  readonly clsid: string;
  private constructor(hive: RegistryHive, progId: string, clsid: string) {
    this.hive = hive;
    this.progId = progId;
    this.clsid = clsid;
  }

  /**
   * Registers ProgID `progId` for class `clsid` (braces included).
   * @throws {AddressInUseError} the ProgID or the CLSID is registered already (by anyone).
   * @throws {Win32Error} the registry refused (ERROR_ACCESS_DENIED for HKLM without rights).
   */
  static add(hive: RegistryHive, progId: string, clsid: string, description: string): ClassEntries {
    const classes = "Software\\Classes";
    if (exists(hive, `${classes}\\${progId}`)) {
      throw new AddressInUseError(`COM: ProgID ${progId} is registered already`);
    }
    if (exists(hive, `${classes}\\CLSID\\${clsid}`)) {
      throw new AddressInUseError(`COM: CLSID ${clsid} is registered already`);
    }
    const entries = new ClassEntries(hive, progId, clsid);
    try {
      setDefault(hive, `${classes}\\${progId}`, description);
      setDefault(hive, `${classes}\\${progId}\\CLSID`, clsid);
      setDefault(hive, `${classes}\\CLSID\\${clsid}`, description);
      setDefault(hive, `${classes}\\CLSID\\${clsid}\\ProgID`, progId);
    } catch (e) {
      entries.remove();
      throw e;
    }
    return entries;
  }

  /** Deletes the entries (the ProgID's key and the CLSID's key, with what is under them). */
  remove(): void {
    deleteTree(this.hive, `Software\\Classes\\${this.progId}`);
    deleteTree(this.hive, `Software\\Classes\\CLSID\\${this.clsid}`);
  }

  /** Whether ProgID `progId` is registered in `hive` (for checks after removal). */
  static isRegistered(hive: RegistryHive, progId: string): boolean {
    return exists(hive, `Software\\Classes\\${progId}`);
  }
}
