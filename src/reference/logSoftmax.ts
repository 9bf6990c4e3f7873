/**
 * CPU reference for shaders/log_softmax.wgsl (host: src/ops/logSoftmax.ts), in f64. The oracle of the tests and the
 * fallback when there is no WebGPU adapter. Same math: y = (x - max) - log(sum exp(x - max)), NaN rows stay NaN.
 */

/**
 * Per-row max, log of the sum of exp(x - max) and log-sum-exp of a [rows, cols] array, in f64. Use (x - max) - logSum
 * rather than x - lse: at |x| ~ 1e30, max + log(s) rounds the log away (two tied logits of 1e30 must give -log 2).
 */
export function rowLogSumExp(x: ArrayLike<number>, rows: number, cols: number): { max: Float64Array; logSum: Float64Array; lse: Float64Array } {
  const max = new Float64Array(rows);
  const logSum = new Float64Array(rows);
  const lse = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    let m = -Infinity;
    let nan = false;
    for (let c = 0; c < cols; c++) {
      const v = x[base + c]!;
      if (Number.isNaN(v)) nan = true;
      else if (v > m) m = v;
    }
    let s = 0;
    for (let c = 0; c < cols; c++) s += Math.exp(x[base + c]! - m);
    max[r] = nan ? NaN : m;
    logSum[r] = nan ? NaN : Math.log(s);
    lse[r] = nan ? NaN : m + Math.log(s);
  }
  return { max, logSum, lse };
}

/** log_softmax over the last dimension, f64 result. */
export function logSoftmax(x: ArrayLike<number>, rows: number, cols: number): Float64Array {
  const { max, logSum } = rowLogSumExp(x, rows, cols);
  const y = new Float64Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) y[r * cols + c] = x[r * cols + c]! - max[r]! - logSum[r]!;
  }
  return y;
}

/** softmax over the last dimension, f64 result. */
export function softmax(x: ArrayLike<number>, rows: number, cols: number): Float64Array {
  const y = logSoftmax(x, rows, cols);
  for (let i = 0; i < y.length; i++) y[i] = Math.exp(y[i]!);
  return y;
}
