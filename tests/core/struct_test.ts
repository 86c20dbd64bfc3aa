/** Struct layouts (src/ffi/struct.ts): sizes and offsets against the Windows x64 SDK, and round trips. */
import { array, bytes, struct } from "../../src/ffi/struct.ts";
import {
  DCB,
  PROCESS_INFORMATION,
  SECURITY_ATTRIBUTES,
  STARTUPINFOEXW,
  STARTUPINFOW,
} from "../../src/ffi/headers/winbase.ts";
import { SOCKADDR_IN, SOCKADDR_IN6, SOCKADDR_UN } from "../../src/ffi/headers/winsock2.ts";
import { IO_STATUS_BLOCK, OBJECT_ATTRIBUTES, UNICODE_STRING } from "../../src/ffi/headers/winternl.ts";
import { assert, bytesEqual, test } from "../_support/harness.ts";
import { thrown } from "./_util.ts";

const eq = (actual: unknown, expected: unknown, what: string) =>
  assert(
    JSON.stringify(actual, (_k, v) => typeof v === "bigint" ? `${v}n` : v) ===
      JSON.stringify(expected, (_k, v) => typeof v === "bigint" ? `${v}n` : v),
    `${what}: got ${actual}, expected ${expected}`,
  );

test("struct: sizes match sizeof() on Windows x64", () => {
  eq(DCB.size, 28, "DCB");
  eq(SECURITY_ATTRIBUTES.size, 24, "SECURITY_ATTRIBUTES");
  eq(STARTUPINFOW.size, 104, "STARTUPINFOW");
  eq(STARTUPINFOEXW.size, 112, "STARTUPINFOEXW");
  eq(PROCESS_INFORMATION.size, 24, "PROCESS_INFORMATION");
  eq(SOCKADDR_IN.size, 16, "sockaddr_in");
  eq(SOCKADDR_IN6.size, 28, "sockaddr_in6");
  eq(SOCKADDR_UN.size, 110, "sockaddr_un");
});

test("struct: offsets match offsetof() on Windows x64", () => {
  eq(SECURITY_ATTRIBUTES.offsets, { nLength: 0, lpSecurityDescriptor: 8, bInheritHandle: 16 }, "SA");
  const dcb = DCB.offsets;
  eq([dcb.BaudRate, dcb.flags, dcb.XonLim, dcb.XoffLim], [4, 8, 14, 16], "DCB words");
  eq([dcb.ByteSize, dcb.Parity, dcb.StopBits, dcb.XonChar, dcb.XoffChar], [18, 19, 20, 21, 22], "DCB bytes");
  eq(dcb.wReserved1, 26, "DCB.wReserved1");
  const si = STARTUPINFOW.offsets;
  eq(
    [si.lpReserved, si.dwX, si.dwFlags, si.wShowWindow, si.lpReserved2],
    [8, 32, 60, 64, 72],
    "STARTUPINFOW",
  );
  eq([si.hStdInput, si.hStdOutput, si.hStdError], [80, 88, 96], "STARTUPINFOW handles");
  eq(STARTUPINFOEXW.offsets.lpAttributeList, 104, "STARTUPINFOEXW.lpAttributeList");
  eq(PROCESS_INFORMATION.offsets.dwProcessId, 16, "PROCESS_INFORMATION.dwProcessId");
  eq(SOCKADDR_IN.offsets, { sin_family: 0, sin_port: 2, sin_addr: 4, sin_zero: 8 }, "sockaddr_in");
  eq(SOCKADDR_IN6.offsets.sin6_addr, 8, "sockaddr_in6.sin6_addr");
  eq(SOCKADDR_IN6.offsets.sin6_scope_id, 24, "sockaddr_in6.sin6_scope_id");
  eq(SOCKADDR_UN.offsets.sun_path, 2, "sockaddr_un.sun_path");
});

test("struct: padding, tail rounding, arrays and byte regions", () => {
  const s = struct({ a: "u8", b: "u64", c: "u16", d: array("u16", 3), e: bytes(5), f: "u8" });
  eq(s.offsets, { a: 0, b: 8, c: 16, d: 18, e: 24, f: 29 }, "offsets");
  eq([s.size, s.align], [32, 8], "size and alignment");
  // A VARIANT-like struct: a 2-byte tag, padding, and a 16-byte union aligned to 8.
  const variant = struct({ vt: "u16", r1: "u16", r2: "u16", r3: "u16", value: bytes(16, 8) });
  eq([variant.size, variant.offsets.value], [24, 8], "VARIANT layout");
});

test("struct: encode writes little-endian fields, nested structs and network-order ports", () => {
  const si = STARTUPINFOEXW.encode({
    StartupInfo: { cb: 112, hStdError: 0x1122334455667788n },
    lpAttributeList: 7n,
  });
  const v = new DataView(si.buffer);
  eq([v.getUint32(0, true), v.getBigUint64(96, true), v.getBigUint64(104, true)], [
    112,
    0x1122334455667788n,
    7n,
  ], "STARTUPINFOEXW");
  const sin = SOCKADDR_IN.encode({
    sin_family: 2,
    sin_port: 0x1f90,
    sin_addr: new Uint8Array([127, 0, 0, 1]),
  });
  assert(bytesEqual(sin, new Uint8Array([2, 0, 0x1f, 0x90, 127, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0])), `${sin}`);
});

test("struct: read gives back what write wrote; write leaves other fields alone", () => {
  const buf = new Uint8Array(4 + DCB.size);
  buf.fill(0xee);
  DCB.write(buf, { DCBlength: 28, BaudRate: 115200, XonChar: 0x11, XoffChar: -1 }, 4);
  const d = DCB.read(buf, 4);
  eq([d.DCBlength, d.BaudRate, d.XonChar, d.XoffChar], [28, 115200, 0x11, -1], "written fields");
  eq([d.flags, d.ByteSize], [0xeeeeeeee, 0xee], "untouched fields");
  eq(buf[0], 0xee, "bytes before the struct");
  const a = SOCKADDR_IN6.read(SOCKADDR_IN6.encode({ sin6_port: 443, sin6_addr: new Uint8Array(16).fill(9) }));
  eq([a.sin6_port, [...a.sin6_addr]], [443, new Array(16).fill(9)], "sockaddr_in6");
  const arr = struct({ w: array("u16", 3), p: "ptr" });
  eq(arr.read(arr.encode({ w: [1, 2, 3], p: 5n })), { w: [1, 2, 3], p: 5n }, "arrays and pointers");
});

test("struct: out-of-range writes and reads are RangeErrors, unknown fields TypeErrors", () => {
  assert(thrown(() => SECURITY_ATTRIBUTES.read(new Uint8Array(23))) instanceof RangeError, "short read");
  assert(thrown(() => SECURITY_ATTRIBUTES.write(new Uint8Array(24), {}, 1)) instanceof RangeError, "offset");
  assert(
    thrown(() => SOCKADDR_UN.encode({ sun_path: new Uint8Array(109) })) instanceof RangeError,
    "byte region too long",
  );
  const bad = { nope: 1 } as unknown as Parameters<typeof SECURITY_ATTRIBUTES.encode>[0];
  assert(thrown(() => SECURITY_ATTRIBUTES.encode(bad)) instanceof TypeError, "unknown field");
});

test("struct: the native API's structs (winternl.h) match sizeof()/offsetof() on Windows x64", () => {
  eq([UNICODE_STRING.size, OBJECT_ATTRIBUTES.size, IO_STATUS_BLOCK.size], [16, 48, 16], "sizes");
  eq(UNICODE_STRING.offsets, { Length: 0, MaximumLength: 2, Buffer: 8 }, "UNICODE_STRING");
  const oa = OBJECT_ATTRIBUTES.offsets;
  eq([oa.RootDirectory, oa.ObjectName, oa.Attributes, oa.SecurityDescriptor], [8, 16, 24, 32], "OA");
});
