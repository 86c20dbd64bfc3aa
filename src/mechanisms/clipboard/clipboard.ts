/**
 * The clipboard: Unicode text, raw bytes in registered formats, HTML ("HTML Format" with its
 * offset header), file lists (CF_HDROP, read), the formats present (with their names and
 * sizes), the sequence number, and change notifications (AddClipboardFormatListener →
 * WM_CLIPBOARDUPDATE) as an async iterator.
 * A message-only window (window_host.ts) owns what this process puts there and receives the
 * notifications. While another process holds the clipboard open, calls retry for a bounded time.
 *
 * Text is NUL-terminated on the clipboard, so a string containing U+0000 cannot round-trip:
 * `writeText` refuses it (TypeError) instead of silently cutting it.
 * @module
 */
import { kernel32 } from "../../ffi/kernel32.ts";
import { user32 } from "../../ffi/user32.ts";
import { backend } from "../../ffi/runtime.ts";
import { fromWstr, wstr } from "../../ffi/wstr.ts";
import { check, checkPointer } from "../../ffi/check.ts";
import { ChannelClosedError, TimeoutError, type WaitOptions, WinipcError } from "../../core/errors.ts";
import { callScope, raceAbort } from "../../core/op_queue.ts";
import { WindowHost } from "../../kernel/window_host.ts";
import { decodeDropFiles, decodeHtmlFormat, encodeHtmlFormat } from "./formats.ts";
import { isMemoryFormat, standardFormatName } from "./format_names.ts";
import { CF_HDROP, CF_UNICODETEXT } from "../../ffi/headers/winuser.ts";
import { GMEM_MOVEABLE } from "../../ffi/headers/winbase.ts";

export { CF_HDROP, CF_UNICODETEXT } from "../../ffi/headers/winuser.ts";

const u = () => user32().sync;
const k = kernel32.sync;
/** The most this library reads from one clipboard entry (bytes): 256 MiB. */
export const MAX_CLIPBOARD_READ = 256 * 1024 * 1024;
let serial = 0;

/** The clipboard could not be opened: another process held it for the whole retry time. */
export class ClipboardBusyError extends TimeoutError {}

/** One format on the clipboard, as {@link Clipboard.describeFormats} gives it. */
export interface ClipboardFormatInfo {
  /** The format's id: a CF_* constant, or a registered format (0xC000 and up). */
  format: number;
  /**
   * Its name: the winuser.h constant's (`CF_UNICODETEXT`) for a standard format, the registered
   * name (`HTML Format`) for a registered one; null when the system knows none.
   */
  name: string | null;
  /**
   * The entry's size in bytes (GlobalSize: it may be rounded up), when asked for; null when not
   * asked, when the data is not a memory block (bitmaps, palettes, metafiles), or unreadable.
   */
  size: number | null;
}

/** Options for {@link Clipboard.open}. */
export interface ClipboardOptions {
  /** How long to keep retrying while another process holds the clipboard (ms). Default 2000. */
  busyTimeout?: number;
}

/**
 * Access to the clipboard, owned by a message-only window of this process (the owner of what
 * this process puts there, and the receiver of change notifications). Every call that opens the
 * clipboard retries while another process holds it, up to `busyTimeout`, then rejects with
 * {@link ClipboardBusyError}.
 *
 * @example
 * ```ts
 * import { Clipboard } from "@winipc/winipc/clipboard";
 *
 * await using clipboard = await Clipboard.open();
 * await clipboard.writeText("hello from winipc");
 * console.log(await clipboard.readText());
 *
 * for await (const sequence of clipboard.changes({ signal: AbortSignal.timeout(60_000) })) {
 *   console.log("clipboard changed", sequence, await clipboard.formats());
 * }
 * ```
 */
export class Clipboard implements AsyncDisposable {
  readonly #host: WindowHost;
  readonly #busyTimeout: number;
  readonly #closing = new AbortController();
  #listening: Promise<void> | undefined;
  #changeWaiters: (() => void)[] = [];
  #changes = 0;

  private constructor(host: WindowHost, busyTimeout: number) {
    this.#host = host;
    this.#busyTimeout = busyTimeout;
    host.onClipboardUpdate = () => {
      this.#changes++;
      for (const w of this.#changeWaiters.splice(0)) w();
    };
  }

  /**
   * Creates the owner window, on the process's shared window thread (its procedure only forwards
   * notifications, so it never slows the others; and a thread costs a JS engine). Close the
   * clipboard object when done: the window lives until then.
   * @throws {WinipcError} when the window cannot be created.
   */
  static async open(opts: ClipboardOptions = {}): Promise<Clipboard> {
    const host = await WindowHost.create({
      className: "winipc-clipboard",
      title: `winipc-clipboard-${++serial}`,
      sharedThread: true,
    });
    return new Clipboard(host, opts.busyTimeout ?? 2000);
  }

  get #closed(): boolean {
    return this.#closing.signal.aborted;
  }

  /** Opens the clipboard (retrying while it is busy), runs `fn`, closes it. */
  async #with<T>(fn: () => T): Promise<T> {
    if (this.#closed) throw new ChannelClosedError("clipboard is closed");
    const deadline = Date.now() + this.#busyTimeout;
    for (let delay = 5;; delay = Math.min(delay * 2, 100)) {
      if (u().OpenClipboard(this.#host.hwnd)) break;
      if (Date.now() >= deadline) {
        throw new ClipboardBusyError(
          `the clipboard stayed open by another process for ${this.#busyTimeout} ms`,
        );
      }
      await new Promise((r) => setTimeout(r, delay));
    }
    try {
      return fn();
    } finally {
      u().CloseClipboard();
    }
  }

  /** Puts a copy of `bytes` on the open clipboard in `format`; the system owns the copy after. */
  #set(format: number, bytes: Uint8Array): void {
    const size = BigInt(Math.max(1, bytes.byteLength));
    const h = checkPointer("GlobalAlloc", () => k.GlobalAlloc(GMEM_MOVEABLE, size));
    try {
      const p = checkPointer("GlobalLock", () => k.GlobalLock(h));
      new Uint8Array(backend.memory(p, bytes.byteLength)).set(bytes);
      k.GlobalUnlock(h);
      checkPointer(`SetClipboardData(${format})`, () => u().SetClipboardData(format, h));
    } catch (e) {
      k.GlobalFree(h); // still ours: the system took nothing
      throw e;
    }
  }

  /** A copy of the open clipboard's `format` entry (size-checked first), or null if absent. */
  #get(format: number): Uint8Array | null {
    const h = u().GetClipboardData(format);
    if (h === 0n) return null;
    const size = Number(k.GlobalSize(h));
    if (size > MAX_CLIPBOARD_READ) {
      throw new WinipcError(`clipboard entry of ${size} bytes is over the read limit`);
    }
    const p = k.GlobalLock(h);
    if (p === 0n) return null;
    try {
      return new Uint8Array(backend.memory(p, size).slice(0));
    } finally {
      k.GlobalUnlock(h);
    }
  }

  /**
   * Replaces the clipboard's contents with several formats at once (the bytes as they are: no
   * length prefix, unlike {@link Clipboard.writeBytes}).
   * @throws {ClipboardBusyError} when another process holds the clipboard for `busyTimeout`.
   * @throws {Win32Error} when the system refuses an entry.
   */
  write(entries: readonly [format: number, bytes: Uint8Array][]): Promise<void> {
    return this.#with(() => {
      check("EmptyClipboard", () => u().EmptyClipboard());
      for (const [f, b] of entries) this.#set(f, b);
    });
  }

  /**
   * Puts `text` on the clipboard (CF_UNICODETEXT).
   * @throws {TypeError} when `text` contains U+0000 (it would end the text).
   * @throws {ClipboardBusyError} when another process holds the clipboard for `busyTimeout`.
   */
  writeText(text: string): Promise<void> {
    if (text.includes("\0")) throw new TypeError("clipboard text cannot contain U+0000 (it ends the text)");
    const units = wstr(text);
    return this.write([[CF_UNICODETEXT, new Uint8Array(units.buffer)]]);
  }

  /**
   * The clipboard's text, or null if it has none.
   * @throws {ClipboardBusyError} when another process holds the clipboard for `busyTimeout`.
   */
  readText(): Promise<string | null> {
    return this.#with(() => {
      const b = this.#get(CF_UNICODETEXT);
      if (!b) return null;
      return fromWstr(new Uint16Array(b.buffer, 0, b.byteLength >> 1)); // up to the NUL
    });
  }

  /** The id of a registered clipboard format (RegisterClipboardFormatW): the same in every process. */
  static format(name: string): number {
    return check(`RegisterClipboardFormatW(${name})`, () => u().RegisterClipboardFormatW(wstr(name)));
  }

  /**
   * Puts raw bytes in a registered format (a 4-byte length goes first: sizes read back may be
   * rounded up). Read them back with {@link Clipboard.readBytes}.
   * @throws {ClipboardBusyError} when another process holds the clipboard for `busyTimeout`.
   */
  writeBytes(format: string | number, bytes: Uint8Array): Promise<void> {
    const id = typeof format === "number" ? format : Clipboard.format(format);
    const framed = new Uint8Array(4 + bytes.byteLength);
    new DataView(framed.buffer).setUint32(0, bytes.byteLength, true);
    framed.set(bytes, 4);
    return this.write([[id, framed]]);
  }

  /**
   * The bytes of a registered format written by {@link Clipboard.writeBytes}, or null.
   * @throws {WinipcError} when the entry was not written by `writeBytes` (its length is wrong).
   */
  readBytes(format: string | number): Promise<Uint8Array | null> {
    const id = typeof format === "number" ? format : Clipboard.format(format);
    return this.#with(() => {
      const b = this.#get(id);
      if (!b) return null;
      const n = b.byteLength >= 4 ? new DataView(b.buffer).getUint32(0, true) : -1;
      if (n < 0 || 4 + n > b.byteLength) {
        throw new WinipcError("the clipboard entry is not a winipc byte entry");
      }
      return b.slice(4, 4 + n);
    });
  }

  /** Puts an HTML fragment on the clipboard ("HTML Format", with a plain-text twin). */
  writeHtml(fragment: string, plainText?: string): Promise<void> {
    const entries: [number, Uint8Array][] = [[Clipboard.format("HTML Format"), encodeHtmlFormat(fragment)]];
    if (plainText !== undefined) entries.push([CF_UNICODETEXT, new Uint8Array(wstr(plainText).buffer)]);
    return this.write(entries);
  }

  /** The HTML fragment on the clipboard, or null. */
  readHtml(): Promise<string | null> {
    return this.#with(() => {
      const b = this.#get(Clipboard.format("HTML Format"));
      return b ? decodeHtmlFormat(b) : null;
    });
  }

  /** The file paths of a CF_HDROP entry (files copied in Explorer), or null. */
  readFiles(): Promise<string[] | null> {
    return this.#with(() => {
      const b = this.#get(CF_HDROP);
      return b ? decodeDropFiles(b) : null;
    });
  }

  /** The formats on the open clipboard, in the order the owner offered them (at most 1000). */
  #enumFormats(): number[] {
    const out: number[] = [];
    for (
      let f = u().EnumClipboardFormats(0);
      f !== 0 && out.length < 1000;
      f = u().EnumClipboardFormats(f)
    ) out.push(f);
    return out;
  }

  /** The formats present, in the order the owner offered them. */
  formats(): Promise<number[]> {
    return this.#with(() => this.#enumFormats());
  }

  /**
   * The formats present, in the order the owner offered them, each with its name and (with
   * `sizes`) its size. Formats the system makes from others (CF_TEXT from CF_UNICODETEXT, ...) are
   * listed too.
   *
   * Reading a size reads the entry: an owner that offered it with delayed rendering is asked to
   * render it then (WM_RENDERFORMAT), and this call waits while it does, on the calling thread.
   * So sizes are off by default.
   * @throws {ClipboardBusyError} when another process holds the clipboard for `busyTimeout`.
   */
  describeFormats(opts: { sizes?: boolean } = {}): Promise<ClipboardFormatInfo[]> {
    return this.#with(() =>
      this.#enumFormats().map((format) => ({
        format,
        name: standardFormatName(format) ?? Clipboard.formatName(format),
        size: opts.sizes && isMemoryFormat(format) ? this.#size(format) : null,
      }))
    );
  }

  /** The byte size of the open clipboard's `format` entry (GlobalSize), or null if unknown. */
  #size(format: number): number | null {
    const h = u().GetClipboardData(format);
    if (h === 0n) return null;
    const size = Number(k.GlobalSize(h));
    return size > 0 ? size : null; // 0: not a global memory block (or an empty one)
  }

  /**
   * The name of a registered format (null for the standard ones: see
   * {@link Clipboard.describeFormats} for both kinds).
   */
  static formatName(format: number): string | null {
    const buf = new Uint16Array(256);
    const n = u().GetClipboardFormatNameW(format, buf, buf.length);
    return n > 0 ? fromWstr(buf.subarray(0, Math.min(n, buf.length))) : null;
  }

  /** The clipboard sequence number: it changes whenever the contents change. */
  static sequenceNumber(): number {
    return u().GetClipboardSequenceNumber();
  }

  /** How many change notifications this object has received (see {@link Clipboard.waitForChange}). */
  get changeCount(): number {
    return this.#changes;
  }

  /**
   * Starts change notifications (AddClipboardFormatListener); only the first call does anything.
   * `waitForChange` and `changes` call it themselves.
   * @throws {Win32Error} when the system refuses (the code comes from the window's thread).
   */
  async listen(): Promise<void> {
    this.#listening ??= this.#host.listenClipboard();
    await this.#listening;
  }

  /**
   * Resolves once `changeCount` differs from `since` (at once if it already does). Reading the
   * count before looking at the clipboard, then waiting with it, loses no change in between.
   * Rejects with `signal.reason` on abort.
   * @throws {TimeoutError} when `timeout` passes first.
   * @throws {ChannelClosedError} when the clipboard object is closed.
   */
  async waitForChange(since: number, opts: WaitOptions = {}): Promise<void> {
    await this.listen();
    if (this.#closed) throw new ChannelClosedError("clipboard is closed");
    const scope = callScope(this.#closing.signal, opts);
    try {
      while (this.#changes === since) {
        await raceAbort(new Promise<void>((resolve) => this.#changeWaiters.push(resolve)), scope.signal);
      }
    } catch (e) {
      if (opts.signal?.aborted) throw opts.signal.reason;
      if (this.#closed) throw new ChannelClosedError("clipboard is closed");
      throw e;
    } finally {
      scope.done();
    }
  }

  /**
   * Yields the sequence number after every change to the clipboard, made by any process, until
   * the signal aborts or the clipboard object is closed.
   */
  async *changes(opts: { signal?: AbortSignal } = {}): AsyncIterable<number> {
    await this.listen();
    let seen = this.#changes;
    while (!this.#closed && !opts.signal?.aborted) {
      try {
        await this.waitForChange(seen, { signal: opts.signal });
      } catch {
        return;
      }
      seen = this.#changes;
      yield Clipboard.sequenceNumber();
    }
  }

  /** Ends pending waits (ChannelClosedError) and destroys the owner window. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closing.abort(new ChannelClosedError("clipboard is closed"));
    this.#changeWaiters.length = 0;
    await this.#host.close();
  }

  /** Same as `close()`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
