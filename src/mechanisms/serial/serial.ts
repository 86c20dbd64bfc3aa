/**
 * Serial ports through kernel32 alone (no native addon): `SerialPort.open("COM3", { baudRate })`,
 * settings through the DCB, overlapped reads and writes, comm events (WaitCommEvent), errors
 * (ClearCommError), modem lines, break, purge; raw byte streams and a framed channel whose
 * frames carry a CRC and resynchronise after line noise. `ParallelPort` writes to LPTn.
 *
 * Settings are checked before any system call: a bad baud rate, data bits or parity is a
 * RangeError, not a half-configured port.
 * @module
 */
import { kernel32 } from "../../ffi/kernel32.ts";
import {
  ERROR_ACCESS_DENIED,
  ERROR_FILE_NOT_FOUND,
  FILE_FLAG_OVERLAPPED,
  GENERIC_READ,
  GENERIC_WRITE,
  OPEN_EXISTING,
} from "../../ffi/constants.ts";
import { lastError, Win32Error } from "../../ffi/error.ts";
import { isInvalidHandle, OwnedHandle } from "../../ffi/handle.ts";
import { NativeMemory } from "../../ffi/memory.ts";
import { Overlapped } from "../../kernel/overlapped.ts";
import { fromWstr, wstr } from "../../ffi/wstr.ts";
import { AddressError, AddressInUseError, NotFoundError, type WaitOptions } from "../../core/errors.ts";
import { ChannelBase, type ChannelOptions } from "../../core/channel.ts";
import { OpQueue } from "../../core/op_queue.ts";
import { CheckedFrameDecoder, encodeCheckedFrame } from "../../core/checked_framing.ts";

const k = kernel32.sync;

/** Parity settings. */
export type Parity = "none" | "odd" | "even" | "mark" | "space";
/** Flow control settings. */
export type FlowControl = "none" | "rts/cts" | "dsr/dtr" | "xon/xoff";

/** Options for {@link SerialPort.open}. */
export interface SerialOptions {
  /** Bits per second. Default 9600. */
  baudRate?: number;
  /** 5 to 8. Default 8. */
  dataBits?: 5 | 6 | 7 | 8;
  /** Default "none". */
  parity?: Parity;
  /** 1, 1.5 or 2. Default 1. */
  stopBits?: 1 | 1.5 | 2;
  /** Default "none". */
  flowControl?: FlowControl;
}

const PARITY: Record<Parity, number> = { none: 0, odd: 1, even: 2, mark: 3, space: 4 };
const STOPBITS = new Map([[1, 0], [1.5, 1], [2, 2]]);

/** Checks settings before anything touches the port. */
export function validateSerialOptions(o: SerialOptions): Required<SerialOptions> {
  const r = {
    baudRate: o.baudRate ?? 9600,
    dataBits: o.dataBits ?? 8,
    parity: o.parity ?? "none",
    stopBits: o.stopBits ?? 1,
    flowControl: o.flowControl ?? "none",
  } as Required<SerialOptions>;
  if (!Number.isInteger(r.baudRate) || r.baudRate < 50 || r.baudRate > 4_000_000) {
    throw new RangeError(`baudRate must be an integer from 50 to 4000000, got ${r.baudRate}`);
  }
  if (![5, 6, 7, 8].includes(r.dataBits)) {
    throw new RangeError(`dataBits must be 5, 6, 7 or 8, got ${r.dataBits}`);
  }
  if (!(r.parity in PARITY)) {
    throw new RangeError(`parity must be one of ${Object.keys(PARITY).join(", ")}, got ${r.parity}`);
  }
  if (!STOPBITS.has(r.stopBits)) throw new RangeError(`stopBits must be 1, 1.5 or 2, got ${r.stopBits}`);
  if (r.stopBits === 1.5 && r.dataBits !== 5) throw new RangeError("1.5 stop bits go only with 5 data bits");
  if (!["none", "rts/cts", "dsr/dtr", "xon/xoff"].includes(r.flowControl)) {
    throw new RangeError(`flowControl must be none, rts/cts, dsr/dtr or xon/xoff, got ${r.flowControl}`);
  }
  return r;
}

/** `\\.\COMn` for `COMn` (or the full form, checked). */
export function serialPath(name: string): string {
  const m = /^(?:\\\\\.\\)?((?:COM|LPT)\d{1,3})$/i.exec(name);
  if (!m) throw new AddressError(`bad port name '${name}': expected COM1..COM256 or LPT1..LPT9`);
  return `\\\\.\\${m[1].toUpperCase()}`;
}

/** The serial and parallel ports present (QueryDosDeviceW), e.g. ["COM1", "COM2"]. */
export function listPorts(): string[] {
  for (let size = 65536; size <= 1 << 22; size *= 4) {
    const buf = new Uint16Array(size);
    const n = k.QueryDosDeviceW(null, buf, size);
    if (n === 0) {
      if (lastError() === 122 /* ERROR_INSUFFICIENT_BUFFER */) continue;
      return [];
    }
    const names: string[] = [];
    let start = 0;
    for (let i = 0; i < n; i++) {
      if (buf[i] !== 0) continue;
      if (i > start) names.push(fromWstr(buf.subarray(start, i)));
      start = i + 1;
    }
    return names.filter((d) => /^(COM|LPT)\d+$/i.test(d)).sort((a, b) =>
      a.localeCompare(b, undefined, { numeric: true })
    );
  }
  return [];
}

function openPort(name: string, access: number): OwnedHandle {
  const path = serialPath(name);
  const h = k.CreateFileW(wstr(path), access >>> 0, 0, 0n, OPEN_EXISTING, FILE_FLAG_OVERLAPPED, 0n);
  if (isInvalidHandle(h)) {
    const code = lastError();
    if (code === ERROR_FILE_NOT_FOUND) {
      const ports = listPorts();
      throw new NotFoundError(`no port ${name}; ports present: ${ports.length ? ports.join(", ") : "none"}`);
    }
    if (code === ERROR_ACCESS_DENIED) throw new AddressInUseError(`${name} is open in another program`);
    throw new Win32Error(`CreateFileW(${path})`, code);
  }
  return new OwnedHandle(h);
}

/** Line errors and queue levels reported by ClearCommError. */
export interface SerialStatus {
  framing: boolean;
  overrun: boolean;
  parity: boolean;
  breakDetected: boolean;
  /** Bytes received and not read yet. */
  inQueue: number;
  /** Bytes written and not sent yet. */
  outQueue: number;
}

/** Modem input lines (GetCommModemStatus). */
export interface ModemStatus {
  cts: boolean;
  dsr: boolean;
  ring: boolean;
  dcd: boolean;
}

/** Comm events for {@link SerialPort.waitEvent} (EV_* bits). */
export const SerialEvent = {
  RXCHAR: 0x0001,
  RXFLAG: 0x0002,
  TXEMPTY: 0x0004,
  CTS: 0x0008,
  DSR: 0x0010,
  RLSD: 0x0020,
  BREAK: 0x0040,
  ERR: 0x0080,
  RING: 0x0100,
} as const;

/** An open serial port. */
export class SerialPort implements AsyncDisposable {
  readonly name: string;
  readonly settings: Required<SerialOptions>;
  readonly #handle: OwnedHandle;
  readonly #readOv = new Overlapped();
  readonly #writeOv = new Overlapped();
  readonly #eventOv = new Overlapped();
  readonly #eventMask = new NativeMemory(4);
  readonly #rxOv = new Overlapped();
  readonly #rxMask = new NativeMemory(4);
  readonly #readBuf = new NativeMemory(64 * 1024);
  #writeBuf: NativeMemory | undefined;
  readonly #reads: OpQueue;
  readonly #writes: OpQueue;
  readonly #events: OpQueue;

  private constructor(name: string, handle: OwnedHandle, settings: Required<SerialOptions>) {
    this.name = name;
    this.#handle = handle;
    this.settings = settings;
    this.#reads = new OpQueue(name);
    this.#writes = new OpQueue(name);
    this.#events = new OpQueue(name);
  }

  /** Opens COMn with the given line settings. NotFoundError (listing the ports present) if missing. */
  static open(name: string, opts: SerialOptions = {}): SerialPort {
    const settings = validateSerialOptions(opts); // before any system call
    const handle = openPort(name, GENERIC_READ | GENERIC_WRITE);
    try {
      const h = handle.value;
      k.SetupComm(h, 64 * 1024, 64 * 1024);
      const dcb = new Uint8Array(28);
      const v = new DataView(dcb.buffer);
      v.setUint32(0, 28, true);
      if (!k.GetCommState(h, dcb)) throw new Win32Error("GetCommState", lastError());
      v.setUint32(4, settings.baudRate, true);
      let bits = 0x1; // fBinary
      if (settings.parity !== "none") bits |= 0x2; // fParity
      const f = settings.flowControl;
      if (f === "rts/cts") bits |= 0x4 | (2 << 12); // fOutxCtsFlow, RTS_CONTROL_HANDSHAKE
      else bits |= 1 << 12; // RTS_CONTROL_ENABLE
      if (f === "dsr/dtr") bits |= 0x8 | (2 << 4); // fOutxDsrFlow, DTR_CONTROL_HANDSHAKE
      else bits |= 1 << 4; // DTR_CONTROL_ENABLE
      if (f === "xon/xoff") bits |= 0x100 | 0x200; // fOutX, fInX
      v.setUint32(8, bits, true);
      v.setUint16(14, 2048, true); // XonLim
      v.setUint16(16, 512, true); // XoffLim
      v.setUint8(18, settings.dataBits);
      v.setUint8(19, PARITY[settings.parity]);
      v.setUint8(20, STOPBITS.get(settings.stopBits)!);
      v.setUint8(21, 0x11); // XonChar
      v.setUint8(22, 0x13); // XoffChar
      if (!k.SetCommState(h, dcb)) throw new Win32Error("SetCommState", lastError());
      // Reads return at once with what is there; waiting for data is WaitCommEvent(EV_RXCHAR).
      // (The "wait for the first byte" timeout combination is not honoured by Wine's driver.)
      const t = new Uint32Array([0xffffffff, 0, 0, 0, 0]);
      if (!k.SetCommTimeouts(h, new Uint8Array(t.buffer))) {
        throw new Win32Error("SetCommTimeouts", lastError());
      }
      return new SerialPort(name.toUpperCase().replace(/^\\\\\.\\/, ""), handle, settings);
    } catch (e) {
      handle.close();
      throw e;
    }
  }

  /** The next bytes received (at least one), as they arrive. */
  read(opts?: WaitOptions): Promise<Uint8Array> {
    return this.#reads.run(opts, async (signal) => {
      while (true) {
        const h = this.#handle.value;
        const buf = this.#readBuf;
        const r = await this.#readOv.run(h, (ov) => k.ReadFile(h, buf.address, buf.size, null, ov), {
          signal,
        });
        if (r.error !== 0) throw new Win32Error(`ReadFile(${this.name})`, r.error);
        if (r.bytes > 0) return buf.bytes.slice(0, r.bytes);
        if (this.status().inQueue > 0) continue;
        await this.#waitRx(signal);
      }
    });
  }

  /** Writes all of `bytes`; resolves once the driver has taken them. */
  write(bytes: Uint8Array, opts?: WaitOptions): Promise<void> {
    return this.#writes.run(opts, async (signal) => {
      if (bytes.byteLength === 0) return;
      if (!this.#writeBuf || this.#writeBuf.size < bytes.byteLength) {
        this.#writeBuf?.[Symbol.dispose]();
        this.#writeBuf = new NativeMemory(Math.max(bytes.byteLength, 4096));
      }
      const buf = this.#writeBuf;
      buf.bytes.set(bytes);
      const h = this.#handle.value;
      let done = 0;
      while (done < bytes.byteLength) {
        const r = await this.#writeOv.run(
          h,
          (ov) => k.WriteFile(h, buf.address + BigInt(done), bytes.byteLength - done, null, ov),
          { signal },
        );
        if (r.error !== 0) throw new Win32Error(`WriteFile(${this.name})`, r.error);
        done += r.bytes;
      }
    });
  }

  /**
   * Waits (overlapped WaitCommEvent) until a character has been received. Bytes that arrive
   * between the caller's empty read and the start of the wait raise no new EV_RXCHAR
   * (SetCommMask clears the event history), so the input queue is looked at once the wait is
   * armed; if bytes are there, the wait is cancelled and the caller reads them.
   */
  async #waitRx(signal: AbortSignal): Promise<void> {
    const h = this.#handle.value;
    if (!k.SetCommMask(h, SerialEvent.RXCHAR)) throw new Win32Error("SetCommMask", lastError());
    const m = this.#rxMask;
    const queued = new AbortController();
    const start = (ov: bigint) => {
      const ok = k.WaitCommEvent(h, m.address, ov);
      if (ok) return ok;
      const err = lastError();
      if (this.status().inQueue > 0) queued.abort();
      k.SetLastError(err); // for Overlapped.run, which reads it next
      return ok;
    };
    try {
      const r = await this.#rxOv.run(h, start, { signal: AbortSignal.any([signal, queued.signal]) });
      if (r.error !== 0) throw new Win32Error("WaitCommEvent", r.error);
    } catch (e) {
      if (queued.signal.aborted && !signal.aborted) return; // data is waiting: read it
      throw e;
    }
  }

  /**
   * Waits for one of the `mask` events (SerialEvent bits); resolves the events that happened.
   * Windows allows one WaitCommEvent per port at a time, and `read` uses it while it waits for
   * data: do not wait for events while a read is pending.
   */
  waitEvent(mask: number, opts?: WaitOptions): Promise<number> {
    return this.#events.run(opts, async (signal) => {
      const h = this.#handle.value;
      if (!k.SetCommMask(h, mask)) throw new Win32Error("SetCommMask", lastError());
      const m = this.#eventMask;
      const r = await this.#eventOv.run(h, (ov) => k.WaitCommEvent(h, m.address, ov), { signal });
      if (r.error !== 0) throw new Win32Error("WaitCommEvent", r.error);
      return m.view().getUint32(0, true);
    });
  }

  /** Line errors since the last call, and queue levels (ClearCommError). */
  status(): SerialStatus {
    const errors = new Uint32Array(1);
    const stat = new Uint8Array(12); // COMSTAT
    if (!k.ClearCommError(this.#handle.value, errors, stat)) {
      throw new Win32Error("ClearCommError", lastError());
    }
    const v = new DataView(stat.buffer);
    return {
      overrun: (errors[0] & 0x0001) !== 0 || (errors[0] & 0x0002) !== 0, // CE_RXOVER | CE_OVERRUN
      parity: (errors[0] & 0x0004) !== 0,
      framing: (errors[0] & 0x0008) !== 0,
      breakDetected: (errors[0] & 0x0010) !== 0,
      inQueue: v.getUint32(4, true),
      outQueue: v.getUint32(8, true),
    };
  }

  /** Discards what is queued (PurgeComm). */
  purge(which: { input?: boolean; output?: boolean } = { input: true, output: true }): void {
    const flags = (which.output ? 0x4 | 0x1 : 0) | (which.input ? 0x8 | 0x2 : 0); // CLEAR | ABORT
    if (!k.PurgeComm(this.#handle.value, flags)) throw new Win32Error("PurgeComm", lastError());
  }

  #escape(fn: number, what: string): void {
    if (!k.EscapeCommFunction(this.#handle.value, fn)) {
      throw new Win32Error(`EscapeCommFunction(${what})`, lastError());
    }
  }

  /** Sets the DTR output line. */
  setDtr(on: boolean): void {
    this.#escape(on ? 5 : 6, on ? "SETDTR" : "CLRDTR");
  }

  /** Sets the RTS output line. */
  setRts(on: boolean): void {
    this.#escape(on ? 3 : 4, on ? "SETRTS" : "CLRRTS");
  }

  /** Holds the line in the break state for `ms`. */
  async sendBreak(ms = 250): Promise<void> {
    this.#escape(8, "SETBREAK");
    await new Promise((r) => setTimeout(r, ms));
    this.#escape(9, "CLRBREAK");
  }

  /** The modem input lines. */
  modemStatus(): ModemStatus {
    const s = new Uint32Array(1);
    if (!k.GetCommModemStatus(this.#handle.value, s)) throw new Win32Error("GetCommModemStatus", lastError());
    return {
      cts: (s[0] & 0x10) !== 0,
      dsr: (s[0] & 0x20) !== 0,
      ring: (s[0] & 0x40) !== 0,
      dcd: (s[0] & 0x80) !== 0,
    };
  }

  /** A message channel over this port: CRC-checked frames that resynchronise after noise. */
  messages(opts: ChannelOptions = {}): SerialChannel {
    return new SerialChannel(this, opts);
  }

  async close(): Promise<void> {
    if (this.#reads.closed) return;
    await Promise.all([this.#reads.close(), this.#writes.close(), this.#events.close()]);
    this.#handle.close();
    for (
      const d of [
        this.#readOv,
        this.#writeOv,
        this.#eventOv,
        this.#eventMask,
        this.#rxOv,
        this.#rxMask,
        this.#readBuf,
      ]
    ) {
      d[Symbol.dispose]();
    }
    this.#writeBuf?.[Symbol.dispose]();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

/** Messages over a serial port, in CRC-checked frames; noise between frames is skipped and counted. */
export class SerialChannel extends ChannelBase {
  readonly #decoder: CheckedFrameDecoder;
  /** Called with the number of bytes skipped as noise whenever some are. */
  onNoise: (skipped: number) => void = () => {};

  /** @internal */
  constructor(readonly port: SerialPort, opts: ChannelOptions) {
    super(`serial:${port.name}`, { maxMessageSize: opts.maxMessageSize ?? 1024 * 1024 });
    this.#decoder = new CheckedFrameDecoder(this.maxMessageSize);
  }

  /** Bytes skipped as noise so far. */
  get noiseBytes(): number {
    return this.#decoder.skipped;
  }

  protected async sendMessage(message: Uint8Array, signal: AbortSignal): Promise<void> {
    await this.port.write(encodeCheckedFrame(message), { signal });
  }

  protected async receiveMessage(signal: AbortSignal): Promise<Uint8Array | null> {
    while (true) {
      const before = this.#decoder.skipped;
      const m = this.#decoder.next();
      if (this.#decoder.skipped > before) this.onNoise(this.#decoder.skipped - before);
      if (m) return m;
      this.#decoder.push(await this.port.read({ signal }));
    }
  }

  protected closeTransport(): Promise<void> {
    return this.port.close();
  }
}

/** A parallel port (LPTn): a write-only byte sink. Status lines and reading are not offered. */
export class ParallelPort implements AsyncDisposable {
  readonly #handle: OwnedHandle;
  readonly #ov = new Overlapped();

  private constructor(readonly name: string, handle: OwnedHandle) {
    this.#handle = handle;
  }

  static open(name: string): ParallelPort {
    if (!/^(\\\\\.\\)?LPT\d$/i.test(name)) throw new AddressError(`bad parallel port '${name}': LPT1..LPT9`);
    return new ParallelPort(name.toUpperCase(), openPort(name, GENERIC_WRITE));
  }

  async write(bytes: Uint8Array, opts?: WaitOptions): Promise<void> {
    using buf = new NativeMemory(bytes.byteLength);
    buf.bytes.set(bytes);
    const h = this.#handle.value;
    const r = await this.#ov.run(h, (ov) => k.WriteFile(h, buf.address, bytes.byteLength, null, ov), opts);
    if (r.error !== 0) throw new Win32Error(`WriteFile(${this.name})`, r.error);
  }

  close(): Promise<void> {
    this.#handle.close();
    this.#ov[Symbol.dispose]();
    return Promise.resolve();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
