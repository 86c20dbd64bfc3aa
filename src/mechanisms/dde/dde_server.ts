/**
 * The server side of DDE: {@link DdeServer}. Its window answers WM_DDE_INITIATE on its own
 * thread (the answer must be sent while the client waits); each client that connects is a
 * {@link ServerConversation} here, which answers REQUEST, POKE, EXECUTE, ADVISE and UNADVISE
 * and sends link updates, queued per link while the client has not acknowledged the last one.
 * @module
 */
import { WindowHost } from "../../kernel/window_host.ts";
import { ChannelClosedError } from "../../core/errors.ts";
import { user32 } from "../../ffi/user32.ts";
import {
  WM_DDE_ACK,
  WM_DDE_ADVISE,
  WM_DDE_DATA,
  WM_DDE_EXECUTE,
  WM_DDE_POKE,
  WM_DDE_REQUEST,
  WM_DDE_TERMINATE,
  WM_DDE_UNADVISE,
} from "../../ffi/headers/dde.ts";
import { DDE_SERVER_CLASS } from "../../kernel/window_worker.ts";
import {
  decodeAckStatus,
  decodeDdeAdvise,
  decodeDdePoke,
  encodeAckStatus,
  encodeDdeData,
  hiWord,
  loWord,
} from "./dde_format.ts";
import {
  addAtom,
  allocBlock,
  atomName,
  deleteAtom,
  freeBlock,
  freeLParam,
  freeUnhandled,
  gaveAtom,
  gaveBlock,
  packLParam,
  readBlock,
  tookAtom,
  tookBlock,
  unpackLParam,
} from "./dde_memory.ts";
import { Conversation } from "./dde_conversation.ts";
import { type DdeValue, decodeBytesValue, defaultFormat, encodeValue, isTextFormat } from "./dde_value.ts";
import { fromWstr } from "../../ffi/wstr.ts";

/** Options for {@link DdeServer.create}. */
export interface DdeServerOptions {
  /** The topics served; default: any topic a client names. */
  topics?: string[];
  /**
   * A hidden top-level window, so programs that broadcast INITIATE (DDEML, Excel) find the
   * server; winipc clients find message-only servers too. Default true.
   */
  topLevel?: boolean;
  /** Largest value or command accepted from a client, in bytes. Default 64 MiB. */
  maxValueSize?: number;
}

/** What a handler learns about a transaction. */
export interface DdeTransaction {
  /** The conversation's topic. */
  topic: string;
  /** The item named (empty for EXECUTE). */
  item: string;
  /** The clipboard format asked for or sent. */
  format: number;
  /** The client's conversation (one per client window). */
  conversation: ServerConversation;
}

interface Link {
  item: string;
  format: number;
  warm: boolean;
  ackReq: boolean;
  /** An update sent with fAckReq whose ACK has not come yet. */
  waiting: boolean;
  queue: Uint8Array[];
}

const DEFAULT_MAX_VALUE = 64 * 1024 * 1024;
const linkKey = (item: string, format: number) => `${item.toLowerCase()}\0${format}`;

/** One client's conversation with a {@link DdeServer}. */
export class ServerConversation extends Conversation {
  readonly #server: DdeServer;
  readonly #links = new Map<string, Link>();
  /** Called when no link has an update queued or unacknowledged (see {@link drained}). */
  #onDrained: (() => void)[] = [];
  /** When the last ACK of an update came (performance.now()), for {@link drained}. */
  #lastAck = 0;

  /** @internal */
  constructor(server: DdeServer, host: WindowHost, client: bigint, topic: string) {
    super(host, client, topic);
    this.#server = server;
    this.watchPeer();
  }

  /** @internal A message from this conversation's client. */
  async handle(msg: number, lParam: bigint): Promise<void> {
    if (this.closed) return;
    try {
      if (msg === WM_DDE_REQUEST) await this.#onRequest(lParam);
      else if (msg === WM_DDE_POKE) await this.#onPoke(lParam);
      else if (msg === WM_DDE_EXECUTE) await this.#onExecute(lParam);
      else if (msg === WM_DDE_ADVISE) this.#onAdvise(lParam);
      else if (msg === WM_DDE_UNADVISE) this.#onUnadvise(lParam);
      else if (msg === WM_DDE_ACK) this.#onAck(lParam);
      else if (msg === WM_DDE_TERMINATE) this.peerTerminated();
    } catch (e) {
      this.end(
        new ChannelClosedError(`DDE ${this.topic}: ${e instanceof Error ? e.message : e}`, { cause: e }),
      );
    }
  }

  /** Sends a value (or, value null, a warm link's notice) of `item` in a DATA message. */
  #sendData(
    item: string,
    format: number,
    value: Uint8Array | null,
    flags: { response: boolean; ackReq: boolean },
  ): boolean {
    const block = value === null ? 0n : allocBlock(
      encodeDdeData({ format, value, response: flags.response, release: true, ackReq: flags.ackReq }),
    );
    const atom = addAtom(item);
    const lp = packLParam(WM_DDE_DATA, block, BigInt(atom));
    if (this.post(WM_DDE_DATA, lp)) {
      gaveAtom(atom);
      gaveBlock(block);
      return true;
    }
    freeLParam(WM_DDE_DATA, lp);
    deleteAtom(atom);
    freeBlock(block);
    return false;
  }

  async #onRequest(lParam: bigint): Promise<void> {
    const format = loWord(lParam);
    const atom = hiWord(lParam);
    tookAtom(atom);
    const item = atomName(atom) ?? "";
    let value: Uint8Array | undefined;
    try {
      const v = await this.#server.onRequest({ topic: this.topic, item, format, conversation: this });
      value = v === undefined ? undefined : encodeValue(v, format);
    } catch {
      value = undefined; // a handler that throws refuses
    }
    if (value === undefined) return this.postAck(false, atom);
    deleteAtom(atom); // the answer carries an atom of its own
    this.#sendData(item, format, value, { response: true, ackReq: false });
  }

  async #onPoke(lParam: bigint): Promise<void> {
    const [hData, hi] = unpackLParam(WM_DDE_POKE, lParam);
    const atom = Number(hi);
    tookAtom(atom);
    const item = atomName(atom) ?? "";
    let ok = false;
    let release = false;
    try {
      const poke = decodeDdePoke(readBlock(hData, this.#server.maxValueSize + 4));
      release = poke.release;
      const r = await this.#server.onPoke(
        { topic: this.topic, item, format: poke.format, conversation: this },
        decodeBytesValue(poke.value, poke.format),
      );
      ok = r !== false;
    } catch {
      ok = false;
    }
    if (ok && release) {
      tookBlock(hData); // ours to free once accepted
      freeBlock(hData);
    }
    this.postAck(ok, atom);
  }

  async #onExecute(lParam: bigint): Promise<void> {
    const [, hCommands] = unpackLParam(WM_DDE_EXECUTE, lParam);
    let ok = false;
    try {
      const bytes = readBlock(hCommands, this.#server.maxValueSize);
      const unicode = user32().sync.IsWindowUnicode(this.peer) !== 0;
      const command = unicode
        ? fromWstr(new Uint16Array(bytes.slice(0, bytes.length & ~1).buffer))
        : new TextDecoder("windows-1252").decode(
          bytes.subarray(0, bytes.indexOf(0) < 0 ? bytes.length : bytes.indexOf(0)),
        );
      ok = (await this.#server.onExecute(
        { topic: this.topic, item: "", format: 0, conversation: this },
        command,
      )) !== false;
    } catch {
      ok = false;
    }
    // The ACK hands the command block back (the client frees it).
    const lp = packLParam(WM_DDE_ACK, BigInt(encodeAckStatus({ ack: ok })), hCommands);
    if (!this.post(WM_DDE_ACK, lp)) freeLParam(WM_DDE_ACK, lp);
  }

  #onAdvise(lParam: bigint): void {
    const [hOptions, hi] = unpackLParam(WM_DDE_ADVISE, lParam);
    const atom = Number(hi);
    tookAtom(atom);
    const item = atomName(atom) ?? "";
    let ok = false;
    try {
      const opts = decodeDdeAdvise(readBlock(hOptions, 64));
      ok =
        this.#server.onAdvise({ topic: this.topic, item, format: opts.format, conversation: this }) !== false;
      if (ok) {
        this.#links.set(linkKey(item, opts.format), {
          item,
          format: opts.format,
          warm: opts.deferUpd,
          ackReq: opts.ackReq,
          waiting: false,
          queue: [],
        });
      }
    } catch {
      ok = false;
    }
    if (ok) {
      tookBlock(hOptions); // the server frees the options of a link it accepts
      freeBlock(hOptions);
    }
    this.postAck(ok, atom);
  }

  #onUnadvise(lParam: bigint): void {
    const format = loWord(lParam);
    const atom = hiWord(lParam);
    tookAtom(atom);
    const item = atomName(atom);
    let found = false;
    for (const [k, link] of this.#links) {
      if (item !== null && link.item.toLowerCase() !== item.toLowerCase()) continue;
      if (format !== 0 && link.format !== format) continue;
      this.#links.delete(k);
      found = true;
    }
    this.postAck(found || item === null, atom);
  }

  #onAck(lParam: bigint): void {
    // The ACK of an update sent with fAckReq: the link may send its next one.
    const [status, hi] = unpackLParam(WM_DDE_ACK, lParam);
    const atom = Number(hi);
    tookAtom(atom);
    const item = atomName(atom) ?? "";
    deleteAtom(atom);
    void decodeAckStatus(status); // a negative ACK of an update is the client's business
    for (const link of this.#links.values()) {
      if (link.item.toLowerCase() !== item.toLowerCase() || !link.waiting) continue;
      link.waiting = false;
      this.#lastAck = performance.now();
      this.#flush(link);
      return;
    }
  }

  /**
   * Sends ITEM's new value to this conversation's links on it (queued per link behind an
   * update the client has not acknowledged). Text goes to links in a text format; bytes to
   * links in `format` (default winipc's bytes format).
   */
  publish(item: string, value: DdeValue, format: number | undefined): void {
    if (this.closed) return;
    for (const link of this.#links.values()) {
      if (link.item.toLowerCase() !== item.toLowerCase()) continue;
      let bytes: Uint8Array;
      if (typeof value === "string") {
        if (!isTextFormat(link.format) || (format !== undefined && format !== link.format)) continue;
        bytes = encodeValue(value, link.format);
      } else {
        if (link.format !== (format ?? defaultFormat(value))) continue;
        bytes = encodeValue(value, link.format);
      }
      link.queue.push(bytes);
      this.#flush(link);
    }
  }

  #flush(link: Link): void {
    // A warm notice carries no data, and DDEML clients never ACK one: only hot updates wait.
    const ackReq = link.ackReq && !link.warm;
    while (!link.waiting && link.queue.length > 0) {
      const value = link.queue.shift()!;
      const sent = this.#sendData(link.item, link.format, link.warm ? null : value, {
        response: false,
        ackReq,
      });
      if (!sent) return;
      if (ackReq) link.waiting = true;
    }
    // Only a close waiting in drained() pays for the look across every link (the hot path does not).
    if (this.#onDrained.length > 0 && this.#isDrained()) {
      for (const done of this.#onDrained.splice(0)) done();
    }
  }

  #isDrained(): boolean {
    return [...this.#links.values()].every((l) => !l.waiting && l.queue.length === 0);
  }

  /**
   * Resolves once every update published so far has been sent and, where the link asked for it,
   * acknowledged; or the conversation ended; or no ACK came for `idle` ms (a client that stopped
   * answering: one that keeps answering is waited for, however long its queue). A channel's close
   * waits for this, so what its sends handed over is not lost.
   */
  drained(idle: number): Promise<void> {
    if (this.closed || this.#isDrained()) return Promise.resolve();
    return new Promise<void>((resolve) => {
      let timer: ReturnType<typeof setTimeout>;
      const check = () => {
        const quiet = performance.now() - this.#lastAck;
        if (quiet >= idle) resolve();
        else timer = setTimeout(check, idle - quiet);
      };
      this.#lastAck = performance.now();
      timer = setTimeout(check, idle);
      this.#onDrained.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  /** The links (hot and warm) open in this conversation. */
  get links(): number {
    return this.#links.size;
  }

  /** Drops the links and tells the server. */
  protected ended(): void {
    this.#links.clear();
    for (const done of this.#onDrained.splice(0)) done();
    this.#server.forget(this);
  }
}

/**
 * A DDE server: SERVICE with its topics; clients request, poke, execute and hold hot or warm
 * links on items. Values of items can be published to every link with {@link DdeServer.publish};
 * a REQUEST with no handler of its own gets the last value published.
 *
 * @example
 * ```ts
 * import { DdeClient, DdeServer } from "@winipc/winipc/dde";
 *
 * await using server = await DdeServer.create("Quotes", { topics: ["Prices"] });
 * server.publish("Prices", "ACME", "12.50");
 * await using client = await DdeClient.connect("Quotes", "Prices");
 * console.log(await client.requestText("ACME")); // 12.50
 * ```
 */
export class DdeServer implements AsyncDisposable {
  readonly #host: WindowHost;
  readonly #conversations = new Map<bigint, ServerConversation>();
  readonly #values = new Map<string, { value: DdeValue; format: number | undefined }>();
  #closed = false;
  /** Largest value or command accepted, in bytes. */
  readonly maxValueSize: number;
  /**
   * Answers a REQUEST (and a warm link's fetch): a value, or undefined to refuse. Default: the
   * last value published for the topic and item, if its format fits.
   */
  onRequest: (t: DdeTransaction) => DdeValue | undefined | Promise<DdeValue | undefined>;
  /** A POKE: return false (or throw) to refuse it. Default: refuse. */
  onPoke: (t: DdeTransaction, value: Uint8Array) => boolean | void | Promise<boolean | void> = () => false;
  /** An EXECUTE: return false (or throw) to refuse it. Default: refuse. */
  onExecute: (t: DdeTransaction, command: string) => boolean | void | Promise<boolean | void> = () => false;
  /** An ADVISE (a client wants a link): return false to refuse. Default: accept. */
  onAdvise: (t: DdeTransaction) => boolean | void = () => true;

  /** The service name. */
  readonly service: string;

  private constructor(host: WindowHost, service: string, maxValueSize: number) {
    this.#host = host;
    this.service = service;
    this.maxValueSize = maxValueSize;
    this.onRequest = (t) => {
      const v = this.#values.get(`${t.topic.toLowerCase()}\0${t.item.toLowerCase()}`);
      if (!v) return undefined;
      if (typeof v.value === "string") return isTextFormat(t.format) ? v.value : undefined;
      return t.format === (v.format ?? defaultFormat(v.value)) ? v.value : undefined;
    };
    host.onDdeConversation = (client, topic) => {
      if (this.#closed) return;
      this.#conversations.set(client, new ServerConversation(this, host, client, topic));
    };
    host.onDde = (msg, from, lParam) => {
      const c = this.#conversations.get(from);
      if (c) void c.handle(msg, lParam);
      else if (msg !== WM_DDE_TERMINATE) freeUnhandled(msg, lParam);
    };
  }

  /**
   * Starts serving SERVICE (case-insensitive, as atoms are).
   * @throws {WinipcError} the window could not be made.
   */
  static async create(service: string, opts: DdeServerOptions = {}): Promise<DdeServer> {
    checkName(service, "service");
    for (const t of opts.topics ?? []) checkName(t, "topic");
    const host = await WindowHost.create({
      className: DDE_SERVER_CLASS,
      title: service,
      topLevel: opts.topLevel ?? true,
      ddeServer: { service, topics: opts.topics ?? null },
    });
    return new DdeServer(host, service, opts.maxValueSize ?? DEFAULT_MAX_VALUE);
  }

  /** The conversations open now. */
  get conversations(): number {
    return this.#conversations.size;
  }

  /** The links (hot and warm) open now, over every conversation. */
  get links(): number {
    let n = 0;
    for (const c of this.#conversations.values()) n += c.links;
    return n;
  }

  /**
   * ITEM of TOPIC has a new value: every hot link on it gets the value, every warm link a
   * notice; requests get it from now on (unless `onRequest` is replaced). Text goes to links in
   * CF_TEXT or CF_UNICODETEXT; bytes to links in `format` (default winipc's bytes format).
   */
  publish(topic: string, item: string, value: DdeValue, opts: { format?: number } = {}): void {
    if (this.#closed) throw new ChannelClosedError(`DDE server ${this.service} is closed`);
    this.#values.set(`${topic.toLowerCase()}\0${item.toLowerCase()}`, { value, format: opts.format });
    for (const c of this.#conversations.values()) {
      if (c.topic.toLowerCase() === topic.toLowerCase()) c.publish(item, value, opts.format);
    }
  }

  /** A conversation ended (the client's TERMINATE or death, or close()). */
  onConversationEnd: (c: ServerConversation) => void = () => {};

  /** @internal A conversation ended. */
  forget(c: ServerConversation): void {
    if (this.#conversations.get(c.peer) === c) this.#conversations.delete(c.peer);
    this.onConversationEnd(c);
  }

  /** Ends every conversation (TERMINATE) and closes the window. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await Promise.all([...this.#conversations.values()].map((c) => c.terminate()));
    await this.#host.close();
  }

  /** Same as `close()`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

/** Service and topic names are global atoms: 1 to 255 characters. */
function checkName(name: string, what: string): void {
  if (name.length === 0 || name.length > 255) {
    throw new RangeError(`a DDE ${what} name is 1 to 255 characters`);
  }
}
