/**
 * Security descriptors for the kernel objects winipc creates. The default is owner-only: the
 * current user and SYSTEM get full access, nobody else any (DACL protected from inheritance).
 * @module
 */
import { advapi32 } from "../ffi/advapi32.ts";
import { kernel32 } from "../ffi/kernel32.ts";
import { SDDL_REVISION_1, TOKEN_QUERY, TOKEN_USER_CLASS } from "../ffi/constants.ts";
import { win32Error } from "../ffi/error.ts";
import { NativeMemory } from "../ffi/memory.ts";
import { OwnedHandle } from "../ffi/handle.ts";
import { readWstr, wstr } from "../ffi/wstr.ts";

let userSid: string | undefined;

/** The current user's SID as a string (`S-1-5-21-...`). */
export function currentUserSid(): string {
  if (userSid) return userSid;
  const a = advapi32().sync;
  const out = new BigUint64Array(1);
  if (!a.OpenProcessToken(kernel32.sync.GetCurrentProcess(), TOKEN_QUERY, out)) {
    throw win32Error("OpenProcessToken");
  }
  using token = new OwnedHandle(out[0]);
  using info = new NativeMemory(1024);
  const needed = new Uint32Array(1);
  if (!a.GetTokenInformation(token.value, TOKEN_USER_CLASS, info.bytes, info.size, needed)) {
    throw win32Error("GetTokenInformation");
  }
  const sid = info.view().getBigUint64(0, true); // TOKEN_USER.User.Sid, points into `info`
  if (!a.ConvertSidToStringSidW(sid, out)) throw win32Error("ConvertSidToStringSidW");
  try {
    userSid = readWstr(out[0], 256);
  } finally {
    kernel32.sync.LocalFree(out[0]);
  }
  return userSid;
}

/** SDDL for "only me (and SYSTEM)". */
export function ownerOnlySddl(): string {
  return `D:P(A;;GA;;;${currentUserSid()})(A;;GA;;;SY)`;
}

/** A SECURITY_ATTRIBUTES structure holding a security descriptor parsed from SDDL. */
export class SecurityAttributes implements Disposable {
  readonly bytes = new Uint8Array(24);
  #descriptor: bigint;

  constructor(sddl: string) {
    const out = new BigUint64Array(1);
    const ok = advapi32().sync.ConvertStringSecurityDescriptorToSecurityDescriptorW(
      wstr(sddl),
      SDDL_REVISION_1,
      out,
      0n,
    );
    if (!ok) throw win32Error(`ConvertStringSecurityDescriptorToSecurityDescriptorW("${sddl}")`);
    this.#descriptor = out[0];
    const v = new DataView(this.bytes.buffer);
    v.setUint32(0, 24, true); // nLength
    v.setBigUint64(8, this.#descriptor, true); // lpSecurityDescriptor
    v.setInt32(16, 0, true); // bInheritHandle
  }

  [Symbol.dispose](): void {
    if (this.#descriptor === 0n) return;
    kernel32.sync.LocalFree(this.#descriptor);
    this.#descriptor = 0n;
  }
}
