/**
 * RPC addresses (src/mechanisms/rpc): string bindings parsed and printed back, refused when
 * malformed; protocol towers round-tripped and bounds-checked; the svcctl buffer parsers on good
 * and hostile buffers.
 */
import { AddressError, ProtocolError } from "../../src/core/errors.ts";
import { formatBinding, parseBinding, type RpcBinding } from "../../src/mechanisms/rpc/binding.ts";
import {
  parseEnumServiceStatus,
  parseServiceStatusProcess,
} from "../../src/mechanisms/rpc/interfaces/svcctl.ts";
import { NDR_SYNTAX } from "../../src/mechanisms/rpc/pdu.ts";
import { decodeTower, encodeTower } from "../../src/mechanisms/rpc/tower.ts";
import { assert, fc, fcParams, test } from "../_support/harness.ts";
import { thrown } from "./_util.ts";

/** What `fn` throws, or undefined. */
function outcome(fn: () => unknown): unknown {
  try {
    fn();
    return undefined;
  } catch (e) {
    return e;
  }
}

test("rpc bindings: pipes (nested, C-escaped, on a host) and TCP parse and print back", () => {
  const cases: [string, RpcBinding][] = [
    ["ncacn_np:[\\pipe\\svcctl]", { protocol: "ncacn_np", host: null, pipe: "svcctl", object: null }],
    ["ncacn_np:[\\\\pipe\\\\svcctl]", { protocol: "ncacn_np", host: null, pipe: "svcctl", object: null }],
    ["ncacn_np:.[\\PIPE\\lrpc\\epmapper]", {
      protocol: "ncacn_np",
      host: null,
      pipe: "lrpc\\epmapper",
      object: null,
    }],
    ["ncacn_np:\\\\server[\\pipe\\x]", { protocol: "ncacn_np", host: "server", pipe: "x", object: null }],
    ["ncacn_ip_tcp:127.0.0.1[135]", { protocol: "ncacn_ip_tcp", host: "127.0.0.1", port: 135, object: null }],
    [
      "6B29FC40-CA47-1067-B31D-00DD010662DA@ncacn_ip_tcp:host[0]",
      { protocol: "ncacn_ip_tcp", host: "host", port: 0, object: "6b29fc40-ca47-1067-b31d-00dd010662da" },
    ],
  ];
  for (const [text, want] of cases) {
    const got = parseBinding(text);
    assert(JSON.stringify(got) === JSON.stringify(want), `${text}: ${JSON.stringify(got)}`);
    assert(JSON.stringify(parseBinding(formatBinding(got))) === JSON.stringify(got), `${text} printed back`);
  }
});

test("rpc bindings: malformed or unsupported ones are AddressErrors that say why", () => {
  const bad: [string, string][] = [
    ["", "bad RPC string binding"],
    ["svcctl", "bad RPC string binding"],
    ["ncacn_np:", "no endpoint"],
    ["ncacn_np:[svcctl]", "\\pipe\\NAME"],
    ["ncacn_ip_tcp:[135]", "needs a host"],
    ["ncacn_ip_tcp:h[http]", "port"],
    ["ncacn_ip_tcp:h[70000]", "port"],
    ["ncacn_ip_tcp:h[135,Security=x]", "options"],
    ["ncalrpc:[epmapper]", "ALPC"],
    ["ncadg_ip_udp:h[135]", "not supported"],
    ["nothex-0000-0000-0000-000000000000@ncacn_np:[\\pipe\\x]", "bad RPC string binding"],
  ];
  for (const [text, says] of bad) {
    const e = thrown(() => parseBinding(text));
    assert(e instanceof AddressError && e.message.includes(says), `${JSON.stringify(text)}: ${e}`);
  }
});

test("rpc towers: pipe and TCP towers round-trip; truncated or foreign ones are ProtocolErrors", () => {
  const iface = { uuid: "367abb81-9844-35f1-ad32-98f038001003", major: 2, minor: 0 };
  const bindings: RpcBinding[] = [
    { protocol: "ncacn_np", host: null, pipe: "svcctl", object: null },
    { protocol: "ncacn_np", host: "HOST", pipe: "a\\b", object: null },
    { protocol: "ncacn_ip_tcp", host: "10.1.2.3", port: 49152, object: null },
  ];
  for (const b of bindings) {
    const t = decodeTower(encodeTower(iface, b));
    assert(JSON.stringify(t.interface) === JSON.stringify(iface), "interface");
    assert(JSON.stringify(t.transfer) === JSON.stringify(NDR_SYNTAX), "transfer syntax");
    const want = b.protocol === "ncacn_np" ? { ...b, pipe: b.pipe } : b;
    assert(JSON.stringify(t.binding) === JSON.stringify(want), `${JSON.stringify(t.binding)}`);
  }
  const good = encodeTower(iface, bindings[0]);
  fc.assert(
    fc.property(fc.nat({ max: good.length - 1 }), fc.uint8Array({ maxLength: 120 }), (cut, junk) => {
      for (const bytes of [good.slice(0, cut), junk]) {
        const e = outcome(() => decodeTower(bytes));
        assert(e === undefined || e instanceof ProtocolError, `${e}`);
      }
    }),
    fcParams(300),
  );
});

test("rpc svcctl buffers: statuses and enumerations read within bounds; hostile offsets refused", () => {
  const status = new Uint8Array(36);
  new DataView(status.buffer).setUint32(4, 4, true); // SERVICE_RUNNING
  new DataView(status.buffer).setUint32(28, 1234, true);
  const s = parseServiceStatusProcess(status);
  assert(s.currentState === 4 && s.processId === 1234, JSON.stringify(s));
  assert(
    thrown(() => parseServiceStatusProcess(new Uint8Array(35))) instanceof ProtocolError,
    "short status",
  );
  // One entry: names at 36 ("A") and 40 ("Bc"), NUL-terminated UTF-16.
  const buf = new Uint8Array(46);
  const v = new DataView(buf.buffer);
  v.setUint32(0, 36, true);
  v.setUint32(4, 40, true);
  v.setUint32(12, 1, true);
  buf.set([0x41, 0, 0, 0, 0x42, 0, 0x63, 0, 0, 0], 36);
  const [e] = parseEnumServiceStatus(buf, 1);
  assert(e.serviceName === "A" && e.displayName === "Bc" && e.status.currentState === 1, JSON.stringify(e));
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 200 }), fc.nat({ max: 8 }), (junk, count) => {
      const err = outcome(() => parseEnumServiceStatus(junk, count));
      assert(err === undefined || err instanceof ProtocolError, `${err}`);
    }),
    fcParams(300),
  );
});
