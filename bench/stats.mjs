// Summary statistics of timed samples. Plain JavaScript with JSDoc types, so that Node for
// Windows (bench/node_floor.mjs) and the Deno/Bun cases summarise with the same code.

/**
 * A sample set summarised, in microseconds.
 * @typedef {{ n: number, median: number, p99: number, mean: number, min: number, max: number }} Summary
 */

/**
 * The value at quantile `q` (0..1) of sorted `xs`: nearest rank, so always a measured value.
 * @param {ArrayLike<number>} sorted
 * @param {number} q
 * @returns {number}
 */
export function quantile(sorted, q) {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil(q * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))];
}

/**
 * Median, p99, mean, min and max of `samples` (microseconds). The warm-up is not among them.
 * @param {Float64Array} samples
 * @returns {Summary}
 */
export function summarize(samples) {
  const sorted = samples.slice().sort();
  let sum = 0;
  for (const x of sorted) sum += x;
  return {
    n: sorted.length,
    median: quantile(sorted, 0.5),
    p99: quantile(sorted, 0.99),
    mean: sorted.length ? sum / sorted.length : NaN,
    min: sorted.length ? sorted[0] : NaN,
    max: sorted.length ? sorted[sorted.length - 1] : NaN,
  };
}
