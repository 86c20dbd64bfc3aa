/**
 * The other process of tests/com_test.ts: a JS COM server.
 *   com_peer.ts rot NAME EVENT   publishes an EchoServer in the Running Object Table under the
 *                                file moniker NAME, sets EVENT, serves until its quit() is called
 *                                (it holds a Scripting.Dictionary of its own, for outside())
 *   com_peer.ts echo NAME EVENT  connect("com:NAME"), sets EVENT, echoes every message until the
 *                                channel ends (exit code 0)
 * After quit() it revokes the registration and waits (up to 5 s) until COM holds none of its
 * objects: exit code 0, or 3 if references are left (the client's releases did not all come).
 */
import process from "node:process";
import {
  ComObject,
  comStats,
  createObject,
  exposeOptions,
  publishObject,
  Variant,
} from "../../src/mechanisms/com/mod.ts";
import { KernelEvent } from "../../src/sync.ts";
import { connect } from "../../mod.ts";

const [role, name, eventName] = process.argv.slice(2);
using ready = KernelEvent.open(eventName);

/** Releases the COM objects in `x` (arguments the server was handed), once the call is answered. */
function releaseLater(x: unknown): void {
  setTimeout(() => release(x), 0);
}
function release(x: unknown): void {
  if (x instanceof ComObject) x.release();
  else if (x instanceof Variant) release(x.value);
  else if (Array.isArray(x)) x.forEach(release);
}

/** outside()'s requests, served by serveOutside: its awaits carry no incoming call's context. */
const outsideRequests: ((value: unknown) => void)[] = [];
let wakeOutside = () => {};
async function serveOutside(dict: ComObject): Promise<never> {
  for (;;) {
    await new Promise<void>((r) => wakeOutside = r);
    while (outsideRequests.length > 0) outsideRequests.shift()!(await dict.get("Count"));
  }
}

let quit: () => void;
const quitting = new Promise<void>((r) => quit = r);

/** Echoes what it gets (as exact VARIANTs: it is exposed typed). */
class EchoServer {
  readonly pid = process.pid;
  /** The same methods on plain JS values. */
  readonly natural = {
    value: "the default member",
    echo(x: unknown) {
      releaseLater(x);
      return x;
    },
    typeName(x: unknown) {
      releaseLater(x);
      return x === null
        ? "null"
        : x instanceof ComObject
        ? "ComObject"
        : x instanceof Date
        ? "Date"
        : x instanceof Uint8Array
        ? "Uint8Array"
        : Array.isArray(x)
        ? "Array"
        : typeof x;
    },
  };
  echo(x: Variant): Variant {
    releaseLater(x);
    return x;
  }
  /** The VARTYPE the argument came as. */
  kind(x: Variant): number {
    releaseLater(x);
    return x.vt;
  }
  /** Calls `method` of `target` (an object of the caller's) with `arg`: a call back into the caller. */
  async callBack(target: Variant, method: Variant, arg: Variant): Promise<unknown> {
    const obj = target.value as ComObject;
    try {
      return await obj.call(method.value as string, arg);
    } finally {
      obj.release();
    }
  }
  /**
   * Answers with what a call made outside this one returns (a Scripting.Dictionary's Count, 1).
   * The apartment holds that call back while this one waits (apartment_worker.ts `forward`), then
   * runs it after HOLD_BACK_MS all the same.
   */
  outside(): Promise<unknown> {
    return new Promise((resolve) => {
      outsideRequests.push(resolve);
      wakeOutside();
    });
  }
  boom(message: Variant): never {
    throw new Error(String(message.value));
  }
  quit(): void {
    quit();
  }
}

if (role === "echo") {
  {
    await using channel = await connect(`com:${name}`, { timeout: 30_000 });
    ready.set();
    for await (const m of channel) await channel.send(m);
  }
  // Releases are posted to the apartment: let them reach the server before the process ends.
  for (let waited = 0; comStats().apartment && waited < 5000; waited += 25) {
    await new Promise((r) => setTimeout(r, 25));
  }
  process.exit(0);
}
if (role !== "rot") throw new Error(`unknown role ${role}`);
using dict = await createObject("Scripting.Dictionary");
await dict.call("Add", "key", 42);
serveOutside(dict);
const server = exposeOptions(new EchoServer(), { typed: true });
const registration = await publishObject(server, name);
ready.set();
await Promise.race([quitting, new Promise((r) => setTimeout(r, 300_000))]);
await new Promise((r) => setTimeout(r, 50)); // quit()'s answer goes first
await registration.revoke();
for (let waited = 0; comStats().exportedObjects > 0 && waited < 5000; waited += 50) {
  await new Promise((r) => setTimeout(r, 50));
}
const left = comStats().exportedObjects;
if (left > 0) console.error(`com_peer: COM still holds ${left} of this server's objects`);
process.exit(left > 0 ? 3 : 0);
