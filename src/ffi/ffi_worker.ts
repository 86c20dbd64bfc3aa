/**
 * Worker threads that call DLLs, started without any permission but the program's `--allow-ffi`
 * (inline_worker.ts). A {@link FfiWorkerSpec}'s body runs on the new thread with the runtime
 * backend, the DLLs of its symbol tables loaded there (kernel32 always), and plain data from its
 * owner. The tables and the data are posted to the worker as its first message, so each DLL's
 * symbol table is still declared once, in its own file. The body's text is the worker's code:
 * it must be self-contained, using only its scope (types aside), never a name of its module.
 * @module
 */
import { backend } from "./runtime.ts";
import { kernel32Symbols } from "./kernel32.ts";
import { type Attempt, attemptWith } from "./check.ts";
import type { RawBackend } from "./backend.ts";
import type { SymbolTable, SyncSymbols } from "./types.ts";
import {
  type InlineWorker,
  startInlineWorker,
  type WorkerGlobal,
  type WorkerHandlers,
} from "./inline_worker.ts";

/** Symbol tables by DLL base name (`user32` is user32.dll). */
export type Tables = Readonly<Record<string, SymbolTable>>;
type WithKernel32<T extends Tables> = T & { readonly kernel32: typeof kernel32Symbols };

/** What a worker body has. */
export interface FfiWorkerScope<T extends Tables, D, I> {
  /** The runtime's FFI on this thread (loading errors are the runtime's own). */
  readonly backend: RawBackend;
  /** The DLLs of the spec's tables and kernel32, loaded on this thread. */
  readonly libs: { readonly [K in keyof WithKernel32<T>]: SyncSymbols<WithKernel32<T>[K]> };
  /** The data the owner started the worker with. */
  readonly data: D;
  /** `attempt` of check.ts on this thread: makes a call, reads this thread's GetLastError. */
  attempt<R>(call: () => R, failed: (value: R) => boolean): Attempt<R>;
  /** Posts to the owner. */
  post(message: unknown, transfer?: Transferable[]): void;
  /** Installs the handler of the owner's messages; those that came earlier are handed to it first. */
  onMessage(handle: (message: I) => void): void;
}

/** A kind of worker: its name (for errors), the DLLs it calls, and its code. */
export interface FfiWorkerSpec<T extends Tables, D, I> {
  readonly name: string;
  readonly tables: T;
  /**
   * The worker's code: a function declaration or an arrow function (a method's text is not an
   * expression), self-contained.
   */
  readonly body: (scope: FfiWorkerScope<T, D, I>) => void;
}

/** A started worker: messages of type I go to it. */
export interface FfiWorker<I> {
  post(message: I, transfer?: Transferable[]): void;
  terminate(): void;
  /** The worker keeps the process alive (Bun; in Deno every worker does, until terminated). */
  ref(): void;
  /**
   * The worker no longer keeps the process alive. Returns false where the runtime cannot do that
   * (Deno): an idle worker kept there would keep the process from exiting, so terminate it.
   */
  unref(): boolean;
}

interface Setup {
  tables: Tables;
  data: unknown;
}

/** The worker's entry (its text runs there): the first message sets the worker up. */
function ffiWorkerMain<D, I>(
  scope: WorkerGlobal,
  early: MessageEvent[],
  backend: RawBackend,
  attemptWith: <R>(k: { GetLastError(): number }, call: () => R, failed: (v: R) => boolean) => Attempt<R>,
  body: (scope: FfiWorkerScope<Tables, D, I>) => void,
): void {
  const queue: I[] = [];
  let handler: ((message: I) => void) | undefined;
  let setUp = false;
  const receive = (data: unknown) => {
    if (setUp) return handler ? handler(data as I) : void queue.push(data as I);
    setUp = true;
    const { tables, data: ownerData } = data as Setup;
    const libs: Record<string, unknown> = {};
    for (const [name, table] of Object.entries(tables)) libs[name] = backend.open(`${name}.dll`, table).sync;
    const kernel = libs.kernel32 as { GetLastError(): number };
    body({
      backend,
      libs: libs as FfiWorkerScope<Tables, D, I>["libs"],
      data: ownerData as D,
      attempt: (call, failed) => attemptWith(kernel, call, failed),
      post: (message, transfer) => scope.postMessage(message, transfer ?? []),
      onMessage: (h) => {
        handler = h;
        queue.splice(0).forEach(h);
      },
    });
  };
  scope.onmessage = (e) => receive(e.data);
  early.splice(0).forEach((e) => receive(e.data));
}

/**
 * Starts a worker running `spec.body` with `data`; its messages and its failure go to `handlers`
 * (a failure is a WinipcError with the cause; the worker is then terminated).
 * @throws {WinipcError} when the runtime refuses to create the worker.
 */
export function startFfiWorker<T extends Tables, D, I, O>(
  spec: FfiWorkerSpec<T, D, I>,
  data: D,
  handlers: WorkerHandlers<O>,
): FfiWorker<I> {
  const worker: InlineWorker = startInlineWorker(
    spec.name,
    String(ffiWorkerMain),
    [backend.workerSource, String(attemptWith), String(spec.body)],
    handlers,
  );
  const setup: Setup = { tables: { kernel32: kernel32Symbols, ...spec.tables }, data };
  worker.postMessage(setup);
  return {
    post: (message, transfer) => worker.postMessage(message, transfer ?? []),
    terminate: () => worker.terminate(),
    ref: () => worker.ref?.(),
    unref: () => {
      worker.unref?.();
      return worker.unref !== undefined;
    },
  };
}
