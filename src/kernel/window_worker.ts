/**
 * A window thread (window_host.ts): owns one or more windows (message-only, or hidden top-level)
 * and runs their message loop (GetMessageW blocks this worker, never the JS thread). The window
 * procedure is an FFI callback called on this thread; it copies what the messages carry and
 * posts it to the main thread, naming the window. Commands arrive as WM_APP+1 messages (wParam =
 * command, lParam = argument): posted to a window, or to the thread itself to make a new window.
 *
 * The worker runs {@link windowThread}'s text (src/ffi/ffi_worker.ts: no permission needed but
 * --allow-ffi), so the function is self-contained: constants and the windows' names come in its
 * data and requests.
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
import { WM_DDE_ACK, WM_DDE_FIRST, WM_DDE_INITIATE, WM_DDE_LAST } from "../ffi/headers/dde.ts";

/** The message that carries a command from the host to its window (wParam: the command). */
export const WM_COMMAND_FROM_HOST = WM_APP + 1;
/** The commands (wParam of {@link WM_COMMAND_FROM_HOST}). */
export const HostCommand = {
  destroy: 1n,
  stall: 2n,
  listenClipboard: 3n,
  ddeInitiate: 4n,
  create: 5n,
  quit: 6n,
} as const;

/** The class of winipc's DDE server windows (message-only ones are found by it, and their title). */
export const DDE_SERVER_CLASS = "winipc-dde";

/** The constants the window thread uses, from the headers (its code imports nothing). */
export const windowConstants = {
  GWLP_WNDPROC,
  HWND_MESSAGE,
  WM_CLIPBOARDUPDATE,
  WM_COPYDATA,
  WM_DESTROY,
  WM_COMMAND_FROM_HOST,
  WM_DDE_ACK,
  WM_DDE_FIRST,
  WM_DDE_INITIATE,
  WM_DDE_LAST,
  HWND_BROADCAST: 0xffffn,
  SMTO_ABORTIFHUNG: 0x0002,
  /** How long a DDE INITIATE or its ACK may take per window before that window is skipped. */
  DDE_SEND_TIMEOUT: 2000,
  ...HostCommand,
} as const;

/** A DDE server's names: the worker answers WM_DDE_INITIATE itself (it must, while it is sent). */
export interface DdeServerNames {
  service: string;
  /** The topics it serves; null: any topic a client names (a wildcard INITIATE gets none). */
  topics: string[] | null;
}

/** What one window on a window thread is (one request to make it). */
export interface WindowRequest {
  /** Answered with `ready` or `refused` of the same id. */
  id: number;
  className: string;
  title: string;
  maxMessageSize: number;
  /** A top-level (hidden) window instead of a message-only one: broadcasts reach it. */
  topLevel: boolean;
  /** The DDE server this window is, if any. */
  dde: DdeServerNames | null;
}

/** What a window thread starts with. */
export interface WindowThreadData {
  /** The thread's first window; later ones arrive as {@link HostCommand.create} thread messages. */
  first: WindowRequest;
  /** {@link DDE_SERVER_CLASS}, NUL-terminated UTF-16: message-only DDE servers to INITIATE. */
  ddeServerClass: Uint16Array;
  /** GetModuleHandleW(NULL) and DefWindowProcW's address: the same on every thread. */
  hInstance: bigint;
  defWindowProc: bigint;
  c: typeof windowConstants;
}

/**
 * A request for a window in native memory, for a thread message's lParam: its JSON as UTF-16
 * after a 32-bit count of code units. The caller keeps the block until the request is answered.
 */
export function encodeWindowRequest(req: WindowRequest): Uint8Array {
  const json = JSON.stringify(req);
  const bytes = new Uint8Array(4 + json.length * 2);
  const v = new DataView(bytes.buffer);
  v.setUint32(0, json.length, true);
  for (let i = 0; i < json.length; i++) v.setUint16(4 + i * 2, json.charCodeAt(i), true);
  return bytes;
}

type Scope = FfiWorkerScope<{ readonly user32: typeof user32Symbols }, WindowThreadData, never>;

/**
 * The window thread: makes its first window, then more on request, pumps their messages, and
 * ends when its owner says so with the destroy of the last one. Every event names its window.
 */
function windowThread(scope: Scope): void {
  const { backend, data } = scope;
  const { c } = data;
  const u = scope.libs.user32;
  const post = (ev: WindowHostEvent, transfer: Transferable[] = []) => scope.post(ev, transfer);
  const stall = new Int32Array(new SharedArrayBuffer(4));
  const k = scope.libs.kernel32;
  const text = (s: string) => {
    const a = new Uint16Array(s.length + 1);
    for (let i = 0; i < s.length; i++) a[i] = s.charCodeAt(i);
    return a;
  };
  /** What each live window of this thread is. */
  const windows = new Map<bigint, WindowRequest>();
  const atomBuf = new Uint16Array(256);
  const atomName = (atom: number): string | null => {
    if (atom === 0) return null;
    const n = k.GlobalGetAtomNameW(atom, atomBuf, 256);
    return String.fromCharCode(...atomBuf.subarray(0, Math.min(n, 255)));
  };
  const sendResult = new BigUint64Array(1);
  const sendDde = (to: bigint, msg: number, from: bigint, lParam: bigint): boolean =>
    u.SendMessageTimeoutW(to, msg, from, lParam, c.SMTO_ABORTIFHUNG, c.DDE_SEND_TIMEOUT, sendResult) !== 0n;
  /** The window sending WM_DDE_INITIATE: the ACKs sent back to it during that are the answers. */
  let initiating = 0n;
  /** A server's answer to INITIATE: new atoms for its names, sent back (the client deletes them). */
  const answerInitiate = (hwnd: bigint, dde: DdeServerNames, client: bigint, lParam: bigint) => {
    const service = atomName(Number(lParam & 0xffffn));
    const topic = atomName(Number((lParam >> 16n) & 0xffffn));
    if (service !== null && service.toLowerCase() !== dde.service.toLowerCase()) return;
    const served = topic === null
      ? dde.topics ?? []
      : dde.topics === null || dde.topics.some((t) => t.toLowerCase() === topic.toLowerCase())
      ? [topic]
      : [];
    for (const t of served) {
      const aApp = k.GlobalAddAtomW(text(dde.service));
      const aTopic = k.GlobalAddAtomW(text(t));
      if (!sendDde(client, c.WM_DDE_ACK, hwnd, BigInt(aApp) | (BigInt(aTopic) << 16n))) {
        k.GlobalDeleteAtom(aApp); // the client did not take them
        k.GlobalDeleteAtom(aTopic);
        continue;
      }
      post({ type: "dde-conversation", hwnd, client, topic: t });
    }
  };
  /** A client's INITIATE (atoms made by the host): every top-level window, every winipc server. */
  const initiate = (hwnd: bigint, atoms: bigint) => {
    initiating = hwnd;
    try {
      sendDde(c.HWND_BROADCAST, c.WM_DDE_INITIATE, hwnd, atoms);
      for (let w = u.FindWindowExW(c.HWND_MESSAGE, 0n, data.ddeServerClass, null); w !== 0n;) {
        if (w !== hwnd) sendDde(w, c.WM_DDE_INITIATE, hwnd, atoms);
        w = u.FindWindowExW(c.HWND_MESSAGE, w, data.ddeServerClass, null);
      }
    } finally {
      initiating = 0n;
      post({ type: "dde-initiated", hwnd });
    }
  };
  const wndproc = (hwnd: bigint, msg: number, wParam: bigint, lParam: bigint): bigint => {
    // Never throw out of a window procedure: the exception would cross native frames.
    try {
      const own = windows.get(hwnd);
      if (!own) return u.DefWindowProcW(hwnd, msg, wParam, lParam);
      if (msg === c.WM_COPYDATA) {
        // lParam is a COPYDATASTRUCT* the sender's data is behind; read the sizes first.
        if (lParam === 0n) return 0n;
        const cds = new DataView(backend.memory(lParam, 24).slice(0));
        const tag = cds.getBigUint64(0, true);
        const size = cds.getUint32(8, true);
        const ptr = cds.getBigUint64(16, true);
        if (size > own.maxMessageSize) return 2n; // refused: too large (checked before any read)
        if (size > 0 && ptr === 0n) return 0n;
        const bytes = size === 0 ? new Uint8Array(0) : new Uint8Array(backend.memory(ptr, size).slice(0));
        post({ type: "copydata", hwnd, from: wParam, tag, data: bytes }, [bytes.buffer]);
        return 1n;
      }
      if (msg === c.WM_DDE_INITIATE) {
        if (own.dde && wParam !== hwnd) answerInitiate(hwnd, own.dde, wParam, lParam);
        return 0n;
      }
      if (msg === c.WM_DDE_ACK && initiating === hwnd) {
        // Sent during our INITIATE: a server's names, in atoms that are now ours to delete.
        const aApp = Number(lParam & 0xffffn);
        const aTopic = Number((lParam >> 16n) & 0xffffn);
        post({
          type: "dde-initiate-ack",
          hwnd,
          server: wParam,
          service: atomName(aApp),
          topic: atomName(aTopic),
        });
        if (aApp) k.GlobalDeleteAtom(aApp);
        if (aTopic) k.GlobalDeleteAtom(aTopic);
        return 0n;
      }
      if (msg >= c.WM_DDE_FIRST && msg <= c.WM_DDE_LAST) {
        // Posted DDE messages: the host unpacks them on its thread (handles are per process).
        post({ type: "dde", hwnd, msg, from: wParam, lParam });
        return 0n;
      }
      if (msg === c.WM_CLIPBOARDUPDATE) {
        post({ type: "clipboard", hwnd });
        return 0n;
      }
      if (msg === c.WM_COMMAND_FROM_HOST) {
        if (wParam === c.destroy) {
          u.DestroyWindow(hwnd);
          if (lParam !== 0n) u.PostQuitMessage(0); // the owner's last window on this thread
        } else if (wParam === c.stall) {
          post({ type: "stalling", hwnd });
          Atomics.wait(stall, 0, 0, Number(lParam)); // stop pumping, on purpose
        } else if (wParam === c.ddeInitiate) {
          initiate(hwnd, lParam);
        } else if (wParam === c.listenClipboard) {
          const r = scope.attempt(() => u.AddClipboardFormatListener(hwnd), (ok) => ok === 0);
          post({ type: "listening", hwnd, ok: r.value !== 0, error: r.error });
        }
        return 0n;
      }
      if (msg === c.WM_DESTROY) {
        u.RemoveClipboardFormatListener(hwnd);
        windows.delete(hwnd);
        post({ type: "closed", hwnd });
        return 0n;
      }
      if (msg >= 0xc000 && msg <= 0xffff) {
        post({ type: "message", hwnd, msg, wParam, lParam });
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
  /** Makes a requested window; answers `ready` or `refused`. */
  const open = (req: WindowRequest): void => {
    const className = text(req.className);
    // The class's procedure is DefWindowProcW; each window gets its own procedure (this callback)
    // after creation. A class lives as long as the process, a callback only as long as its
    // thread, so a class must never point at a callback.
    const wc = new Uint8Array(80); // WNDCLASSEXW
    const v = new DataView(wc.buffer);
    v.setUint32(0, 80, true); // cbSize
    v.setBigUint64(8, data.defWindowProc, true); // lpfnWndProc
    v.setBigUint64(24, data.hInstance, true); // hInstance
    v.setBigUint64(64, backend.addressOf(className), true); // lpszClassName
    u.RegisterClassExW(wc); // fails harmlessly when another host of this process registered it
    const created = scope.attempt(
      () =>
        u.CreateWindowExW(
          0,
          className,
          text(req.title),
          0,
          0,
          0,
          0,
          0,
          req.topLevel ? 0n : c.HWND_MESSAGE,
          0n,
          data.hInstance,
          0n,
        ),
      (h) => h === 0n,
    );
    const hwnd = created.value;
    if (hwnd === 0n) {
      post({ type: "refused", id: req.id, message: `CreateWindowExW failed (${created.error})` });
      return;
    }
    windows.set(hwnd, req);
    u.SetWindowLongPtrW(hwnd, c.GWLP_WNDPROC, cb.pointer);
    post({ type: "ready", id: req.id, hwnd });
  };
  /** A {@link HostCommand.create} request: JSON as UTF-16 after its length (encodeWindowRequest). */
  const readRequest = (at: bigint): WindowRequest => {
    const n = new DataView(backend.memory(at, 4).slice(0)).getUint32(0, true);
    const units = new Uint16Array(backend.memory(at + 4n, n * 2).slice(0));
    let json = "";
    for (let i = 0; i < n; i += 4096) json += String.fromCharCode(...units.subarray(i, i + 4096));
    return JSON.parse(json);
  };
  open(data.first);
  if (windows.size > 0) {
    const msg = new Uint8Array(48); // MSG: hwnd at 0, message at 8, wParam at 16, lParam at 24
    const m = new DataView(msg.buffer);
    while (u.GetMessageW(msg, 0n, 0, 0) > 0) {
      if (m.getBigUint64(0, true) === 0n && m.getUint32(8, true) === c.WM_COMMAND_FROM_HOST) {
        // A thread message from the owner (only it posts them): make a window, or end.
        if (m.getBigUint64(16, true) === c.quit) break;
        if (m.getBigUint64(16, true) === c.create) {
          let req: WindowRequest | undefined;
          try {
            req = readRequest(m.getBigUint64(24, true));
            open(req);
          } catch (e) {
            post({ type: "refused", id: req?.id ?? -1, message: `${e}` });
          }
        }
        continue;
      }
      u.TranslateMessage(msg);
      u.DispatchMessageW(msg);
    }
  }
  cb.close(); // every window is destroyed: nothing can call it any more
  post({ type: "exited" });
}

/** The window thread as a kind of worker (see window_host.ts). */
export const windowWorker: FfiWorkerSpec<{ readonly user32: typeof user32Symbols }, WindowThreadData, never> =
  {
    name: "window host",
    tables: { user32: user32Symbols },
    body: windowThread,
  };
