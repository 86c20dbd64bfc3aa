/**
 * The RPC client: an association with one server (a pool of bound connections in one
 * association group), typed calls through an interface's declaration, and raw calls.
 * @module
 */
import { ChannelClosedError, TimeoutError, type WaitOptions } from "../../core/errors.ts";
import { callScope, checkWaitOptions } from "../../core/op_queue.ts";
import { isGuid } from "../../core/guid.ts";
import type { RpcBinding } from "./binding.ts";
import type { RpcTransport } from "./transport.ts";
import { ClientConnection, type ConnectionLimits, MIN_FRAGMENT } from "./client_connection.ts";
import type { ArgsOf, OperationMap, ResultOf, RpcInterface } from "./interface.ts";

/** Options of {@link connectRpc} and {@link RpcClient.connectWith}. */
export interface RpcClientOptions extends WaitOptions {
  /** The interfaces the client calls; each connection binds them all. */
  interfaces: readonly RpcInterface[];
  /** Calls that may run at once, each on its own connection. Default 4. */
  maxConnections?: number;
  /**
   * The largest fragment proposed, both ways, 1432 to 65535. Default 5840 (what Windows and Wine
   * propose). Wine's servers refuse a bind below 4096 (WINE.md).
   */
  maxFragment?: number;
  /** The largest response (stub data) accepted, in bytes. Default 16 MiB. */
  maxResponseSize?: number;
}

/** Options of one call. */
export interface RpcCallOptions extends WaitOptions {
  /** The object UUID the request carries (the binding's by default). */
  object?: string | null;
}

/** Typed calls of an interface's operations: `proxy.Op(args, opts)` resolves to the results. */
export type RpcProxy<Ops extends OperationMap> = {
  readonly [K in keyof Ops]: (args: ArgsOf<Ops[K]>, opts?: RpcCallOptions) => Promise<ResultOf<Ops[K]>>;
};

const DEFAULT_FRAGMENT = 5840;
const DEFAULT_MAX_RESPONSE = 16 * 1024 * 1024;
const DEFAULT_CONNECT_TIMEOUT = 10_000;

/** A waiting call's turn at a connection. */
interface Turn {
  resolve(c: ClientConnection | null): void;
}

/**
 * A client of one RPC server. Calls run at once up to `maxConnections`, each on a connection of
 * its own (as rpcrt4 does: a connection carries one call at a time); more wait their turn. A call
 * whose timeout or signal fires, or that got a FAULT, retires its connection (the server's answer
 * may still come on it); the next call opens a new one in the same association group.
 *
 * @example Ask Windows' Service Control Manager for a service's state
 * ```ts
 * import { connectRpc, svcctl } from "@winipc/winipc/rpc";
 *
 * await using client = await connectRpc("ncacn_np:[\\pipe\\svcctl]", { interfaces: [svcctl] });
 * const scm = client.proxy(svcctl);
 * const manager = await scm.OpenSCManagerW({ machine: null, database: null, access: 0x0001 });
 * // ... OpenServiceW, QueryServiceStatusEx ...
 * await scm.CloseServiceHandle({ handle: manager.handle });
 * ```
 */
export class RpcClient implements AsyncDisposable {
  /** The server's binding (null when {@link RpcClient.connectWith} was given none). */
  readonly binding: RpcBinding | null;
  readonly #open: (opts: WaitOptions) => Promise<RpcTransport>;
  readonly #interfaces: readonly RpcInterface[];
  readonly #limits: ConnectionLimits;
  readonly #max: number;
  readonly #idle: ClientConnection[] = [];
  readonly #conns = new Set<ClientConnection>();
  #opening = 0;
  readonly #waiting: Turn[] = [];
  readonly #closing = new AbortController();
  #assocGroupId = 0;

  private constructor(
    binding: RpcBinding | null,
    open: (opts: WaitOptions) => Promise<RpcTransport>,
    opts: RpcClientOptions,
    limits: ConnectionLimits,
  ) {
    this.binding = binding;
    this.#open = open;
    this.#interfaces = [...opts.interfaces];
    this.#limits = limits;
    this.#max = opts.maxConnections ?? 4;
  }

  /**
   * A client over connections `open` makes, binding `interfaces` on each: the core of
   * {@link connectRpc} (which opens pipes and TCP connections), for any byte stream that carries
   * PDUs as they are.
   * @throws {RpcBindError} the server refused the bind or every interface.
   * @throws {TimeoutError} no bound connection within `timeout` (default 10 s).
   * @throws {RangeError} an option is out of range.
   * @throws what `open` throws.
   */
  static async connectWith(
    open: (opts: WaitOptions) => Promise<RpcTransport>,
    opts: RpcClientOptions,
    binding: RpcBinding | null = null,
  ): Promise<RpcClient> {
    checkWaitOptions(opts);
    if (!Array.isArray(opts.interfaces) || opts.interfaces.length === 0) {
      throw new RangeError("an RPC client needs at least one interface");
    }
    const maxFragment = opts.maxFragment ?? DEFAULT_FRAGMENT;
    checkInt("maxFragment", maxFragment, MIN_FRAGMENT, 0xffff);
    const maxResponseSize = opts.maxResponseSize ?? DEFAULT_MAX_RESPONSE;
    checkInt("maxResponseSize", maxResponseSize, 0, 0x7fffffff);
    checkInt("maxConnections", opts.maxConnections ?? 4, 1, 1024);
    const client = new RpcClient(binding, open, opts, { maxFragment, maxResponseSize });
    const first = await client.#connect({
      timeout: opts.timeout ?? DEFAULT_CONNECT_TIMEOUT,
      signal: opts.signal,
    });
    client.#conns.add(first);
    client.#idle.push(first);
    return client;
  }

  async #connect(opts: WaitOptions): Promise<ClientConnection> {
    const scope = callScope(this.#closing.signal, opts);
    try {
      const c = await ClientConnection.open(this.#open, this.#interfaces, this.#assocGroupId, this.#limits, {
        signal: scope.signal,
      });
      if (this.#assocGroupId === 0) this.#assocGroupId = c.assocGroupId;
      return c;
    } catch (e) {
      if (
        e instanceof TimeoutError || (scope.signal.aborted && scope.signal.reason instanceof TimeoutError)
      ) {
        throw new TimeoutError(`connecting to ${this.#where()} timed out after ${opts.timeout} ms`, {
          cause: e,
        });
      }
      throw e;
    } finally {
      scope.done();
    }
  }

  #where(): string {
    const b = this.binding;
    if (!b) return "the RPC server";
    return b.protocol === "ncacn_np" ? `ncacn_np \\pipe\\${b.pipe}` : `ncacn_ip_tcp ${b.host}[${b.port}]`;
  }

  /** Connections open now (idle or in a call). */
  get connections(): number {
    return this.#conns.size;
  }

  /** Whether {@link RpcClient.close} was called. */
  get closed(): boolean {
    return this.#closing.signal.aborted;
  }

  /**
   * Calls `operation` of `iface` with `args`; resolves to its `[out]` parameters and return
   * value by name.
   * @throws {RpcFaultError} the server answered with a FAULT (its `status`).
   * @throws {TimeoutError} `opts.timeout` passed first.
   * @throws {ChannelClosedError} the client was closed, or the server closed the connection.
   * @throws {ProtocolError} the server's answer is malformed or over `maxResponseSize`.
   * @throws {TypeError | RangeError} `args` do not fit the operation's types.
   */
  async call<Ops extends OperationMap, K extends keyof Ops & string>(
    iface: RpcInterface<Ops>,
    operation: K,
    args: ArgsOf<Ops[K]>,
    opts: RpcCallOptions = {},
  ): Promise<ResultOf<Ops[K]>> {
    const op = iface.byName.get(operation);
    if (!op) throw new RangeError(`RPC interface ${iface.name} has no operation ${operation}`);
    const stub = op.encodeArgs(args);
    const out = await this.callRaw(iface, op.opnum, stub, opts);
    return op.decodeResult(out) as ResultOf<Ops[K]>;
  }

  /**
   * A call with stub data given and returned as bytes (NDR the caller made and reads).
   * @throws see {@link RpcClient.call}.
   */
  async callRaw(
    iface: RpcInterface,
    opnum: number,
    stub: Uint8Array,
    opts: RpcCallOptions = {},
  ): Promise<Uint8Array> {
    const object = opts.object === undefined ? this.binding?.object ?? null : opts.object;
    if (object !== null && !isGuid(object)) throw new TypeError(`bad object UUID '${object}'`);
    const scope = callScope(this.#closing.signal, opts);
    let conn: ClientConnection | null = null;
    try {
      conn = await this.#acquire(scope.signal);
      return await conn.call(iface, opnum, stub, object, { signal: scope.signal });
    } catch (e) {
      if (this.closed) {
        throw new ChannelClosedError(`the RPC client of ${this.#where()} is closed`, { cause: e });
      }
      throw e;
    } finally {
      scope.done();
      if (conn) this.#release(conn);
    }
  }

  /** Typed calls of `iface`'s operations (see {@link RpcProxy}). */
  proxy<Ops extends OperationMap>(iface: RpcInterface<Ops>): RpcProxy<Ops> {
    const out: Record<string, unknown> = {};
    for (const name of iface.byName.keys()) {
      out[name] = (args: never, opts?: RpcCallOptions) => this.call(iface, name, args, opts);
    }
    return Object.freeze(out) as RpcProxy<Ops>;
  }

  /** An idle connection, a new one (below the limit), or the next one released. */
  async #acquire(signal: AbortSignal): Promise<ClientConnection> {
    while (true) {
      signal.throwIfAborted();
      const idle = this.#idle.pop();
      if (idle) return idle;
      if (this.#conns.size + this.#opening < this.#max) {
        this.#opening++;
        try {
          const c = await this.#connect({ signal });
          this.#conns.add(c);
          return c;
        } finally {
          this.#opening--;
        }
      }
      const got = await new Promise<ClientConnection | null>((resolve, reject) => {
        const turn: Turn = { resolve };
        const onAbort = () => {
          const i = this.#waiting.indexOf(turn);
          if (i >= 0) this.#waiting.splice(i, 1);
          reject(signal.reason);
        };
        turn.resolve = (c) => {
          signal.removeEventListener("abort", onAbort);
          resolve(c);
        };
        signal.addEventListener("abort", onAbort, { once: true });
        this.#waiting.push(turn);
      });
      if (got) return got;
      // null: a connection was retired, so there is room for a new one; loop.
    }
  }

  /** Gives a connection back, or retires it (then a waiting call may open a new one). */
  #release(conn: ClientConnection): void {
    if (conn.reusable && !this.closed) return this.#give(conn);
    this.#conns.delete(conn);
    if (this.#conns.size > 0 || this.#opening > 0 || this.closed) {
      void conn.close().catch(() => {});
      this.#waiting.shift()?.resolve(null);
      return;
    }
    // The association's last connection: bind its successor before closing it, so the
    // association, and the context handles the server keeps for it, outlive it (a server drops
    // an association group with its last connection and refuses binds to it afterwards).
    this.#opening++;
    void this.#connect({ timeout: DEFAULT_CONNECT_TIMEOUT }).then(
      (next) => {
        this.#conns.add(next);
        this.#give(next);
      },
      () => {
        this.#assocGroupId = 0; // the association is gone: the next connection starts a new one
        this.#waiting.shift()?.resolve(null);
      },
    ).finally(() => {
      this.#opening--;
      void conn.close().catch(() => {});
    });
  }

  /** A connection to the next waiting call, or to the idle list. */
  #give(conn: ClientConnection): void {
    if (this.closed) {
      this.#conns.delete(conn);
      void conn.close().catch(() => {});
      return;
    }
    const turn = this.#waiting.shift();
    if (turn) turn.resolve(conn);
    else this.#idle.push(conn);
  }

  /** Closes every connection; calls in progress reject with ChannelClosedError. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.#closing.abort(new ChannelClosedError(`the RPC client of ${this.#where()} is closed`));
    for (const t of this.#waiting.splice(0)) t.resolve(null);
    const all = [...this.#conns];
    this.#conns.clear();
    this.#idle.length = 0;
    await Promise.allSettled(all.map((c) => c.close()));
  }

  /** Same as {@link RpcClient.close}, for `await using`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

function checkInt(name: string, v: number, min: number, max: number): void {
  if (!Number.isInteger(v) || v < min || v > max) {
    throw new RangeError(`${name} must be an integer ${min} to ${max}, got ${v}`);
  }
}
