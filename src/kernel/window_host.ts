/**
 * Message-only windows (HWND_MESSAGE) with their message loop on a worker thread, so the JS
 * event loop never blocks and an idle window costs no CPU (the worker sleeps in GetMessageW).
 * WM_COPYDATA payloads are copied out in the window procedure before it returns (with the size
 * checked first) and delivered here as events; so are WM_CLIPBOARDUPDATE and registered messages.
 * @module
 */
import { user32, user32Symbols } from "../ffi/user32.ts";
import { procAddress } from "../ffi/proc_address.ts";
import { kernel32 } from "../ffi/kernel32.ts";
import { wstr } from "../ffi/wstr.ts";
import { Win32Error } from "../ffi/error.ts";
import { type FfiWorker, startFfiWorker } from "../ffi/ffi_worker.ts";
import { NativeMemory } from "../ffi/memory.ts";
import { ChannelClosedError, WinipcError } from "../core/errors.ts";
import {
  DDE_SERVER_CLASS,
  type DdeServerNames,
  encodeWindowRequest,
  HostCommand,
  windowConstants,
  type WindowRequest,
  windowWorker,
  WM_COMMAND_FROM_HOST,
} from "./window_worker.ts";

/** What a window thread reports; an event about one window names it (`hwnd`). */
export type WindowHostEvent =
  | { type: "ready"; id: number; hwnd: bigint }
  | { type: "refused"; id: number; message: string }
  | { type: "error"; message: string }
  | { type: "closed"; hwnd: bigint }
  | { type: "exited" }
  | { type: "copydata"; hwnd: bigint; from: bigint; tag: bigint; data: Uint8Array }
  | { type: "clipboard"; hwnd: bigint }
  | { type: "listening"; hwnd: bigint; ok: boolean; error: number }
  | { type: "stalling"; hwnd: bigint }
  | { type: "message"; hwnd: bigint; msg: number; wParam: bigint; lParam: bigint }
  | { type: "dde"; hwnd: bigint; msg: number; from: bigint; lParam: bigint }
  | { type: "dde-conversation"; hwnd: bigint; client: bigint; topic: string }
  | { type: "dde-initiate-ack"; hwnd: bigint; server: bigint; service: string | null; topic: string | null }
  | { type: "dde-initiated"; hwnd: bigint };

/** A DDE server that answered this window's INITIATE. */
export interface DdeAnswer {
  /** The server's window for this conversation. */
  server: bigint;
  service: string | null;
  topic: string | null;
}

/** Options for {@link WindowHost.create}. */
export interface WindowHostOptions {
  /** The window class name (registered once per process, with DefWindowProcW as its procedure). */
  className: string;
  /** The window title: with the class, how other processes find the window (FindWindowExW). */
  title: string;
  /** Largest WM_COPYDATA payload accepted (larger ones are refused, LRESULT 2). Default 64 MiB. */
  maxMessageSize?: number;
  /** A hidden top-level window instead of a message-only one (broadcasts reach it). Default false. */
  topLevel?: boolean;
  /**
   * Put the window on the process's shared window thread, beside other such windows, instead of
   * on a thread of its own: far cheaper when many windows live at once (a thread costs a JS
   * engine), but a window procedure that is slow delays them all, so {@link WindowHost.stall} is
   * refused. The shared thread ends with its last window. Default false.
   */
  sharedThread?: boolean;
  /** @internal Make the window a DDE server with these names: its thread answers WM_DDE_INITIATE. */
  ddeServer?: DdeServerNames;
}

/** A window request waiting for its thread's answer. */
interface PendingWindow {
  readonly request: WindowRequest;
  /** The encoded request, kept until the thread answered (it reads it from there). */
  memory: NativeMemory | undefined;
  resolve(host: WindowHost): void;
  reject(error: Error): void;
}

let requestSerial = 0;
/** The thread that new `sharedThread` windows go to, while it takes more. */
let sharedThread: WindowThread | undefined;

/**
 * @internal One window thread (window_worker.ts) and the windows on it. A thread takes new windows until
 * its last window closes; then it is retired and ends (an idle worker would keep a Deno process
 * from exiting). Counting requests still pending with the windows keeps a retiring thread from
 * ever being sent one.
 */
export class WindowThread {
  readonly #worker: FfiWorker<never>;
  readonly #hosts = new Map<bigint, WindowHost>();
  readonly #pending = new Map<number, PendingWindow>();
  /** Requests made before the first window told the thread's id. */
  readonly #queued: PendingWindow[] = [];
  readonly #exited = Promise.withResolvers<void>();
  #threadId = 0;
  /** Windows alive or requested. */
  #count = 0;
  #retired = false;
  #ended = false;
  #failure: WinipcError | undefined;

  constructor(first: WindowRequest) {
    this.#worker = startFfiWorker(windowWorker, {
      first,
      ddeServerClass: wstr(DDE_SERVER_CLASS),
      hInstance: kernel32.sync.GetModuleHandleW(null),
      defWindowProc: defWindowProc(),
      c: windowConstants,
    }, { onMessage: (e) => this.#onEvent(e as WindowHostEvent), onFailure: (e) => this.#fail(e) });
  }

  /** The shared thread (started if none takes windows now). */
  static shared(request: WindowRequest): { thread: WindowThread; host: Promise<WindowHost> } {
    if (sharedThread && !sharedThread.#retired) {
      return { thread: sharedThread, host: sharedThread.open(request) };
    }
    const thread = new WindowThread(request);
    sharedThread = thread;
    return { thread, host: thread.#expect(request, undefined) };
  }

  /** A thread of its own for one window. */
  static own(request: WindowRequest): Promise<WindowHost> {
    const thread = new WindowThread(request);
    return thread.#expect(request, undefined);
  }

  /** Whether other windows may share this thread. */
  get shared(): boolean {
    return sharedThread === this;
  }

  /** A new window on this (running, not retired) thread. */
  open(request: WindowRequest): Promise<WindowHost> {
    const bytes = encodeWindowRequest(request);
    const memory = new NativeMemory(bytes.byteLength);
    memory.bytes.set(bytes);
    const host = this.#expect(request, memory);
    const p = this.#pending.get(request.id)!;
    if (this.#threadId === 0) this.#queued.push(p);
    else this.#send(p);
    return host;
  }

  #expect(request: WindowRequest, memory: NativeMemory | undefined): Promise<WindowHost> {
    this.#count++;
    return new Promise<WindowHost>((resolve, reject) => {
      this.#pending.set(request.id, { request, memory, resolve, reject });
    });
  }

  /** Posts a request to the thread (as a thread message: no window of it can lose it). */
  #send(p: PendingWindow): void {
    if (
      !user32().sync.PostThreadMessageW(
        this.#threadId,
        WM_COMMAND_FROM_HOST,
        HostCommand.create,
        p.memory!.address,
      )
    ) {
      this.#answer(p.request.id, new WinipcError("PostThreadMessageW to the window thread failed"));
    }
  }

  /** Settles a request: with its window, or with the error (the window then counts no more). */
  #answer(id: number, outcome: WindowHost | Error): void {
    const p = this.#pending.get(id);
    if (!p) return;
    this.#pending.delete(id);
    p.memory?.[Symbol.dispose]();
    if (outcome instanceof WindowHost) return p.resolve(outcome);
    p.reject(outcome);
    // A thread left with no window and no request ends (one whose first window failed ends itself).
    if (this.#release() && this.#threadId !== 0 && !this.#failure) this.#quit();
  }

  /** One window or request fewer: the last one retires the thread. True when it did. */
  #release(): boolean {
    if (--this.#count > 0) return false;
    this.#retired = true;
    if (sharedThread === this) sharedThread = undefined;
    return true;
  }

  #quit(): void {
    if (!user32().sync.PostThreadMessageW(this.#threadId, WM_COMMAND_FROM_HOST, HostCommand.quit, 0n)) {
      this.#end();
    }
  }

  #onEvent(e: WindowHostEvent): void {
    if (e.type === "ready") {
      const first = this.#threadId === 0;
      // The thread's id, for its thread messages (the window's own thread made it).
      if (first) this.#threadId = user32().sync.GetWindowThreadProcessId(e.hwnd, new Uint32Array(1));
      const host = new WindowHost(this, e.hwnd);
      this.#hosts.set(e.hwnd, host);
      this.#answer(e.id, host);
      if (first) { for (const p of this.#queued.splice(0)) this.#send(p); }
    } else if (e.type === "refused") {
      const error = new WinipcError(`window host: ${e.message}`);
      if (this.#threadId === 0) {
        // The first window failed: the thread is ending, and takes no queued request.
        for (const p of this.#queued.splice(0)) this.#answer(p.request.id, error);
      }
      this.#answer(e.id, error);
    } else if (e.type === "error") console.error(`winipc window host: ${e.message}`);
    else if (e.type === "exited") this.#end();
    else if (e.type === "closed") {
      const host = this.#hosts.get(e.hwnd);
      this.#hosts.delete(e.hwnd);
      host?.[deliver](e);
    } else this.#hosts.get(e.hwnd)?.[deliver](e);
  }

  /** The worker's thread failed: every window and request ends with the error. */
  #fail(error: WinipcError): void {
    this.#failure = error;
    this.#retired = true;
    if (sharedThread === this) sharedThread = undefined;
    for (const p of [...this.#pending.values()]) this.#answer(p.request.id, error);
    for (const host of this.#hosts.values()) host[fail](error);
    this.#hosts.clear();
    this.#end();
  }

  #end(): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#worker.terminate();
    this.#exited.resolve();
  }

  /**
   * Destroys `hwnd`; resolves once it is gone, and, for the thread's last window, once the thread
   * has ended.
   */
  async close(hwnd: bigint, closed: Promise<void>): Promise<void> {
    if (this.#failure) return;
    // Retired before the destroy is posted: no request can reach a thread that is quitting.
    const last = this.#release();
    if (!user32().sync.PostMessageW(hwnd, WM_COMMAND_FROM_HOST, HostCommand.destroy, last ? 1n : 0n)) {
      throw new WinipcError("PostMessageW to the window host failed");
    }
    await closed;
    if (last) await this.#exited.promise;
  }
}

const deliver = Symbol("deliver");
const fail = Symbol("fail");

/**
 * A message-only window and the thread that pumps its messages. What the window receives arrives
 * here as calls of the `on…` handlers, on the JS thread.
 *
 * @example
 * ```ts
 * import { postWindowMessage, registerWindowMessage, WindowHost } from "@winipc/winipc/window";
 *
 * const PING = registerWindowMessage("my-app-ping");
 * await using host = await WindowHost.create({ className: "my-app", title: "my-app-main" });
 * host.onMessage = (msg, wParam) => {
 *   if (msg === PING) console.log("ping", wParam);
 * };
 * postWindowMessage(host.hwnd, PING, 42n); // usually from another process that found the window
 * ```
 */
export class WindowHost implements AsyncDisposable {
  readonly #thread: WindowThread;
  readonly #closed = Promise.withResolvers<void>();
  #closing = false;
  #failure: WinipcError | undefined;
  /**
   * A WM_COPYDATA arrived: `from` is the sender's wParam (by convention its window), `tag` the
   * COPYDATASTRUCT's dwData, `data` a copy of its bytes (size checked before the copy).
   */
  onCopyData: (from: bigint, tag: bigint, data: Uint8Array) => void = () => {};
  /** The clipboard changed (after {@link WindowHost.listenClipboard}). */
  onClipboardUpdate: () => void = () => {};
  /** A registered message (0xC000 to 0xFFFF, see {@link registerWindowMessage}) arrived. */
  onMessage: (msg: number, wParam: bigint, lParam: bigint) => void = () => {};
  /** @internal A posted WM_DDE_* message (not INITIATE): `from` is wParam, `lParam` still packed. */
  onDde: (msg: number, from: bigint, lParam: bigint) => void = () => {};
  /** @internal A client's INITIATE was answered: a conversation with `client` on `topic` began. */
  onDdeConversation: (client: bigint, topic: string) => void = () => {};
  #ddeAnswers: DdeAnswer[] | undefined;
  #ddeInitiated: (() => void) | undefined;
  /** @internal */
  onListening: ((ok: boolean, error: number) => void) | undefined;
  /** @internal */
  onStalling: (() => void) | undefined;
  /**
   * @internal The window's thread failed after the window was made (see src/ffi/inline_worker.ts):
   * the host is closed, and nothing more arrives.
   */
  onFailure: ((error: WinipcError) => void) | undefined;

  /** The window's handle, for other processes to send or post to. */
  readonly hwnd: bigint;
  /** @internal Made by its thread; use {@link WindowHost.create}. */
  constructor(
    thread: WindowThread,
    hwnd: bigint,
  ) {
    this.hwnd = hwnd;
    this.#thread = thread;
  }

  /**
   * Creates the window (on a new worker thread, or the shared one); resolves once it exists. The
   * worker needs no permission but --allow-ffi.
   * @throws {WinipcError} when the window cannot be created or its thread cannot start (the
   * runtime's error is the cause).
   */
  static create(opts: WindowHostOptions): Promise<WindowHost> {
    const request: WindowRequest = {
      id: ++requestSerial,
      className: opts.className,
      title: opts.title,
      maxMessageSize: opts.maxMessageSize ?? 64 * 1024 * 1024,
      topLevel: opts.topLevel ?? false,
      dde: opts.ddeServer ?? null,
    };
    try {
      return opts.sharedThread ? WindowThread.shared(request).host : WindowThread.own(request);
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /** @internal What the window's thread reported about it. */
  [deliver](e: WindowHostEvent): void {
    if (e.type === "closed") this.#closed.resolve();
    else if (e.type === "copydata") this.onCopyData(e.from, e.tag, e.data);
    else if (e.type === "clipboard") this.onClipboardUpdate();
    else if (e.type === "listening") this.onListening?.(e.ok, e.error);
    else if (e.type === "stalling") this.onStalling?.();
    else if (e.type === "message") this.onMessage(e.msg, e.wParam, e.lParam);
    else if (e.type === "dde") this.onDde(e.msg, e.from, e.lParam);
    else if (e.type === "dde-conversation") this.onDdeConversation(e.client, e.topic);
    else if (e.type === "dde-initiate-ack") {
      this.#ddeAnswers?.push({ server: e.server, service: e.service, topic: e.topic });
    } else if (e.type === "dde-initiated") this.#ddeInitiated?.();
  }

  /** @internal After the thread failed: closed for good; the owner hears it once. */
  [fail](error: WinipcError): void {
    this.#closed.resolve();
    if (this.#closing) return;
    this.#closing = true;
    this.#failure = error;
    this.onFailure?.(error);
  }

  #command(cmd: bigint, arg = 0n): void {
    if (this.#closing) throw new ChannelClosedError("window host is closed", { cause: this.#failure });
    if (!user32().sync.PostMessageW(this.hwnd, WM_COMMAND_FROM_HOST, cmd, arg)) {
      throw new WinipcError("PostMessageW to the window host failed");
    }
  }

  /**
   * Test hook: the window stops processing messages for `ms` (a hung receiver). Resolves once
   * the thread has stopped: the command is a posted message, and messages sent meanwhile would
   * be handled before it.
   * @throws {WinipcError} for a window on the shared thread (it would stall the others too).
   */
  stall(ms: number): Promise<void> {
    if (this.#thread.shared) return Promise.reject(new WinipcError("stall: the window shares its thread"));
    return new Promise((resolve) => {
      this.onStalling = resolve;
      this.#command(HostCommand.stall, BigInt(ms));
    });
  }

  /**
   * Starts WM_CLIPBOARDUPDATE notifications (AddClipboardFormatListener, called on the window's
   * thread, which also reads its error code).
   * @throws {Win32Error} when the window cannot listen.
   */
  listenClipboard(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.onListening = (ok, error) =>
        ok ? resolve() : reject(new Win32Error("AddClipboardFormatListener", error));
      this.#command(HostCommand.listenClipboard);
    });
  }

  /**
   * @internal Sends WM_DDE_INITIATE from this window's thread (to every top-level window and every
   * message-only winipc DDE server) with `atoms` = MAKELPARAM(aApp, aTopic), made and deleted by
   * the caller; resolves with the servers that answered (their atoms already deleted).
   */
  ddeInitiate(atoms: bigint): Promise<DdeAnswer[]> {
    if (this.#ddeAnswers) return Promise.reject(new WinipcError("one DDE INITIATE at a time per window"));
    return new Promise((resolve, reject) => {
      const answers: DdeAnswer[] = [];
      this.#ddeAnswers = answers;
      this.#ddeInitiated = () => {
        this.#ddeAnswers = undefined;
        this.#ddeInitiated = undefined;
        resolve(answers);
      };
      try {
        this.#command(HostCommand.ddeInitiate, atoms);
      } catch (e) {
        this.#ddeAnswers = undefined;
        this.#ddeInitiated = undefined;
        reject(e);
      }
    });
  }

  /** Destroys the window (and ends its thread when it was the thread's last). Idempotent. */
  async close(): Promise<void> {
    if (this.#closing) return;
    this.#closing = true;
    await this.#thread.close(this.hwnd, this.#closed.promise);
  }

  /** Same as `close()`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

/** DefWindowProcW's address (the procedure of every host's class; see window_worker.ts). */
function defWindowProc(): bigint {
  return procAddress("user32.dll", user32Symbols, "DefWindowProcW");
}

/** A system-wide message number for `name` (RegisterWindowMessageW), for small notifications. */
export function registerWindowMessage(name: string): number {
  const id = user32().sync.RegisterWindowMessageW(wstr(name));
  if (id === 0) throw new WinipcError(`RegisterWindowMessageW(${name}) failed`);
  return id;
}

/**
 * Posts a message to a window without waiting (PostMessageW): two pointer-sized numbers of
 * payload. The parameters are PostMessageW's own, in its order.
 * @throws {ChannelClosedError} when the message cannot be posted (the window is gone).
 */
export function postWindowMessage(hwnd: bigint, msg: number, wParam = 0n, lParam = 0n): void {
  if (!user32().sync.PostMessageW(hwnd, msg, wParam, lParam)) {
    throw new ChannelClosedError(`PostMessageW to window ${hwnd} failed (is it gone?)`);
  }
}
