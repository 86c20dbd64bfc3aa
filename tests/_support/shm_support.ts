/** Helpers shared by the shared-memory and DLL-section tests. @module */
import { NamedPipeServer } from "../../mod.ts";
import type { NamedPipeChannel } from "../../mod.ts";
import { fc, patternBytes, type Peer, spawnPeer, uniqueName } from "./harness.ts";

/** A peer in `raw` mode and the pipe that drives it. */
export interface Control extends AsyncDisposable {
  call(cmd: unknown): Promise<unknown>;
}

/** Starts a `shm_peer.ts raw` process and returns a function that sends it one command. */
export async function openControl(what: string): Promise<Control> {
  const name = uniqueName(`ctl-${what}`);
  const server = NamedPipeServer.listen(name);
  const peer: Peer = spawnPeer("shm_peer.ts", ["raw", name]);
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
