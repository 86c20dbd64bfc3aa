/**
 * Floor: two named auto-reset events, SetEvent then WaitForSingleObject (blocking), parent and
 * peer alike: the cost of one wake-up each way, with no data (the floor of the shm and dll
 * channels in event mode, whose data moves through shared memory).
 * @module
 */
import { kernel32 } from "../../src/ffi/kernel32.ts";
import { check, checkHandle } from "../../src/ffi/check.ts";
import { wstr } from "../../src/ffi/wstr.ts";
import { WAIT_OBJECT_0 } from "../../src/ffi/headers/winbase.ts";
import { EVENT_MODIFY_STATE, SYNCHRONIZE } from "../../src/ffi/headers/winnt.ts";
import { type Measured, type Settings, spawnPeer, timeRoundTrips, uniqueName } from "../measure.ts";

const k = kernel32.sync;
/** A bound on every wait, so a lost peer ends the floor with an error instead of a hang. */
const WAIT_MS = 30_000;

function wait(h: bigint, what: string): void {
  const r = k.WaitForSingleObject(h, WAIT_MS);
  if (r !== WAIT_OBJECT_0) throw new Error(`${what}: WaitForSingleObject returned ${r}`);
}

/** The parent: creates the two events, starts the peer, measures. */
export async function rawEvent(s: Settings): Promise<Measured> {
  const [pingName, pongName] = [uniqueName("ping"), uniqueName("pong")];
  const ping = checkHandle("CreateEventW", () => k.CreateEventW(null, 0, 0, wstr(pingName)));
  const pong = checkHandle("CreateEventW", () => k.CreateEventW(null, 0, 0, wstr(pongName)));
  try {
    await using _peer = spawnPeer("raw-event", [pingName, pongName, String(s.warmup + s.rtt)]);
    wait(pong, "the peer's ready signal");
    const rtt = timeRoundTrips(s, () => {
      check("SetEvent", () => k.SetEvent(ping));
      wait(pong, "pong");
    });
    return { rtt, notes: ["no data: one SetEvent and one wait each way"] };
  } finally {
    k.CloseHandle(ping);
    k.CloseHandle(pong);
  }
}

/** The peer: opens the events, says it is ready, answers every ping. */
export function rawEventPeer(pingName: string, pongName: string, rttTotal: number): void {
  const access = EVENT_MODIFY_STATE | SYNCHRONIZE;
  const ping = checkHandle("OpenEventW", () => k.OpenEventW(access, 0, wstr(pingName)));
  const pong = checkHandle("OpenEventW", () => k.OpenEventW(access, 0, wstr(pongName)));
  check("SetEvent", () => k.SetEvent(pong));
  for (let i = 0; i < rttTotal; i++) {
    wait(ping, "ping");
    check("SetEvent", () => k.SetEvent(pong));
  }
  k.CloseHandle(ping);
  k.CloseHandle(pong);
}
