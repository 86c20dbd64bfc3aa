/**
 * Security descriptors for the kernel objects winipc creates. The default is owner-only: the
 * current user and SYSTEM get full access, nobody else any (DACL protected from inheritance).
 * @module
 */
import { advapi32 } from "../ffi/advapi32.ts";
import { kernel32 } from "../ffi/kernel32.ts";
import { SDDL_REVISION_1 } from "../ffi/headers/sddl.ts";
import { TOKEN_QUERY, TOKEN_USER_CLASS } from "../ffi/headers/winnt.ts";
import { SECURITY_ATTRIBUTES } from "../ffi/headers/winbase.ts";
import { check } from "../ffi/check.ts";
import { Win32Error } from "../ffi/error.ts";
import { NativeMemory } from "../ffi/memory.ts";
import { OwnedHandle } from "../ffi/handle.ts";
import { readWstr, wstr } from "../ffi/wstr.ts";

let userSid: string | undefined;

/** The current user's SID as a string (`S-1-5-21-...`). */
export function currentUserSid(): string {
  if (userSid) return userSid;
  const a = advapi32().sync;
  const out = new BigUint64Array(1);
  check("OpenProcessToken", () => a.OpenProcessToken(kernel32.sync.GetCurrentProcess(), TOKEN_QUERY, out));
  using token = new OwnedHandle(out[0]);
  using info = new NativeMemory(1024);
  const needed = new Uint32Array(1);
  check(
    "GetTokenInformation",
    () => a.GetTokenInformation(token.value, TOKEN_USER_CLASS, info.bytes, info.size, needed),
  );
  const sid = info.view().getBigUint64(0, true); // TOKEN_USER.User.Sid, points into `info`
  check("ConvertSidToStringSidW", () => a.ConvertSidToStringSidW(sid, out));
  try {
    // Exactly the string's characters: reading a fixed span past its allocation could fault.
    userSid = readWstr(out[0], kernel32.sync.lstrlenW(out[0]));
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
  readonly bytes: Uint8Array;
  #descriptor: bigint;

  constructor(sddl: string) {
    const out = new BigUint64Array(1);
    check(
      `ConvertStringSecurityDescriptorToSecurityDescriptorW("${sddl}")`,
      () =>
        advapi32().sync.ConvertStringSecurityDescriptorToSecurityDescriptorW(
          wstr(sddl),
          SDDL_REVISION_1,
          out,
          0n,
        ),
    );
    this.#descriptor = out[0];
    this.bytes = SECURITY_ATTRIBUTES.encode({
      nLength: SECURITY_ATTRIBUTES.size,
      lpSecurityDescriptor: this.#descriptor,
      bInheritHandle: 0,
    });
  }

  [Symbol.dispose](): void {
    if (this.#descriptor === 0n) return;
    kernel32.sync.LocalFree(this.#descriptor);
    this.#descriptor = 0n;
  }
}

/** SE_KERNEL_OBJECT: GetSecurityInfo on a kernel object's handle (pipes, mappings, events, ...). */
const SE_KERNEL_OBJECT = 6;
/** OWNER_SECURITY_INFORMATION | DACL_SECURITY_INFORMATION. */
const OWNER_AND_DACL = 0x1 | 0x4;

/**
 * The owner and DACL of the object `handle` names, as SDDL (`O:S-1-5-...D:P(A;;GA;;;...)`): what
 * the system enforces, read back rather than assumed. The handle needs READ_CONTROL.
 * @throws {Win32Error} the system refused (the handle lacks READ_CONTROL, ...).
 */
export function securityOf(handle: bigint): string {
  const a = advapi32().sync;
  const sd = new BigUint64Array(1);
  const code = a.GetSecurityInfo(handle, SE_KERNEL_OBJECT, OWNER_AND_DACL, 0n, 0n, 0n, 0n, sd);
  if (code !== 0) throw new Win32Error("GetSecurityInfo", code);
  const text = new BigUint64Array(1);
  const length = new Uint32Array(1);
  try {
    check(
      "ConvertSecurityDescriptorToStringSecurityDescriptorW",
      () =>
        a.ConvertSecurityDescriptorToStringSecurityDescriptorW(
          sd[0],
          SDDL_REVISION_1,
          OWNER_AND_DACL,
          text,
          length,
        ),
    );
    try {
      // Exactly the string's characters: reading past its allocation could fault.
      return readWstr(text[0], length[0]);
    } finally {
      kernel32.sync.LocalFree(text[0]);
    }
  } finally {
    kernel32.sync.LocalFree(sd[0]);
  }
}
