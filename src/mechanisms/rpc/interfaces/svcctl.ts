/**
 * The Service Control Manager's RPC interface, svcctl (MS-SCMR), the operations winipc's tests
 * call on Windows' (and Wine's) services.exe at `ncacn_np:[\pipe\svcctl]`: open the manager,
 * enumerate services, open one, query its status, close handles. The `[out]` byte buffers hold
 * structures MS-SCMR describes; {@link parseServiceStatusProcess} and {@link parseEnumServiceStatus}
 * read them, bounds-checked.
 * @module
 */
import { ProtocolError } from "../../../core/errors.ts";
import {
  defineInterface,
  type Operation,
  type OperationMap,
  type Param,
  type RpcInterface,
} from "../interface.ts";
import {
  conformantArray,
  type ContextHandle,
  contextHandle,
  enum32,
  u32,
  u8,
  uniquePtr,
  wstring,
} from "../ndr.ts";

/** The types of svcctl's operations (see {@link SVCCTL_OPERATIONS}). */
export interface SvcctlOperations extends OperationMap {
  /** RCloseServiceHandle. */
  readonly CloseServiceHandle: Operation<
    0,
    readonly [Param<"handle", ContextHandle>],
    readonly [Param<"handle", ContextHandle>, Param<"status", number>]
  >;
  /** REnumServicesStatusW. */
  readonly EnumServicesStatusW: Operation<
    14,
    readonly [
      Param<"manager", ContextHandle>,
      Param<"serviceType", number>,
      Param<"serviceState", number>,
      Param<"bufSize", number>,
      Param<"resumeIndex", number | null>,
    ],
    readonly [
      Param<"buffer", number[]>,
      Param<"bytesNeeded", number>,
      Param<"servicesReturned", number>,
      Param<"resumeIndex", number | null>,
      Param<"status", number>,
    ]
  >;
  /** ROpenSCManagerW. */
  readonly OpenSCManagerW: Operation<
    15,
    readonly [
      Param<"machine", string | null>,
      Param<"database", string | null>,
      Param<"access", number>,
    ],
    readonly [Param<"handle", ContextHandle>, Param<"status", number>]
  >;
  /** ROpenServiceW. */
  readonly OpenServiceW: Operation<
    16,
    readonly [
      Param<"manager", ContextHandle>,
      Param<"service", string>,
      Param<"access", number>,
    ],
    readonly [Param<"handle", ContextHandle>, Param<"status", number>]
  >;
  /** RQueryServiceStatusEx. */
  readonly QueryServiceStatusEx: Operation<
    40,
    readonly [
      Param<"service", ContextHandle>,
      Param<"infoLevel", number>,
      Param<"bufSize", number>,
    ],
    readonly [Param<"buffer", number[]>, Param<"bytesNeeded", number>, Param<"status", number>]
  >;
}

/** svcctl's operations: the declaration {@link svcctl} is made from. */
export const SVCCTL_OPERATIONS: SvcctlOperations = {
  /** RCloseServiceHandle: returns the null handle. */
  CloseServiceHandle: {
    opnum: 0,
    in: [["handle", contextHandle]],
    out: [["handle", contextHandle], ["status", u32]],
  },
  /** REnumServicesStatusW: `buffer` holds `servicesReturned` ENUM_SERVICE_STATUSW. */
  EnumServicesStatusW: {
    opnum: 14,
    in: [
      ["manager", contextHandle],
      ["serviceType", u32],
      ["serviceState", u32],
      ["bufSize", u32],
      ["resumeIndex", uniquePtr(u32)],
    ],
    out: [
      ["buffer", conformantArray(u8)],
      ["bytesNeeded", u32],
      ["servicesReturned", u32],
      ["resumeIndex", uniquePtr(u32)],
      ["status", u32],
    ],
  },
  /** ROpenSCManagerW: null machine and database mean this machine's active database. */
  OpenSCManagerW: {
    opnum: 15,
    in: [["machine", uniquePtr(wstring)], ["database", uniquePtr(wstring)], ["access", u32]],
    out: [["handle", contextHandle], ["status", u32]],
  },
  /** ROpenServiceW. */
  OpenServiceW: {
    opnum: 16,
    in: [["manager", contextHandle], ["service", wstring], ["access", u32]],
    out: [["handle", contextHandle], ["status", u32]],
  },
  /** RQueryServiceStatusEx with info level 0 (SC_STATUS_PROCESS_INFO): a SERVICE_STATUS_PROCESS. */
  QueryServiceStatusEx: {
    opnum: 40,
    in: [["service", contextHandle], ["infoLevel", enum32], ["bufSize", u32]],
    out: [["buffer", conformantArray(u8)], ["bytesNeeded", u32], ["status", u32]],
  },
};

/** svcctl 367abb81-9844-35f1-ad32-98f038001003 v2.0 (MS-SCMR 3.1.4). */
export const svcctl: RpcInterface<SvcctlOperations> = defineInterface({
  name: "svcctl",
  uuid: "367abb81-9844-35f1-ad32-98f038001003",
  version: "2.0",
  operations: SVCCTL_OPERATIONS,
});

/** SC_MANAGER_CONNECT | SC_MANAGER_ENUMERATE_SERVICE: enough to list and open services. */
export const SC_MANAGER_READ = 0x0001 | 0x0004;
/** SERVICE_QUERY_STATUS. */
export const SERVICE_QUERY_STATUS = 0x0004;
/** SERVICE_WIN32 (own and shared process services). */
export const SERVICE_WIN32 = 0x30;
/** SERVICE_STATE_ALL. */
export const SERVICE_STATE_ALL = 3;
/** ERROR_MORE_DATA: the buffer was too small; `bytesNeeded` says how big. */
export const ERROR_MORE_DATA = 234;

/** SERVICE_STATUS_PROCESS (and, without the last two, SERVICE_STATUS). */
export interface ServiceStatus {
  /** SERVICE_WIN32_OWN_PROCESS (0x10), SERVICE_WIN32_SHARE_PROCESS (0x20), ... */
  serviceType: number;
  /** SERVICE_STOPPED (1), SERVICE_START_PENDING (2), ..., SERVICE_RUNNING (4), ... */
  currentState: number;
  /** SERVICE_ACCEPT_* bits. */
  controlsAccepted: number;
  /** Win32 exit code. */
  win32ExitCode: number;
  /** Service-specific exit code. */
  serviceSpecificExitCode: number;
  /** Check point. */
  checkPoint: number;
  /** Wait hint, ms. */
  waitHint: number;
  /** The process id (SERVICE_STATUS_PROCESS only). */
  processId?: number;
  /** SERVICE_RUNS_IN_SYSTEM_PROCESS (1) or 0 (SERVICE_STATUS_PROCESS only). */
  serviceFlags?: number;
}

const STATUS_FIELDS = [
  "serviceType",
  "currentState",
  "controlsAccepted",
  "win32ExitCode",
  "serviceSpecificExitCode",
  "checkPoint",
  "waitHint",
  "processId",
  "serviceFlags",
] as const;

function statusAt(v: DataView, at: number, fields: number): ServiceStatus {
  const out: Record<string, number> = {};
  for (let i = 0; i < fields; i++) out[STATUS_FIELDS[i]] = v.getUint32(at + 4 * i, true);
  return out as unknown as ServiceStatus;
}

function bytesOf(buffer: readonly number[] | Uint8Array): Uint8Array {
  return buffer instanceof Uint8Array ? buffer : Uint8Array.from(buffer);
}

/**
 * The SERVICE_STATUS_PROCESS in QueryServiceStatusEx's buffer.
 * @throws {ProtocolError} the buffer is shorter than 36 bytes.
 */
export function parseServiceStatusProcess(buffer: readonly number[] | Uint8Array): Required<ServiceStatus> {
  const b = bytesOf(buffer);
  if (b.length < 36) throw new ProtocolError(`SERVICE_STATUS_PROCESS: ${b.length} bytes, 36 expected`);
  return statusAt(new DataView(b.buffer, b.byteOffset, b.length), 0, 9) as Required<ServiceStatus>;
}

/** One service from EnumServicesStatusW. */
export interface EnumeratedService {
  /** The service's key name. */
  serviceName: string;
  /** Its display name. */
  displayName: string;
  /** Its status (SERVICE_STATUS: no process id or flags). */
  status: ServiceStatus;
}

/**
 * The `count` ENUM_SERVICE_STATUSW in EnumServicesStatusW's buffer: on the wire each is two
 * 32-bit offsets from the buffer's start (service name, display name: NUL-terminated UTF-16)
 * and a SERVICE_STATUS, 36 bytes (MS-SCMR 3.1.4.15).
 * @throws {ProtocolError} an entry or string lies outside the buffer, or a string has no NUL.
 */
export function parseEnumServiceStatus(
  buffer: readonly number[] | Uint8Array,
  count: number,
): EnumeratedService[] {
  const b = bytesOf(buffer);
  if (!Number.isInteger(count) || count < 0 || count * 36 > b.length) {
    throw new ProtocolError(`ENUM_SERVICE_STATUSW: ${count} entries cannot fit ${b.length} bytes`);
  }
  const v = new DataView(b.buffer, b.byteOffset, b.length);
  const str = (offset: number): string => {
    if (offset % 2 !== 0 || offset >= b.length) {
      throw new ProtocolError(`ENUM_SERVICE_STATUSW: bad string offset ${offset}`);
    }
    let end = offset;
    while (end + 1 < b.length && (b[end] | b[end + 1]) !== 0) end += 2;
    if (end + 1 >= b.length) throw new ProtocolError("ENUM_SERVICE_STATUSW: a string has no NUL");
    return String.fromCharCode(...new Uint16Array(b.slice(offset, end).buffer));
  };
  const out: EnumeratedService[] = [];
  for (let i = 0; i < count; i++) {
    const at = 36 * i;
    out.push({
      serviceName: str(v.getUint32(at, true)),
      displayName: str(v.getUint32(at + 4, true)),
      status: statusAt(v, at + 8, 7),
    });
  }
  return out;
}
