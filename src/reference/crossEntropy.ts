/**
 * CPU reference for shaders/cross_entropy.wgsl (host: src/ops/crossEntropy.ts), in f64: PyTorch's
 * F.cross_entropy with class-index targets. Rows whose target is `ignoreIndex` give loss 0 and gradient 0; the mean
 * divides by the number of other rows (NaN when there are none, as PyTorch; the gradient is then 0).
 */
import type { Reduction } from '../types.js';
import { rowLogSumExp } from './logSoftmax.js';
import { sum as sumF64 } from './sum.js';

export interface CrossEntropyReferenceResult {
  /** The reduced loss, or the per-row losses for reduction 'none'. */
  loss: number | Float64Array;
  /** d loss / d logits (with an upstream gradient of 1 for every output element). */
  grad: Float64Array | undefined;
  /** The mean's denominator: the number of non-ignored rows. */
  weightSum: number;
}

export function crossEntropy(
  logits: ArrayLike<number>,
  target: ArrayLike<number>,
  rows: number,
  cols: number,
  options: { reduction: Reduction; ignoreIndex: number; grad: boolean },
): CrossEntropyReferenceResult {
  const { lse } = rowLogSumExp(logits, rows, cols);
  const rowLoss = new Float64Array(rows);
  let weightSum = 0;
  for (let r = 0; r < rows; r++) {
    const t = target[r]!;
    if (t === options.ignoreIndex) continue;
    weightSum++;
    rowLoss[r] = t >= 0 && t < cols ? lse[r]! - logits[r * cols + t]! : NaN;
  }
  let loss: number | Float64Array;
  if (options.reduction === 'none') loss = rowLoss;
  else {
    const total = sumF64(rowLoss);
    loss = options.reduction === 'sum' ? total : weightSum === 0 ? NaN : total / weightSum;
  }
  let grad: Float64Array | undefined;
  if (options.grad) {
    grad = new Float64Array(rows * cols);
    const scale = options.reduction === 'mean' ? (weightSum === 0 ? 0 : 1 / weightSum) : 1;
    for (let r = 0; r < rows; r++) {
      const t = target[r]!;
      if (t === options.ignoreIndex) continue;
      const bad = Number.isNaN(lse[r]!) || !(t >= 0 && t < cols);
      for (let c = 0; c < cols; c++) {
        const p = Math.exp(logits[r * cols + c]! - lse[r]!);
        grad[r * cols + c] = bad ? NaN : (p - (c === t ? 1 : 0)) * scale;
      }
    }
  }
  return { loss, grad, weightSum };
}
