/**
 * CPU reference for shaders/binary_cross_entropy.wgsl (host: src/ops/binaryCrossEntropy.ts), in f64: PyTorch's
 * F.binary_cross_entropy_with_logits and F.binary_cross_entropy (aten/src/ATen/native/Loss.cpp, v1.13).
 *   with logits: loss = (1 - y) x + l (log1p(exp(-|x|)) + max(-x, 0)),   l = (posWeight - 1) y + 1,
 *                grad = ((posWeight y + 1 - y) sigmoid(x) - posWeight y) * scale;
 *   probabilities: loss = -(y max(log p, -100) + (1 - y) max(log(1 - p), -100)),
 *                grad = (p - y) / max(p (1 - p), 1e-12) * scale;
 * both times `weight` (broadcast from the trailing dimensions); posWeight broadcasts along the last dimension. Logits
 * of +-Inf give the limits of loss and gradient (README, Special values), where PyTorch's formula can give NaN. The
 * mean divides by the element count (weights do not change it, as in PyTorch).
 */
import type { Reduction } from '../types.js';
import { PROBABILITY_GRAD_EPSILON, clampedLog } from './crossEntropy.js';
import { sumItems } from './sum.js';

export interface BinaryCrossEntropyReferenceOptions {
  reduction: Reduction;
  grad: boolean;
  /** Length of the last dimension (posWeight's length). */
  cols: number;
  /** Broadcast over the input from its trailing dimensions: element i uses weight[i % weight.length]. */
  weight?: ArrayLike<number> | undefined;
  /** Per last-dimension entry (logits form only): element i uses posWeight[i % cols]. */
  posWeight?: ArrayLike<number> | undefined;
}

export interface ElementwiseLossReferenceResult {
  loss: number | Float64Array;
  grad: Float64Array | undefined;
  /** The mean's denominator. */
  weightSum: number;
}

export function sigmoid(x: number): number {
  if (x >= 0) return 1 / (1 + Math.exp(-x));
  const e = Math.exp(x);
  return e / (1 + e);
}

function reduceElementwise(values: Float64Array, reduction: Reduction, denominator: number): number | Float64Array {
  if (reduction === 'none') return values;
  const s = sumItems(values);
  return reduction === 'sum' ? s : s / denominator;
}

export function binaryCrossEntropyWithLogits(input: ArrayLike<number>, target: ArrayLike<number>, options: BinaryCrossEntropyReferenceOptions): ElementwiseLossReferenceResult {
  const n = input.length;
  const loss = new Float64Array(n);
  const grad = options.grad ? new Float64Array(n) : undefined;
  const scale = options.reduction === 'mean' ? 1 / n : 1;
  for (let i = 0; i < n; i++) {
    const x = input[i]!;
    const y = target[i]!;
    const pw = options.posWeight ? options.posWeight[i % options.cols]! : 1;
    const w = options.weight ? options.weight[i % options.weight.length]! : 1;
    if (x === Infinity || x === -Infinity) {
      // The limits: the loss is c * Inf, 0 where c = 0 (PyTorch's formula gives 0 * Inf = NaN at x = +Inf, y = 1
      // and at x = -Inf, y = 0); the gradient is sigmoid's limit.
      const c = (x > 0 ? 1 - y : pw * y) * w;
      loss[i] = c === 0 ? 0 : c * Infinity;
      if (grad) grad[i] = (x > 0 ? 1 - y : -pw * y) * w * scale;
      continue;
    }
    const logWeight = (pw - 1) * y + 1;
    loss[i] = ((1 - y) * x + logWeight * (Math.log1p(Math.exp(-Math.abs(x))) + Math.max(-x, 0))) * w;
    if (grad) grad[i] = ((pw * y + 1 - y) * sigmoid(x) - pw * y) * w * scale;
  }
  return { loss: reduceElementwise(loss, options.reduction, n), grad, weightSum: n };
}

export function binaryCrossEntropy(probs: ArrayLike<number>, target: ArrayLike<number>, options: Omit<BinaryCrossEntropyReferenceOptions, 'posWeight'>): ElementwiseLossReferenceResult {
  const n = probs.length;
  const loss = new Float64Array(n);
  const grad = options.grad ? new Float64Array(n) : undefined;
  const scale = options.reduction === 'mean' ? 1 / n : 1;
  for (let i = 0; i < n; i++) {
    const p = probs[i]!;
    const y = target[i]!;
    const w = options.weight ? options.weight[i % options.weight.length]! : 1;
    loss[i] = -(y * clampedLog(p) + (1 - y) * clampedLog(1 - p)) * w;
    if (grad) grad[i] = ((p - y) / Math.max(p * (1 - p), PROBABILITY_GRAD_EPSILON)) * w * scale;
  }
  return { loss: reduceElementwise(loss, options.reduction, n), grad, weightSum: n };
}
