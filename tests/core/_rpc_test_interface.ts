/**
 * The interface the RPC tests serve and call, in every process and both transports: echoes of
 * several NDR types, faults on request, a slow call, and context handles.
 */
import fc from "fast-check";
import type { RpcImplementation } from "../../src/mechanisms/rpc/dispatcher.ts";
import { defineInterface } from "../../src/mechanisms/rpc/interface.ts";
import {
  conformantArray,
  contextHandle,
  i64,
  u32,
  u8,
  uniquePtr,
  wstring,
} from "../../src/mechanisms/rpc/ndr.ts";
import { RpcFaultError } from "../../src/mechanisms/rpc/rpc_errors.ts";

/** 8e8a2c4b-... v1.2: what the test servers register. */
export const testInterface = defineInterface({
  name: "winipc_test",
  uuid: "8e8a2c4b-5f3d-4a71-b6e2-0c9d1e2f3a4b",
  version: "1.2",
  operations: {
    Echo: {
      opnum: 0,
      in: [["n", u32], ["big", i64], ["text", wstring], ["data", conformantArray(u8)], [
        "note",
        uniquePtr(wstring),
      ]],
      out: [["n", u32], ["big", i64], ["text", wstring], ["data", conformantArray(u8)], [
        "note",
        uniquePtr(wstring),
      ], ["status", u32]],
    },
    Fail: { opnum: 1, in: [["status", u32]], out: [["status", u32]] },
    Sleep: { opnum: 2, in: [["ms", u32]], out: [["status", u32]] },
    Open: { opnum: 3, in: [["name", wstring]], out: [["handle", contextHandle], ["status", u32]] },
    Read: { opnum: 4, in: [["handle", contextHandle]], out: [["name", wstring], ["status", u32]] },
    Close: { opnum: 5, in: [["handle", contextHandle]], out: [["handle", contextHandle], ["status", u32]] },
    /** Declared, never implemented: its calls fault with nca_s_op_rng_error. */
    Missing: { opnum: 6, in: [], out: [["status", u32]] },
  },
});

/** Fail's status that makes the handler throw a plain Error (the client sees nca_s_fault_unspec). */
export const THROW_PLAIN_ERROR = 0xffffffff;

/** The test server's implementation; `state.rundowns` counts context handles run down. */
export function testImplementation(
  state: { rundowns: number },
): RpcImplementation<typeof testInterface.operations> {
  return {
    Echo: (args) => ({ ...args, status: 0 }),
    Fail: ({ status }) => {
      if (status === THROW_PLAIN_ERROR) throw new Error("boom");
      throw new RpcFaultError(status);
    },
    Sleep: ({ ms }, call) =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(() => resolve({ status: 0 }), ms);
        call.signal.addEventListener("abort", () => {
          clearTimeout(timer);
          reject(call.signal.reason);
        }, { once: true });
      }),
    Open: ({ name }, call) => ({
      handle: call.contextHandles.create({ name }, () => state.rundowns++),
      status: 0,
    }),
    Read: ({ handle }, call) => ({ name: call.contextHandles.get<{ name: string }>(handle).name, status: 0 }),
    Close: ({ handle }, call) => ({ handle: call.contextHandles.close(handle), status: 0 }),
  };
}

/** Arguments of Echo: any value of each parameter, strings from `text`, up to `maxData` bytes. */
export function echoArgs(text: fc.Arbitrary<string>, maxData: number) {
  return fc.record({
    n: fc.nat({ max: 0xffffffff }),
    big: fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
    text,
    data: fc.array(fc.nat({ max: 255 }), { maxLength: maxData }),
    note: fc.option(text, { nil: null }),
  });
}
