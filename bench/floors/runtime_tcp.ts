/**
 * Floor: the runtime's own TCP (node:net in Deno or Bun, setNoDelay), measured by the same code
 * as Node for Windows' `net` (net_floor.mjs), against a peer of the same runtime.
 * @module
 */
import { measureNet } from "./net_floor.mjs";
import { bulkCount, type Measured, PEER_TIMEOUT, type Settings, spawnPeer } from "../measure.ts";

export async function runtimeTcp(s: Settings): Promise<Measured> {
  const count = bulkCount(s.bulkMiB);
  let peer: AsyncDisposable | undefined;
  try {
    const r = await measureNet({
      target: 0,
      startPeer: (address) =>
        void (peer = spawnPeer("net", [address, String(s.warmup + s.rtt), String(count)])),
      warmup: s.warmup,
      rtt: s.rtt,
      bulkCount: count,
      timeoutMs: PEER_TIMEOUT,
    });
    return { ...r, notes: ["node:net of this runtime, setNoDelay(true)"] };
  } finally {
    await peer?.[Symbol.asyncDispose]();
  }
}
