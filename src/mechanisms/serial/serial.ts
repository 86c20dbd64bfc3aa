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
  CE_BREAK,
  CE_FRAME,
  CE_OVERRUN,
  CE_RXOVER,
  CE_RXPARITY,
  CLRBREAK,
  CLRDTR,
  CLRRTS,
  DCB,
  EV_BREAK,
  EV_CTS,
  EV_DSR,
  EV_ERR,
  EV_RING,
  EV_RLSD,
  EV_RXCHAR,
  EV_RXFLAG,
  EV_TXEMPTY,
  EVENPARITY,
  FILE_FLAG_OVERLAPPED,
  MARKPARITY,
  MS_CTS_ON,
  MS_DSR_ON,
  MS_RING_ON,
  MS_RLSD_ON,
  NOPARITY,
  ODDPARITY,
  ONE5STOPBITS,
  ONESTOPBIT,
  OPEN_EXISTING,
  PURGE_RXABORT,
  PURGE_RXCLEAR,
  PURGE_TXABORT,
  PURGE_TXCLEAR,
  SETBREAK,
  SETDTR,
  SETRTS,
  SPACEPARITY,
  TWOSTOPBITS,
} from "../../ffi/headers/winbase.ts";
import {
  ERROR_ACCESS_DENIED,
  ERROR_FILE_NOT_FOUND,
  ERROR_INSUFFICIENT_BUFFER,
} from "../../ffi/headers/winerror.ts";
import { GENERIC_READ, GENERIC_WRITE } from "../../ffi/headers/winnt.ts";
import { Win32Error } from "../../ffi/error.ts";
import { attempt, check } from "../../ffi/check.ts";
import { isInvalidHandle, OwnedHandle } from "../../ffi/handle.ts";
import { NativeMemory } from "../../ffi/memory.ts";
import { type NativeRange, Overlapped } from "../../kernel/overlapped.ts";
import { fromWstr, wstr } from "../../ffi/wstr.ts";
import {
  AddressError,
  AddressInUseError,
  NotFoundError,
  TimeoutError,
  type WaitOptions,
} from "../../core/errors.ts";
import type { Channel, ChannelOptions } from "../../core/channel.ts";
import { FramedChannel } from "../../core/framed_channel.ts";
import { OpQueue, sleep } from "../../core/op_queue.ts";
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

const PARITY: Record<Parity, number> = {
  none: NOPARITY,
  odd: ODDPARITY,
  even: EVENPARITY,
  mark: MARKPARITY,
  space: SPACEPARITY,
};
const STOPBITS = new Map([[1, ONESTOPBIT], [1.5, ONE5STOPBITS], [2, TWOSTOPBITS]]);

/**
 * Checks line settings and fills in the defaults; {@link SerialPort.open} does this before any
 * system call, so a bad setting never leaves a half-configured port.
 * @throws {RangeError} when a setting is out of range or the combination is invalid.
 */
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
  if (!Object.hasOwn(PARITY, r.parity)) {
    throw new RangeError(`parity must be one of ${Object.keys(PARITY).join(", ")}, got ${r.parity}`);
  }
  if (!STOPBITS.has(r.stopBits)) throw new RangeError(`stopBits must be 1, 1.5 or 2, got ${r.stopBits}`);
  if (r.stopBits === 1.5 && r.dataBits !== 5) throw new RangeError("1.5 stop bits go only with 5 data bits");
  if (!["none", "rts/cts", "dsr/dtr", "xon/xoff"].includes(r.flowControl)) {
    throw new RangeError(`flowControl must be none, rts/cts, dsr/dtr or xon/xoff, got ${r.flowControl}`);
  }
  return r;
}

/**
 * The device path `\\.\COMn` for `COMn` (or the full form, checked); LPTn likewise.
 * @throws {AddressError} when `name` is not COM1..COM256 or LPT1..LPT9.
 */
export function serialPath(name: string): string {
  const m = /^(?:\\\\\.\\)?((?:COM|LPT)\d{1,3})$/i.exec(name);
  if (!m) throw new AddressError(`bad port name '${name}': expected COM1..COM256 or LPT1..LPT9`);
  return `\\\\.\\${m[1].toUpperCase()}`;
}

/** The serial and parallel ports present (QueryDosDeviceW), e.g. ["COM1", "COM2"]. */
export function listPorts(): string[] {
  for (let size = 65536; size <= 1 << 22; size *= 4) {
    const buf = new Uint16Array(size);
    const { value: n, error } = attempt(() => k.QueryDosDeviceW(null, buf, size), (n) => n === 0);
    if (n === 0) {
      if (error === ERROR_INSUFFICIENT_BUFFER) continue;
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
  const r = attempt(
    () => k.CreateFileW(wstr(path), access >>> 0, 0, 0n, OPEN_EXISTING, FILE_FLAG_OVERLAPPED, 0n),
    isInvalidHandle,
  );
  if (!isInvalidHandle(r.value)) return new OwnedHandle(r.value);
  if (r.error === ERROR_FILE_NOT_FOUND) {
    const ports = listPorts();
    throw new NotFoundError(`no port ${name}; ports present: ${ports.length ? ports.join(", ") : "none"}`);
  }
  if (r.error === ERROR_ACCESS_DENIED) throw new AddressInUseError(`${name} is open in another program`);
  throw new Win32Error(`CreateFileW(${path})`, r.error);
}

/** Line errors and queue levels reported by ClearCommError. */
export interface SerialStatus {
  /** A character arrived without a valid stop bit (CE_FRAME). */
  framing: boolean;
  /** Received bytes were lost: the input buffer or the UART overflowed (CE_RXOVER, CE_OVERRUN). */
  overrun: boolean;
  /** A character arrived with a parity error (CE_RXPARITY). */
  parity: boolean;
  /** The line was held in the break state (CE_BREAK). */
  breakDetected: boolean;
  /** Bytes received and not read yet. */
  inQueue: number;
  /** Bytes written and not sent yet. */
  outQueue: number;
}

/** Modem input lines (GetCommModemStatus). */
export interface ModemStatus {
  /** Clear To Send. */
  cts: boolean;
  /** Data Set Ready. */
  dsr: boolean;
  /** Ring Indicator. */
  ring: boolean;
  /** Data Carrier Detect (RLSD). */
  dcd: boolean;
}

/** Comm events for {@link SerialPort.waitEvent} (EV_* bits). */
export const SerialEvent = {
  /** A byte was received. */
  RXCHAR: EV_RXCHAR,
  /** The event character was received. */
  RXFLAG: EV_RXFLAG,
  /** The last byte of the output buffer was sent. */
  TXEMPTY: EV_TXEMPTY,
  /** Clear To Send changed. */
  CTS: EV_CTS,
  /** Data Set Ready changed. */
  DSR: EV_DSR,
  /** Receive Line Signal Detect (carrier) changed. */
  RLSD: EV_RLSD,
  /** A break was detected on input. */
  BREAK: EV_BREAK,
  /** A line-status error (framing, overrun, parity). */
  ERR: EV_ERR,
  /** A ring indicator was detected. */
  RING: EV_RING,
} as const;

/** Sets the line settings (DCB), and timeouts under which a read returns at once. */
function configurePort(h: bigint, settings: Required<SerialOptions>): void {
  k.SetupComm(h, 64 * 1024, 64 * 1024);
  const dcb = DCB.encode({ DCBlength: DCB.size });
  check("GetCommState", () => k.GetCommState(h, dcb));
  let bits = 0x1; // fBinary
  if (settings.parity !== "none") bits |= 0x2; // fParity
  const f = settings.flowControl;
  if (f === "rts/cts") bits |= 0x4 | (2 << 12); // fOutxCtsFlow, RTS_CONTROL_HANDSHAKE
  else bits |= 1 << 12; // RTS_CONTROL_ENABLE
  if (f === "dsr/dtr") bits |= 0x8 | (2 << 4); // fOutxDsrFlow, DTR_CONTROL_HANDSHAKE
  else bits |= 1 << 4; // DTR_CONTROL_ENABLE
  if (f === "xon/xoff") bits |= 0x100 | 0x200; // fOutX, fInX
  DCB.write(dcb, {
    BaudRate: settings.baudRate,
    flags: bits,
    XonLim: 2048,
    XoffLim: 512,
    ByteSize: settings.dataBits,
    Parity: PARITY[settings.parity],
    StopBits: STOPBITS.get(settings.stopBits)!,
    XonChar: 0x11, // DC1
    XoffChar: 0x13, // DC3
  });
  check("SetCommState", () => k.SetCommState(h, dcb));
  // Reads return at once with what is there; waiting for data is WaitCommEvent(EV_RXCHAR).
  // (The "wait for the first byte" timeout combination is not honoured by Wine's driver.)
  const t = new Uint32Array([0xffffffff, 0, 0, 0, 0]);
  check("SetCommTimeouts", () => k.SetCommTimeouts(h, new Uint8Array(t.buffer)));
}

/**
 * The write side of a port: writes queue, each copied into a reused native buffer and written
 * whole with overlapped WriteFile calls.
 */
class PortWriter {
  readonly #name: string;
  readonly #handle: OwnedHandle;
  readonly #queue: OpQueue;
  readonly #ov = new Overlapped();
  #buf: NativeMemory | undefined;

  constructor(name: string, handle: OwnedHandle) {
    this.#name = name;
    this.#handle = handle;
    this.#queue = new OpQueue(name);
  }

  write(bytes: Uint8Array, opts?: WaitOptions): Promise<void> {
    return this.#queue.run(opts, async (signal) => {
      if (bytes.byteLength === 0) return;
      const r = await this.#ov.writeAll(this.#handle.value, this.#stage(bytes), { signal });
      if (r.error !== 0) throw new Win32Error(`WriteFile(${this.#name})`, r.error);
      // A write completes short only when a write timeout expires.
      if (r.bytes < bytes.byteLength) {
        throw new TimeoutError(`${this.#name}: the port took ${r.bytes} of ${bytes.byteLength} bytes`);
      }
    });
  }

  /** Copies `bytes` into the native buffer, grown as needed (the kernel reads it later). */
  #stage(bytes: Uint8Array): NativeRange {
    if (!this.#buf || this.#buf.size < bytes.byteLength) {
      this.#buf?.[Symbol.dispose]();
      this.#buf = new NativeMemory(Math.max(bytes.byteLength, 4096));
    }
    this.#buf.bytes.set(bytes);
    return { address: this.#buf.address, length: bytes.byteLength };
  }

  /** Ends pending writes (they reject with ChannelClosedError) and frees the buffers. */
  async close(): Promise<void> {
    await this.#queue.close();
    this.#ov[Symbol.dispose]();
    this.#buf?.[Symbol.dispose]();
  }
}

/**
 * An open serial port: raw bytes ({@link SerialPort.read}, {@link SerialPort.write}), line
 * status, modem lines, break, comm events, and a framed message channel
 * ({@link SerialPort.messages}). A read and a write can be in flight together; each direction
 * queues its calls.
 *
 * @example
 * ```ts
 * import { SerialPort } from "@winipc/winipc/serial";
 * await using port = SerialPort.open("COM3", { baudRate: 115200 });
 * await port.write(new TextEncoder().encode("AT\r"));
 * const reply = await port.read({ timeout: 2_000 });
 * ```
 */
export class SerialPort implements AsyncDisposable {
  /** The port's name, `COM3`. */
  readonly name: string;
  /** The line settings in force, defaults filled in. */
  readonly settings: Required<SerialOptions>;
  readonly #handle: OwnedHandle;
  readonly #writer: PortWriter;
  readonly #readOv = new Overlapped();
  readonly #eventOv = new Overlapped();
  readonly #eventMask = new NativeMemory(4);
  readonly #rxOv = new Overlapped();
  readonly #rxMask = new NativeMemory(4);
  readonly #readBuf = new NativeMemory(64 * 1024);
  readonly #reads: OpQueue;
  readonly #events: OpQueue;

  private constructor(name: string, handle: OwnedHandle, settings: Required<SerialOptions>) {
    this.name = name;
    this.#handle = handle;
    this.settings = settings;
    this.#writer = new PortWriter(name, handle);
    this.#reads = new OpQueue(name);
    this.#events = new OpQueue(name);
  }

  /**
   * Opens COMn with the given line settings. The settings are checked before any system call.
   *
   * @example
   * ```ts
   * import { SerialPort } from "@winipc/winipc/serial";
   * await using port = SerialPort.open("COM1", { baudRate: 9600, parity: "even", flowControl: "rts/cts" });
   * ```
   * @throws {RangeError} when a setting is out of range (see {@link validateSerialOptions}).
   * @throws {AddressError} when `name` is not COMn or LPTn.
   * @throws {NotFoundError} when there is no such port (the message lists the ports present).
   * @throws {AddressInUseError} when another program has the port open.
   * @throws {Win32Error} when the driver refuses the settings.
   */
  static open(name: string, opts: SerialOptions = {}): SerialPort {
    const settings = validateSerialOptions(opts); // before any system call
    const handle = openPort(name, GENERIC_READ | GENERIC_WRITE);
    try {
      configurePort(handle.value, settings);
      return new SerialPort(name.toUpperCase().replace(/^\\\\\.\\/, ""), handle, settings);
    } catch (e) {
      handle.close();
      throw e;
    }
  }

  /**
   * The next bytes received (at least one), as they arrive.
   * @throws {ChannelClosedError} when the port is closed.
   * @throws {TimeoutError} when `opts.timeout` passes first.
   */
  read(opts?: WaitOptions): Promise<Uint8Array> {
    return this.#reads.run(opts, async (signal) => {
      const buf = this.#readBuf;
      while (true) {
        const r = await this.#readOv.readFile(
          this.#handle.value,
          { address: buf.address, length: buf.size },
          {
            signal,
          },
        );
        if (r.error !== 0) throw new Win32Error(`ReadFile(${this.name})`, r.error);
        if (r.bytes > 0) return buf.bytes.slice(0, r.bytes);
        if (this.status().inQueue === 0) await this.#waitRx(signal);
      }
    });
  }

  /**
   * Writes all of `bytes`; resolves once the driver has taken them.
   * @throws {ChannelClosedError} when the port is closed.
   * @throws {TimeoutError} when `opts.timeout` passes first.
   */
  write(bytes: Uint8Array, opts?: WaitOptions): Promise<void> {
    return this.#writer.write(bytes, opts);
  }

  /**
   * Waits (overlapped WaitCommEvent) until a character has been received. Bytes that arrive
   * between the caller's empty read and the start of the wait raise no new EV_RXCHAR
   * (SetCommMask clears the event history), so the input queue is looked at once the wait is
   * armed; if bytes are there, the wait is cancelled and the caller reads them.
   */
  async #waitRx(signal: AbortSignal): Promise<void> {
    const h = this.#handle.value;
    check("SetCommMask", () => k.SetCommMask(h, SerialEvent.RXCHAR));
    const m = this.#rxMask;
    const queued = new AbortController();
    const start = (ov: bigint) => {
      const r = attempt(() => k.WaitCommEvent(h, m.address, ov), (ok) => !ok);
      if (r.value) return r.value;
      if (this.status().inQueue > 0) queued.abort();
      k.SetLastError(r.error); // ClearCommError may have changed it: Overlapped.run reads it next
      return r.value;
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
   * Waits for one of the `mask` events ({@link SerialEvent} bits); resolves the events that
   * happened. Windows allows one WaitCommEvent per port at a time, and `read` uses it while it
   * waits for data: do not wait for events while a read is pending.
   * @throws {ChannelClosedError} when the port is closed.
   * @throws {TimeoutError} when `opts.timeout` passes first.
   */
  waitEvent(mask: number, opts?: WaitOptions): Promise<number> {
    return this.#events.run(opts, async (signal) => {
      const h = this.#handle.value;
      check("SetCommMask", () => k.SetCommMask(h, mask));
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
    check("ClearCommError", () => k.ClearCommError(this.#handle.value, errors, stat));
    const v = new DataView(stat.buffer);
    return {
      overrun: (errors[0] & (CE_RXOVER | CE_OVERRUN)) !== 0,
      parity: (errors[0] & CE_RXPARITY) !== 0,
      framing: (errors[0] & CE_FRAME) !== 0,
      breakDetected: (errors[0] & CE_BREAK) !== 0,
      inQueue: v.getUint32(4, true),
      outQueue: v.getUint32(8, true),
    };
  }

  /** Discards what is queued in either direction (PurgeComm); both by default. */
  purge(which: { input?: boolean; output?: boolean } = { input: true, output: true }): void {
    const flags = (which.output ? PURGE_TXCLEAR | PURGE_TXABORT : 0) |
      (which.input ? PURGE_RXCLEAR | PURGE_RXABORT : 0);
    check("PurgeComm", () => k.PurgeComm(this.#handle.value, flags));
  }

  #escape(fn: number, what: string): void {
    check(`EscapeCommFunction(${what})`, () => k.EscapeCommFunction(this.#handle.value, fn));
  }

  /** Sets the DTR output line. */
  setDtr(on: boolean): void {
    this.#escape(on ? SETDTR : CLRDTR, on ? "SETDTR" : "CLRDTR");
  }

  /** Sets the RTS output line. */
  setRts(on: boolean): void {
    this.#escape(on ? SETRTS : CLRRTS, on ? "SETRTS" : "CLRRTS");
  }

  /** Holds the line in the break state for `ms`; an abort ends the break early. */
  async sendBreak(ms = 250, opts: { signal?: AbortSignal } = {}): Promise<void> {
    this.#escape(SETBREAK, "SETBREAK");
    try {
      await sleep(ms, opts.signal ?? new AbortController().signal);
    } finally {
      this.#escape(CLRBREAK, "CLRBREAK");
    }
  }

  /** The modem input lines (GetCommModemStatus). */
  modemStatus(): ModemStatus {
    const s = new Uint32Array(1);
    check("GetCommModemStatus", () => k.GetCommModemStatus(this.#handle.value, s));
    return {
      cts: (s[0] & MS_CTS_ON) !== 0,
      dsr: (s[0] & MS_DSR_ON) !== 0,
      ring: (s[0] & MS_RING_ON) !== 0,
      dcd: (s[0] & MS_RLSD_ON) !== 0,
    };
  }

  /**
   * A message channel over this port: CRC-checked frames that resynchronise after noise. The
   * channel owns the port from now on (closing it closes the port).
   * @throws {RangeError} when `opts.maxMessageSize` is out of range.
   */
  messages(opts: ChannelOptions = {}): SerialChannel {
    return new SerialChannel(this, opts);
  }

  /** Closes the port; pending calls reject with ChannelClosedError. Idempotent. */
  async close(): Promise<void> {
    if (this.#reads.closed) return;
    await Promise.all([this.#reads.close(), this.#writer.close(), this.#events.close()]);
    this.#handle.close();
    const natives = [this.#readOv, this.#eventOv, this.#eventMask, this.#rxOv, this.#rxMask, this.#readBuf];
    for (const d of natives) d[Symbol.dispose]();
  }

  /** Same as {@link SerialPort.close}, for `await using`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

/** A {@link CheckedFrameDecoder} that reports the noise it skips as it skips it. */
class NoiseReportingDecoder extends CheckedFrameDecoder {
  onSkip: (bytes: number) => void = () => {};

  override next(): Uint8Array | undefined {
    const before = this.skipped;
    const m = super.next();
    if (this.skipped > before) this.onSkip(this.skipped - before);
    return m;
  }
}

/** The default largest message of a {@link SerialChannel}: 1 MiB. */
export const DEFAULT_SERIAL_MAX_MESSAGE_SIZE = 1024 * 1024;

/**
 * Messages over a serial port in CRC-checked frames (sync bytes, the length twice, the payload,
 * a CRC-32): bytes that are not part of a valid frame (line noise, a peer starting mid-frame)
 * are skipped and counted, and the next frame is found. Get one from {@link SerialPort.messages}.
 *
 * @example
 * ```ts
 * import { SerialPort } from "@winipc/winipc/serial";
 * await using channel = SerialPort.open("COM3", { baudRate: 115200 }).messages();
 * channel.onNoise = (skipped) => console.warn(`skipped ${skipped} bytes of noise`);
 * await channel.send(new TextEncoder().encode("hello"));
 * const reply = await channel.receive({ timeout: 5_000 });
 * ```
 */
export class SerialChannel extends FramedChannel implements Channel {
  /** The port under the frames. */
  readonly port: SerialPort;
  /** Called with the number of bytes skipped as noise whenever some are. */
  onNoise: (skipped: number) => void = () => {};
  readonly #decoder: NoiseReportingDecoder;

  /**
   * Frames `port`; the channel owns it from now on. `opts.maxMessageSize` defaults to
   * {@link DEFAULT_SERIAL_MAX_MESSAGE_SIZE}.
   * @throws {RangeError} when `opts.maxMessageSize` is out of range.
   */
  constructor(port: SerialPort, opts: ChannelOptions = {}) {
    const decoder = new NoiseReportingDecoder(opts.maxMessageSize ?? DEFAULT_SERIAL_MAX_MESSAGE_SIZE);
    super(`serial:${port.name}`, port, {
      maxMessageSize: decoder.maxMessageSize,
      codec: { encode: encodeCheckedFrame, decoder: () => decoder },
    });
    this.port = port;
    this.#decoder = decoder;
    decoder.onSkip = (n) => this.onNoise(n);
  }

  /** Bytes skipped as noise so far. */
  get noiseBytes(): number {
    return this.#decoder.skipped;
  }
}

/**
 * A parallel port (LPTn): a write-only byte sink. Status lines and reading are not offered.
 *
 * @example
 * ```ts
 * import { ParallelPort } from "@winipc/winipc/serial";
 * await using lpt = ParallelPort.open("LPT1");
 * await lpt.write(new TextEncoder().encode("hello\f"));
 * ```
 */
export class ParallelPort implements AsyncDisposable {
  /** The port's name, `LPT1`. */
  readonly name: string;
  readonly #handle: OwnedHandle;
  readonly #writer: PortWriter;

  private constructor(name: string, handle: OwnedHandle) {
    this.name = name;
    this.#handle = handle;
    this.#writer = new PortWriter(name, handle);
  }

  /**
   * Opens LPTn for writing.
   * @throws {AddressError} when `name` is not LPT1 to LPT9.
   * @throws {NotFoundError} when there is no such port.
   * @throws {AddressInUseError} when another program has the port open.
   */
  static open(name: string): ParallelPort {
    if (!/^(\\\\\.\\)?LPT\d$/i.test(name)) throw new AddressError(`bad parallel port '${name}': LPT1..LPT9`);
    return new ParallelPort(name.toUpperCase(), openPort(name, GENERIC_WRITE));
  }

  /**
   * Writes all of `bytes`; resolves once the driver has taken them.
   * @throws {ChannelClosedError} when the port is closed.
   * @throws {TimeoutError} when `opts.timeout` passes first, or the printer stops taking bytes.
   */
  write(bytes: Uint8Array, opts?: WaitOptions): Promise<void> {
    return this.#writer.write(bytes, opts);
  }

  /** Closes the port; a pending write rejects with ChannelClosedError. Idempotent. */
  async close(): Promise<void> {
    await this.#writer.close();
    this.#handle.close();
  }

  /** Same as {@link ParallelPort.close}, for `await using`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
