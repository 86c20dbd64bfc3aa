/**
 * One address syntax for every mechanism: `scheme:path?option=value&...`, for example
 * `pipe:orders`, `pipe:orders?mode=byte`, `shm:cache?size=1MiB`, `tcp:127.0.0.1:9000`.
 * @module
 */
import { AddressError } from "./errors.ts";

/** A parsed address. */
export interface Address {
  /** The mechanism, lower case: `pipe`, `mailslot`, ... */
  readonly scheme: string;
  /** Everything between `scheme:` and `?`. */
  readonly path: string;
  /** The `?option=value` pairs. */
  readonly params: URLSearchParams;
  /** The original text. */
  readonly text: string;
}

/** Parses `scheme:path?query`. Throws AddressError on anything else. */
export function parseAddress(text: string): Address {
  if (typeof text !== "string") throw new AddressError("an address is a string like 'pipe:name'");
  const m = /^([a-z][a-z0-9+.-]*):([^?]*)(?:\?(.*))?$/i.exec(text);
  if (!m || m[2] === "") {
    throw new AddressError(`bad address '${text}': expected 'scheme:name[?option=value&...]'`);
  }
  return { scheme: m[1].toLowerCase(), path: m[2], params: new URLSearchParams(m[3] ?? ""), text };
}

/** Reads an integer option; sizes accept KiB/MiB/GiB suffixes. */
export function intParam(addr: Address, name: string, min: number, max: number): number | undefined {
  const raw = addr.params.get(name);
  if (raw === null) return undefined;
  const m = /^(\d+)(KiB|MiB|GiB)?$/.exec(raw.trim());
  const scale = { KiB: 1024, MiB: 1024 ** 2, GiB: 1024 ** 3 } as const;
  const value = m ? Number(m[1]) * (m[2] ? scale[m[2] as keyof typeof scale] : 1) : NaN;
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new AddressError(`${addr.text}: option ${name}=${raw} must be an integer from ${min} to ${max}`);
  }
  return value;
}

/** Reads an option restricted to a set of words. */
export function enumParam<T extends string>(
  addr: Address,
  name: string,
  allowed: readonly T[],
): T | undefined {
  const raw = addr.params.get(name);
  if (raw === null) return undefined;
  if (!(allowed as readonly string[]).includes(raw)) {
    throw new AddressError(`${addr.text}: option ${name}=${raw} must be one of ${allowed.join(", ")}`);
  }
  return raw as T;
}

/** Reads a boolean option (`true`/`false`/`1`/`0`). */
export function boolParam(addr: Address, name: string): boolean | undefined {
  const v = enumParam(addr, name, ["true", "false", "1", "0"]);
  return v === undefined ? undefined : v === "true" || v === "1";
}
