/** Helpers shared by the shared-memory and DLL-section tests. @module */
import process from "node:process";
import { ChannelClosedError, listen } from "../../mod.ts";
import { DllSharedMemory } from "../../src/mechanisms/dll/mod.ts";
import { NamedPipeServer } from "../../src/mechanisms/pipe/mod.ts";
import type { NamedPipeChannel } from "../../src/mechanisms/pipe/mod.ts";
import { SharedMemory, type SharedRegion } from "../../src/mechanisms/shm/mod.ts";
import {
  assert,
  bytesEqual,
  echoMessages,
  fc,
  fcParams,
  patternBytes,
  type Peer,
  spawnPeer,
  uniqueName,
  within,
} from "./harness.ts";

/** A peer in `raw` mode and the pipe that drives it. */
export interface Control extends AsyncDisposable {
  call(cmd: unknown): Promise<unknown>;
}

/**
 * Starts a peer process that takes JSON commands over a named pipe (`shm_peer.ts raw CTL` by
 * default) and returns a function that sends it one command and resolves its answer.
 */
export async function openControl(what: string, script = "shm_peer.ts", role = "raw"): Promise<Control> {
  const name = uniqueName(`ctl-${what}`);
  const server = NamedPipeServer.listen(name);
  const peer: Peer = spawnPeer(script, [role, name]);
  const ch: NamedPipeChannel = await server.accept({ timeout: 30_000 });
  return {
    async call(cmd) {
      await ch.send(new TextEncoder().encode(JSON.stringify(cmd)));
      const reply = JSON.parse(new TextDecoder().decode(await ch.receive({ timeout: 30_000 })));
      if (reply && typeof reply === "object" && "error" in reply) throw new Error(`peer: ${reply.error}`);
      return reply;
    },
    async [Symbol.asyncDispose]() {
      await ch.close();
      await server.close();
      await peer[Symbol.asyncDispose]();
    },
  };
}

/** Messages for a 4 KiB ring: empty, small, around the ring size, and several times larger. */
export const ringMessagesArb = fc.array(
  fc.oneof(
    { weight: 2, arbitrary: fc.uint8Array({ maxLength: 64 }) },
    {
      weight: 3,
      arbitrary: fc.record({
        size: fc.oneof(fc.integer({ min: 4080, max: 4112 }), fc.integer({ min: 0, max: 70_000 })),
        seed: fc.integer(),
      }).map((r) => patternBytes(r.size, r.seed)),
    },
  ),
  { maxLength: 8 },
);

/**
 * Property: writes at any offset and length into `mem` are seen by the peer behind `ctl` (which
 * has opened the same memory), and the peer's writes are seen here.
 */
export async function crossProcessWritesProperty(
  mem: SharedRegion,
  ctl: Control,
  maxLength: number,
) {
  const size = mem.size;
  await fc.assert(
    fc.asyncProperty(
      fc.integer({ min: 0, max: size - 1 }).chain((offset) =>
        fc.tuple(
          fc.constant(offset),
          fc.uint8Array({ minLength: 1, maxLength: Math.min(maxLength, size - offset) }),
        )
      ),
      fc.boolean(),
      async ([offset, data], peerWrites) => {
        if (peerWrites) {
          await ctl.call({ write: offset, data: [...data] });
          assert(bytesEqual(mem.read(offset, data.length), data), `peer write at ${offset} seen here`);
        } else {
          mem.write(offset, data);
          const seen = new Uint8Array(await ctl.call({ read: offset, length: data.length }) as number[]);
          assert(bytesEqual(seen, data), `write at ${offset} seen by the peer`);
        }
      },
    ),
    fcParams(),
  );
}

/** Property: message sequences round-trip through an echo peer over a `shm:` or `dll:` ring. */
export async function ringEchoProperty(scheme: "shm" | "dll", name: string) {
  await using server = await listen(`${scheme}:${name}?size=4096`);
  // A shm: client takes the size from the server; a dll: client must give the same one.
  const client = scheme === "dll" ? `dll:${name}?size=4096` : `shm:${name}`;
  await using peer = spawnPeer("shm_peer.ts", ["echo", client]);
  await using ch = await server.accept({ timeout: 30_000 });
  await fc.assert(
    fc.asyncProperty(ringMessagesArb, (messages) => echoMessages(ch, messages)),
    fcParams(),
  );
  await ch.close();
  assert((await within(10_000, peer.exited, "peer exit")) === 0, "peer exited cleanly");
}

/**
 * The README's echo server on `address` (`for await (const channel of server)`, each channel echoed by a
 * `for await` that is never awaited, and never closed), with `clients` client processes that all connect
 * (to `clientAddress`) first and then echo messages in turns while every one of them stays connected: a server that serves
 * one client at a time cannot pass.
 */
export async function echoIdiomServesClientsAtOnce(
  address: string,
  clientAddress = address,
  clients = 3,
): Promise<void> {
  const server = await listen(address);
  const channels: AsyncDisposable[] = [];
  const failures: unknown[] = [];
  const serving = (async () => {
    for await (const channel of server) {
      channels.push(channel);
      (async () => {
        for await (const message of channel) await channel.send(message); // echo
      })().catch((e) => failures.push(e));
    }
  })();
  const controls: Control[] = [];
  try {
    for (let i = 0; i < clients; i++) controls.push(await openControl(`idiom-${i}`, "shm_peer.ts", "client"));
    for (const c of controls) await c.call({ connect: clientAddress }); // all connected, none closed
    const sizes = [0, 10, 5000, 70_000]; // empty, small, and larger than the 4 KiB ring
    for (let round = 0; round < sizes.length; round++) {
      await Promise.all(
        controls.map((c, i) => c.call({ echo: sizes[(round + i) % sizes.length], seed: round * 8 + i })),
      );
    }
    for (const c of controls) await c.call({ close: true });
  } finally {
    for (const c of controls) await c[Symbol.asyncDispose]();
    await server.close();
    await within(10_000, serving, "the accept loop ends when the server closes");
    for (const ch of channels) await ch[Symbol.asyncDispose]();
  }
  const unexpected = failures.filter((e) => !(e instanceof ChannelClosedError));
  assert(unexpected.length === 0, `echo loops failed: ${unexpected.join("; ")}`);
}

/** Where the `write-and-drop` peer writes its marker, and the marker (see shm_peer.ts). */
const MARKER_OFFSET = 100;
const marker = () => new Uint8Array(64).map((_, i) => (i * 31 + 7) & 255);

/**
 * A peer creates a region (`shm` mapping or `dll` section) in a const it never touches again after
 * writing a marker, forces garbage collection, then says so: the marker must still be there for this
 * process to read (the region is the user's until close(), whatever the collector does).
 */
export async function droppedRegionSurvivesGc(kind: "shm" | "dll", name: string): Promise<void> {
  const size = 4096;
  const ctlName = uniqueName(`ctl-gc-${kind}`);
  await using ctl = NamedPipeServer.listen(ctlName);
  const before = process.env.DENO_V8_FLAGS;
  process.env.DENO_V8_FLAGS = "--expose-gc"; // read at start by the Deno peer: gives it gc(); Bun has Bun.gc
  let peer: Peer;
  try {
    peer = spawnPeer("shm_peer.ts", ["write-and-drop", kind, name, String(size), ctlName]);
  } finally {
    if (before === undefined) delete process.env.DENO_V8_FLAGS;
    else process.env.DENO_V8_FLAGS = before;
  }
  await using _peer = peer;
  await using ch = await ctl.accept({ timeout: 30_000 });
  const said = JSON.parse(new TextDecoder().decode(await ch.receive({ timeout: 30_000 })));
  console.log(`[gc peer] ${JSON.stringify(said)}`);
  assert(said.gc === true, "the peer could force a collection");
  let seen: Uint8Array;
  if (kind === "shm") {
    using mem = SharedMemory.open(name, { size });
    seen = mem.read(MARKER_OFFSET, 64);
  } else {
    using mem = DllSharedMemory.load(name, size);
    seen = mem.read(MARKER_OFFSET, 64);
  }
  await ch.send(new TextEncoder().encode('"done"'));
  assert(bytesEqual(seen, marker()), `the peer's bytes are gone: read ${seen.subarray(0, 8).join(",")}...`);
  assert((await within(10_000, peer.exited, "peer exit")) === 0, "peer exited cleanly");
}
