/**
 * `winipc ls KIND`: what Windows can list (named pipes, windows, serial and parallel ports, the
 * clipboard's formats), one entry per line with tab-separated fields in a fixed order, or one
 * JSON array with `--json`. Mailslots cannot be listed (Windows has no API for it), nor can named
 * pipes under Wine: those are {@link NotListableError}s, never an empty listing.
 * @module
 */
import process from "node:process";
import { WinipcError } from "../core/errors.ts";
import { listNamedPipes, PipeListingUnsupportedError } from "../mechanisms/pipe/mod.ts";
import { listWindows } from "../mechanisms/window/mod.ts";
import { listPorts } from "../mechanisms/serial/mod.ts";
import { Clipboard } from "../mechanisms/clipboard/mod.ts";

export type { WinipcError } from "../core/errors.ts";

/** The kinds `winipc ls` knows, in the order its help lists them. */
export const LS_KINDS: readonly string[] = ["pipes", "mailslots", "windows", "ports", "clipboard"];

/** Usage text for `winipc ls --help`. */
export const LS_HELP: string = `winipc ls KIND [--json]

Lists what Windows can list, one entry per line, with tab-separated fields in this order (no
header line; "-" stands for a missing value; a control character inside a field is written as
\\uXXXX):
  pipes      NAME                                  named pipes (\\\\.\\pipe\\NAME)
  windows    HWND KIND PID CLASS ADDRESS TITLE     top-level (KIND "top") and message-only
                                                   (KIND "message") windows; ADDRESS is the
                                                   winipc address a window serves (copydata:NAME)
  ports      NAME                                  serial and parallel ports (COM1, LPT1)
  clipboard  FORMAT SIZE NAME                      the formats on the clipboard: id, bytes,
                                                   CF_* or registered name
  mailslots  cannot be listed: Windows has no API that lists mailslots
Under Wine, named pipes cannot be listed either.
  --json     one JSON array of objects instead, with exact values: pipes, ports: {name};
             windows: {hwnd, messageOnly, pid, threadId, className, address, title};
             clipboard: {format, size, name}
  -h, --help this help
Exit codes: 0 listed (perhaps nothing); 1 KIND cannot be listed here; 2 unknown KIND.`;

/**
 * This kind of object cannot be listed: Windows has no API for it (mailslots), or the system
 * the program runs on lacks it (named pipes under Wine). The `cause`, when there is one, is the
 * library's own error.
 */
export class NotListableError extends WinipcError {
  /** The kind asked for (`mailslots`, `pipes`). */
  readonly kind: string;

  /** `kind` cannot be listed; `message` says why. */
  constructor(kind: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.kind = kind;
  }
}

/** Options for {@link ls}. */
export interface LsOptions {
  /** Write one JSON array of objects instead of tab-separated lines. */
  json: boolean;
  /**
   * Where a usage message goes (an unknown kind). Default: standard error, as
   * `winipc: MESSAGE`.
   */
  stderr?: (line: string) => void;
}

/** One listed entry: its fields in output order, and its JSON object. */
interface Entry {
  readonly fields: readonly (string | number | null)[];
  readonly json: Record<string, unknown>;
}

/**
 * Lists `what` (one of {@link LS_KINDS}) through `write`, one line per entry: tab-separated
 * fields in the order {@link LS_HELP} gives, or with `json` a single line holding a JSON array.
 * An empty listing writes no line (with `json`: `[]`).
 *
 * Returns the exit code: 0 when listed, 2 for an unknown kind (the message, naming the kinds,
 * goes to `opts.stderr`, nothing to `write`).
 * @throws {NotListableError} for `mailslots` (Windows has no API that lists them) and, under
 *   Wine, `pipes`; nothing is written then.
 * @throws {WinipcError} when the system refuses a listing (a `Win32Error`, or
 *   `ClipboardBusyError` when another program keeps the clipboard open).
 */
export async function ls(what: string, opts: LsOptions, write: (line: string) => void): Promise<number> {
  const entries = await list(what);
  if (entries === undefined) {
    const stderr = opts.stderr ?? ((line: string) => void process.stderr.write(`winipc: ${line}\n`));
    stderr(`ls: unknown kind '${what}' (kinds: ${LS_KINDS.join(", ")}; see: winipc ls --help)`);
    return 2;
  }
  if (opts.json) write(JSON.stringify(entries.map((e) => e.json)));
  else for (const e of entries) write(e.fields.map(field).join("\t"));
  return 0;
}

/** The entries of one kind, or undefined for a kind that does not exist. */
async function list(what: string): Promise<Entry[] | undefined> {
  switch (what) {
    case "pipes":
      return pipes().map((name) => ({ fields: [name], json: { name } }));
    case "mailslots":
      throw new NotListableError(
        "mailslots",
        "mailslots cannot be listed: Windows has no API that lists them (a mailslot is reached " +
          "only by its name, \\\\.\\mailslot\\NAME)",
      );
    case "windows":
      return listWindows().map((w) => {
        const hwnd = `0x${w.hwnd.toString(16)}`;
        return {
          fields: [hwnd, w.messageOnly ? "message" : "top", w.pid, w.className, w.address, w.title],
          json: {
            hwnd,
            messageOnly: w.messageOnly,
            pid: w.pid,
            threadId: w.threadId,
            className: w.className,
            address: w.address,
            title: w.title,
          },
        };
      });
    case "ports":
      return listPorts().map((name) => ({ fields: [name], json: { name } }));
    case "clipboard": {
      await using clipboard = await Clipboard.open();
      const formats = await clipboard.describeFormats({ sizes: true });
      return formats.map((f) => ({
        fields: [f.format, f.size, f.name],
        json: { format: f.format, size: f.size, name: f.name },
      }));
    }
  }
  return undefined;
}

function pipes(): string[] {
  try {
    return listNamedPipes();
  } catch (e) {
    if (!(e instanceof PipeListingUnsupportedError)) throw e;
    throw new NotListableError("pipes", e.message, { cause: e });
  }
}

/** One field as text: "-" when missing; control characters (tab, newline, ...) as \uXXXX. */
function field(value: string | number | null): string {
  if (value === null) return "-";
  return String(value).replace(
    // deno-lint-ignore no-control-regex
    /[\u0000-\u001f\u007f]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}
