/**
 * A message-only window (HWND_MESSAGE) with its own message loop on a worker thread, so the JS
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
import { ChannelClosedError, WinipcError } from "../core/errors.ts";
import {
  DDE_SERVER_CLASS,
  type DdeServerNames,
  HostCommand,
  windowConstants,
  windowWorker,
  WM_COMMAND_FROM_HOST,
} from "./window_worker.ts";

/** What the worker reports. */
export type WindowHostEvent =
  | { type: "ready"; hwnd: bigint }
  | { type: "error"; message: string }
  | { type: "closed" }
  | { type: "copydata"; from: bigint; tag: bigint; data: Uint8Array }
  | { type: "clipboard" }
  | { type: "listening"; ok: boolean; error: number }
  | { type: "stalling" }
  | { type: "message"; msg: number; wParam: bigint; lParam: bigint }
  | { type: "dde"; msg: number; from: bigint; lParam: bigint }
  | { type: "dde-conversation"; client: bigint; topic: string }
  | { type: "dde-initiate-ack"; server: bigint; service: string | null; topic: string | null }
  | { type: "dde-initiated" };

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
  /** @internal Make the window a DDE server with these names: its thread answers WM_DDE_INITIATE. */
  ddeServer?: DdeServerNames;
}

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
  readonly #worker: FfiWorker<never>;
  readonly #closed: Promise<void>;
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

  private constructor(
    worker: FfiWorker<never>,
    /** The window's handle, for other processes to send or post to. */
    readonly hwnd: bigint,
    closed: Promise<void>,
  ) {
    this.#worker = worker;
    this.#closed = closed;
  }

  /**
   * Creates the window on a new worker thread; resolves once it exists. The worker needs no
   * permission but --allow-ffi.
   * @throws {WinipcError} when the window cannot be created or its thread cannot start (the
   * runtime's error is the cause).
   */
  static create(opts: WindowHostOptions): Promise<WindowHost> {
    let closedResolve!: () => void;
    const closed = new Promise<void>((r) => closedResolve = r);
    return new Promise<WindowHost>((resolve, reject) => {
      let host: WindowHost | undefined;
      const onEvent = (e: WindowHostEvent) => {
        if (e.type === "ready") {
          host = new WindowHost(worker, e.hwnd, closed);
          resolve(host);
        } else if (e.type === "error") {
          if (!host) {
            worker.terminate();
            reject(new WinipcError(`window host: ${e.message}`));
          } else console.error(`winipc window host: ${e.message}`);
        } else if (e.type === "closed") {
          closedResolve();
        } else if (e.type === "copydata") host?.onCopyData(e.from, e.tag, e.data);
        else if (e.type === "clipboard") host?.onClipboardUpdate();
        else if (e.type === "listening") host?.onListening?.(e.ok, e.error);
        else if (e.type === "stalling") host?.onStalling?.();
        else if (e.type === "message") host?.onMessage(e.msg, e.wParam, e.lParam);
        else if (e.type === "dde") host?.onDde(e.msg, e.from, e.lParam);
        else if (e.type === "dde-conversation") host?.onDdeConversation(e.client, e.topic);
        else if (e.type === "dde-initiate-ack" && host) {
          host.#ddeAnswers?.push({ server: e.server, service: e.service, topic: e.topic });
        } else if (e.type === "dde-initiated" && host) host.#ddeInitiated?.();
      };
      const onFailure = (error: WinipcError) => {
        if (host) host.#fail(error);
        else reject(error);
        closedResolve();
      };
      const worker = startFfiWorker(windowWorker, {
        className: wstr(opts.className),
        title: wstr(opts.title),
        maxMessageSize: opts.maxMessageSize ?? 64 * 1024 * 1024,
        topLevel: opts.topLevel ?? false,
        dde: opts.ddeServer ?? null,
        ddeServerClass: wstr(DDE_SERVER_CLASS),
        hInstance: kernel32.sync.GetModuleHandleW(null),
        defWindowProc: defWindowProc(),
        c: windowConstants,
      }, { onMessage: onEvent, onFailure });
    });
  }

  /** After the thread failed: closed for good; the owner hears it once. */
  #fail(error: WinipcError): void {
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
   */
  stall(ms: number): Promise<void> {
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

  /** Destroys the window and ends the thread. Idempotent. */
  async close(): Promise<void> {
    if (this.#closing) return;
    this.#command(HostCommand.destroy);
    this.#closing = true;
    await this.#closed;
    this.#worker.terminate();
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
