/**
 * Fairness to the event loop. A call whose data is already there (a ring a fast peer keeps full,
 * a pipe read that completes at once) settles through microtasks alone; a loop of such calls
 * would starve timers and I/O for as long as the peer keeps up, so no timeout could fire. Calls
 * ask {@link turnSpent} and, once this task has run past its budget, wait for {@link nextTurn}.
 * @module
 */

/**
 * How long one macrotask turn may keep running calls before they yield. A yield is a zero-delay
 * timer, which a runtime may stretch to 4 ms: 50 ms keeps that under a tenth of a busy stream.
 */
const TURN_BUDGET_MS = 50;

let turnStart = 0;
let probing = false;

/**
 * Whether the current macrotask turn has run longer than its budget. The first call of a turn
 * starts its clock and schedules a probe; the turn is over when the probe runs.
 */
export function turnSpent(): boolean {
  const now = performance.now();
  if (!probing) {
    probing = true;
    turnStart = now;
    setTimeout(() => probing = false, 0);
  }
  return now - turnStart > TURN_BUDGET_MS;
}

/** Resolves on a later macrotask turn, after the timers and I/O callbacks that are due. */
export function nextTurn(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}
