/**
 * One DDE conversation: a pair of windows (ours, on a {@link WindowHost} thread, and the peer's)
 * exchanging posted WM_DDE_* messages. What both roles share: posting with the DDE ownership
 * rules, watching the peer's process (a dead peer ends the conversation within the wait
 * multiplexer's latency, no polling), and TERMINATE in both directions.
 * @module
 */
import { user32 } from "../../ffi/user32.ts";
import type { OwnedHandle } from "../../ffi/handle.ts";
import { ChannelClosedError } from "../../core/errors.ts";
import { waitAny } from "../../kernel/wait.ts";
import type { WindowHost } from "../../kernel/window_host.ts";
import { openWindowProcess } from "../window/copydata.ts";
import { WM_DDE_ACK, WM_DDE_TERMINATE } from "../../ffi/headers/dde.ts";
import { encodeAckStatus } from "./dde_format.ts";
import { deleteAtom, freeLParam, gaveAtom, packLParam } from "./dde_memory.ts";

/** How long a TERMINATE waits for the peer's own TERMINATE. */
const TERMINATE_WAIT = 1000;

/** The part of a conversation both roles share. */
export abstract class Conversation {
  /** Our window. */
  readonly own: bigint;
  #closed = false;
  #terminated: (() => void) | undefined;
  readonly #stopWatching = new AbortController();
  /** Why the conversation ended (once it has). */
  protected endReason: ChannelClosedError | undefined;

  /** The window thread our window lives on. */
  readonly host: WindowHost;
  /** The peer's window. */
  readonly peer: bigint;
  /** The conversation's topic. */
  readonly topic: string;

  /** A conversation between `host`'s window and the peer's window `peer`, on `topic`. */
  constructor(host: WindowHost, peer: bigint, topic: string) {
    this.host = host;
    this.peer = peer;
    this.topic = topic;
    this.own = host.hwnd;
  }

  /** Whether the conversation has ended (TERMINATE, close, or the peer's death). */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Posts `msg` to the peer. Returns false when the post failed (the peer's window is gone):
   * the caller still owns what `lParam` carries.
   */
  protected post(msg: number, lParam: bigint): boolean {
    if (this.#closed) return false;
    return user32().sync.PostMessageW(this.peer, msg, this.own, lParam) !== 0;
  }

  /**
   * Answers with a WM_DDE_ACK carrying `atom` (handed to the peer, or deleted if the post
   * fails), `ok` and the application's return code.
   */
  protected postAck(ok: boolean, atom: number, appCode = 0): void {
    const lp = packLParam(WM_DDE_ACK, BigInt(encodeAckStatus({ ack: ok, appCode })), BigInt(atom));
    if (this.post(WM_DDE_ACK, lp)) gaveAtom(atom);
    else {
      freeLParam(WM_DDE_ACK, lp);
      deleteAtom(atom);
    }
  }

  /** Watches the peer's process: its death ends the conversation (the handle is closed after). */
  protected watchPeer(): void {
    let process: OwnedHandle | undefined;
    try {
      process = openWindowProcess(this.peer);
    } catch (e) {
      this.end(e instanceof ChannelClosedError ? e : new ChannelClosedError(`DDE peer: ${e}`));
      return;
    }
    if (!process) return; // the peer is this process
    const handle = process;
    waitAny([handle.value], { signal: this.#stopWatching.signal }).then(
      () => this.end(new ChannelClosedError(`DDE ${this.topic}: the peer's process exited`)),
      () => {}, // stopped: the conversation ended first
    ).finally(() => handle.close());
  }

  /** A WM_DDE_TERMINATE from the peer: answer it (unless we started it) and end. */
  protected peerTerminated(): void {
    const waiting = this.#terminated;
    if (waiting) return waiting();
    this.post(WM_DDE_TERMINATE, 0n);
    this.end(new ChannelClosedError(`DDE ${this.topic}: the peer ended the conversation`));
  }

  /**
   * Ends the conversation here: every pending operation and link fails with `reason` (a
   * subclass's {@link Conversation.ended}); nothing more is posted.
   */
  protected end(reason: ChannelClosedError): void {
    if (this.#closed) return;
    this.#closed = true;
    this.endReason = reason;
    this.#stopWatching.abort();
    this.ended(reason);
  }

  /** Called once when the conversation ends. */
  protected abstract ended(reason: ChannelClosedError): void;

  /** Sends TERMINATE and waits (at most a second) for the peer's; then the conversation is over. */
  async terminate(): Promise<void> {
    if (this.#closed) return;
    const answered = new Promise<void>((resolve) => this.#terminated = resolve);
    if (this.post(WM_DDE_TERMINATE, 0n)) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([answered, new Promise((r) => timer = setTimeout(r, TERMINATE_WAIT))]);
      clearTimeout(timer);
    }
    this.end(new ChannelClosedError(`DDE ${this.topic}: the conversation was ended here`));
  }
}
