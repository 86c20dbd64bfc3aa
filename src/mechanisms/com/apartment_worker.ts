/**
 * The COM apartment's thread: a single-threaded apartment (CoInitializeEx
 * COINIT_APARTMENTTHREADED) with a message-only window whose loop it pumps. Everything that
 * touches an interface pointer happens here, so the JS event loop never blocks on COM and every
 * callback into a JS object comes on the thread that made it (see apartment.ts for the protocol).
 *
 * - Calls from the JS thread arrive as posted messages carrying a frame in native memory: a
 *   function address and its pointer-sized arguments (COM methods, ole32/oleaut32 exports). The
 *   result is written into the frame and `done` is posted back.
 * - JS objects exposed to COM are native blocks `{ vtable, id }` made here, with reference counts
 *   kept here (one thread). QueryInterface, AddRef, Release and GetTypeInfoCount are answered
 *   here; GetIDsOfNames, Invoke and CreateInstance are posted to the JS thread, and this thread
 *   waits for the answer, pumping only its own window's messages (see `forward`).
 * - When a block's count reaches zero it is freed and `released` is posted.
 *
 * Self-contained text (src/ffi/ffi_worker.ts): constants come in its data.
 * @module
 */
import type { FfiWorkerScope, FfiWorkerSpec } from "../../ffi/ffi_worker.ts";
import { user32Symbols } from "../../ffi/user32.ts";
import { ole32Symbols } from "../../ffi/ole32.ts";
import { oleaut32Symbols } from "../../ffi/oleaut32.ts";
import { GWLP_WNDPROC, HWND_MESSAGE, WM_APP, WM_DESTROY, WM_TIMER } from "../../ffi/headers/winuser.ts";

/** The messages the JS thread posts to the apartment's window. */
export const ApartmentMessage = {
  /** Run a call frame (wParam: request id, lParam: frame). */
  call: WM_APP + 1,
  /** Hand out a reference to a JS object's block (wParam: request id, lParam: frame). */
  ref: WM_APP + 2,
  /** The answer to a forwarded call (wParam: invocation id, lParam: its HRESULT). */
  answer: WM_APP + 3,
  /** Disconnect every object and end the thread. */
  quit: WM_APP + 4,
  /** Disconnect the blocks of JS object `lParam` that still exist (wParam: request id). */
  disconnect: WM_APP + 5,
} as const;

/** Frame flag: read the thread's IErrorInfo when the call returns a failed HRESULT. */
export const FRAME_ERROR_INFO = 1n << 32n;
/**
 * A frame's bits from here up: the forwarded call (invocation id) the JS code that posted it runs
 * on behalf of, or 0 (see `forward`).
 */
export const FRAME_INVOCATION_SHIFT = 33n;
/** Invocation ids fit in the frame's bits above {@link FRAME_INVOCATION_SHIFT}. */
export const MAX_INVOCATION = 0x7fffffff;
/**
 * How long (ms) a forwarded call waits for its answer with frames held back before it runs them
 * anyway (see `forward`): the JS answer may, in rare code, wait for one of them.
 */
export const HOLD_BACK_MS = 250;
/**
 * How long (ms) no call may have run on a JS object before the apartment cuts it off
 * (CoDisconnectObject): see `disconnectWhenQuiet`.
 */
export const DISCONNECT_QUIET_MS = 200;
/** After this long (ms) a cut-off waits only for the call running on the object to end. */
export const DISCONNECT_MAX_WAIT_MS = 2000;
/** The timer that retries cut-offs waiting for quiet (above every invocation id's timer). */
const DISCONNECT_TIMER = 0x80000000;

/** The kinds of JS object blocks. */
export const ObjectKind = { dispatch: 0, factory: 1 } as const;

/** The constants the apartment thread uses (its code imports nothing). */
export const apartmentConstants = {
  ...ApartmentMessage,
  HWND_MESSAGE,
  GWLP_WNDPROC,
  WM_DESTROY,
  WM_TIMER,
  FRAME_INVOCATION_SHIFT,
  MAX_INVOCATION,
  HOLD_BACK_MS,
  DISCONNECT_QUIET_MS,
  DISCONNECT_MAX_WAIT_MS,
  DISCONNECT_TIMER,
  COINIT_APARTMENTTHREADED: 0x2,
  S_OK: 0,
  E_NOINTERFACE: 0x80004002 | 0,
  E_NOTIMPL: 0x80004001 | 0,
  E_UNEXPECTED: 0x8000ffff | 0,
  E_POINTER: 0x80004003 | 0,
  CLASS_E_NOAGGREGATION: 0x80040110 | 0,
  IID_IUnknown: "0000000000000000c000000000000046",
  IID_IDispatch: "0004020000000000c000000000000046",
  IID_IClassFactory: "0100000000000000c000000000000046",
  FRAME_ERROR_INFO,
  DISPATCH: ObjectKind.dispatch,
  FACTORY: ObjectKind.factory,
} as const;

/** What the apartment starts with. */
export interface ApartmentData {
  /** The window class name, NUL-terminated UTF-16. */
  className: Uint16Array;
  hInstance: bigint;
  defWindowProc: bigint;
  c: typeof apartmentConstants;
}

/** A failed call's IErrorInfo (GetErrorInfo on the apartment's thread, right after the call). */
export interface ErrorInfo {
  source: string;
  description: string;
}

/** What the apartment thread posts. */
export type ApartmentEvent =
  | { type: "ready"; hwnd: bigint }
  | { type: "error"; message: string }
  | { type: "closed" }
  | { type: "done"; id: number; errorInfo?: ErrorInfo }
  | { type: "released"; id: number }
  | {
    type: "invoke";
    inv: number;
    obj: number;
    dispid: number;
    flags: number;
    params: bigint;
    result: bigint;
    excep: bigint;
    argErr: bigint;
  }
  | { type: "names"; inv: number; obj: number; names: string[]; out: bigint }
  | { type: "create"; inv: number; obj: number; out: bigint };

type Tables = {
  readonly user32: typeof user32Symbols;
  readonly ole32: typeof ole32Symbols;
  readonly oleaut32: typeof oleaut32Symbols;
};
type Scope = FfiWorkerScope<Tables, ApartmentData, never>;

/** The apartment thread's body. */
function apartmentThread(scope: Scope): void {
  const { backend, data } = scope;
  const { c } = data;
  const u = scope.libs.user32, o = scope.libs.ole32, k = scope.libs.kernel32, a = scope.libs.oleaut32;
  const post = (ev: ApartmentEvent) => scope.post(ev);
  const inited = o.CoInitializeEx(0n, c.COINIT_APARTMENTTHREADED);
  if (inited < 0) {
    post({ type: "error", message: `CoInitializeEx failed: HRESULT 0x${(inited >>> 0).toString(16)}` });
    return;
  }
  const heap = k.GetProcessHeap();
  const u64 = (address: bigint, slots: number) => new BigUint64Array(backend.memory(address, slots * 8));
  const iid = (address: bigint): string => {
    if (address === 0n) return "";
    const b = new Uint8Array(backend.memory(address, 16));
    let s = "";
    for (const x of b) s += x.toString(16).padStart(2, "0");
    return s;
  };

  // --- objects: blocks { vtable, id } and their counts ---
  interface Block {
    id: number;
    kind: number;
    refs: number;
  }
  const blocks = new Map<bigint, Block>();
  const byId = new Map<number, bigint>();
  const addRef = (self: bigint): number => {
    const b = blocks.get(self);
    return b ? ++b.refs : 1;
  };
  const release = (self: bigint): number => {
    const b = blocks.get(self);
    if (!b) return 0;
    if (--b.refs > 0) return b.refs;
    blocks.delete(self);
    byId.delete(b.id);
    activity.delete(b.id);
    k.HeapFree(heap, 0, self);
    post({ type: "released", id: b.id });
    return 0;
  };
  const queryInterface = (self: bigint, riid: bigint, ppv: bigint): number => {
    if (ppv === 0n) return c.E_POINTER;
    const out = u64(ppv, 1);
    const b = blocks.get(self);
    const want = iid(riid);
    const ok = b !== undefined && (want === c.IID_IUnknown ||
      (b.kind === c.DISPATCH && want === c.IID_IDispatch) ||
      (b.kind === c.FACTORY && want === c.IID_IClassFactory));
    if (!ok) {
      out[0] = 0n;
      return c.E_NOINTERFACE;
    }
    out[0] = self;
    addRef(self);
    return c.S_OK;
  };

  // --- forwarded calls: post, then pump this thread's own window until the JS thread answers ---
  //
  // Only our window: an incoming COM call (on OLE's window) waits in the queue until this one is
  // answered, as in any STA, instead of nesting inside it. Call frames from the JS thread are held
  // back too, but for those posted by the JS code answering the innermost waiting call (its
  // outgoing calls, which reentrancy needs): running others here would make outgoing calls whose
  // wait lets COM dispatch further incoming calls, nested one inside the other without bound (100
  // clients at once overflowed this thread's stack). After HOLD_BACK_MS a waiting call runs what is
  // held back anyway, for JS code whose answer waits on another call's frame.
  let nextInv = 1;
  const answers = new Map<number, number>();
  /** The forwarded calls waiting for their answers, innermost last. */
  const waiting: number[] = [];
  /** Waiting calls past HOLD_BACK_MS. */
  const overdue = new Set<number>();
  /** Call frames posted and not run yet, in the order they came. */
  const frames: { id: bigint; frame: bigint; inv: number }[] = [];
  let quitting = false;
  const msg = new Uint8Array(48); // MSG
  let hwnd = 0n;
  const forward = (make: (inv: number) => ApartmentEvent): number => {
    const inv = nextInv;
    nextInv = nextInv >= c.MAX_INVOCATION ? 1 : nextInv + 1;
    waiting.push(inv);
    // The timer wakes an idle wait; the clock is read too, as WM_TIMER waits for a quiet queue.
    u.SetTimer(hwnd, BigInt(inv), c.HOLD_BACK_MS, 0n);
    const since = performance.now();
    try {
      post(make(inv));
      while (!answers.has(inv)) {
        if (performance.now() - since >= c.HOLD_BACK_MS) overdue.add(inv);
        runFrames();
        if (answers.has(inv)) break;
        const got = u.GetMessageW(msg, hwnd, 0, 0);
        if (got <= 0) {
          // WM_QUIT, or the window is gone (quit while this call waited)
          quitting = true;
          u.PostQuitMessage(0); // for the outer loop
          return c.E_UNEXPECTED;
        }
        u.TranslateMessage(msg);
        u.DispatchMessageW(msg);
      }
      const hr = answers.get(inv)!;
      answers.delete(inv);
      return hr;
    } finally {
      waiting.pop();
      overdue.delete(inv);
      if (!quitting) u.KillTimer(hwnd, BigInt(inv));
    }
  };
  /** Whether a frame may run now (see `forward`). */
  const runnable = (f: { inv: number }): boolean => {
    if (waiting.length === 0) return true;
    const innermost = waiting[waiting.length - 1];
    return f.inv === innermost || overdue.has(innermost);
  };
  /** Runs the frames that may run now, in order. */
  const runFrames = (): void => {
    for (let i = 0; i < frames.length;) {
      if (!runnable(frames[i])) {
        i++;
        continue;
      }
      const [f] = frames.splice(i, 1);
      const errorInfo = runFrame(f.frame);
      post(errorInfo ? { type: "done", id: Number(f.id), errorInfo } : { type: "done", id: Number(f.id) });
      i = 0; // the frame's call may have changed what waits
    }
  };
  const objectId = (self: bigint) => blocks.get(self)?.id ?? -1;

  // --- cutting objects off (CoDisconnectObject) once no call runs on them ---
  //
  // Wine's RPC thread that ran a call on an object keeps a reference to its stub until just after
  // this thread answered. Cut off in between (or while the call waits for its JS answer), the
  // object's stub is then freed on that RPC thread, which calls the object's Release there: a JS
  // callback of this thread, which cannot run on another (the process hung). So a cut-off waits
  // until no call has run on the object for DISCONNECT_QUIET_MS. (Windows frees an STA object's
  // stub on the apartment's own thread.)
  /** Per JS object id: calls on its blocks running now, and when the last one ended. */
  const activity = new Map<number, { calls: number; last: number }>();
  const enter = (self: bigint) => {
    const id = objectId(self);
    if (id < 0) return undefined;
    let a = activity.get(id);
    if (!a) activity.set(id, a = { calls: 0, last: 0 });
    a.calls++;
    return a;
  };
  const leave = (a: { calls: number; last: number } | undefined) => {
    if (!a) return;
    a.calls--;
    a.last = performance.now();
  };
  /** Cut-offs waiting for quiet, by JS object id: when asked for, and the request ids to answer. */
  const cutOffs = new Map<number, { since: number; requests: number[] }>();
  const disconnectWhenQuiet = (): void => {
    const now = performance.now();
    for (const [id, { since, requests }] of cutOffs) {
      // Never while a call runs; after DISCONNECT_QUIET_MS without one, or between calls once
      // asked for long enough ago (an object called without pause is still cut off).
      const a = activity.get(id);
      const quiet = !a || (a.calls === 0 &&
        (now - a.last >= c.DISCONNECT_QUIET_MS || now - since >= c.DISCONNECT_MAX_WAIT_MS));
      if (!quiet) continue;
      cutOffs.delete(id);
      // Checked here, on the thread that frees blocks: the JS thread may not have heard yet that
      // a block was released, and CoDisconnectObject on freed memory crashes in combase.
      for (const [p, b] of [...blocks]) if (b.id === id && blocks.has(p)) o.CoDisconnectObject(p, 0);
      for (const r of requests) post({ type: "done", id: r });
    }
    if (cutOffs.size === 0) u.KillTimer(hwnd, BigInt(c.DISCONNECT_TIMER));
  };

  const wideString = (p: bigint): string => {
    if (p === 0n) return "";
    let s = "";
    for (let off = 0n; s.length < 4096; off += 256n) { // names are short; bounded anyway
      const chunk = new Uint16Array(backend.memory(p + off, 256));
      const end = chunk.indexOf(0);
      s += String.fromCharCode(...(end < 0 ? chunk : chunk.subarray(0, end)));
      if (end >= 0) break;
    }
    return s;
  };

  const cbs: { close(): void }[] = [];
  const fn = (args: string[], returns: string, f: (...a: never[]) => number | bigint) => {
    const guarded = (...a: never[]) => {
      const calls = enter(a[0] as bigint); // every method's first argument is the block
      try { // never throw into COM's native frames
        return f(...a);
      } catch (e) {
        try {
          post({ type: "error", message: `COM callback: ${e}` });
        } catch { /* nothing more can be done */ }
        return returns === "i32" ? c.E_UNEXPECTED : 0;
      } finally {
        leave(calls);
      }
    };
    const cb = backend.callback(args as never, returns as never, guarded as never);
    cbs.push(cb);
    return cb.pointer;
  };
  const unknownSlots = [
    fn(["ptr", "ptr", "ptr"], "i32", ((s: bigint, r: bigint, p: bigint) => queryInterface(s, r, p)) as never),
    fn(["ptr"], "u32", ((s: bigint) => addRef(s)) as never),
    fn(["ptr"], "u32", ((s: bigint) => release(s)) as never),
  ];
  const dispatchSlots = [
    ...unknownSlots,
    // HRESULT GetTypeInfoCount(UINT *pctinfo): no type information
    fn(
      ["ptr", "ptr"],
      "i32",
      ((_s: bigint, p: bigint) => {
        if (p !== 0n) new Uint32Array(backend.memory(p, 4))[0] = 0;
        return c.S_OK;
      }) as never,
    ),
    // HRESULT GetTypeInfo(UINT iTInfo, LCID lcid, ITypeInfo **ppTInfo)
    fn(
      ["ptr", "u32", "u32", "ptr"],
      "i32",
      ((_s: bigint, _i: number, _l: number, p: bigint) => {
        if (p !== 0n) u64(p, 1)[0] = 0n;
        return c.E_NOTIMPL;
      }) as never,
    ),
    // HRESULT GetIDsOfNames(REFIID riid, LPOLESTR *rgszNames, UINT cNames, LCID lcid, DISPID *rgDispId)
    fn(
      ["ptr", "ptr", "ptr", "u32", "u32", "ptr"],
      "i32",
      ((
        s: bigint,
        _riid: bigint,
        rgsz: bigint,
        n: number,
        _lcid: number,
        out: bigint,
      ) => {
        if (rgsz === 0n || out === 0n || n === 0 || n > 1024) return c.E_UNEXPECTED;
        const ptrs = u64(rgsz, n);
        const names = Array.from(ptrs, wideString);
        return forward((inv) => ({ type: "names", inv, obj: objectId(s), names, out }));
      }) as never,
    ),
    // HRESULT Invoke(DISPID, REFIID, LCID, WORD wFlags, DISPPARAMS*, VARIANT *pVarResult,
    //   EXCEPINFO*, UINT *puArgErr)
    fn(
      ["ptr", "i32", "ptr", "u32", "u16", "ptr", "ptr", "ptr", "ptr"],
      "i32",
      ((
        s: bigint,
        dispid: number,
        _riid: bigint,
        _lcid: number,
        flags: number,
        params: bigint,
        result: bigint,
        excep: bigint,
        argErr: bigint,
      ) =>
        forward((inv) => ({
          type: "invoke",
          inv,
          obj: objectId(s),
          dispid,
          flags,
          params,
          result,
          excep,
          argErr,
        }))) as never,
    ),
  ];
  const factorySlots = [
    ...unknownSlots,
    // HRESULT CreateInstance(IUnknown *pUnkOuter, REFIID riid, void **ppvObject)
    fn(
      ["ptr", "ptr", "ptr", "ptr"],
      "i32",
      ((s: bigint, outer: bigint, riid: bigint, ppv: bigint) => {
        if (ppv === 0n) return c.E_POINTER;
        u64(ppv, 1)[0] = 0n;
        if (outer !== 0n) return c.CLASS_E_NOAGGREGATION;
        const want = iid(riid);
        if (want !== c.IID_IUnknown && want !== c.IID_IDispatch) return c.E_NOINTERFACE;
        return forward((inv) => ({ type: "create", inv, obj: objectId(s), out: ppv }));
      }) as never,
    ),
    // HRESULT LockServer(BOOL fLock): the server lives as long as its owner keeps it
    fn(["ptr", "i32"], "i32", (() => c.S_OK) as never),
  ];
  const vtable = (slots: bigint[]): bigint => {
    const p = k.HeapAlloc(heap, 0, BigInt(slots.length * 8));
    u64(p, slots.length).set(slots);
    return p;
  };
  const vtables = [vtable(dispatchSlots), vtable(factorySlots)];

  /** A new reference to JS object `id`'s block (made on first use). */
  const refTo = (id: number, kind: number): bigint => {
    const have = byId.get(id);
    if (have !== undefined) {
      addRef(have);
      return have;
    }
    const p = k.HeapAlloc(heap, 0, 16n);
    if (p === 0n) return 0n;
    u64(p, 2).set([vtables[kind], BigInt(id)]);
    blocks.set(p, { id, kind, refs: 1 });
    byId.set(id, p);
    return p;
  };

  // --- calls from the JS thread ---
  const callers = new Map<string, (...a: bigint[]) => bigint>();
  const bstr = (p: bigint): string => {
    if (p === 0n) return "";
    const n = new Uint32Array(backend.memory(p - 4n, 4))[0] / 2;
    const s = String.fromCharCode(...new Uint16Array(backend.memory(p, Math.min(n, 16384) * 2)));
    a.SysFreeString(p);
    return s;
  };
  /** This thread's IErrorInfo, if the failed call left one (IErrorInfo: GetSource 4, GetDescription 5). */
  const errorInfo = (): ErrorInfo | undefined => {
    const out = new BigUint64Array(1);
    if (a.GetErrorInfo(0, out) !== c.S_OK || out[0] === 0n) return undefined;
    const info = out[0];
    const slot = (i: number) => u64(u64(info, 1)[0] + BigInt(i * 8), 1)[0];
    const text = (i: number) => {
      const s = new BigUint64Array(1);
      const get = backend.fnPointer(slot(i), ["ptr", "buf"], "i32");
      return get(info, s) === c.S_OK ? bstr(s[0]) : "";
    };
    const found = { source: text(4), description: text(5) };
    backend.fnPointer(slot(2), ["ptr"], "u32")(info); // Release
    return found;
  };
  const runFrame = (frame: bigint): ErrorInfo | undefined => {
    const head = u64(frame, 3);
    const n = Number(head[1] & 0xffffn);
    const args = Array.from(u64(frame + 24n, n));
    const key = `${head[0]}:${n}`;
    let call = callers.get(key);
    if (!call) {
      call = backend.fnPointer(head[0], Array(n).fill("ptr") as never, "ptr") as never;
      callers.set(key, call!);
    }
    head[2] = BigInt(call!(...args));
    const failed = (head[2] & 0x80000000n) !== 0n;
    return failed && (head[1] & c.FRAME_ERROR_INFO) !== 0n ? errorInfo() : undefined;
  };
  const wndproc = (hwnd: bigint, m: number, wParam: bigint, lParam: bigint): bigint => {
    try {
      if (m === c.call) {
        const inv = Number(u64(lParam, 2)[1] >> c.FRAME_INVOCATION_SHIFT);
        frames.push({ id: wParam, frame: lParam, inv });
        runFrames();
        return 0n;
      }
      if (m === c.WM_TIMER) {
        if (wParam === BigInt(c.DISCONNECT_TIMER)) disconnectWhenQuiet();
        else if (waiting.includes(Number(wParam))) overdue.add(Number(wParam));
        return 0n;
      }
      if (m === c.ref) {
        const f = u64(lParam, 4);
        const p = refTo(Number(f[0]), Number(f[1]));
        f[3] = p;
        if (f[2] !== 0n) u64(f[2], 1)[0] = p;
        post({ type: "done", id: Number(wParam) });
        return 0n;
      }
      if (m === c.disconnect) {
        const id = Number(lParam);
        const pending = cutOffs.get(id) ?? { since: performance.now(), requests: [] };
        pending.requests.push(Number(wParam));
        cutOffs.set(id, pending);
        u.SetTimer(hwnd, BigInt(c.DISCONNECT_TIMER), c.DISCONNECT_QUIET_MS, 0n);
        disconnectWhenQuiet();
        return 0n;
      }
      if (m === c.answer) {
        answers.set(Number(wParam), Number(BigInt.asIntN(32, lParam)));
        return 0n;
      }
      if (m === c.quit) {
        // Remote holders lose their references (their calls fail from now on).
        for (const p of [...blocks.keys()]) o.CoDisconnectObject(p, 0);
        u.DestroyWindow(hwnd);
        return 0n;
      }
      if (m === c.WM_DESTROY) {
        u.PostQuitMessage(0);
        return 0n;
      }
      return u.DefWindowProcW(hwnd, m, wParam, lParam);
    } catch (e) {
      try {
        post({ type: "error", message: `apartment window procedure (message ${m}): ${e}` });
      } catch { /* nothing more can be done */ }
      return 0n;
    }
  };
  const wcb = backend.callback(["ptr", "u32", "ptr", "ptr"], "ptr", wndproc as never);
  const wc = new Uint8Array(80); // WNDCLASSEXW: the class's procedure is DefWindowProcW (see window_worker.ts)
  const v = new DataView(wc.buffer);
  v.setUint32(0, 80, true);
  v.setBigUint64(8, data.defWindowProc, true);
  v.setBigUint64(24, data.hInstance, true);
  v.setBigUint64(64, backend.addressOf(data.className), true);
  u.RegisterClassExW(wc);
  const created = scope.attempt(
    () => u.CreateWindowExW(0, data.className, null, 0, 0, 0, 0, 0, c.HWND_MESSAGE, 0n, data.hInstance, 0n),
    (h) => h === 0n,
  );
  hwnd = created.value;
  if (hwnd === 0n) {
    post({ type: "error", message: `CreateWindowExW failed (${created.error})` });
    o.CoUninitialize();
    return;
  }
  u.SetWindowLongPtrW(hwnd, c.GWLP_WNDPROC, wcb.pointer);
  post({ type: "ready", hwnd });
  while (!quitting && u.GetMessageW(msg, 0n, 0, 0) > 0) {
    u.TranslateMessage(msg);
    u.DispatchMessageW(msg);
    runFrames(); // those held back while a forwarded call waited
  }
  o.CoUninitialize();
  // Nothing can call in any more: the objects were disconnected and the apartment is gone.
  for (const p of blocks.keys()) k.HeapFree(heap, 0, p);
  for (const p of vtables) k.HeapFree(heap, 0, p);
  wcb.close();
  for (const cb of cbs) cb.close();
  post({ type: "closed" });
}

/** The apartment thread as a kind of worker. */
export const apartmentWorker: FfiWorkerSpec<Tables, ApartmentData, never> = {
  name: "COM apartment",
  tables: { user32: user32Symbols, ole32: ole32Symbols, oleaut32: oleaut32Symbols },
  body: apartmentThread,
};
