/**
 * AF_UNIX in the Wine tests: a temporary socket path, and whether AF_UNIX exists here at all.
 * @module
 */
import { rmSync } from "node:fs";
import process from "node:process";
import { SocketServer } from "../../src/mechanisms/socket/mod.ts";
import { WsaError } from "../../src/ffi/error.ts";
import { uniqueName } from "./harness.ts";

/** A temporary AF_UNIX socket path (the socket file is removed by the caller). */
export const unixPath = (what: string): string =>
  `${process.env.TEMP ?? "C:\\windows\\temp"}\\${uniqueName(what)}.sock`;

/**
 * Why AF_UNIX cannot be used here, or undefined when it can (Windows 10 1803 and later). Only
 * WSAEAFNOSUPPORT as a typed WsaError means "no AF_UNIX"; any other failure is thrown, so the
 * suite fails rather than skips.
 */
export async function unixUnsupported(): Promise<string | undefined> {
  const path = unixPath("probe");
  try {
    await SocketServer.listenUnix(path).close();
    rmSync(path, { force: true });
    return undefined;
  } catch (e) {
    if (e instanceof WsaError && e.code === 10047) {
      return "no AF_UNIX sockets here (WSAEAFNOSUPPORT; Wine 10 has none)";
    }
    throw e;
  }
}
