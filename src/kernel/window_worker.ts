/**
 * The thread of a `WindowHost` (window_host.ts): owns a message-only window and runs its
 * message loop (GetMessageW blocks this worker, never the JS thread). The window procedure is an
 * FFI callback called on this thread; it copies what the messages carry and posts it to the
 * main thread. Commands arrive as WM_APP+1 messages (wParam = command, lParam = argument).
 *
 * The worker runs {@link windowThread}'s text (src/ffi/ffi_worker.ts: no permission needed but
 * --allow-ffi), so the function is self-contained: constants and the window's names come in its
 * data.
 * @module
 */
import type { WindowHostEvent } from "./window_host.ts";
import type { FfiWorkerScope, FfiWorkerSpec } from "../ffi/ffi_worker.ts";
import { user32Symbols } from "../ffi/user32.ts";
import {
  GWLP_WNDPROC,
  HWND_MESSAGE,
  WM_APP,
  WM_CLIPBOARDUPDATE,
  WM_COPYDATA,
  WM_DESTROY,
} from "../ffi/headers/winuser.ts";

/** The message that carries a command from the host to its window (wParam: the command). */
export const WM_COMMAND_FROM_HOST = WM_APP + 1;
/** The commands (wParam of {@link WM_COMMAND_FROM_HOST}). */
export const HostCommand = { destroy: 1n, stall: 2n, listenClipboard: 3n } as const;

/** The constants the window thread uses, from the headers (its code imports nothing). */
export const windowConstants = {
  GWLP_WNDPROC,
  HWND_MESSAGE,
  WM_CLIPBOARDUPDATE,
  WM_COPYDATA,
  WM_DESTROY,
  WM_COMMAND_FROM_HOST,
  ...HostCommand,
} as const;

/** What a window thread starts with. */
export interface WindowThreadData {
  /** The class name and title, NUL-terminated UTF-16. */
  className: Uint16Array;
  title: Uint16Array;
  maxMessageSize: number;
  /** GetModuleHandleW(NULL) and DefWindowProcW's address: the same on every thread. */
  hInstance: bigint;
  defWindowProc: bigint;
  c: typeof windowConstants;
}

type Scope = FfiWorkerScope<{ readonly user32: typeof user32Symbols }, WindowThreadData, never>;

/** The window thread: makes the window, reports `ready` (or `error`), pumps until it is destroyed. */
function windowThread(scope: Scope): void {
  const { backend, data } = scope;
  const { c } = data;
  const u = scope.libs.user32;
  const post = (ev: WindowHostEvent, transfer: Transferable[] = []) => scope.post(ev, transfer);
  const stall = new Int32Array(new SharedArrayBuffer(4));
  const wndproc = (hwnd: bigint, msg: number, wParam: bigint, lParam: bigint): bigint => {
    // Never throw out of a window procedure: the exception would cross native frames.
    try {
      if (msg === c.WM_COPYDATA) {
        // lParam is a COPYDATASTRUCT* the sender's data is behind; read the sizes first.
        if (lParam === 0n) return 0n;
        const cds = new DataView(backend.memory(lParam, 24).slice(0));
        const tag = cds.getBigUint64(0, true);
        const size = cds.getUint32(8, true);
        const ptr = cds.getBigUint64(16, true);
        if (size > data.maxMessageSize) return 2n; // refused: too large (checked before any read)
        if (size > 0 && ptr === 0n) return 0n;
        const bytes = size === 0 ? new Uint8Array(0) : new Uint8Array(backend.memory(ptr, size).slice(0));
        post({ type: "copydata", from: wParam, tag, data: bytes }, [bytes.buffer]);
        return 1n;
      }
      if (msg === c.WM_CLIPBOARDUPDATE) {
        post({ type: "clipboard" });
        return 0n;
      }
      if (msg === c.WM_COMMAND_FROM_HOST) {
        if (wParam === c.destroy) u.DestroyWindow(hwnd);
        else if (wParam === c.stall) {
          post({ type: "stalling" });
          Atomics.wait(stall, 0, 0, Number(lParam)); // stop pumping, on purpose
        } else if (wParam === c.listenClipboard) {
          const r = scope.attempt(() => u.AddClipboardFormatListener(hwnd), (ok) => ok === 0);
          post({ type: "listening", ok: r.value !== 0, error: r.error });
        }
        return 0n;
      }
      if (msg === c.WM_DESTROY) {
        u.RemoveClipboardFormatListener(hwnd);
        u.PostQuitMessage(0);
        return 0n;
      }
      if (msg >= 0xc000 && msg <= 0xffff) {
        post({ type: "message", msg, wParam, lParam });
        return 0n;
      }
      return u.DefWindowProcW(hwnd, msg, wParam, lParam);
    } catch (e) {
      try {
        post({ type: "error", message: `window procedure (message ${msg}): ${e}` });
      } catch { /* nothing more can be done here */ }
      return 0n;
    }
  };
  const cb = backend.callback(["ptr", "u32", "ptr", "ptr"], "ptr", wndproc as never);
  // The class's procedure is DefWindowProcW; this window gets its own procedure (this callback)
  // after creation. A class lives as long as the process, a callback only as long as its thread,
  // so a class must never point at a callback.
  const wc = new Uint8Array(80); // WNDCLASSEXW
  const v = new DataView(wc.buffer);
  v.setUint32(0, 80, true); // cbSize
  v.setBigUint64(8, data.defWindowProc, true); // lpfnWndProc
  v.setBigUint64(24, data.hInstance, true); // hInstance
  v.setBigUint64(64, backend.addressOf(data.className), true); // lpszClassName
  u.RegisterClassExW(wc); // fails harmlessly when another host of this process registered it
  const created = scope.attempt(
    () =>
      u.CreateWindowExW(0, data.className, data.title, 0, 0, 0, 0, 0, c.HWND_MESSAGE, 0n, data.hInstance, 0n),
    (h) => h === 0n,
  );
  const hwnd = created.value;
  if (hwnd === 0n) {
    post({ type: "error", message: `CreateWindowExW failed (${created.error})` });
    cb.close();
    return;
  }
  u.SetWindowLongPtrW(hwnd, c.GWLP_WNDPROC, cb.pointer);
  post({ type: "ready", hwnd });
  const msg = new Uint8Array(48); // MSG
  while (u.GetMessageW(msg, 0n, 0, 0) > 0) {
    u.TranslateMessage(msg);
    u.DispatchMessageW(msg);
  }
  cb.close(); // the window is destroyed: nothing can call it any more
  post({ type: "closed" });
}

/** The window thread as a kind of worker (see window_host.ts). */
export const windowWorker: FfiWorkerSpec<{ readonly user32: typeof user32Symbols }, WindowThreadData, never> =
  {
    name: "window host",
    tables: { user32: user32Symbols },
    body: windowThread,
  };
