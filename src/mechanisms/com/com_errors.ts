/** COM failures as typed errors: the HRESULT, the system's text and what the server said. @module */
import { systemMessage } from "../../ffi/error.ts";
import { ChannelClosedError, WinipcError } from "../../core/errors.ts";

/** HRESULTs winipc tells apart. */
export const HRESULT = {
  /** Success. */
  S_OK: 0,
  /** Success, with a "no" or "nothing" meaning. */
  S_FALSE: 1,
  /** Not implemented. */
  E_NOTIMPL: 0x80004001 | 0,
  /** The object has no such interface. */
  E_NOINTERFACE: 0x80004002 | 0,
  /** Unspecified failure (also a JS server's exception code). */
  E_FAIL: 0x80004005 | 0,
  /** Catastrophic failure. */
  E_UNEXPECTED: 0x8000ffff | 0,
  /** An argument is not valid. */
  E_INVALIDARG: 0x80070057 | 0,
  /** Invoke's riid was not IID_NULL. */
  DISP_E_UNKNOWNINTERFACE: 0x80020001 | 0,
  /** No such member (or not for this kind of access). */
  DISP_E_MEMBERNOTFOUND: 0x80020003 | 0,
  /** A named argument the member does not have (or an optional one left out). */
  DISP_E_PARAMNOTFOUND: 0x80020004 | 0,
  /** An argument of the wrong type. */
  DISP_E_TYPEMISMATCH: 0x80020005 | 0,
  /** GetIDsOfNames knows no such name. */
  DISP_E_UNKNOWNNAME: 0x80020006 | 0,
  /** The member raised an exception (see EXCEPINFO). */
  DISP_E_EXCEPTION: 0x80020009 | 0,
  /** The wrong number of arguments. */
  DISP_E_BADPARAMCOUNT: 0x8002000e | 0,
  /** A required argument is missing. */
  DISP_E_PARAMNOTOPTIONAL: 0x8002000f | 0,
  /** The class is not registered. */
  REGDB_E_CLASSNOTREG: 0x80040154 | 0,
  /** The ProgID or CLSID text is not registered or not valid. */
  CO_E_CLASSSTRING: 0x800401f3 | 0,
  /** Nothing runs under the moniker (or the class has no active object). */
  MK_E_UNAVAILABLE: 0x800401e3 | 0,
  /** The object was disconnected from its clients. */
  CO_E_OBJNOTCONNECTED: 0x800401fd | 0,
  /** The server died during the call. */
  RPC_E_SERVER_DIED: 0x80010007 | 0,
  /** The object's server disconnected. */
  RPC_E_DISCONNECTED: 0x80010108 | 0,
  /** The server died; the call did not run. */
  RPC_E_SERVER_DIED_DNE: 0x80010012 | 0,
  /** The RPC server is unavailable (its process is gone). */
  RPC_S_SERVER_UNAVAILABLE: 0x800706ba | 0,
  /** The remote call failed. */
  RPC_S_CALL_FAILED: 0x800706be | 0,
  /** The remote call failed and did not run. */
  RPC_S_CALL_FAILED_DNE: 0x800706bf | 0,
} as const;

const disconnected = new Set<number>([
  HRESULT.CO_E_OBJNOTCONNECTED,
  HRESULT.RPC_E_SERVER_DIED,
  HRESULT.RPC_E_DISCONNECTED,
  HRESULT.RPC_E_SERVER_DIED_DNE,
  HRESULT.RPC_S_SERVER_UNAVAILABLE,
  HRESULT.RPC_S_CALL_FAILED,
  HRESULT.RPC_S_CALL_FAILED_DNE,
]);

/** "0x80020006" */
export const hex = (hr: number) => `0x${(hr >>> 0).toString(16).padStart(8, "0")}`;

function text(hr: number): string {
  const s = systemMessage(hr >>> 0);
  return s.startsWith("error ") ? "no system text" : s;
}

/** What a server said about a failure (IErrorInfo or EXCEPINFO). */
export interface ComErrorDetail {
  /** Where the error came from (a program or class name). */
  source?: string;
  /** What went wrong, in the server's words. */
  description?: string;
}

/** A COM call failed with an HRESULT. */
export class ComError extends WinipcError {
  /** What failed (the call, the member). */
  readonly api: string;
  /** The HRESULT, as a signed 32-bit number (compare with {@link HRESULT}). */
  readonly hresult: number;
  /** Where the error came from, as the server named it (IErrorInfo, EXCEPINFO), if it did. */
  readonly source: string | undefined;
  /** The server's description, if it gave one. */
  readonly description: string | undefined;

  /** `api` failed with `hresult`; the message adds the server's description and the system's text. */
  constructor(api: string, hresult: number, detail: ComErrorDetail = {}, options?: ErrorOptions) {
    const said = detail.description ? `: ${detail.description}` : "";
    super(`${api} failed${said} (HRESULT ${hex(hresult)}: ${text(hresult)})`, options);
    this.api = api;
    this.hresult = hresult | 0;
    this.source = detail.source || undefined;
    this.description = detail.description || undefined;
  }
}

/** The object has no member by that name (DISP_E_UNKNOWNNAME, DISP_E_MEMBERNOTFOUND). */
export class ComMemberNotFoundError extends ComError {
  /** The member asked for. */
  readonly member: string;

  /** `api` found no member `member` (`hresult` says how). */
  constructor(api: string, member: string, hresult: number) {
    super(api, hresult);
    this.member = member;
  }
}

/**
 * The server's method raised an exception (DISP_E_EXCEPTION): its EXCEPINFO. `hresult` is the
 * exception's SCODE (or its wCode when the SCODE is 0).
 */
export class ComDispatchError extends ComError {}

/**
 * The object's server is gone (it exited, was killed or disconnected the object): every call on
 * the object fails so from now on.
 */
export class ComDisconnectedError extends ChannelClosedError {
  /** What failed. */
  readonly api: string;
  /** The HRESULT that said so. */
  readonly hresult: number;

  /** `api` failed with `hresult`, one of the HRESULTs that mean the server is gone. */
  constructor(api: string, hresult: number, options?: ErrorOptions) {
    super(`${api}: the COM server is gone (HRESULT ${hex(hresult)}: ${text(hresult)})`, options);
    this.api = api;
    this.hresult = hresult | 0;
  }
}

/** The typed error for a failed HRESULT. */
export function comError(api: string, hr: number, detail?: ComErrorDetail): WinipcError {
  if (disconnected.has(hr | 0)) return new ComDisconnectedError(api, hr);
  return new ComError(api, hr, detail);
}
