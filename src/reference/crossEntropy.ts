/**
 * CPU reference for shaders/cross_entropy.wgsl (host: src/ops/crossEntropy.ts), in f64: PyTorch's F.cross_entropy
 * (class-index or probability targets, class weights, label smoothing, ignore_index, any class dimension) and
 * F.nll_loss, plus z-loss and logit soft-capping. The fallback and the tests' oracle.
 *
 * With l_c the log-probability of class c (log_softmax of the (soft-capped) logits; or max(log p_c, -100) for
 * probability inputs; or the input itself for nll_loss) and a_c the row's target coefficient, every form is
 *   row_loss = -sum_c a_c l_c,
 *   class-index target t: a_c = w_c ((1 - eps) [c == t] + eps / C)   (ignored rows: 0, left out of the mean)
 *   probability target y: a_c = w_c ((1 - eps) y_c + eps / C)
 * which is PyTorch's definition (aten/src/ATen/native/LossNLL.cpp, cross_entropy_loss_label_smoothing and
 * cross_entropy_loss_prob_target, v1.13): with class-index targets the smoothing term -sum_c w_c l_c is divided by the
 * same denominator as the NLL term, sum of w_t over non-ignored rows; with probability targets the mean divides by the
 * number of rows. A zero coefficient on a -Inf log-probability (a masked logit with a probability target of 0, or a
 * zero class weight) gives 0, the limit as the logit goes to -Inf (PyTorch's IEEE product gives NaN; README, Special
 * values), and a masked class under smoothing gives +Inf.
 * Gradients: logits: (p_c A - a_c) * scale (A = sum_c a_c), times d softcap / dx = 1 - tanh^2(x / cap) when soft-capped,
 * plus 2 z lse p_c * scale from the z-loss z * lse^2; probabilities: -a_c / max(p_c, 1e-12) * scale (the log clamp's
 * companion, as PyTorch's BCE backward divides by max(p (1 - p), 1e-12)); log-probabilities: -a_c * scale.
 */
import type { Reduction } from '../types.js';
import { sumItems } from './sum.js';

export type CrossEntropyInputs = 'logits' | 'probabilities' | 'logProbs';

export interface CrossEntropyReferenceOptions {
  reduction: Reduction;
  ignoreIndex: number;
  grad: boolean;
  /** true: `target` holds class probabilities in the logits' layout; false (default): one class index per row. */
  softTarget?: boolean;
  /** Per-class weights (length cols). */
  weight?: ArrayLike<number> | undefined;
  /** In [0, 1]. Default 0. */
  labelSmoothing?: number;
  /** Product of the dimensions after the class dimension (1, the default, when the classes are last). */
  inner?: number;
  /** Coefficient of the z-loss lse^2 (logits only). Default 0. */
  zLoss?: number;
  /** Soft cap c > 0 applied as c * tanh(x / c) to the logits first (logits only). Default: none. */
  softcap?: number | undefined;
  /** What the input holds. Default 'logits'. */
  inputs?: CrossEntropyInputs;
}

export interface CrossEntropyReferenceResult {
  /** The reduced loss (z-loss included), or the per-row losses for reduction 'none'. */
  loss: number | Float64Array;
  /** d loss / d input (with an upstream gradient of 1 for every output element). */
  grad: Float64Array | undefined;
  /** The mean's denominator: sum of the targets' class weights over non-ignored rows, or the row count for soft targets. */
  weightSum: number;
  /** The z-loss part of `loss`, reduced the same way (0 or zeros without zLoss). */
  zLoss: number | Float64Array;
}

/** k * l for a coefficient k and a log-probability l: 0 for k = 0 even where l = -Inf (the limit), else IEEE. */
function times(k: number, l: number): number {
  return k === 0 && !Number.isNaN(l) ? 0 : k * l;
}

/** log(p) clamped at -100, PyTorch's BCE choice (aten/src/ATen/native/Loss.cpp), so p = 0 gives a finite loss. */
export function clampedLog(p: number): number {
  return Math.max(Math.log(p), -100);
}

/** The smallest denominator of a probability gradient (PyTorch's EPSILON = 1e-12 in binary_cross_entropy_backward). */
export const PROBABILITY_GRAD_EPSILON = Math.fround(1e-12); // an f32 constant in PyTorch (`constexpr float EPSILON`)

export function crossEntropy(
  input: ArrayLike<number>,
  target: ArrayLike<number>,
  rows: number,
  cols: number,
  options: CrossEntropyReferenceOptions,
): CrossEntropyReferenceResult {
  const inner = options.inner ?? 1;
  const eps = options.labelSmoothing ?? 0;
  const z = options.zLoss ?? 0;
  const cap = options.softcap;
  const inputs = options.inputs ?? 'logits';
  const soft = options.softTarget ?? false;
  const w = (c: number): number => (options.weight ? options.weight[c]! : 1);
  const index = (r: number, c: number): number => Math.floor(r / inner) * cols * inner + c * inner + (r % inner);
  let allWeights = 0;
  for (let c = 0; c < cols; c++) allWeights += w(c);

  const rowLoss = new Float64Array(rows);
  const rowZ = new Float64Array(rows);
  const grad = options.grad ? new Float64Array(rows * cols) : undefined;
  const logProb = new Float64Array(cols);
  const prob = new Float64Array(cols);
  const capSlope = new Float64Array(cols);
  const coefficient = new Float64Array(cols);
  let weightSum = 0;
  for (let r = 0; r < rows; r++) {
    let t = -1;
    if (!soft) {
      t = target[r]!;
      if (t === options.ignoreIndex) continue;
      if (t >= 0 && t < cols) weightSum += w(t); // an out-of-range target makes its row NaN below
    } else weightSum += 1;
    // Log-probabilities of the row.
    let lse = 0;
    if (inputs === 'logits') {
      let m = -Infinity;
      let nan = false;
      for (let c = 0; c < cols; c++) {
        let v = input[index(r, c)]!;
        capSlope[c] = 1;
        if (cap !== undefined) {
          const th = Math.tanh(v / cap);
          v = cap * th;
          capSlope[c] = 1 - th * th;
        }
        logProb[c] = v;
        if (Number.isNaN(v)) nan = true;
        else if (v > m) m = v;
      }
      let s = 0;
      for (let c = 0; c < cols; c++) s += Math.exp(logProb[c]! - m);
      const logSum = nan ? NaN : Math.log(s);
      lse = m + logSum;
      for (let c = 0; c < cols; c++) {
        logProb[c] = logProb[c]! - m - logSum; // (v - m) - log s: exact where v - lse would round away log s
        prob[c] = Math.exp(logProb[c]!);
      }
    } else {
      for (let c = 0; c < cols; c++) {
        const v = input[index(r, c)]!;
        prob[c] = v;
        logProb[c] = inputs === 'probabilities' ? clampedLog(v) : v;
      }
    }
    // Target coefficients and the loss.
    let loss: number;
    let total = 0; // A = sum_c a_c
    if (soft) {
      loss = 0;
      for (let c = 0; c < cols; c++) {
        coefficient[c] = w(c) * ((1 - eps) * target[index(r, c)]! + eps / cols);
        total += coefficient[c]!;
        loss -= times(coefficient[c]!, logProb[c]!);
      }
    } else if (t < 0 || t >= cols) {
      loss = NaN;
      coefficient.fill(NaN);
      total = NaN;
    } else {
      loss = -times(w(t), logProb[t]!);
      for (let c = 0; c < cols; c++) coefficient[c] = (w(c) * eps) / cols;
      coefficient[t] = coefficient[t]! + (1 - eps) * w(t);
      total = (1 - eps) * w(t) + (eps * allWeights) / cols;
      if (eps > 0) {
        let smooth = 0;
        for (let c = 0; c < cols; c++) smooth -= times(w(c), logProb[c]!);
        loss = times(1 - eps, loss) + (eps / cols) * smooth;
      }
    }
    const zPart = inputs === 'logits' && z !== 0 ? z * lse * lse : 0;
    rowLoss[r] = loss + zPart;
    rowZ[r] = zPart;
    if (grad) {
      // scale is applied after the loop, once the denominator is known
      for (let c = 0; c < cols; c++) {
        let g: number;
        if (inputs === 'logits') {
          g = (prob[c]! * total - coefficient[c]!) * capSlope[c]!;
          if (z !== 0) g += 2 * z * lse * prob[c]! * capSlope[c]!;
          if (Number.isNaN(lse)) g = NaN;
        } else if (inputs === 'probabilities') {
          g = -coefficient[c]! / Math.max(prob[c]!, PROBABILITY_GRAD_EPSILON);
        } else {
          g = -coefficient[c]!;
        }
        // A NaN log-probability (NaN input, or a negative probability) has a NaN gradient, even where a_c = 0.
        if (inputs !== 'logits' && Number.isNaN(logProb[c])) g = NaN;
        grad[index(r, c)] = g;
      }
    }
  }
  if (grad && options.reduction === 'mean') {
    // PyTorch: all rows ignored gives a NaN mean but a zero gradient (there is nothing to scale).
    const scale = 1 / weightSum;
    for (let i = 0; i < grad.length; i++) if (grad[i] !== 0) grad[i] = grad[i]! * scale;
  }
  const reduce = (values: Float64Array): number | Float64Array => {
    if (options.reduction === 'none') return values;
    const s = sumItems(values);
    return options.reduction === 'sum' ? s : s / weightSum;
  };
  return { loss: reduce(rowLoss), grad, weightSum, zLoss: reduce(rowZ) };
}

/**
 * PyTorch's F.nll_loss: the input holds log-probabilities, loss -w_t x[t] per non-ignored row, gradient -w_t / W at the
 * target (W = the mean's denominator). The cross-entropy reference with inputs 'logProbs'.
 */
export function nllLoss(
  logProbs: ArrayLike<number>,
  target: ArrayLike<number>,
  rows: number,
  cols: number,
  options: { reduction: Reduction; ignoreIndex: number; grad: boolean; weight?: ArrayLike<number> | undefined; inner?: number },
): Omit<CrossEntropyReferenceResult, 'zLoss'> {
  const { loss, grad, weightSum } = crossEntropy(logProbs, target, rows, cols, { ...options, inputs: 'logProbs' });
  return { loss, grad, weightSum };
}
