/**
 * Per-call cancellation and the one-at-a-time queue (src/core/op_queue.ts): order, timeouts,
 * aborts, and close.
 */
import { ChannelClosedError, TimeoutError } from "../../src/core/errors.ts";
import { callScope, OpQueue, raceAbort, sleep } from "../../src/core/op_queue.ts";
import { assert, fc, fcParams, test } from "../_support/harness.ts";
import { caught, thrown } from "./_util.ts";

/** Resolves after `ms`, or rejects with the signal's reason when it aborts (an op that honours its signal). */
function wait(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    signal.throwIfAborted();
    const t = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(signal.reason);
    };
    signal.addEventListener("abort", onAbort, { once: true });
  });
}

/** Never settles on its own: only the signal ends it. */
const forever = (signal: AbortSignal) => wait(2 ** 31 - 1, signal);

test("OpQueue: operations run one at a time, in call order, each with its own result", async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.tuple(fc.nat(3), fc.boolean()), { minLength: 1, maxLength: 12 }),
      async (ops) => {
        const q = new OpQueue("test queue");
        const log: string[] = [];
        let running = 0;
        const calls = ops.map(([ms, fail], i) =>
          q.run(undefined, async (signal) => {
            assert(running === 0, `operation ${i} overlaps another`);
            running++;
            log.push(`start ${i}`);
            try {
              await wait(ms, signal);
              if (fail) throw new Error(`op ${i} failed`);
              return i;
            } finally {
              running--;
              log.push(`end ${i}`);
            }
          })
        );
        const results = await Promise.allSettled(calls);
        results.forEach((r, i) => {
          if (ops[i][1]) {
            assert(r.status === "rejected" && (r.reason as Error).message === `op ${i} failed`, `${i}`);
          } else assert(r.status === "fulfilled" && r.value === i, `result ${i}`);
        });
        assert(log.join(",") === ops.flatMap((_, i) => [`start ${i}`, `end ${i}`]).join(","), log.join(","));
        await q.close();
      },
    ),
    fcParams(50),
  );
});

test("OpQueue: a timeout rejects with TimeoutError, and the next operation still runs", async () => {
  const q = new OpQueue("q");
  const started = Date.now();
  const e = await caught(() => q.run({ timeout: 20 }, forever));
  assert(e instanceof TimeoutError, `got ${e}`);
  assert(Date.now() - started >= 15, "not before the timeout");
  assert(await q.run({ timeout: 1000 }, () => Promise.resolve("next")) === "next", "the queue goes on");
  const zero = await caught(() => q.run({ timeout: 0 }, forever));
  assert(zero instanceof TimeoutError, `timeout 0: ${zero}`);
  await q.close();
});

test("OpQueue: an abort rejects with the signal's reason (the very object), queued or running", async () => {
  const q = new OpQueue("q");
  const reason = new Error("caller gave up");
  const ac = new AbortController();
  const running = q.run({ signal: ac.signal }, forever);
  const other = new AbortController();
  const queued = q.run({ signal: other.signal }, forever);
  ac.abort(reason);
  assert(await caught(() => running) === reason, "the running call's reason");
  const reason2 = { custom: true };
  other.abort(reason2);
  assert(await caught(() => queued) === reason2, "the queued call's reason (any value)");
  const pre = AbortSignal.abort("already");
  assert(await caught(() => q.run({ signal: pre }, forever)) === "already", "an already-aborted signal");
  const plain = new AbortController();
  const p = q.run({ signal: plain.signal }, forever);
  plain.abort();
  const e = await caught(() => p);
  assert(e instanceof DOMException && e.name === "AbortError", `default reason: ${e}`);
  assert(!q.closed, "aborting a call does not close the queue");
  await q.close();
});

test("OpQueue: close rejects the running and queued calls with ChannelClosedError, then every later call", async () => {
  const q = new OpQueue("the thing");
  let sawSignal: AbortSignal | undefined;
  const running = q.run(undefined, (s) => {
    sawSignal = s;
    return forever(s);
  });
  let queuedRan = false;
  const queued = q.run(undefined, () => {
    queuedRan = true;
    return Promise.resolve();
  });
  await Promise.resolve();
  const closing = q.close();
  assert(q.closed, "closed at once");
  const e1 = await caught(() => running);
  assert(e1 instanceof ChannelClosedError && e1.message.includes("the thing"), `running: ${e1}`);
  assert(sawSignal?.aborted === true, "the running call's signal aborted");
  const e2 = await caught(() => queued);
  assert(e2 instanceof ChannelClosedError && !queuedRan, `queued: ${e2}`);
  await closing;
  const e3 = await caught(() => q.run(undefined, () => Promise.resolve(1)));
  assert(e3 instanceof ChannelClosedError, `after close: ${e3}`);
  await q.close(); // idempotent
});

test("OpQueue: close waits for the running operation to finish", async () => {
  const q = new OpQueue("q");
  let finished = false;
  // An operation that ignores its signal for a moment (a write that must complete).
  const op = q.run(undefined, async () => {
    await new Promise((r) => setTimeout(r, 20));
    finished = true;
  });
  op.catch(() => {});
  await Promise.resolve();
  await q.close();
  assert(finished, "close resolved while an operation still ran");
});

test("OpQueue: idle() resolves once everything queued has settled, without closing", async () => {
  const q = new OpQueue("q");
  const done: number[] = [];
  for (let i = 0; i < 5; i++) q.run(undefined, (s) => wait(2, s).then(() => void done.push(i)));
  q.run(undefined, () => Promise.reject(new Error("a failure does not stall idle()"))).catch(() => {});
  await q.idle();
  assert(done.length === 5 && !q.closed, `${done.length} done`);
  await q.close();
});

test("callScope: no signal and no timeout is the owner's signal itself (nothing allocated)", () => {
  const owner = new AbortController();
  assert(callScope(owner.signal).signal === owner.signal, "no options");
  assert(callScope(owner.signal, { timeout: Infinity }).signal === owner.signal, "an infinite timeout");
});

test("callScope: aborts on the owner, the caller's signal, or the timeout; done() cancels the timer", async () => {
  const owner = new AbortController();
  const caller = new AbortController();
  const a = callScope(owner.signal, { signal: caller.signal });
  owner.abort("owner");
  assert(a.signal.aborted && a.signal.reason === "owner", "the owner's abort");
  a.done();

  const owner2 = new AbortController();
  const caller2 = new AbortController();
  const b = callScope(owner2.signal, { signal: caller2.signal, timeout: 10_000 });
  caller2.abort("caller");
  assert(b.signal.aborted && b.signal.reason === "caller", "the caller's abort");
  b.done();

  const c = callScope(new AbortController().signal, { timeout: 5 });
  await new Promise((r) => setTimeout(r, 30));
  assert(c.signal.aborted && c.signal.reason instanceof TimeoutError, `timeout: ${c.signal.reason}`);
  assert((c.signal.reason as Error).message.includes("5 ms"), (c.signal.reason as Error).message);
  c.done();

  const d = callScope(new AbortController().signal, { timeout: 5 });
  d.done();
  await new Promise((r) => setTimeout(r, 30));
  assert(!d.signal.aborted, "done() before the timeout: never aborted");
});

test("callScope: a negative or NaN timeout is a RangeError", () => {
  for (const t of [-1, -Infinity, NaN]) {
    assert(
      thrown(() => callScope(new AbortController().signal, { timeout: t })) instanceof RangeError,
      `${t}`,
    );
  }
});

test("raceAbort and sleep: settle normally, or reject with the signal's reason", async () => {
  const never = new AbortController().signal;
  assert(await raceAbort(Promise.resolve(7), never) === 7, "value");
  const err = new Error("x");
  assert(await caught(() => raceAbort(Promise.reject(err), never)) === err, "rejection");
  const ac = new AbortController();
  const pending = raceAbort(new Promise(() => {}), ac.signal);
  ac.abort("stop");
  assert(await caught(() => pending) === "stop", "abort while pending");
  assert(
    await caught(() => raceAbort(Promise.resolve(1), AbortSignal.abort("pre"))) === "pre",
    "pre-aborted",
  );

  const t0 = Date.now();
  await sleep(15, never);
  assert(Date.now() - t0 >= 10, "slept");
  const ac2 = new AbortController();
  const s = sleep(10_000, ac2.signal);
  ac2.abort("wake");
  assert(await caught(() => s) === "wake", "sleep aborted");
  assert(await caught(() => sleep(1, AbortSignal.abort("pre"))) === "pre", "sleep pre-aborted");
});
