/**
 * The thread of a {@link WindowHost} (window_host.ts): owns a message-only window and runs its
 * message loop (GetMessageW blocks this worker, never the JS thread). The window procedure is an
 * FFI callback called on this thread; it copies what the messages carry and posts it to the
 * main thread. Commands arrive as WM_APP+1 messages (wParam = command, lParam = argument).
 * @module
 */
import type { WindowHostEvent, WindowHostInit } from "./window_host.ts";
import { bufferMessages } from "../ffi/worker_inbox.ts";
import {
  GWLP_WNDPROC,
  HWND_MESSAGE,
  WM_APP,
  WM_CLIPBOARDUPDATE,
  WM_COPYDATA,
  WM_DESTROY,
} from "../ffi/headers/winuser.ts";

// deno-lint-ignore no-explicit-any
const self_ = globalThis as any;
const ready = bufferMessages<WindowHostInit>(); // before anything is awaited

const { backend } = await import("../ffi/runtime.ts");
const { user32 } = await import("../ffi/user32.ts");
const { kernel32 } = await import("../ffi/kernel32.ts");
const { wstr } = await import("../ffi/wstr.ts");
const { attempt } = await import("../ffi/check.ts");
const u = user32().sync;

const WM_COMMAND_FROM_HOST = WM_APP + 1;
const CMD_DESTROY = 1n, CMD_STALL = 2n, CMD_CLIPBOARD_LISTEN = 3n;

function post(ev: WindowHostEvent, transfer: Transferable[] = []) {
  self_.postMessage(ev, transfer);
}

function run(init: WindowHostInit) {
  const stall = new Int32Array(new SharedArrayBuffer(4));
  const wndproc = (hwnd: bigint, msg: number, wParam: bigint, lParam: bigint): bigint => {
    // Never throw out of a window procedure: the exception would cross native frames.
    try {
      if (msg === WM_COPYDATA) {
        // lParam is a COPYDATASTRUCT* the sender's data is behind; read the sizes first.
        if (lParam === 0n) return 0n;
        const cds = new DataView(backend.memory(lParam, 24).slice(0));
        const tag = cds.getBigUint64(0, true);
        const size = cds.getUint32(8, true);
        const ptr = cds.getBigUint64(16, true);
        if (size > init.maxMessageSize) return 2n; // refused: too large (checked before any read)
        if (size > 0 && ptr === 0n) return 0n;
        const data = size === 0 ? new Uint8Array(0) : new Uint8Array(backend.memory(ptr, size).slice(0));
        post({ type: "copydata", from: wParam, tag, data }, [data.buffer]);
        return 1n;
      }
      if (msg === WM_CLIPBOARDUPDATE) {
        post({ type: "clipboard" });
        return 0n;
      }
      if (msg === WM_COMMAND_FROM_HOST) {
        if (wParam === CMD_DESTROY) u.DestroyWindow(hwnd);
        else if (wParam === CMD_STALL) {
          post({ type: "stalling" });
          Atomics.wait(stall, 0, 0, Number(lParam)); // stop pumping, on purpose
        } else if (wParam === CMD_CLIPBOARD_LISTEN) {
          const r = attempt(() => u.AddClipboardFormatListener(hwnd), (ok) => ok === 0);
          post({ type: "listening", ok: r.value !== 0, error: r.error });
        }
        return 0n;
      }
      if (msg === WM_DESTROY) {
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
  const hInstance = kernel32.sync.GetModuleHandleW(null);
  // The class's procedure is DefWindowProcW; this window gets its own procedure (this callback)
  // after creation. A class lives as long as the process, a callback only as long as its thread,
  // so a class must never point at a callback.
  const className = wstr(init.className);
  const title = wstr(init.title);
  const user32Module = kernel32.sync.GetModuleHandleW(wstr("user32.dll"));
  const defProc = kernel32.sync.GetProcAddress(user32Module, new TextEncoder().encode("DefWindowProcW\0"));
  const wc = new Uint8Array(80); // WNDCLASSEXW
  const v = new DataView(wc.buffer);
  v.setUint32(0, 80, true); // cbSize
  v.setBigUint64(8, defProc, true); // lpfnWndProc
  v.setBigUint64(24, hInstance, true); // hInstance
  v.setBigUint64(64, backend.addressOf(className), true); // lpszClassName
  u.RegisterClassExW(wc); // fails harmlessly when another host of this process registered it
  const created = attempt(
    () => u.CreateWindowExW(0, className, title, 0, 0, 0, 0, 0, HWND_MESSAGE, 0n, hInstance, 0n),
    (h) => h === 0n,
  );
  const hwnd = created.value;
  if (hwnd === 0n) {
    post({ type: "error", message: `CreateWindowExW failed (${created.error})` });
    cb.close();
    return;
  }
  u.SetWindowLongPtrW(hwnd, GWLP_WNDPROC, cb.pointer);
  post({ type: "ready", hwnd });
  const msg = new Uint8Array(48); // MSG
  while (u.GetMessageW(msg, 0n, 0, 0) > 0) {
    u.TranslateMessage(msg);
    u.DispatchMessageW(msg);
  }
  cb.close(); // the window is destroyed: nothing can call it any more
  post({ type: "closed" });
}

ready((ev) => run(ev.data));
