/**
 * CPU reference for shaders/kl_div.wgsl (host: src/ops/klDiv.ts), in f64: PyTorch's F.kl_div(input, target) with
 * `input` holding log-probabilities (aten/src/ATen/native/Loss.cpp, v1.13):
 *   target probabilities: xlogy(y, y) - y x;   logTarget: exp(y) (y - x);
 * a target probability of 0 (y = 0, or -Inf with logTarget) gives 0 whatever the input, -Inf included: the limit, where
 * PyTorch's IEEE product 0 * -Inf gives NaN (README, Special values). A NaN input's gradient is NaN.
 * Gradient d/d input: -y, or -exp(y) with logTarget, times the reduction's scale. 'mean' divides by the element count,
 * 'batchmean' by the first dimension (the true KL divergence per sample).
 */
import { sumItems } from './sum.js';

export type KlReduction = 'none' | 'sum' | 'mean' | 'batchmean';

export interface KlDivReferenceOptions {
  reduction: KlReduction;
  grad: boolean;
  logTarget: boolean;
  /** The input's first dimension ('batchmean' divides by it). */
  batch: number;
}

export function xlogy(x: number, y: number): number {
  if (Number.isNaN(y)) return NaN;
  return x === 0 ? 0 : x * Math.log(y);
}

export function klDivDenominator(reduction: KlReduction, n: number, batch: number): number {
  return reduction === 'batchmean' ? batch : reduction === 'mean' ? n : 1;
}

export function klDiv(input: ArrayLike<number>, target: ArrayLike<number>, options: KlDivReferenceOptions): { loss: number | Float64Array; grad: Float64Array | undefined; weightSum: number } {
  const n = input.length;
  const loss = new Float64Array(n);
  const grad = options.grad ? new Float64Array(n) : undefined;
  const denominator = klDivDenominator(options.reduction, n, options.batch);
  const scale = 1 / denominator;
  for (let i = 0; i < n; i++) {
    const x = input[i]!;
    const y = target[i]!;
    if (options.logTarget) {
      const p = Math.exp(y);
      loss[i] = y === -Infinity && !Number.isNaN(x) ? 0 : p * (y - x);
      if (grad) grad[i] = Number.isNaN(x) ? NaN : -p * scale;
    } else {
      loss[i] = y === 0 && !Number.isNaN(x) ? 0 : xlogy(y, y) - y * x;
      if (grad) grad[i] = Number.isNaN(x) ? NaN : -y * scale;
    }
  }
  const reduced = options.reduction === 'none' ? loss : sumItems(loss) * (options.reduction === 'sum' ? 1 : scale);
  return { loss: reduced, grad, weightSum: denominator };
}
