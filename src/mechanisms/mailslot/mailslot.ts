/**
 * Mailslots: one-way datagrams. A {@link MailslotServer} receives whole messages in order;
 * {@link MailslotClient}s send to `\\.\mailslot\NAME` on this machine, or broadcast to every
 * machine of a domain with `\\*\mailslot\NAME` (`\\DOMAIN\mailslot\NAME`,
 * `\\COMPUTER\mailslot\NAME` for one): those travel as datagrams of at most 424 bytes and may be
 * lost or duplicated; local delivery is reliable.
 *
 * The server's handle is asynchronous, as CreateMailslotW makes it on Windows: a receive is an
 * overlapped ReadFile that waits off the JS thread and is cancelled by its timeout or signal.
 * Wine's CreateMailslotW makes a synchronous handle instead, on which that read would block the
 * event loop, so the server is created with the native call behind it (see createMailslot).
 *
 * A message over the server's limit is refused at the sender with MessageTooLargeError: Windows
 * enforces the limit in the kernel; a winipc server also publishes it (a tiny named mapping) so
 * the client checks first, which also holds under Wine, whose kernel does not check.
 * @module
 */
import { kernel32 } from "../../ffi/kernel32.ts";
import {
  MAILSLOT_NO_MESSAGE,
  MAILSLOT_WAIT_FOREVER,
  OPEN_EXISTING,
  SECURITY_ATTRIBUTES,
} from "../../ffi/headers/winbase.ts";
import {
  IO_STATUS_BLOCK,
  OBJ_CASE_INSENSITIVE,
  OBJECT_ATTRIBUTES,
  UNICODE_STRING,
} from "../../ffi/headers/winternl.ts";
import { STATUS_OBJECT_NAME_COLLISION } from "../../ffi/headers/ntstatus.ts";
import { ntdll } from "../../ffi/ntdll.ts";
import {
  ERROR_ACCESS_DENIED,
  ERROR_FILE_NOT_FOUND,
  ERROR_INSUFFICIENT_BUFFER,
  ERROR_INVALID_PARAMETER,
} from "../../ffi/headers/winerror.ts";
import {
  FILE_ATTRIBUTE_NORMAL,
  FILE_SHARE_READ,
  FILE_SHARE_WRITE,
  GENERIC_READ,
  GENERIC_WRITE,
  SYNCHRONIZE,
} from "../../ffi/headers/winnt.ts";
import { struct } from "../../ffi/struct.ts";
import { Win32Error } from "../../ffi/error.ts";
import { attempt, check } from "../../ffi/check.ts";
import { isInvalidHandle, OwnedHandle } from "../../ffi/handle.ts";
import { NativeMemory } from "../../ffi/memory.ts";
import { checkIo, type IoResult, Overlapped } from "../../kernel/overlapped.ts";
import { backend } from "../../ffi/runtime.ts";
import { ownerOnlySddl, SecurityAttributes } from "../../kernel/security.ts";
import { wstr } from "../../ffi/wstr.ts";
import { AddressError, AddressInUseError, MessageTooLargeError, NotFoundError } from "../../core/errors.ts";
import { ChannelBase } from "../../core/channel.ts";
import { ReceiveOnlyChannel, SendOnlyChannel } from "../../core/one_way.ts";
import { SharedMemory } from "../../kernel/shared_memory.ts";

const k = kernel32.sync;

/** The largest message a domain broadcast can carry. */
export const MAILSLOT_BROADCAST_LIMIT = 424;
/** A winipc server's default message limit (the size of the read buffer it keeps). */
export const DEFAULT_MAILSLOT_MESSAGE_SIZE = 64 * 1024;
const INFO_MAGIC = 0x534c4957; // "WILS"

/**
 * Parses a mailslot name or path into its full path and whether it leaves this machine.
 * @throws {AddressError} the name is empty, has empty parts, or is too long.
 */
export function mailslotPath(name: string): {
  /** The full path, `\\.\mailslot\NAME` or a remote or broadcast one. */
  path: string;
  /** Whether the path names another computer or a domain (a broadcast). */
  remote: boolean;
} {
  const full = /^\\\\([^\\]+)\\mailslot\\(.+)$/i.exec(name);
  const host = full ? full[1] : ".";
  const rest = full ? full[2] : name;
  if (rest.length === 0 || rest.startsWith("\\") || rest.endsWith("\\") || rest.includes("\\\\")) {
    throw new AddressError(`bad mailslot name '${name}': use NAME or dir\\NAME (no empty parts)`);
  }
  const path = `\\\\${host}\\mailslot\\${rest}`;
  if (path.length > 256) throw new AddressError(`bad mailslot name '${name}': longer than 256 characters`);
  return { path, remote: host !== "." };
}

/** Where a winipc server publishes its limit: a mapping named after the mailslot. */
function infoName(localPath: string): string {
  return `winipc-mailslot-${localPath.slice("\\\\.\\mailslot\\".length).toLowerCase().replaceAll("\\", "/")}`;
}

/** What GetMailslotInfo reports. */
export interface MailslotInfo {
  /** The largest message the mailslot accepts, in bytes. */
  maxMessageSize: number;
  /** Size of the next message, or null if none is waiting. */
  nextSize: number | null;
  /** How many messages are waiting. */
  messageCount: number;
  /** The read timeout the mailslot was created with, in ms. */
  readTimeout: number;
}

/** The receiving transport: overlapped reads of whole messages. */
class MailslotReader extends ChannelBase {
  readonly #handle: OwnedHandle;
  readonly #ov = new Overlapped();
  #buffer: NativeMemory;

  constructor(handle: OwnedHandle, opts: { address: string; maxMessageSize: number }) {
    super(opts.address, opts);
    this.#handle = handle;
    this.#buffer = new NativeMemory(opts.maxMessageSize);
  }

  get handle(): bigint {
    return this.#handle.value;
  }

  protected sendMessage(): Promise<void> {
    return Promise.reject(new TypeError("a mailslot server only receives"));
  }

  protected async receiveMessage(signal: AbortSignal): Promise<Uint8Array | null> {
    while (true) {
      const buf = this.#buffer;
      const r = await this.#read(buf, signal);
      if (r.error === 0) return buf.bytes.slice(0, r.bytes);
      checkIo("ReadFile(mailslot)", r, ERROR_INSUFFICIENT_BUFFER);
      // A message larger than our buffer (a foreign writer, or Wine not enforcing the limit).
      const next = mailslotInfo(this.handle).nextSize ?? 0;
      if (next > this.maxMessageSize) {
        // Drain it so the mailslot is not stuck, then report it.
        using big = new NativeMemory(next);
        await this.#read(big, signal);
        throw new MessageTooLargeError(next, this.maxMessageSize);
      }
      this.#buffer[Symbol.dispose]();
      this.#buffer = new NativeMemory(next);
    }
  }

  #read(into: NativeMemory, signal: AbortSignal): Promise<IoResult> {
    return this.#ov.readFile(this.handle, { address: into.address, length: into.size }, { signal });
  }

  protected closeTransport(): void {
    this.#handle.close();
    this.#ov[Symbol.dispose]();
    this.#buffer[Symbol.dispose]();
  }
}

function mailslotInfo(h: bigint): MailslotInfo {
  const v = new Uint32Array(4);
  check(
    "GetMailslotInfo",
    () => k.GetMailslotInfo(h, v.subarray(0, 1), v.subarray(1, 2), v.subarray(2, 3), v.subarray(3, 4)),
  );
  return {
    maxMessageSize: v[0],
    nextSize: v[1] === MAILSLOT_NO_MESSAGE ? null : v[1],
    messageCount: v[2],
    readTimeout: v[3],
  };
}

/** Options for {@link MailslotServer.create}. */
export interface MailslotServerOptions {
  /** Largest message accepted, in bytes (1 to 16 MiB). Default 64 KiB. */
  maxMessageSize?: number;
  /** Security descriptor in SDDL. Default owner-only. */
  sddl?: string;
}

/** The receiving end of a mailslot: a receive-only channel of whole messages, in order. */
export class MailslotServer extends ReceiveOnlyChannel {
  /** The full path, `\\.\mailslot\NAME`. */
  readonly path: string;
  readonly #reader: MailslotReader;
  readonly #info: SharedMemory | undefined;

  private constructor(reader: MailslotReader, path: string, info: SharedMemory | undefined) {
    super(reader);
    this.path = path;
    this.#reader = reader;
    this.#info = info;
  }

  /**
   * Creates `\\.\mailslot\NAME` and receives what is sent to it.
   *
   * @example
   * ```ts
   * import { MailslotClient, MailslotServer } from "@winipc/winipc/mailslot";
   *
   * await using inbox = MailslotServer.create("events", { maxMessageSize: 4096 });
   * await using outbox = MailslotClient.open("events");
   * await outbox.send(new TextEncoder().encode("started"));
   * console.log(new TextDecoder().decode(await inbox.receive({ timeout: 5_000 })));
   * ```
   * @throws {AddressInUseError} the mailslot already exists.
   * @throws {AddressError} the name is bad, or names another machine (a server is always local).
   * @throws {RangeError} `maxMessageSize` is not 1 byte to 16 MiB.
   */
  static create(name: string, opts: MailslotServerOptions = {}): MailslotServer {
    const { path, remote } = mailslotPath(name);
    if (remote) throw new AddressError(`${path}: a mailslot server is always local (\\\\.\\mailslot\\NAME)`);
    const max = opts.maxMessageSize ?? DEFAULT_MAILSLOT_MESSAGE_SIZE;
    if (!Number.isInteger(max) || max < 1 || max > 16 * 1024 * 1024) {
      throw new RangeError(`maxMessageSize must be 1 byte to 16 MiB, got ${max}`);
    }
    const handle = createMailslot(path, max, opts.sddl);
    const reader = new MailslotReader(handle, { address: `mailslot:${name}`, maxMessageSize: max });
    return new MailslotServer(reader, path, publishLimit(path, max, opts.sddl));
  }

  /** Pending messages, next size, limit and timeout (GetMailslotInfo). */
  info(): MailslotInfo {
    return mailslotInfo(this.#reader.handle);
  }

  /** Closes the mailslot; a pending receive rejects with ChannelClosedError. Idempotent. */
  override async close(): Promise<void> {
    await super.close();
    this.#info?.close();
  }

  /** `await using`: {@link close}. */
  override [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

/**
 * Creates the mailslot with an asynchronous handle, so that a read waits off the JS thread and
 * is cancelled on timeout or abort. Windows' CreateMailslotW makes such a handle; Wine 10's asks
 * NtCreateMailslotFile for a synchronous one (FILE_SYNCHRONOUS_IO_NONALERT), on which an
 * overlapped ReadFile waits inside the call for a message and freezes the event loop. So winipc
 * makes the native call itself, with the options Windows uses (documented for
 * FltCreateMailslotFile: no FILE_SYNCHRONOUS_IO_* flag, read timeout -1 = forever).
 */
function createMailslot(path: string, max: number, sddl: string | undefined): OwnedHandle {
  using sa = new SecurityAttributes(sddl ?? ownerOnlySddl());
  const descriptor = SECURITY_ATTRIBUTES.read(sa.bytes).lpSecurityDescriptor;
  using args = createArgs(`\\??\\${path.slice("\\\\.\\".length)}`, descriptor);
  const at = (field: keyof typeof CREATE_ARGS.offsets) => args.address + BigInt(CREATE_ARGS.offsets[field]);
  const status = ntdll().sync.NtCreateMailslotFile(
    at("handle"),
    (GENERIC_READ | SYNCHRONIZE) >>> 0,
    at("attributes"),
    at("iosb"),
    0, // CreateOptions: asynchronous I/O
    0, // MailslotQuota: the default
    max,
    at("timeout"),
  );
  if (status >= 0x80000000) throw createError(path, status);
  const handle = new OwnedHandle(CREATE_ARGS.read(args.bytes).handle);
  try {
    // GetMailslotInfo then reports it in kernel32's own encoding (Wine reads -1 back as 0 ms).
    check("SetMailslotInfo", () => k.SetMailslotInfo(handle.value, MAILSLOT_WAIT_FOREVER));
  } catch (e) {
    handle.close();
    throw e;
  }
  return handle;
}

/** NtCreateMailslotFile's arguments in one native block, followed by the name's UTF-16 text. */
const CREATE_ARGS = struct({
  attributes: OBJECT_ATTRIBUTES,
  name: UNICODE_STRING,
  iosb: IO_STATUS_BLOCK,
  timeout: "i64",
  handle: "ptr",
});

/** OBJECT_ATTRIBUTES naming `ntName` with `descriptor`, and a read timeout of -1 (forever). */
function createArgs(ntName: string, descriptor: bigint): NativeMemory {
  const mem = new NativeMemory(CREATE_ARGS.size + ntName.length * 2);
  const text = new Uint16Array(mem.bytes.buffer, mem.bytes.byteOffset + CREATE_ARGS.size, ntName.length);
  for (let i = 0; i < ntName.length; i++) text[i] = ntName.charCodeAt(i);
  const base = mem.address;
  CREATE_ARGS.write(mem.bytes, {
    attributes: {
      Length: OBJECT_ATTRIBUTES.size,
      ObjectName: base + BigInt(CREATE_ARGS.offsets.name),
      Attributes: OBJ_CASE_INSENSITIVE,
      SecurityDescriptor: descriptor,
    },
    name: {
      Length: text.byteLength,
      MaximumLength: text.byteLength,
      Buffer: base + BigInt(CREATE_ARGS.size),
    },
    timeout: -1n,
  });
  return mem;
}

/** The typed error for a failed NtCreateMailslotFile. */
function createError(path: string, status: number): Error {
  const code = ntdll().sync.RtlNtStatusToDosError(status);
  if (status === STATUS_OBJECT_NAME_COLLISION || code === ERROR_ACCESS_DENIED) {
    return new AddressInUseError(`${path} already exists`, {
      cause: new Win32Error("NtCreateMailslotFile", code),
    });
  }
  return new Win32Error(`NtCreateMailslotFile(${path})`, code);
}

/** Publishes the server's limit for winipc clients; a courtesy: the server works without it. */
function publishLimit(path: string, max: number, sddl: string | undefined): SharedMemory | undefined {
  let info: SharedMemory | undefined;
  try {
    info = SharedMemory.create(infoName(path), { size: 8, sddl });
    const w = info.whole.int32(0, 8);
    Atomics.store(w, 1, max);
    Atomics.store(w, 0, INFO_MAGIC);
    return info;
  } catch {
    info?.close();
    return undefined;
  }
}

/** The sending transport: synchronous writes (they never wait for the reader). */
class MailslotWriter extends ChannelBase {
  readonly #handle: OwnedHandle;
  readonly #serverLimit: number | undefined;

  constructor(handle: OwnedHandle, opts: { address: string; maxMessageSize: number; serverLimit?: number }) {
    super(opts.address, opts);
    this.#handle = handle;
    this.#serverLimit = opts.serverLimit;
  }

  protected sendMessage(message: Uint8Array): Promise<void> {
    try {
      this.#write(message);
    } catch (e) {
      return Promise.reject(e);
    }
    return Promise.resolve();
  }

  #write(message: Uint8Array): void {
    if (this.#serverLimit !== undefined && message.byteLength > this.#serverLimit) {
      throw new MessageTooLargeError(message.byteLength, this.#serverLimit);
    }
    // Mailslot writes never wait for the reader: a synchronous WriteFile returns at once.
    const written = new Uint32Array(1);
    const data = message.byteLength ? backend.addressOf(message) : 0n;
    const r = attempt(
      () => k.WriteFile(this.#handle.value, data, message.byteLength, written, 0n),
      (ok) => !ok,
    );
    if (r.value) return;
    if (r.error === ERROR_INVALID_PARAMETER) {
      throw new MessageTooLargeError(message.byteLength, this.#serverLimit ?? 0);
    }
    throw new Win32Error("WriteFile(mailslot)", r.error);
  }

  protected receiveMessage(): Promise<Uint8Array | null> {
    return Promise.reject(new TypeError("a mailslot client only sends"));
  }

  protected closeTransport(): void {
    this.#handle.close();
  }
}

/** Options for {@link MailslotClient.open}. */
export interface MailslotClientOptions {
  /** A limit of the sender's own (a server's published limit also applies). */
  maxMessageSize?: number;
}

/** The sending end of a mailslot: a send-only channel. */
export class MailslotClient extends SendOnlyChannel {
  /** The limit in force for this client's messages. */
  readonly limit: number;
  /** Whether the path leaves this machine (a domain broadcast or another computer). */
  readonly remote: boolean;

  private constructor(writer: MailslotWriter, limit: number, remote: boolean) {
    super(writer);
    this.limit = limit;
    this.remote = remote;
  }

  /**
   * Opens `\\.\mailslot\NAME` (or a remote or broadcast path such as `\\*\mailslot\NAME`) for
   * sending.
   *
   * @example
   * ```ts
   * import { MailslotClient } from "@winipc/winipc/mailslot";
   *
   * await using outbox = MailslotClient.open("events");
   * await outbox.send(new TextEncoder().encode("hello"));
   * ```
   * @throws {NotFoundError} no mailslot server has the name.
   * @throws {AddressError} the name is bad.
   */
  static open(name: string, opts: MailslotClientOptions = {}): MailslotClient {
    const { path, remote } = mailslotPath(name);
    const handle = openMailslot(path);
    const serverLimit = remote ? MAILSLOT_BROADCAST_LIMIT : publishedLimit(path);
    const own = opts.maxMessageSize ?? 0xffffffff;
    const limit = Math.min(own, serverLimit ?? 0xffffffff);
    const address = `mailslot:${name}`;
    const writer = new MailslotWriter(handle, {
      address,
      maxMessageSize: Math.min(own, 0xffffffff),
      serverLimit,
    });
    return new MailslotClient(writer, limit, remote);
  }
}

function openMailslot(path: string): OwnedHandle {
  const r = attempt(() =>
    k.CreateFileW(
      wstr(path),
      GENERIC_WRITE >>> 0,
      FILE_SHARE_READ | FILE_SHARE_WRITE, // a mailslot has many writers
      0n,
      OPEN_EXISTING,
      FILE_ATTRIBUTE_NORMAL,
      0n,
    ), isInvalidHandle);
  if (!isInvalidHandle(r.value)) return new OwnedHandle(r.value);
  if (r.error === ERROR_FILE_NOT_FOUND) throw new NotFoundError(`no mailslot server at ${path}`);
  throw new Win32Error(`CreateFileW(${path})`, r.error);
}

/** The limit a winipc server published, if this is one. */
function publishedLimit(path: string): number | undefined {
  try {
    using info = SharedMemory.open(infoName(path), { size: 8, readOnly: true });
    const v = new DataView(info.read(0, 8).buffer);
    if (v.getUint32(0, true) === INFO_MAGIC) return v.getUint32(4, true);
  } catch { /* not a winipc server: the kernel enforces its limit */ }
  return undefined;
}
