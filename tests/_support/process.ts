/**
 * Child processes with their standard streams: input given up front (or none), output and
 * errors collected. For tests that run programs (the CLI, the installed npm package, Node),
 * in whichever runtime runs the test. Every child is reaped: disposing kills one still running
 * after `reapAfter` ms and waits for it.
 */
import { KernelEvent } from "../../src/sync.ts";
import { concat } from "../core/_util.ts";
import { assert, nodeExit, type Peer, spawnNode, spawnPeer, uniqueName } from "./harness.ts";

// deno-lint-ignore no-explicit-any
const g = globalThis as any;

/** A running child. */
export interface Child extends AsyncDisposable {
  readonly pid: number;
  /** Resolves with the exit code once the child has exited and its output is collected. */
  readonly exited: Promise<number>;
  /** Everything written to stdout (after `exited`). */
  stdout(): Uint8Array;
  /** Everything written to stderr, as text (after `exited`; partial before). */
  stderr(): string;
  /** Resolves once stderr contains `text` (a "listening on" line) or the child has exited: check which. */
  waitForStderr(text: string): Promise<void>;
  kill(): void;
}

/** Options for {@link runChild}. */
export interface ChildOptions {
  cwd?: string;
  /** Bytes for standard input, then its end; default: no input (closed at once). */
  stdin?: Uint8Array;
  /** Standard input is a pipe that stays open (never written, never ended) until the child exits. */
  openInput?: boolean;
  /** Kill a child still running this long after disposal began. Default 5000 ms. */
  reapAfter?: number;
  /**
   * Connect no stdout or stderr (Node for Windows under Wine fails with EBADF when its output is
   * a pipe from a Linux-side process; it writes a log file instead).
   */
  discardOutput?: boolean;
}

async function collect(stream: ReadableStream<Uint8Array>, onChunk: (c: Uint8Array) => void): Promise<void> {
  for await (const c of stream as unknown as AsyncIterable<Uint8Array>) onChunk(c);
}

/** Starts `cmd[0]` with `cmd.slice(1)`, stdout and stderr piped to this process. */
export function runChild(cmd: string[], opts: ChildOptions = {}): Child {
  const out: Uint8Array[] = [];
  let err = "";
  const decoder = new TextDecoder();
  const watchers: { text: string; resolve(): void }[] = [];
  const onErr = (c: Uint8Array) => {
    err += decoder.decode(c, { stream: true });
    for (const w of watchers.splice(0)) {
      if (err.includes(w.text)) w.resolve();
      else watchers.push(w);
    }
  };
  let pid: number;
  let status: Promise<number>;
  let kill: () => void;
  let streams: Promise<void>;
  if (g.Deno) {
    const child = new g.Deno.Command(cmd[0], {
      args: cmd.slice(1),
      cwd: opts.cwd,
      stdin: opts.stdin || opts.openInput ? "piped" : "null",
      stdout: opts.discardOutput ? "null" : "piped",
      stderr: opts.discardOutput ? "null" : "piped",
    }).spawn();
    if (opts.stdin) {
      const w = child.stdin.getWriter();
      w.write(opts.stdin).then(() => w.close()).catch(
        () => {/* the child ended early: its exit code says why */},
      );
    }
    pid = child.pid;
    status = child.status.then((s: { code: number }) => s.code);
    kill = () => {
      try {
        child.kill("SIGKILL");
      } catch { /* already gone */ }
    };
    streams = opts.discardOutput
      ? Promise.resolve()
      : Promise.all([collect(child.stdout, (c) => out.push(c)), collect(child.stderr, onErr)]).then(() => {});
  } else if (!g.Bun) {
    const child = spawnNode(cmd[0], cmd.slice(1), {
      cwd: opts.cwd,
      stdio: [
        opts.stdin || opts.openInput ? "pipe" : "ignore",
        opts.discardOutput ? "ignore" : "pipe",
        opts.discardOutput ? "ignore" : "pipe",
      ],
    });
    if (opts.stdin) {
      child.stdin!.on("error", () => {/* the child ended early: its exit code says why */});
      child.stdin!.end(opts.stdin);
    }
    pid = child.pid!;
    status = nodeExit(child);
    kill = () => child.kill("SIGKILL");
    const drained = (s: NodeJS.ReadableStream | null, on: (c: Uint8Array) => void) =>
      new Promise<void>((resolve) => {
        if (!s) return resolve();
        s.on("data", on);
        s.on("end", resolve);
        s.on("error", () => resolve());
      });
    streams = opts.discardOutput
      ? Promise.resolve()
      : Promise.all([drained(child.stdout, (c) => out.push(c)), drained(child.stderr, onErr)]).then(() => {});
  } else {
    const child = g.Bun.spawn(cmd, {
      cwd: opts.cwd,
      stdin: opts.stdin ?? (opts.openInput ? "pipe" : "ignore"),
      stdout: opts.discardOutput ? "ignore" : "pipe",
      stderr: opts.discardOutput ? "ignore" : "pipe",
    });
    pid = child.pid;
    status = child.exited;
    kill = () => child.kill(9);
    streams = opts.discardOutput
      ? Promise.resolve()
      : Promise.all([collect(child.stdout, (c) => out.push(c)), collect(child.stderr, onErr)]).then(() => {});
  }
  const exited = status.then(async (code) => {
    // A grandchild that inherited the pipes could hold them open: give the streams a bound.
    await Promise.race([streams, new Promise((r) => setTimeout(r, 2000))]);
    return code;
  });
  let done = false;
  exited.finally(() => {
    done = true;
    for (const w of watchers.splice(0)) w.resolve(); // checked by the caller's assertion on stderr
  });
  return {
    pid,
    exited,
    stdout: () => concat(out),
    stderr: () => err,
    waitForStderr(text: string) {
      if (err.includes(text) || done) return Promise.resolve();
      return new Promise<void>((resolve) => watchers.push({ text, resolve }));
    },
    kill,
    async [Symbol.asyncDispose]() {
      const t = setTimeout(kill, opts.reapAfter ?? 5000);
      try {
        await exited;
      } finally {
        clearTimeout(t);
      }
    },
  };
}

/** The path of the runtime running this test (deno.exe, bun.exe or node.exe). */
export function runtimeExecutable(): string {
  const path = g.Deno ? g.Deno.execPath() : g.process?.execPath;
  assert(typeof path === "string", "the runtime's executable path");
  return path;
}

/**
 * Starts `tests/peers/SCRIPT ARGS... EVENT` (the harness's spawnPeer) and waits, up to a minute,
 * until the peer sets EVENT, a named event made here: it is ready (serving, or holding its port).
 * A peer that does not get ready is reaped before the error is thrown.
 */
export async function spawnReadyPeer(script: string, args: string[]): Promise<Peer> {
  const name = uniqueName("ready");
  using ready = KernelEvent.create(name, { mode: "create" });
  const peer = spawnPeer(script, [...args, name]);
  try {
    await ready.wait({ timeout: 60_000 });
  } catch (e) {
    await peer[Symbol.asyncDispose]();
    throw e;
  }
  return peer;
}
