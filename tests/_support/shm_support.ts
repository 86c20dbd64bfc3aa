/** Helpers shared by the shared-memory and DLL-section tests. @module */
import { listen } from "../../mod.ts";
import { NamedPipeServer } from "../../src/mechanisms/pipe/mod.ts";
import type { NamedPipeChannel } from "../../src/mechanisms/pipe/mod.ts";
import type { SharedRegion } from "../../src/mechanisms/shm/mod.ts";
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
  await using peer = spawnPeer("shm_peer.ts", ["echo", `${scheme}:${name}?size=4096`]);
  await using ch = await server.accept({ timeout: 30_000 });
  await fc.assert(
    fc.asyncProperty(ringMessagesArb, (messages) => echoMessages(ch, messages)),
    fcParams(),
  );
  await ch.close();
  assert((await within(10_000, peer.exited, "peer exit")) === 0, "peer exited cleanly");
}
