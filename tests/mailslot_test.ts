/**
 * Mailslots across processes: whole messages in order (empty ones too), the size limit enforced
 * at the sender, and Wine's cmd.exe as a sender no one here wrote.
 */
import { MessageTooLargeError, NotFoundError, TimeoutError } from "../mod.ts";
import { encodeFrame } from "../src/framing.ts";
import { MailslotClient, MailslotServer } from "../src/mechanisms/mailslot/mod.ts";
import { NamedPipeServer } from "../src/mechanisms/pipe/mod.ts";
import {
  assert,
  bytesEqual,
  fc,
  fcParams,
  patternBytes,
  runtime,
  spawnPeer,
  test,
  uniqueName,
  within,
} from "./_support/harness.ts";
import { runChild } from "./_support/process.ts";

const LIMIT = 8192;

async function withSender(
  fn: (server: MailslotServer, sendBatch: (ms: Uint8Array[]) => Promise<string>) => Promise<void>,
) {
  const slot = uniqueName("slot");
  await using server = MailslotServer.create(slot, { maxMessageSize: LIMIT });
  const ctlName = uniqueName("slot-ctl");
  await using ctl = NamedPipeServer.listen(ctlName);
  await using peer = spawnPeer("mailslot_peer.ts", ["sender", ctlName, slot]);
  await using ch = await ctl.accept({ timeout: 30_000 });
  await fn(server, async (messages) => {
    const frames = messages.map(encodeFrame);
    const batch = new Uint8Array(frames.reduce((n, f) => n + f.length, 0));
    let at = 0;
    for (const f of frames) {
      batch.set(f, at);
      at += f.length;
    }
    await ch.send(batch);
    return new TextDecoder().decode(await ch.receive({ timeout: 30_000 }));
  });
  await ch.close();
  await peer.exited;
}

test("mailslot: messages from another process arrive whole and in order, empty ones included", () =>
  withSender(async (server, sendBatch) => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.oneof(
            fc.uint8Array({ maxLength: 40 }),
            fc.record({ size: fc.integer({ min: 0, max: LIMIT }), seed: fc.integer() }).map((r) =>
              patternBytes(r.size, r.seed)
            ),
          ),
          { maxLength: 10 },
        ),
        async (messages) => {
          const reply = await sendBatch(messages);
          assert(reply === "ok", `sender: ${reply}`);
          for (const m of messages) {
            const got = await server.receive({ timeout: 10_000 });
            if (!bytesEqual(got, m)) {
              throw new Error(`a ${m.length}-byte message arrived as ${got.length} bytes / different`);
            }
          }
          assert(server.info().messageCount === 0, "nothing left over");
        },
      ),
      fcParams(),
    );
  }));

test("mailslot: a message over the server's limit is refused with MessageTooLargeError at the sender", () =>
  withSender(async (server, sendBatch) => {
    const reply = await sendBatch([new Uint8Array(3), new Uint8Array(LIMIT + 1)]);
    assert(reply === "MessageTooLargeError", `sender said ${reply}`);
    assert((await server.receive({ timeout: 10_000 })).length === 3, "the message before it arrived");
    assert(server.info().messageCount === 0, "the oversized one was never written");
    // In this process too, before any system call.
    await using local = MailslotClient.open(server.path);
    let err: unknown;
    await local.send(new Uint8Array(LIMIT + 1)).catch((e) => err = e);
    assert(err instanceof MessageTooLargeError, `local send: ${err}`);
  }));

test("mailslot: a missing mailslot is NotFoundError; a second server on a name is refused", async () => {
  let err: unknown;
  try {
    MailslotClient.open(uniqueName("none"));
  } catch (e) {
    err = e;
  }
  assert(err instanceof NotFoundError, `open missing: ${err}`);
  const name = uniqueName("dup");
  await using _s = MailslotServer.create(name);
  err = undefined;
  try {
    MailslotServer.create(name);
  } catch (e) {
    err = e;
  }
  assert(err?.constructor?.name === "AddressInUseError", `second server: ${err}`);
});

test("mailslot: Wine's cmd.exe (a writer no one here wrote) writes into a winipc mailslot server", async () => {
  const name = uniqueName("cmd");
  await using server = MailslotServer.create(name);
  const text = `hello from cmd ${runtime}`;
  await using cmd = runChild(["cmd.exe", "/c", `echo ${text}> ${server.path}`]);
  const code = await within(30_000, cmd.exited, "cmd.exe");
  assert(code === 0, `cmd.exe exited with ${code}: ${cmd.stderr()}`);
  let got = "";
  while (!got.includes(text)) got += new TextDecoder().decode(await server.receive({ timeout: 10_000 }));
  assert(got.trimEnd() === text, `received ${JSON.stringify(got)}`);
});

/** Awaits `p` with a 20 ms interval running: how long it took, how it settled, how often timers ran. */
async function timed(p: () => Promise<unknown>): Promise<{ ms: number; ticks: number; error?: unknown }> {
  let ticks = 0;
  const timer = setInterval(() => ticks++, 20);
  const start = performance.now();
  try {
    const value = await p();
    return { ms: performance.now() - start, ticks, error: `resolved with ${String(value)}` };
  } catch (error) {
    return { ms: performance.now() - start, ticks, error };
  } finally {
    clearInterval(timer);
  }
}

// Regression (issue 11, defect 6): a receive on an empty mailslot blocked the JS thread under Wine
// (its CreateMailslotW makes a synchronous handle, so an overlapped ReadFile waited inside the
// call) until a message came: neither the timeout nor the signal could fire. The peer writes only
// 1.5 s after it starts, so a blocking read shows up as a late result with no timer ticks.
test("mailslot: receive on an empty mailslot ends by timeout or signal, timers keep running, nothing is lost", async () => {
  const slot = uniqueName("empty");
  await using server = MailslotServer.create(slot);
  await using peer = spawnPeer("mailslot_peer.ts", ["late", slot, "1500"]);

  const byTimeout = await timed(() => server.receive({ timeout: 200 }));
  const t = `${Math.round(byTimeout.ms)} ms, ${byTimeout.ticks} ticks`;
  assert(byTimeout.error instanceof TimeoutError, `timeout: ${byTimeout.error} (${t})`);
  assert(byTimeout.ms < 1000 && byTimeout.ticks >= 3, `timeout: the event loop stalled (${t})`);

  const ac = new AbortController();
  const reason = new Error("stop waiting");
  setTimeout(() => ac.abort(reason), 200);
  const bySignal = await timed(() => server.receive({ signal: ac.signal }));
  const s = `${Math.round(bySignal.ms)} ms, ${bySignal.ticks} ticks`;
  assert(bySignal.error === reason, `signal: expected its reason, got ${bySignal.error} (${s})`);
  assert(bySignal.ms < 1000 && bySignal.ticks >= 3, `signal: the event loop stalled (${s})`);

  // The cancelled reads consumed nothing: the late message still arrives, whole.
  const late = new TextDecoder().decode(await server.receive({ timeout: 10_000 }));
  assert(late === "late", `after the cancelled reads: ${JSON.stringify(late)}`);
  assert(await peer.exited === 0, "the peer failed");
});
