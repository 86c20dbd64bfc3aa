/**
 * The windows that exist now: top-level windows (children of the desktop) and message-only
 * windows (children of HWND_MESSAGE, which no enumeration API visits), walked with FindWindowExW,
 * with each one's class, title and owning process. Nothing here sends a window a message, so a
 * hung window cannot block the listing.
 * @module
 */
import { user32 } from "../../ffi/user32.ts";
import { fromWstr } from "../../ffi/wstr.ts";
import { HWND_MESSAGE } from "../../ffi/headers/winuser.ts";
import { findCopyDataServer } from "./copydata.ts";

const u = () => user32().sync;
/** A bound on one listing, so a window list that never ends cannot loop us. */
const MAX_WINDOWS = 100_000;
/** Class names are at most 256 characters (RegisterClassExW). */
const CLASS_UNITS = 257;
/** Titles are read up to this many UTF-16 units (longer ones are cut). */
const TITLE_UNITS = 1024;

/** One window, as {@link listWindows} describes it. */
export interface WindowInfo {
  /** The window's handle. */
  hwnd: bigint;
  /** Its class name (GetClassNameW). */
  className: string;
  /** Its title (InternalGetWindowText: no WM_GETTEXT is sent), at most 1023 characters. */
  title: string;
  /** The process that owns it (GetWindowThreadProcessId); 0 when it was destroyed meanwhile. */
  pid: number;
  /** The thread that owns it; 0 when it was destroyed meanwhile. */
  threadId: number;
  /** True for a message-only window (a child of HWND_MESSAGE), false for a top-level one. */
  messageOnly: boolean;
  /**
   * The winipc address the window serves, or null: a `copydata:NAME` server is the message-only
   * window of class `winipc-copydata` titled NAME, and is listed with `address` `copydata:NAME`.
   */
  address: string | null;
}

/** Options for {@link listWindows}: which windows to list (both kinds by default). */
export interface ListWindowsOptions {
  /** List top-level windows (the desktop's children). Default true. */
  topLevel?: boolean;
  /** List message-only windows (HWND_MESSAGE's children). Default true. */
  messageOnly?: boolean;
}

/**
 * The top-level and message-only windows of the current desktop, of every process: top-level
 * first, each group in the system's Z order. Child windows are not listed. The listing is not a
 * snapshot: a window created or destroyed while it runs may or may not appear.
 *
 * @example
 * ```ts
 * import { listWindows } from "@winipc/winipc/window";
 * for (const w of listWindows({ topLevel: false })) console.log(w.address ?? w.className, w.pid);
 * ```
 */
export function listWindows(opts: ListWindowsOptions = {}): WindowInfo[] {
  const out: WindowInfo[] = [];
  if (opts.topLevel ?? true) { for (const h of childrenOf(0n)) out.push(describe(h, false)); }
  if (opts.messageOnly ?? true) { for (const h of childrenOf(HWND_MESSAGE)) out.push(describe(h, true)); }
  return out;
}

/** The children of `parent` (0n: the desktop), walked with FindWindowExW. */
function childrenOf(parent: bigint): bigint[] {
  for (let tries = 1;; tries++) {
    const found: bigint[] = [];
    let last = 0n;
    while (found.length < MAX_WINDOWS) {
      const next = u().FindWindowExW(parent, last, null, null);
      if (next === 0n) break;
      found.push(next);
      last = next;
    }
    // FindWindowExW also returns NULL when the window it continues after was destroyed meanwhile:
    // then the walk stopped early, so it is made again (a few times at most).
    if (last === 0n || found.length >= MAX_WINDOWS || u().IsWindow(last) || tries >= 5) return found;
  }
}

function describe(hwnd: bigint, messageOnly: boolean): WindowInfo {
  const cls = new Uint16Array(CLASS_UNITS);
  const clsLength = u().GetClassNameW(hwnd, cls, cls.length);
  const text = new Uint16Array(TITLE_UNITS);
  const textLength = u().InternalGetWindowText(hwnd, text, text.length);
  const pid = new Uint32Array(1);
  const threadId = u().GetWindowThreadProcessId(hwnd, pid);
  const className = fromWstr(cls.subarray(0, Math.max(0, Math.min(clsLength, cls.length))));
  const title = fromWstr(text.subarray(0, Math.max(0, Math.min(textLength, text.length))));
  // A copydata server is the window FindWindowExW finds for its class and title.
  const address = messageOnly && title !== "" && findCopyDataServer(title) === hwnd
    ? `copydata:${title}`
    : null;
  return { hwnd, className, title, pid: pid[0], threadId, messageOnly, address };
}
