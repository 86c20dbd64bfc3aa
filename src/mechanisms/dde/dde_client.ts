/**
 * The client end of a DDE conversation: {@link DdeClient}. Its window lives on a
 * {@link WindowHost} thread, which sends WM_DDE_INITIATE and forwards what the server posts;
 * the protocol runs here. Transactions (request, poke, execute, advise, unadvise) go one at a
 * time, as DDEML's synchronous transactions do; link updates arrive whenever the server sends them.
 * @module
 */
import { WindowHost } from "../../kernel/window_host.ts";
import { ChannelClosedError, NotFoundError, type WaitOptions, WinipcError } from "../../core/errors.ts";
import { Inbox } from "../../core/inbox.ts";
import { callScope, checkWaitOptions, OpQueue, raceAbort } from "../../core/op_queue.ts";
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
import { decodeAckStatus, decodeDdeData, encodeDdeAdvise, encodeDdePoke, makeLParam } from "./dde_format.ts";
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
import { type DdeValue, decodeBytesValue, decodeText, defaultFormat, encodeValue } from "./dde_value.ts";
import { wstr } from "../../ffi/wstr.ts";
import { user32 } from "../../ffi/user32.ts";

/** The server refused a transaction (a negative WM_DDE_ACK). */
export class DdeRefusedError extends WinipcError {
  /** fBusy: the server was busy. */
  readonly busy: boolean;
  /** The server's own return code (0..255). */
  readonly appCode: number;

  /** `what` was refused with the ACK's busy flag and return code. */
  constructor(what: string, busy: boolean, appCode: number) {
    super(
      `${what} was refused by the DDE server${busy ? " (busy)" : ""}${appCode ? ` (code ${appCode})` : ""}`,
    );
    this.busy = busy;
    this.appCode = appCode;
  }
}

/** Options for {@link DdeClient.connect}. */
export interface DdeConnectOptions extends WaitOptions {
  /** Largest value accepted from the server, in bytes (checked before it is read). Default 64 MiB. */
  maxValueSize?: number;
}

/** Options of one transaction. */
export interface DdeItemOptions extends WaitOptions {
  /** The clipboard format: default CF_TEXT for text, winipc's registered bytes format for bytes. */
  format?: number;
}

/** Options of a link. */
export interface DdeLinkOptions {
  /** The format of the link's values (default CF_TEXT). */
  format?: number;
  /**
   * Hot links: ask the server to wait for our ACK before its next update (fAckReq), so a slow
   * reader loses nothing and the server queues. Default true.
   */
  ackReq?: boolean;
  /** Timeout of the ADVISE and of each request a warm link makes. Default 10 s. */
  timeout?: number;
}

/** A hot or warm link: its values as an async iterator; ends on close(), TERMINATE or the peer's death. */
export interface DdeLink extends AsyncIterableIterator<Uint8Array>, AsyncDisposable {
  /** The item. */
  readonly item: string;
  /** Stops the link (WM_DDE_UNADVISE); the iteration ends after the values already received. */
  close(): Promise<void>;
}

const DEFAULT_TIMEOUT = 10_000;
const DEFAULT_MAX_VALUE = 64 * 1024 * 1024;

interface Pending {
  kind: "request" | "poke" | "execute" | "advise" | "unadvise";
  item: string;
  /** The block handed with the message (POKE, ADVISE, EXECUTE): freed by the server on a positive ACK. */
  block: bigint;
  resolve(value: Uint8Array | null): void;
  reject(e: Error): void;
}

interface LinkState {
  item: string;
  format: number;
  warm: boolean;
  /** Updates (a warm link's: empty notices) until the end or an error. */
  inbox: Inbox<Uint8Array>;
  ended: boolean;
}

const key = (item: string, format: number) => `${item.toLowerCase()}\0${format}`;

/**
 * A DDE client: one conversation with a server's topic.
 *
 * @example
 * ```ts
 * import { DdeClient } from "@winipc/winipc/dde";
 *
 * await using progman = await DdeClient.connect("Progman", "Progman", { timeout: 5_000 });
 * console.log(await progman.requestText("Groups"));
 * ```
 */
export class DdeClient extends Conversation implements AsyncDisposable {
  /** The service, as the server named it in its answer. */
  readonly service: string;
  readonly #maxValue: number;
  #pending: Pending | undefined;
  /** One transaction at a time, each with its timeout and signal. */
  readonly #transactions = new OpQueue("DDE conversation");
  readonly #links = new Map<string, LinkState>();
  /**
   * One reference of our own on every item atom this conversation used, held until it ends, so
   * an atom's number is never reused for another name while an ACK naming it may still come.
   * Without it, Wine's stray ACK after a REQUEST (WINE.md, DDE bug 2) can be taken for the next
   * transaction on that item, whose real ACK then arrives after the atom was deleted, its number
   * now naming the item of the transaction after that: that ACK would be taken for it, and the
   * item atom deleted before the server read it.
   */
  readonly #pinned = new Map<string, number>();

  /** A new reference on ITEM's atom, for a message (its receiver deletes it or hands it back). */
  #itemAtom(item: string): number {
    const k = item.toLowerCase();
    if (!this.#pinned.has(k)) this.#pinned.set(k, addAtom(item));
    return addAtom(item);
  }

  #unpin(): void {
    for (const atom of this.#pinned.values()) deleteAtom(atom);
    this.#pinned.clear();
  }

  private constructor(
    host: WindowHost,
    server: bigint,
    service: string,
    topic: string,
    maxValue: number,
  ) {
    super(host, server, topic);
    this.service = service;
    this.#maxValue = maxValue;
    host.onDde = (msg, from, lParam) => this.#onMessage(msg, from, lParam);
    this.watchPeer();
  }

  /**
   * Starts a conversation with SERVICE on TOPIC: INITIATE to every top-level window and every
   * winipc DDE server; the first to answer is the peer (others are ended at once).
   * @throws {NotFoundError} no server answered for that service and topic.
   * @throws {TimeoutError} the INITIATE took longer than `timeout` (each window has at most 2 s).
   * @throws {WinipcError} the window for the conversation could not be made.
   */
  static async connect(service: string, topic: string, opts: DdeConnectOptions = {}): Promise<DdeClient> {
    checkWaitOptions(opts);
    const host = await WindowHost.create({ className: "winipc-dde-client", title: "", sharedThread: true });
    try {
      const aApp = addAtom(service);
      const aTopic = addAtom(topic);
      // The atoms live until the window's thread is done with the INITIATE, whatever happens here.
      const initiated = host.ddeInitiate(makeLParam(aApp, aTopic)).finally(() => {
        deleteAtom(aApp);
        deleteAtom(aTopic);
      });
      let answers;
      const scope = callScope(new AbortController().signal, opts);
      try {
        answers = await raceAbort(initiated, scope.signal);
      } catch (e) {
        // Servers that answer after all began conversations on their side: end them.
        initiated.then((late) => late.forEach((o) => endExtraConversation(o.server, host.hwnd)), () => {});
        throw e;
      } finally {
        scope.done();
      }
      const [first, ...others] = answers;
      for (const o of others) {
        // Each answer began a conversation on its server's side: end the extra ones.
        endExtraConversation(o.server, host.hwnd);
      }
      if (!first) throw new NotFoundError(`no DDE server answered for ${service}|${topic}`);
      return new DdeClient(
        host,
        first.server,
        first.service ?? service,
        first.topic ?? topic,
        opts.maxValueSize ?? DEFAULT_MAX_VALUE,
      );
    } catch (e) {
      await host.close();
      throw e;
    }
  }

  /** One transaction at a time: `run` posts, then waits for its answer within the timeout. */
  #transact(
    kind: Pending["kind"],
    item: string,
    opts: WaitOptions,
    run: (p: Pending) => void,
  ): Promise<Uint8Array | null> {
    return this.#transactions.run({ ...opts, timeout: opts.timeout ?? DEFAULT_TIMEOUT }, (signal) => {
      if (this.closed) {
        return Promise.reject(this.endReason ?? new ChannelClosedError("DDE conversation ended"));
      }
      const answer = Promise.withResolvers<Uint8Array | null>();
      const p: Pending = { kind, item, block: 0n, resolve: answer.resolve, reject: answer.reject };
      this.#pending = p;
      try {
        run(p);
      } catch (e) {
        p.reject(e as Error);
      }
      return raceAbort(answer.promise, signal).finally(() => {
        if (this.#pending === p) this.#pending = undefined; // a late answer then finds nothing
      });
    });
  }

  /** Posts a message whose lParam carries `atom` (and maybe a block); undoes both if it fails. */
  #postWith(msg: number, lParam: bigint, atom: number, block: bigint, packed: boolean): void {
    if (!this.post(msg, lParam)) {
      if (packed) freeLParam(msg, lParam);
      deleteAtom(atom);
      freeBlock(block);
      throw this.endReason ?? new ChannelClosedError(`DDE ${this.topic}: the server's window is gone`);
    }
    gaveAtom(atom); // the server deletes it, or sends it back in its answer
  }

  /**
   * Asks for ITEM's value once (WM_DDE_REQUEST): its bytes.
   * @throws {DdeRefusedError} the server has no such item or format.
   * @throws {TimeoutError} no answer within `timeout` (default 10 s).
   * @throws {ChannelClosedError} the conversation ended.
   */
  async request(item: string, opts: DdeItemOptions = {}): Promise<Uint8Array> {
    const format = opts.format ?? defaultFormat("");
    const v = await this.#transact("request", item, opts, () => {
      const atom = this.#itemAtom(item);
      this.#postWith(WM_DDE_REQUEST, makeLParam(format, atom), atom, 0n, false);
    });
    return decodeBytesValue(v!, format);
  }

  /** {@link DdeClient.request} as text (`format` CF_TEXT, the default, or CF_UNICODETEXT). */
  async requestText(item: string, opts: DdeItemOptions = {}): Promise<string> {
    const format = opts.format ?? defaultFormat("");
    return decodeText(await this.request(item, { ...opts, format }), format);
  }

  /**
   * Sends ITEM a value (WM_DDE_POKE). Text goes as CF_TEXT unless `format` says CF_UNICODETEXT.
   * @throws {DdeRefusedError} the server refused it.
   */
  async poke(item: string, value: DdeValue, opts: DdeItemOptions = {}): Promise<void> {
    const format = opts.format ?? defaultFormat(value);
    const bytes = encodeValue(value, format);
    await this.#transact("poke", item, opts, (p) => {
      const block = allocBlock(encodeDdePoke({ format, value: bytes, release: true }));
      const atom = this.#itemAtom(item);
      p.block = block;
      this.#postWith(WM_DDE_POKE, packLParam(WM_DDE_POKE, block, BigInt(atom)), atom, block, true);
    });
  }

  /**
   * Runs a command on the server (WM_DDE_EXECUTE), such as Program Manager's `[CreateGroup(X)]`.
   * @throws {DdeRefusedError} the server refused it.
   */
  async execute(command: string, opts: WaitOptions = {}): Promise<void> {
    await this.#transact("execute", command, opts, (p) => {
      const units = wstr(command); // our window is Unicode: the text is UTF-16
      const block = allocBlock(new Uint8Array(units.buffer, units.byteOffset, units.byteLength));
      p.block = block;
      if (!this.post(WM_DDE_EXECUTE, packLParam(WM_DDE_EXECUTE, 0n, block))) {
        freeBlock(block);
        throw this.endReason ?? new ChannelClosedError(`DDE ${this.topic}: the server's window is gone`);
      }
    });
  }

  /**
   * A hot link: the server sends every new value of ITEM (WM_DDE_ADVISE). With `ackReq` (the
   * default) each update waits for our ACK before the next, so none is lost.
   * @throws {DdeRefusedError} the server refused the link.
   */
  hotLink(item: string, opts: DdeLinkOptions = {}): Promise<DdeLink> {
    return this.#link(item, false, opts);
  }

  /**
   * A warm link: the server says when ITEM changes (DATA without a value, fDeferUpd); the link
   * then requests the value and yields it.
   * @throws {DdeRefusedError} the server refused the link.
   */
  warmLink(item: string, opts: DdeLinkOptions = {}): Promise<DdeLink> {
    return this.#link(item, true, opts);
  }

  async #link(item: string, warm: boolean, opts: DdeLinkOptions): Promise<DdeLink> {
    const format = opts.format ?? defaultFormat("");
    const k = key(item, format);
    if (this.#links.has(k)) throw new WinipcError(`a link on ${item} in format ${format} is already open`);
    // Registered before the ADVISE goes: an update may follow the server's ACK at once.
    const state: LinkState = { item, format, warm, inbox: new Inbox(), ended: false };
    this.#links.set(k, state);
    try {
      await this.#transact("advise", item, { timeout: opts.timeout }, (p) => {
        const block = allocBlock(
          encodeDdeAdvise({ format, deferUpd: warm, ackReq: !warm && (opts.ackReq ?? true) }),
        );
        const atom = this.#itemAtom(item);
        p.block = block;
        this.#postWith(WM_DDE_ADVISE, packLParam(WM_DDE_ADVISE, block, BigInt(atom)), atom, block, true);
      });
    } catch (e) {
      this.#links.delete(k);
      throw e;
    }
    const close = async () => {
      if (state.ended) return;
      state.ended = true;
      this.#links.delete(k);
      if (!this.closed) {
        await this.#transact("unadvise", item, { timeout: opts.timeout }, () => {
          const atom = this.#itemAtom(item);
          this.#postWith(WM_DDE_UNADVISE, makeLParam(format, atom), atom, 0n, false);
        }).catch(() => {}); // the link is gone here either way
      }
      state.inbox.push(null);
    };
    const next = async (): Promise<IteratorResult<Uint8Array>> => {
      const v = await state.inbox.take();
      if (v === null) return { done: true, value: undefined };
      if (!warm) return { done: false, value: decodeBytesValue(v, format) };
      // A warm link's notice: fetch the value now.
      return { done: false, value: await this.request(item, { format, timeout: opts.timeout }) };
    };
    const link: DdeLink = {
      item,
      next,
      close,
      return: async () => (await close(), { done: true, value: undefined }),
      [Symbol.asyncIterator]() {
        return link;
      },
      [Symbol.asyncDispose]: close,
    };
    return link;
  }

  #onMessage(msg: number, from: bigint, lParam: bigint): void {
    if (from !== this.peer || this.closed) return freeUnhandled(msg, lParam);
    try {
      if (msg === WM_DDE_ACK) return this.#onAck(lParam);
      if (msg === WM_DDE_DATA) return this.#onData(lParam);
      if (msg === WM_DDE_TERMINATE) return this.peerTerminated();
      freeUnhandled(msg, lParam); // not a message a server sends
    } catch (e) {
      this.end(
        new ChannelClosedError(`DDE ${this.topic}: ${e instanceof Error ? e.message : e}`, { cause: e }),
      );
    }
  }

  /**
   * An ACK answers the pending transaction only if it names the same thing: the same command
   * block (EXECUTE) or the same item. Anything else is stray, such as the extra positive ACK
   * Wine's DDEML server posts after each answered REQUEST (WINE.md, DDE bug 2): taken for the
   * next transaction's answer, it would end that one early.
   */
  #onAck(lParam: bigint): void {
    const [status, hi] = unpackLParam(WM_DDE_ACK, lParam);
    const ack = decodeAckStatus(status);
    const p = this.#pending;
    if (hi > 0xffffn) {
      // A command block handed back: only the pending EXECUTE's own counts.
      if (p?.kind !== "execute" || hi !== p.block) return;
      freeBlock(p.block); // the client frees the command text once answered
      return ack.ack
        ? p.resolve(null)
        : p.reject(new DdeRefusedError(`execute ${p.item}`, ack.busy, ack.appCode));
    }
    const atom = Number(hi);
    const item = atomName(atom);
    const answers = p !== undefined && p.kind !== "execute" && item !== null &&
      item.toLowerCase() === p.item.toLowerCase() &&
      !(p.kind === "request" && ack.ack); // a REQUEST is answered with DATA, never a positive ACK
    // A stray ACK's atom is not ours to delete: Wine's extra ACK repeats the atom its DATA
    // already handed over, and deleting it twice would destroy the name under later messages.
    if (!answers) return;
    tookAtom(atom);
    deleteAtom(atom);
    if (p.block !== 0n) {
      if (ack.ack) gaveBlock(p.block); // the server freed it
      else freeBlock(p.block); // refused: still ours
    }
    if (ack.ack) p.resolve(null);
    else p.reject(new DdeRefusedError(`${p.kind} ${p.item}`, ack.busy, ack.appCode));
  }

  #onData(lParam: bigint): void {
    const [hData, hi] = unpackLParam(WM_DDE_DATA, lParam);
    const atom = Number(hi);
    tookAtom(atom);
    const item = atomName(atom) ?? "";
    let data = null;
    if (hData !== 0n) {
      try {
        data = decodeDdeData(readBlock(hData, this.#maxValue + 4));
      } catch (e) {
        this.postAck(false, atom);
        throw e;
      }
      if (data.release) {
        tookBlock(hData);
        freeBlock(hData);
      }
    }
    if (data?.ackReq) this.postAck(true, atom);
    else deleteAtom(atom);
    const p = this.#pending;
    if (data?.response && p?.kind === "request" && p.item.toLowerCase() === item.toLowerCase()) {
      return p.resolve(data.value.slice(0));
    }
    // An update of a link (warm: no data, only the notice).
    for (const state of this.#links.values()) {
      if (state.item.toLowerCase() !== item.toLowerCase()) continue;
      if (data && data.format !== state.format) continue;
      state.inbox.push(data ? data.value.slice(0) : new Uint8Array(0));
      return;
    }
  }

  /** Fails the pending transaction and every link with `reason`. */
  protected ended(reason: ChannelClosedError): void {
    this.#pending?.reject(reason);
    for (const state of this.#links.values()) {
      state.inbox.push(reason);
    }
    this.#links.clear();
    this.#unpin();
  }

  /** Ends the conversation (TERMINATE) and releases its window. Idempotent. */
  async close(): Promise<void> {
    for (const state of this.#links.values()) {
      state.ended = true;
      state.inbox.push(null);
    }
    this.#links.clear();
    await this.terminate();
    this.#unpin();
    await this.host.close();
  }

  /** Same as `close()`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

/** Ends a conversation an extra server began (it answered an INITIATE we did not pick). */
function endExtraConversation(server: bigint, own: bigint): void {
  user32().sync.PostMessageW(server, WM_DDE_TERMINATE, own, 0n);
}
