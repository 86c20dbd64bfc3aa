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

/** Reads one option of an address: its value, undefined when absent, AddressError when bad. */
export type OptionReader<T> = (addr: Address, name: string) => T | undefined;

/**
 * The options a scheme knows for `connect` or for `listen`, declared once: each name with the
 * reader that validates its value. {@link parseOptions} refuses every other name.
 */
export type OptionTable = { readonly [name: string]: OptionReader<unknown> };

/** What {@link parseOptions} returns for a table: each option's value, or undefined. */
export type OptionValues<T extends OptionTable> = { -readonly [K in keyof T]: ReturnType<T[K]> };

/** An integer option from `min` to `max` (sizes may say KiB/MiB/GiB): see {@link intParam}. */
export function intOption(min: number, max: number): OptionReader<number> {
  return (addr, name) => intParam(addr, name, min, max);
}

/** An option that is one of `allowed`: see {@link enumParam}. */
export function enumOption<T extends string>(allowed: readonly T[]): OptionReader<T> {
  return (addr, name) => enumParam(addr, name, allowed);
}

/** A boolean option: see {@link boolParam}. */
export const boolOption: OptionReader<boolean> = boolParam;

/** A free-text option (an SDDL string, say), checked by whatever consumes it. */
export const textOption: OptionReader<string> = (addr, name) => addr.params.get(name) ?? undefined;

/**
 * Reads every option of `table` from `addr`, after refusing what the table does not know: an
 * unknown name (a typo such as `maxInstance`, or a `listen` option given to `connect`) or a name
 * given twice is an AddressError naming it and listing the known ones, so a mistake never passes
 * silently. Runs before any system call.
 * @param use `"connect"` or `"listen"`, for the message.
 * @throws {AddressError} an unknown, repeated or bad option.
 */
export function parseOptions<T extends OptionTable>(
  addr: Address,
  table: T,
  use: "connect" | "listen",
): OptionValues<T> {
  const known = Object.keys(table);
  const seen = new Set<string>();
  for (const name of addr.params.keys()) {
    if (!Object.hasOwn(table, name)) throw unknownOption(addr, name, known, use);
    if (seen.has(name)) throw new AddressError(`${addr.text}: option ${name} is given more than once`);
    seen.add(name);
  }
  const values: Record<string, unknown> = {};
  for (const name of known) values[name] = table[name](addr, name);
  return values as OptionValues<T>;
}

function unknownOption(addr: Address, name: string, known: string[], use: string): AddressError {
  const close = (k: string) => editDistance(k.toLowerCase(), name.toLowerCase()) <= Math.min(2, k.length / 3);
  const like = known.find(close);
  const hint = like ? `; did you mean ${like}?` : "";
  const list = known.length ? `known: ${known.join(", ")}` : `${addr.scheme}: takes none`;
  return new AddressError(`${addr.text}: unknown option '${name}' for ${use} (${list})${hint}`);
}

/** Levenshtein distance, for "did you mean": option names are short. */
function editDistance(a: string, b: string): number {
  let row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const next = [i];
    for (let j = 1; j <= b.length; j++) {
      next[j] = Math.min(row[j] + 1, next[j - 1] + 1, row[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    row = next;
  }
  return row[b.length];
}
