/**
 * Worker threads that need no permission to start. Deno loads a worker's module like any other
 * module: a local file needs `--allow-read` and a remote one network access, so a library's own
 * worker files fail in a program run with only `--allow-ffi`. A `blob:` URL needs nothing. So
 * every winipc worker runs a source made here in memory from the text of self-contained functions
 * (see ffi_worker.ts): it imports nothing, and it inherits the program's `--allow-ffi`. Bun has
 * no permissions; the same source serves it.
 *
 * A worker that fails (it cannot start, it throws, or it sends a message that cannot be read) is
 * terminated and reported to its owner once, as a {@link WinipcError} with the cause. Its error
 * event is handled (preventDefault): unhandled, Deno would end the whole process.
 * @module
 */
import { WinipcError } from "../core/errors.ts";

/**
 * A worker as the runtimes have it: a Web Worker (Deno, Bun); Bun and Node add ref/unref (whether
 * it keeps the process alive). Under Node it is a `node:worker_threads` Worker behind the same
 * face (see {@link NodeInlineWorker}).
 */
export type InlineWorker = Worker & { ref?(): void; unref?(): void };

// deno-lint-ignore no-explicit-any
const g = globalThis as any;
/** Node has no Web Worker; its worker_threads stand in (loaded only there). */
const nodeWorkers: typeof import("node:worker_threads") | undefined =
  g.Deno === undefined && g.Bun === undefined && typeof g.process?.versions?.node === "string"
    ? await import("node:worker_threads")
    : undefined;

/**
 * What a worker's source starts with under Node: a `self` as a Web Worker's (its `onmessage` gets
 * `{ data }`, its `postMessage` posts to the owner).
 */
const NODE_SELF = `const { parentPort: __port } = await import("node:worker_threads");
const self = { onmessage: null, postMessage: (m, t) => __port.postMessage(m, t) };
__port.on("message", (data) => self.onmessage?.({ data }));
`;

/** A `node:worker_threads` Worker with the part of the Web Worker face winipc uses. */
class NodeInlineWorker {
  readonly #worker: import("node:worker_threads").Worker;
  onmessage: ((e: { data: unknown }) => void) | null = null;

  constructor(url: URL, name: string) {
    this.#worker = new nodeWorkers!.Worker(url, { name });
    this.#worker.on("message", (data) => this.onmessage?.({ data }));
  }

  addEventListener(type: "error" | "messageerror", listener: (e: unknown) => void): void {
    this.#worker.on(type, (error: unknown) => {
      const message = error instanceof Error ? error.message : String(error);
      listener({ message, error, preventDefault() {} });
    });
  }

  postMessage(message: unknown, transfer?: Transferable[]): void {
    this.#worker.postMessage(message, transfer as never);
  }

  terminate(): void {
    void this.#worker.terminate();
  }

  ref(): void {
    this.#worker.ref();
  }

  unref(): void {
    this.#worker.unref();
  }
}

/** The global scope inside a worker, as an entry function uses it. */
export interface WorkerGlobal {
  onmessage: ((ev: MessageEvent) => void) | null;
  postMessage(message: unknown, transfer?: Transferable[]): void;
}

/** What the owner of a worker hears from it. */
export interface WorkerHandlers<O> {
  onMessage(data: O): void;
  /** The worker failed and was terminated. Called at most once; no message follows. */
  onFailure(error: WinipcError): void;
}

/**
 * @internal Test hook: while `startFailure` is set, every worker started throws it as its first
 * statement, as a worker that cannot start does.
 */
export const workerTestHooks: { startFailure?: string } = {};

const urls = new Map<string, string>();

/**
 * A blob: URL for `source`, made once per source (one per kind of worker; kept for the process);
 * under Node, whose workers take no blob: URL, a data: URL.
 */
function urlOf(source: string): string {
  let url = urls.get(source);
  if (url === undefined) {
    url = nodeWorkers
      ? `data:text/javascript,${encodeURIComponent(source)}`
      : URL.createObjectURL(new Blob([source], { type: "text/javascript" }));
    urls.set(source, url);
  }
  return url;
}

/**
 * Starts a worker that runs `entry(self, early, ...args)`. `entry` is the source of a
 * self-contained function; `args` are sources of expressions (top-level `await` allowed). `early`
 * holds the messages that arrived before the entry ran (Bun drops messages that come while a
 * worker has no handler); the entry installs its own `onmessage` and handles them.
 * @throws {WinipcError} when the runtime refuses to create the worker.
 */
export function startInlineWorker<O>(
  name: string,
  entry: string,
  args: readonly string[],
  handlers: WorkerHandlers<O>,
): InlineWorker {
  const hook = workerTestHooks.startFailure;
  const source = (nodeWorkers ? NODE_SELF : "") +
    (hook === undefined ? "" : `throw new Error(${JSON.stringify(hook)});\n`) +
    "const early = [];\nself.onmessage = (e) => early.push(e);\n" +
    `(${entry})(self, early, ${args.join(", ")});\n`;
  let worker: InlineWorker;
  try {
    worker = nodeWorkers
      ? new NodeInlineWorker(new URL(urlOf(source)), `winipc ${name}`) as unknown as InlineWorker
      : new Worker(urlOf(source), { type: "module", name: `winipc ${name}` });
  } catch (cause) {
    throw new WinipcError(`${name}: cannot start its worker thread`, { cause });
  }
  let failed = false;
  const fail = (message: string, cause: unknown) => {
    if (failed) return;
    failed = true;
    worker.terminate();
    handlers.onFailure(new WinipcError(`${name}: ${message}`, { cause }));
  };
  worker.addEventListener("error", (e: ErrorEvent) => {
    e.preventDefault(); // handled here; unhandled, Deno ends the process
    fail(`its worker thread failed: ${e.message}`, e.error ?? new Error(e.message));
  });
  worker.addEventListener(
    "messageerror",
    (e) => fail("a message from its worker thread could not be read", e),
  );
  worker.onmessage = (e: MessageEvent<O>) => {
    if (!failed) handlers.onMessage(e.data);
  };
  return worker;
}
