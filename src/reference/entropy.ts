/**
 * CPU reference for shaders/entropy.wgsl (host: src/ops/entropy.ts), in f64: the Shannon entropy of each row of
 * probabilities, H(p) = sum_c entr(p_c) with entr as torch.special.entr: -p ln p for p > 0, 0 at p = 0, -Inf for p < 0.
 * Gradient d H / d p_c = -(ln p_c + 1) (entr's derivative: +Inf at p = 0), times the reduction's scale. 'mean'
 * averages over rows.
 */
import type { Reduction } from '../types.js';
import { sum as sumF64, sumItems } from './sum.js';

export function entr(p: number): number {
  if (Number.isNaN(p)) return NaN;
  if (p > 0) return -p * Math.log(p);
  return p === 0 ? 0 : -Infinity;
}

export function entropy(probs: ArrayLike<number>, rows: number, cols: number, options: { reduction: Reduction; grad: boolean }): { loss: number | Float64Array; grad: Float64Array | undefined; weightSum: number } {
  const rowEntropy = new Float64Array(rows);
  const grad = options.grad ? new Float64Array(rows * cols) : undefined;
  const scale = options.reduction === 'mean' ? 1 / rows : 1;
  for (let r = 0; r < rows; r++) {
    const terms = new Float64Array(cols);
    for (let c = 0; c < cols; c++) {
      const p = probs[r * cols + c]!;
      terms[c] = entr(p);
      if (grad) grad[r * cols + c] = -(Math.log(p) + 1) * scale;
    }
    rowEntropy[r] = sumF64(terms);
  }
  const loss = options.reduction === 'none' ? rowEntropy : sumItems(rowEntropy) * scale;
  return { loss, grad, weightSum: rows };
}
