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
