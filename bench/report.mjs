// The benchmark's report, from the per-runtime records of bench/run.ts and bench/node_floor.mjs:
// results.json (every number), results.md (a table per runtime and the issue's acceptance ratios),
// results.svg (round-trip ratios to each case's floor, drawn here: no dependency, no network), and
// the README's benchmark section between `<!-- bench:begin -->` and `<!-- bench:end -->`.
// Plain Node (Linux side); used by scripts/bench.mjs.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/**
 * @typedef {{ n: number, median: number, p99: number, mean: number, min: number, max: number }} Summary
 * @typedef {{
 *   name: string, title: string, kind: "library" | "floor", status: "ok" | "failed" | "skipped",
 *   reason?: string, floor?: { rtt?: string, throughput?: string }, compare?: string[], limit?: string,
 *   perCall?: boolean,
 *   rtt?: Summary, throughput?: { bytes: number, messageSize: number, seconds: number, mibPerSecond: number },
 *   idle?: { cpuMs: number, wallMs: number, percent: number }, notes?: string[], seconds?: number,
 * }} CaseResult
 * @typedef {{ runtime: string, version: string, engine?: string, settings?: object, date?: string,
 *   cases: CaseResult[], error?: string }} RunRecord
 * @typedef {{ date: string, cpu: string, cores: number, wine: string, kernel: string }} Machine
 */

export const BEGIN = "<!-- bench:begin -->";
export const END = "<!-- bench:end -->";
const RUNTIME_NAMES = /** @type {Record<string, string>} */ ({ deno: "Deno", bun: "Bun", node: "Node" });

/** Finds a case by name in this runtime's record, or among Node's floors. */
function lookup(
  /** @type {RunRecord} */ run,
  /** @type {RunRecord | undefined} */ node,
  /** @type {string} */ name,
) {
  return run.cases.find((c) => c.name === name) ?? node?.cases.find((c) => c.name === name);
}

/** RTT ratio (median over median: above 1 is slower) and throughput ratio (rate over rate: below 1 is slower). */
function ratios(/** @type {CaseResult} */ c, /** @type {CaseResult | undefined} */ ref) {
  const ok = (/** @type {CaseResult | undefined} */ x) => x && x.status === "ok";
  return {
    rtt: ok(c) && ok(ref) && c.rtt && ref?.rtt ? c.rtt.median / ref.rtt.median : undefined,
    throughput: ok(c) && ok(ref) && c.throughput && ref?.throughput
      ? c.throughput.mibPerSecond / ref.throughput.mibPerSecond
      : undefined,
  };
}

/** Every ratio of every library case, by runtime: to its floors and to the `compare` references. */
export function computeRatios(/** @type {RunRecord[]} */ runs, /** @type {RunRecord | undefined} */ node) {
  /** @type {Record<string, Record<string, object>>} */
  const out = {};
  for (const run of runs) {
    out[run.runtime] = {};
    for (const c of run.cases) {
      if (c.kind !== "library") continue;
      const rttFloor = c.floor?.rtt ? lookup(run, node, c.floor.rtt) : undefined;
      const bulkFloor = c.floor?.throughput ? lookup(run, node, c.floor.throughput) : undefined;
      out[run.runtime][c.name] = {
        rttToFloor: c.floor?.rtt ? { floor: c.floor.rtt, ratio: ratios(c, rttFloor).rtt ?? null } : null,
        throughputToFloor: c.floor?.throughput
          ? { floor: c.floor.throughput, ratio: ratios(c, bulkFloor).throughput ?? null }
          : null,
        meanToMedian: c.rtt ? c.rtt.mean / c.rtt.median : null,
        compare: (c.compare ?? []).map((name) => {
          const r = ratios(c, lookup(run, node, name));
          return { with: name, rtt: r.rtt ?? null, throughput: r.throughput ?? null };
        }),
      };
    }
  }
  return out;
}

// --- formatting ---

// Below 1 µs (the per-call cases), nanoseconds.
const us = (/** @type {number} */ x) =>
  x >= 100
    ? `${x.toFixed(0)} µs`
    : x >= 10
    ? `${x.toFixed(1)} µs`
    : x >= 1
    ? `${x.toFixed(2)} µs`
    : `${(x * 1000).toFixed(x >= 0.01 ? 0 : 1)} ns`;
const times = (/** @type {number | undefined} */ x) =>
  x === undefined ? "-" : x >= 10 ? `${x.toFixed(1)}x` : `${x.toFixed(2)}x`;
const rate = (/** @type {number} */ x) => x >= 100 ? `${x.toFixed(0)}` : `${x.toFixed(1)}`;
const pct = (/** @type {number} */ x) => `${x.toFixed(2)} %`;
const cell = (/** @type {string} */ s) => s.replaceAll("|", "\\|").replaceAll("\n", " ");

/** A Markdown table with padded columns (the layout `deno fmt` gives, so the file stays formatted). */
export function table(/** @type {string[]} */ head, /** @type {string[][]} */ rows) {
  const all = [head, ...rows].map((r) => r.map(cell));
  const width = head.map((_, i) => Math.max(3, ...all.map((r) => [...r[i]].length)));
  const line = (/** @type {string[]} */ r) =>
    `| ${r.map((c, i) => c + " ".repeat(width[i] - [...c].length)).join(" | ")} |`;
  return [line(all[0]), `| ${width.map((w) => "-".repeat(w)).join(" | ")} |`, ...all.slice(1).map(line)].join(
    "\n",
  );
}

/** One runtime's table: every case, floors included. */
export function runtimeTable(/** @type {RunRecord} */ run, /** @type {RunRecord | undefined} */ node) {
  const rows = run.cases.map((c) => {
    const rttFloor = c.floor?.rtt ? lookup(run, node, c.floor.rtt) : undefined;
    const bulkFloor = c.floor?.throughput ? lookup(run, node, c.floor.throughput) : undefined;
    const notes = [c.title];
    if (c.status !== "ok") notes.push(`**${c.status}**: ${c.reason ?? ""}`);
    if (c.floor?.rtt) {
      notes.push(
        `floor: ${c.floor.rtt}${
          c.floor.throughput && c.floor.throughput !== c.floor.rtt ? `, ${c.floor.throughput}` : ""
        }`,
      );
    }
    for (const name of c.compare ?? []) {
      const r = ratios(c, lookup(run, node, name));
      notes.push(`vs ${name}: RTT ${times(r.rtt)}, MiB/s ${times(r.throughput)}`);
    }
    if (c.limit) notes.push(c.limit);
    for (const n of c.notes ?? []) notes.push(n);
    const isFloor = c.kind === "floor";
    return [
      isFloor ? `${c.name} (floor)` : `**${c.name}**`,
      c.rtt ? us(c.rtt.median) : "-",
      c.rtt ? us(c.rtt.p99) : "-",
      c.rtt ? us(c.rtt.mean) : "-",
      isFloor ? "1 (floor)" : c.floor?.rtt ? times(ratios(c, rttFloor).rtt) : "no floor",
      c.throughput ? rate(c.throughput.mibPerSecond) : "-",
      isFloor
        ? (c.throughput ? "1 (floor)" : "-")
        : c.floor?.throughput
        ? times(ratios(c, bulkFloor).throughput)
        : "-",
      c.idle ? pct(c.idle.percent) : "-",
      notes.join("; "),
    ];
  });
  return table(
    [
      "case",
      "RTT median",
      "RTT p99",
      "RTT mean",
      "RTT / floor",
      "MiB/s",
      "MiB/s / floor",
      "idle CPU",
      "notes",
    ],
    rows,
  );
}

/**
 * Issue 12's acceptance: each a ratio of a library case to a reference (`metric` rtt: median over
 * median; throughput: rate over rate; meanToMedian: the case's own mean over its median), with a
 * bound (`max` or `min`; `strict` for "faster than").
 * @typedef {{ what: string, case: string, ref?: string, metric: "rtt" | "throughput" | "meanToMedian",
 *   max?: number, min?: number, strict?: boolean }} Target
 * @type {Target[]}
 */
export const TARGETS = [
  ...["message", "byte"].flatMap((mode) => [
    {
      what: `pipe ${mode} RTT / raw pipe ${mode}`,
      case: `pipe-${mode}`,
      ref: `raw-pipe-${mode}`,
      metric: "rtt",
      max: 1.5,
    },
    {
      what: `pipe ${mode} RTT / Node net pipe`,
      case: `pipe-${mode}`,
      ref: "node-net-pipe",
      metric: "rtt",
      max: 1,
    },
    {
      what: `pipe ${mode} MiB/s / raw pipe ${mode}`,
      case: `pipe-${mode}`,
      ref: `raw-pipe-${mode}`,
      metric: "throughput",
      min: 0.8,
    },
  ]),
  {
    what: "pipe message RTT under load / raw pipe under load",
    case: "pipe-message-loaded",
    ref: "raw-pipe-message-loaded",
    metric: "rtt",
    max: 1.5,
  },
  { what: "shm spin RTT / raw Atomics spin", case: "shm-spin", ref: "raw-shm-spin", metric: "rtt", max: 5 },
  { what: "shm spin RTT mean / median", case: "shm-spin", metric: "meanToMedian", max: 2 },
  {
    what: "shm events RTT / raw event ping-pong",
    case: "shm-events",
    ref: "raw-event",
    metric: "rtt",
    max: 1.3,
  },
  { what: "tcp RTT / raw ws2_32", case: "tcp", ref: "raw-tcp", metric: "rtt", max: 1.5 },
  { what: "tcp RTT / runtime TCP", case: "tcp", ref: "runtime-tcp", metric: "rtt", max: 1, strict: true },
  {
    what: "tcp MiB/s / runtime TCP",
    case: "tcp",
    ref: "runtime-tcp",
    metric: "throughput",
    min: 1,
    strict: true,
  },
].map((t) => /** @type {Target} */ (t));

/** A target's measured value in one runtime's run, if both sides were measured. */
function targetValue(
  /** @type {Target} */ t,
  /** @type {RunRecord} */ run,
  /** @type {RunRecord | undefined} */ node,
) {
  const c = lookup(run, node, t.case);
  if (!c) return undefined;
  if (t.metric === "meanToMedian") return c.status === "ok" && c.rtt ? c.rtt.mean / c.rtt.median : undefined;
  return ratios(c, t.ref ? lookup(run, node, t.ref) : undefined)[t.metric];
}

/** "met", or "missed by F" where F is how far the value is from the bound, as a factor. */
function verdict(/** @type {Target} */ t, /** @type {number} */ x) {
  if (t.max !== undefined) {
    const ok = t.strict ? x < t.max : x <= t.max;
    return ok ? "met" : `**missed** by ${times(x / t.max)}`;
  }
  const min = /** @type {number} */ (t.min);
  const ok = t.strict ? x > min : x >= min;
  return ok ? "met" : `**missed** by ${times(min / x)}`;
}

/** The ratios issue 12's acceptance names, each with its target and whether it is met (and by how much not). */
export function acceptanceTable(/** @type {RunRecord} */ run, /** @type {RunRecord | undefined} */ node) {
  const rows = TARGETS.filter((t) => lookup(run, node, t.case)).map((t) => {
    const x = targetValue(t, run, node);
    const bound = t.max !== undefined
      ? `${t.strict ? "<" : "≤"} ${t.max}x`
      : `${t.strict ? ">" : "≥"} ${t.min}x`;
    return [
      t.what,
      x === undefined ? "-" : times(x),
      bound,
      x === undefined ? "not measured" : verdict(t, x),
    ];
  });
  const idle = run.cases.filter((c) => c.idle && c.status === "ok");
  if (idle.length) {
    const worst = idle.reduce((a, b) => ((b.idle?.percent ?? 0) > (a.idle?.percent ?? 0) ? b : a));
    const { percent: x, cpuMs, wallMs } = worst.idle ?? { percent: 0, cpuMs: 0, wallMs: 0 };
    const measured = `${pct(x)} (${cpuMs.toFixed(0)} ms in ${(wallMs / 1000).toFixed(1)} s)`;
    rows.push([
      `idle listener CPU, the highest (${worst.name})`,
      measured,
      "< 1 %",
      x < 1 ? "met" : "**missed**",
    ]);
  }
  return table(["acceptance (issue 12)", "measured", "target", "verdict"], rows);
}

/**
 * One sentence on the FFI backend's cost per call against raw calls (Node: winipc's koffi backend
 * against koffi), from the per-call cases that have a measured floor.
 */
export function backendOverhead(/** @type {RunRecord} */ run) {
  const parts = run.cases.filter((c) => c.perCall && c.kind === "library" && c.floor?.rtt).flatMap((c) => {
    const raw = run.cases.find((x) => x.name === c.floor?.rtt);
    const r = ratios(c, raw).rtt;
    if (r === undefined || !c.rtt || !raw?.rtt) return [];
    const extra = (c.rtt.median - raw.rtt.median) * 1000;
    return [`${c.name} ${times(r)} (${extra >= 0 ? "+" : ""}${extra.toFixed(0)} ns per call)`];
  });
  if (parts.length === 0) return undefined;
  return `The FFI backend against raw calls, median per call: ${parts.join(", ")}.`;
}

/** The Markdown body shared by results.md and the README section. */
export function markdown(
  /** @type {RunRecord[]} */ runs,
  /** @type {RunRecord | undefined} */ node,
  /** @type {Machine} */ m,
  /** @type {{ rtt: number, warmup: number, bulkMiB: number, idleMs: number }} */ s,
  /** @type {string} */ chart,
) {
  const parts = [];
  const versions = [
    ...new Set(
      [...runs, ...(node ? [node] : [])].map((r) => `${RUNTIME_NAMES[r.runtime] ?? r.runtime} ${r.version}`),
    ),
  ].join(", ");
  parts.push(
    `Run of ${
      m.date.slice(0, 10)
    } on ${m.cpu} (${m.cores} cores), ${m.wine} on Linux ${m.kernel}; ${versions}. ` +
      `Round trips: ${s.rtt} of 64 bytes after ${s.warmup} of warm-up, each timed with performance.now() ` +
      `(median, p99 and mean in µs). Throughput: ${s.bulkMiB} MiB in 64 KiB messages one way, up to the ` +
      `peer's acknowledgement, unless a case states a lower practical limit. Idle CPU: process CPU time ` +
      `(node:process cpuUsage(), 10 ms granularity under Wine) over ${
        s.idleMs / 1000
      } s while the listener ` +
      `waits for its first client, as % of wall time. RTT / floor is the median over the floor's median ` +
      `(above 1: slower); MiB/s / floor is the rate over the floor's rate (below 1: slower). Floors run in ` +
      `the same run and runtime, right before the cases measured against them; node-net-* are Node for ` +
      `Windows' own \`net\` between two Node processes in the same session. In a library case (bold) both ` +
      `processes use winipc, as the floors' two processes both make the raw calls (child-pipe's child copies ` +
      `bytes with raw blocking calls). Node runs winipc through koffi; its raw floors call through winipc's ` +
      `koffi backend, and the ffi-call-* cases time one call (µs per call, in batches of 1000) through that ` +
      `backend against the same call through koffi directly (raw-koffi-call-*, Node only): the backend's overhead.`,
    `![winipc round trip / floor, per case and runtime](${chart})`,
  );
  for (const run of runs) {
    const name = RUNTIME_NAMES[run.runtime] ?? run.runtime;
    parts.push(`#### ${name} ${run.version}`);
    if (run.error) parts.push(`The ${name} run failed: ${run.error}`);
    else parts.push(runtimeTable(run, node), acceptanceTable(run, node));
    const overhead = backendOverhead(run);
    if (overhead) parts.push(overhead);
  }
  if (node) {
    parts.push("#### Node for Windows floors");
    if (node.error) parts.push(`The Node run failed: ${node.error}`);
    else parts.push(runtimeTable(node, undefined));
  }
  return parts.join("\n\n") + "\n";
}

// --- SVG ---

const esc = (/** @type {string} */ s) =>
  s.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;");

/** A horizontal bar chart of each library case's RTT ratio to its floor, one bar per runtime, log scale. */
export function svgChart(
  /** @type {RunRecord[]} */ runs,
  /** @type {RunRecord | undefined} */ node,
  /** @type {Machine} */ m,
) {
  const colors = ["#2f6fb0", "#d08a1e", "#4a9a4a"];
  const names = [
    ...new Set(
      runs.flatMap((r) =>
        r.cases.filter((c) => c.kind === "library" && c.floor?.rtt && !c.perCall).map((c) => c.name)
      ),
    ),
  ];
  /** @type {{ name: string, floor: string, values: (number | undefined)[] }[]} */
  const rows = names.map((name) => ({
    name,
    floor: runs.map((r) => r.cases.find((c) => c.name === name)?.floor?.rtt).find(Boolean) ?? "",
    values: runs.map((r) => {
      const c = r.cases.find((x) => x.name === name);
      return c?.floor?.rtt ? ratios(c, lookup(r, node, c.floor.rtt)).rtt : undefined;
    }),
  }));
  const all = rows.flatMap((r) => r.values).filter((v) => v !== undefined);
  const ticks = [0.5, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000];
  const lo = Math.min(1, ...all) < 1 ? 0.5 : 1;
  const hi = ticks.find((t) => t >= Math.max(2, ...all)) ?? 1000;
  const [left, right, top, barH, gap] = [300, 70, 64, 13, 12];
  const plotW = 460;
  const rowH = barH * runs.length + gap;
  const height = top + rows.length * rowH + 54;
  const width = left + plotW + right;
  const x = (/** @type {number} */ v) =>
    left + (Math.log(Math.max(v, lo)) - Math.log(lo)) / (Math.log(hi) - Math.log(lo)) * plotW;
  const out = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
  );
  out.push(`<rect width="${width}" height="${height}" fill="#fff"/>`);
  out.push(
    `<text x="10" y="20" font-size="14" font-weight="bold">winipc 64-byte round trip / its floor (median over median; log scale; lower is better)</text>`,
  );
  out.push(
    `<text x="10" y="38" fill="#555">${
      esc(`${m.date.slice(0, 10)}, ${m.cpu}, ${m.cores} cores, ${m.wine}`)
    }</text>`,
  );
  runs.forEach((r, i) => {
    const lx = left + i * 120;
    out.push(`<rect x="${lx}" y="46" width="12" height="10" fill="${colors[i % colors.length]}"/>`);
    out.push(
      `<text x="${lx + 16}" y="55">${esc(`${RUNTIME_NAMES[r.runtime] ?? r.runtime} ${r.version}`)}</text>`,
    );
  });
  const lt = left + runs.length * 120;
  out.push(
    `<line x1="${lt + 6}" y1="45" x2="${
      lt + 6
    }" y2="57" stroke="#c00" stroke-width="2" stroke-dasharray="3,2"/>`,
  );
  out.push(`<text x="${lt + 14}" y="55">target (issue 12)</text>`);
  const plotBottom = top + rows.length * rowH;
  for (const t of ticks.filter((t) => t >= lo && t <= hi)) {
    out.push(
      `<line x1="${x(t).toFixed(1)}" y1="${top - 4}" x2="${x(t).toFixed(1)}" y2="${plotBottom}" stroke="${
        t === 1 ? "#000" : "#ddd"
      }"/>`,
    );
    out.push(
      `<text x="${x(t).toFixed(1)}" y="${plotBottom + 16}" text-anchor="middle" fill="#333">${t}x</text>`,
    );
  }
  const one = x(1);
  rows.forEach((row, i) => {
    const y0 = top + i * rowH;
    row.values.forEach((v, j) => {
      const y = y0 + j * barH;
      if (v === undefined) {
        out.push(`<text x="${left + 4}" y="${y + barH - 3}" fill="#a00" font-size="10">not measured</text>`);
        return;
      }
      // From the 1x line: right when slower than the floor, left when faster.
      const [a, b] = [Math.min(one, x(v)), Math.max(one, x(v))];
      out.push(
        `<rect x="${a.toFixed(1)}" y="${y}" width="${Math.max(1, b - a).toFixed(1)}" height="${
          barH - 2
        }" fill="${colors[j % colors.length]}"/>`,
      );
      out.push(
        `<text x="${(b + 4).toFixed(1)}" y="${y + barH - 3}" font-size="10">${times(v)}</text>`,
      );
    });
    // Over the bars: the line must stay visible.
    const target = TARGETS.find((t) => t.case === row.name && t.ref === row.floor && t.metric === "rtt")?.max;
    if (target !== undefined) {
      out.push(
        `<line x1="${x(target).toFixed(1)}" y1="${y0 - 3}" x2="${x(target).toFixed(1)}" y2="${
          y0 + barH * runs.length + 1
        }" stroke="#c00" stroke-width="2" stroke-dasharray="3,2"/>`,
      );
    }
    out.push(
      `<text x="${left - 8}" y="${y0 + barH * runs.length / 2 + 4}" text-anchor="end">${
        esc(`${row.name} / ${row.floor}`)
      }</text>`,
    );
  });
  out.push(
    `<text x="10" y="${
      height - 10
    }" fill="#555" font-size="11">Cases without a floor (mailslot, udp, copydata, clipboard, serial) and the per-call FFI cases are in results.md only.</text>`,
  );
  out.push("</svg>");
  return out.join("\n") + "\n";
}

/**
 * Writes results.json, results.md and results.svg into `dir`; with `readme`, replaces the text
 * between the markers in that file.
 * @param {{ dir: string, readme?: string, runs: RunRecord[], node?: RunRecord, machine: Machine,
 *   settings: { rtt: number, warmup: number, bulkMiB: number, idleMs: number } }} o
 */
export function writeReport(o) {
  const { runs, node, machine, settings } = o;
  const json = {
    date: machine.date,
    machine,
    settings,
    runtimes: runs,
    node,
    ratios: computeRatios(runs, node),
  };
  writeFileSync(join(o.dir, "results.json"), JSON.stringify(json, null, 2) + "\n");
  writeFileSync(
    join(o.dir, "results.md"),
    `# winipc benchmark\n\nWritten by \`npm run bench\` (scripts/bench.mjs, bench/).\n\n${
      markdown(runs, node, machine, settings, "results.svg")
    }`,
  );
  writeFileSync(join(o.dir, "results.svg"), svgChart(runs, node, machine));
  if (o.readme) {
    const text = readFileSync(o.readme, "utf8");
    const a = text.indexOf(BEGIN);
    const b = text.indexOf(END);
    if (a < 0 || b < a) throw new Error(`${o.readme}: no ${BEGIN} ... ${END} section`);
    const section = `${BEGIN}\n\n${markdown(runs, node, machine, settings, `${o.dir}/results.svg`)}\n${END}`;
    writeFileSync(o.readme, text.slice(0, a) + section + text.slice(b + END.length));
  }
}
