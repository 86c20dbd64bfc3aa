/**
 * Protocol towers (C706 appendix L; MS-RPCE 2.2.1.1.7): how the endpoint mapper describes an
 * interface's endpoint, floor by floor: the interface, the transfer syntax, the RPC protocol,
 * then the transport's address (a pipe name and host, or a TCP port and IPv4 address). Pure;
 * a tower from a peer is bounds-checked.
 * @module
 */
import { ProtocolError } from "../../core/errors.ts";
import { parseGuid } from "../../core/guid.ts";
import { formatUuid } from "./ndr.ts";
import type { RpcBinding } from "./binding.ts";
import { NDR_SYNTAX, type SyntaxId } from "./pdu.ts";

/** Floor protocol identifiers (C706 appendix I; MS-RPCE 2.2.1.1.7). */
const FLOOR_UUID = 0x0d;
const FLOOR_RPC_CO = 0x0b;
const FLOOR_TCP = 0x07;
const FLOOR_IP = 0x09;
const FLOOR_NAMED_PIPE = 0x0f;
const FLOOR_NETBIOS = 0x11;

/** What a tower says. */
export interface Tower {
  /** The interface (abstract syntax). */
  readonly interface: SyntaxId;
  /** The transfer syntax. */
  readonly transfer: SyntaxId;
  /** Where the interface is served (host: the tower's NetBIOS name or IPv4 address, null if empty). */
  readonly binding: RpcBinding;
}

/** The tower octets for `iface` served at `binding` (NDR 2.0, connection-oriented). */
export function encodeTower(iface: SyntaxId, binding: RpcBinding): Uint8Array {
  const floors: [Uint8Array, Uint8Array][] = [
    uuidFloor(iface),
    uuidFloor(NDR_SYNTAX),
    [Uint8Array.of(FLOOR_RPC_CO), u16le(0)],
  ];
  if (binding.protocol === "ncacn_np") {
    floors.push([Uint8Array.of(FLOOR_NAMED_PIPE), ascii(`\\PIPE\\${binding.pipe}`)]);
    floors.push([Uint8Array.of(FLOOR_NETBIOS), ascii(binding.host ?? "")]);
  } else {
    floors.push([Uint8Array.of(FLOOR_TCP), Uint8Array.of(binding.port >> 8, binding.port & 0xff)]);
    const ip = /^(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(binding.host);
    floors.push([Uint8Array.of(FLOOR_IP), ip ? Uint8Array.from(ip.slice(1).map(Number)) : new Uint8Array(4)]);
  }
  const size = 2 + floors.reduce((n, [l, r]) => n + 4 + l.length + r.length, 0);
  const out = new Uint8Array(size);
  const v = new DataView(out.buffer);
  v.setUint16(0, floors.length, true);
  let at = 2;
  for (const [lhs, rhs] of floors) {
    v.setUint16(at, lhs.length, true);
    out.set(lhs, at + 2);
    at += 2 + lhs.length;
    v.setUint16(at, rhs.length, true);
    out.set(rhs, at + 2);
    at += 2 + rhs.length;
  }
  return out;
}

/**
 * What the tower octets `bytes` say.
 * @throws {ProtocolError} truncated, or not an NDR-over-connection tower on a pipe or TCP.
 */
export function decodeTower(bytes: Uint8Array): Tower {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const need = (at: number, n: number) => {
    if (at + n > bytes.length) throw new ProtocolError(`RPC tower: truncated at byte ${at}`);
  };
  need(0, 2);
  const count = v.getUint16(0, true);
  const floors: { lhs: Uint8Array; rhs: Uint8Array }[] = [];
  let at = 2;
  for (let i = 0; i < count; i++) {
    need(at, 2);
    const ln = v.getUint16(at, true);
    need(at + 2, ln + 2);
    const lhs = bytes.subarray(at + 2, at + 2 + ln);
    at += 2 + ln;
    const rn = v.getUint16(at, true);
    need(at + 2, rn);
    floors.push({ lhs, rhs: bytes.subarray(at + 2, at + 2 + rn) });
    at += 2 + rn;
  }
  if (count < 5) throw new ProtocolError(`RPC tower: ${count} floors, 5 expected`);
  const iface = syntaxOf(floors[0]);
  const transfer = syntaxOf(floors[1]);
  if (floors[2].lhs[0] !== FLOOR_RPC_CO) throw new ProtocolError("RPC tower: not connection-oriented RPC");
  const [t, a] = [floors[3], floors[4]];
  if (t.lhs[0] === FLOOR_NAMED_PIPE && a.lhs[0] === FLOOR_NETBIOS) {
    const path = text(t.rhs);
    const m = /^\\pipe\\(.+)$/i.exec(path);
    if (!m) throw new ProtocolError(`RPC tower: pipe '${path}' is not \\PIPE\\NAME`);
    const host = text(a.rhs);
    return {
      interface: iface,
      transfer,
      binding: { protocol: "ncacn_np", host: host || null, pipe: m[1], object: null },
    };
  }
  if (t.lhs[0] === FLOOR_TCP && a.lhs[0] === FLOOR_IP && t.rhs.length === 2 && a.rhs.length === 4) {
    const port = t.rhs[0] << 8 | t.rhs[1];
    return {
      interface: iface,
      transfer,
      binding: { protocol: "ncacn_ip_tcp", host: a.rhs.join("."), port, object: null },
    };
  }
  throw new ProtocolError(
    `RPC tower: transport floors 0x${t.lhs[0]?.toString(16)} / 0x${
      a.lhs[0]?.toString(16)
    } are not a pipe or TCP`,
  );
}

function uuidFloor(s: SyntaxId): [Uint8Array, Uint8Array] {
  const lhs = new Uint8Array(19);
  lhs[0] = FLOOR_UUID;
  lhs.set(parseGuid(s.uuid), 1);
  new DataView(lhs.buffer).setUint16(17, s.major, true);
  return [lhs, u16le(s.minor)];
}

function syntaxOf(f: { lhs: Uint8Array; rhs: Uint8Array }): SyntaxId {
  if (f.lhs.length !== 19 || f.lhs[0] !== FLOOR_UUID || f.rhs.length !== 2) {
    throw new ProtocolError("RPC tower: a UUID floor is malformed");
  }
  const v = new DataView(f.lhs.buffer, f.lhs.byteOffset, 19);
  return {
    uuid: formatUuid(f.lhs.subarray(1, 17)),
    major: v.getUint16(17, true),
    minor: f.rhs[0] | f.rhs[1] << 8,
  };
}

function u16le(n: number): Uint8Array {
  return Uint8Array.of(n & 0xff, n >> 8);
}

/** A NUL-terminated ASCII string's bytes (an empty one is just the NUL). */
function ascii(s: string): Uint8Array {
  const out = new Uint8Array(s.length + 1);
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c > 0x7e || c < 0x20) throw new RangeError(`RPC tower: '${s}' is not printable ASCII`);
    out[i] = c;
  }
  return out;
}

/** The text before the first NUL. */
function text(b: Uint8Array): string {
  const end = b.indexOf(0);
  return String.fromCharCode(...b.subarray(0, end < 0 ? b.length : end));
}
