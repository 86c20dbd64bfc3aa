/**
 * The transport-free half of the RPC server: interfaces registered with their implementations,
 * association groups with their context handles, and connections served from any byte stream.
 * {@link RpcServer} adds the pipe and TCP endpoints. Pure.
 * @module
 */
import { ChannelClosedError } from "../../core/errors.ts";
import { MIN_FRAGMENT } from "./client_connection.ts";
import { ContextHandles } from "./context_handles.ts";
import type { ArgsOf, OperationMap, ResultOf, RpcInterface, RpcOperation } from "./interface.ts";
import type { SyntaxId } from "./pdu.ts";
import {
  type Registration,
  type RpcCall,
  type RpcHandler,
  ServerConnection,
  type ServerSide,
} from "./server_connection.ts";
import type { RpcTransport } from "./transport.ts";

/** An interface's implementation: a function per operation (a missing one faults with nca_s_op_rng_error). */
export type RpcImplementation<Ops extends OperationMap> = {
  readonly [K in keyof Ops]?: (
    args: ArgsOf<Ops[K]>,
    call: RpcCall,
  ) => ResultOf<Ops[K]> | Promise<ResultOf<Ops[K]>>;
};

/** Options of {@link RpcServer} (and {@link RpcDispatcher}). */
export interface RpcServerOptions {
  /** The largest fragment received and sent, 1432 to 65535. Default 5840. */
  maxFragment?: number;
  /** The largest request (stub data, all fragments) accepted, in bytes. Default 4 MiB. */
  maxRequestSize?: number;
  /**
   * Called when a handler throws something other than an {@link RpcFaultError} (the client gets
   * nca_s_fault_unspec), or returns results that do not fit the operation; `call` is null for a
   * throwing context handle rundown. Default: none.
   */
  onError?: (error: unknown, call: RpcCall | null) => void;
}

interface Group {
  handles: ContextHandles;
  connections: number;
}

const DEFAULT_FRAGMENT = 5840;
const DEFAULT_MAX_REQUEST = 4 * 1024 * 1024;

/** Registered interfaces served over connections handed to {@link RpcDispatcher.serve}. */
export class RpcDispatcher {
  readonly #registrations: Registration[] = [];
  readonly #groups = new Map<number, Group>();
  #nextGroup = 0x1000;
  readonly #closing = new AbortController();
  readonly #connections = new Set<Promise<void>>();
  readonly #maxFragment: number;
  readonly #maxRequestSize: number;
  readonly #onError: (e: unknown, call: RpcCall | null) => void;

  /**
   * Nothing registered yet.
   * @throws {RangeError} an option is out of range.
   */
  constructor(opts: RpcServerOptions = {}) {
    this.#maxFragment = opts.maxFragment ?? DEFAULT_FRAGMENT;
    if (
      !Number.isInteger(this.#maxFragment) || this.#maxFragment < MIN_FRAGMENT || this.#maxFragment > 0xffff
    ) {
      throw new RangeError(
        `maxFragment must be an integer ${MIN_FRAGMENT} to 65535, got ${this.#maxFragment}`,
      );
    }
    this.#maxRequestSize = opts.maxRequestSize ?? DEFAULT_MAX_REQUEST;
    if (!Number.isInteger(this.#maxRequestSize) || this.#maxRequestSize < 0) {
      throw new RangeError(`maxRequestSize must be an integer >= 0, got ${this.#maxRequestSize}`);
    }
    this.#onError = opts.onError ?? (() => {});
  }

  /** Client connections open now. */
  get connections(): number {
    return this.#connections.size;
  }

  /** Context handles open now, over every association. */
  get contextHandles(): number {
    let n = 0;
    for (const g of this.#groups.values()) n += g.handles.size;
    return n;
  }

  /** Whether {@link RpcDispatcher.close} was called. */
  get closed(): boolean {
    return this.#closing.signal.aborted;
  }

  /** Aborts when the server closes. */
  protected get closing(): AbortSignal {
    return this.#closing.signal;
  }

  /**
   * Serves `iface` with `impl` on every connection, those open already too.
   * @throws {RangeError} an interface with the same UUID and major version is registered.
   * @throws {TypeError} an implementation member is not a function or names no operation.
   */
  register<Ops extends OperationMap>(iface: RpcInterface<Ops>, impl: RpcImplementation<Ops>): this {
    const s = iface.syntax;
    if (this.#registrations.some((r) => r.iface.syntax.uuid === s.uuid && r.iface.syntax.major === s.major)) {
      throw new RangeError(`RPC interface ${s.uuid} v${s.major} is registered already`);
    }
    const handlers = new Map<number, { op: RpcOperation; handler: RpcHandler }>();
    for (const [name, fn] of Object.entries(impl)) {
      const op = iface.byName.get(name);
      if (!op) throw new TypeError(`RPC interface ${iface.name} has no operation ${name}`);
      if (typeof fn !== "function") {
        throw new TypeError(`${iface.name}.${name}: the implementation is not a function`);
      }
      handlers.set(op.opnum, { op, handler: fn as RpcHandler });
    }
    this.#registrations.push({ iface, handlers });
    return this;
  }

  /**
   * Serves one connection (any byte stream carrying PDUs as they are) until it ends; resolves
   * then. `secondaryAddress` is what the bind_ack names (a pipe `\PIPE\NAME`, a port, or "").
   * @throws {ChannelClosedError} the server is closed (the transport is closed too).
   */
  serve(transport: RpcTransport, secondaryAddress = ""): Promise<void> {
    if (this.closed) {
      void transport.close().catch(() => {});
      return Promise.reject(new ChannelClosedError("the RPC server is closed"));
    }
    const run = new ServerConnection(transport, this.#side(secondaryAddress)).run().catch((e) =>
      this.#report(e, null)
    );
    this.#connections.add(run);
    void run.finally(() => this.#connections.delete(run));
    return run;
  }

  #side(secondaryAddress: string): ServerSide {
    return {
      maxFragment: this.#maxFragment,
      maxRequestSize: this.#maxRequestSize,
      secondaryAddress,
      closing: this.#closing.signal,
      find: (syntax: SyntaxId) =>
        this.#registrations.find((r) => {
          const s = r.iface.syntax;
          return s.uuid === syntax.uuid && s.major === syntax.major && syntax.minor <= s.minor;
        }),
      joinGroup: (id: number) => {
        let g = id === 0 ? undefined : this.#groups.get(id);
        if (!g) {
          id = this.#nextGroup++;
          g = { handles: new ContextHandles(), connections: 0 };
          this.#groups.set(id, g);
        }
        g.connections++;
        return { id, handles: g.handles };
      },
      leaveGroup: (id: number) => {
        const g = this.#groups.get(id);
        if (!g || --g.connections > 0) return;
        this.#groups.delete(id);
        g.handles.rundown((e) => this.#report(e, null));
      },
      onError: (e, call) => this.#report(e, call),
    };
  }

  #report(e: unknown, call: RpcCall | null): void {
    try {
      this.#onError(e, call);
    } catch {
      // a throwing error hook must not take a connection down
    }
  }

  /** Closes every connection (calls in progress see their signal abort). Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.#closing.abort(new ChannelClosedError("the RPC server is closed"));
    await Promise.allSettled([...this.#connections]);
  }

  /** Same as {@link RpcDispatcher.close}, for `await using`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
