/** The typed errors (src/core/errors.ts): one hierarchy, names, and the fields they carry. */
import {
  AddressError,
  AddressInUseError,
  ChannelClosedError,
  FfiLoadError,
  MessageTooLargeError,
  NotFoundError,
  ProtocolError,
  TimeoutError,
  WinipcError,
} from "../../src/core/errors.ts";
import { assert, test } from "../_support/harness.ts";

test("errors: every error is a WinipcError and an Error, named after its class", () => {
  const all: Error[] = [
    new WinipcError("w"),
    new ChannelClosedError("c"),
    new TimeoutError("t"),
    new MessageTooLargeError(10, 5),
    new AddressError("a"),
    new AddressInUseError("u"),
    new NotFoundError("n"),
    new ProtocolError("p"),
    new FfiLoadError("kernel32.dll", { cause: new Error("nope") }),
  ];
  for (const e of all) {
    assert(e instanceof Error && e instanceof WinipcError, `${e.constructor.name} is a WinipcError`);
    assert(e.name === e.constructor.name, `name ${e.name} for ${e.constructor.name}`);
    assert(typeof e.stack === "string", "has a stack");
  }
  class Custom extends ChannelClosedError {}
  assert(new Custom("x").name === "Custom", "subclasses are named after themselves");
});

test("errors: MessageTooLargeError carries size and limit; causes are kept", () => {
  const e = new MessageTooLargeError(70_000_000, 67_108_864);
  assert(e.size === 70_000_000 && e.limit === 67_108_864, "fields");
  assert(e.message.includes("70000000") && e.message.includes("67108864"), e.message);
  const cause = new Error("root");
  assert(new TimeoutError("t", { cause }).cause === cause, "cause");
  const f = new FfiLoadError("user32.dll", { cause });
  assert(f.dll === "user32.dll" && f.cause === cause && f.message.includes("user32.dll"), f.message);
});
