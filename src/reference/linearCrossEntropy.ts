/**
 * CPU reference for the fused linear cross-entropy (GPU: src/ops/linearCrossEntropy.ts), in f64: the loss and the
 * gradients of `crossEntropy(hidden @ weight^T + bias, target)` with respect to hidden, weight and bias.
 *
 * hidden is [N, D], weight [V, D] (one row per class, as torch.nn.Linear's weight), bias [V]. Per row r the logits
 * z_r = W h_r + b are formed in f64 and handed to the cross-entropy reference (src/reference/crossEntropy.ts) as a
 * one-row problem with reduction 'sum', which gives the row's loss and its unscaled d loss / d z_r (the exact same
 * semantics: class weights, label smoothing, ignoreIndex, zLoss, softcap). Then, with g_r = d loss / d z_r times the
 * mean's scale 1 / weightSum ('mean'; the scale is skipped when weightSum is 0, where every g_r is 0 anyway):
 *   gradHidden[r]  = sum_v g_r[v] W[v]          (g_r @ W)
 *   gradWeight[v] += g_r[v] h_r                  (g^T @ H)
 *   gradBias[v]   += g_r[v]
 * One row at a time: the reference's memory is O(V + N + V D), never N x V, so it can check shapes whose logits
 * would not fit in memory either.
 */
import type { Reduction } from '../types.js';
import { crossEntropy } from './crossEntropy.js';
import { sumItems } from './sum.js';

export interface LinearCrossEntropyReferenceOptions {
  reduction: Reduction;
  ignoreIndex: number;
  grad: boolean;
  /** [V] added to the logits. */
  bias?: ArrayLike<number> | undefined;
  /** Class weights [V] (PyTorch's `weight` of F.cross_entropy). */
  classWeight?: ArrayLike<number> | undefined;
  labelSmoothing?: number;
  zLoss?: number;
  softcap?: number | undefined;
}

export interface LinearCrossEntropyReferenceResult {
  loss: number | Float64Array;
  gradHidden: Float64Array | undefined;
  gradWeight: Float64Array | undefined;
  /** Only with a bias. */
  gradBias: Float64Array | undefined;
  weightSum: number;
  zLoss: number | Float64Array;
}

export function linearCrossEntropy(
  hidden: ArrayLike<number>,
  weight: ArrayLike<number>,
  target: ArrayLike<number>,
  rows: number,
  dim: number,
  vocab: number,
  options: LinearCrossEntropyReferenceOptions,
): LinearCrossEntropyReferenceResult {
  const w = (c: number): number => (options.classWeight ? options.classWeight[c]! : 1);
  let weightSum = 0;
  for (let r = 0; r < rows; r++) {
    const t = target[r]!;
    if (t !== options.ignoreIndex && t >= 0 && t < vocab) weightSum += w(t);
  }
  const scale = options.reduction === 'mean' && weightSum !== 0 ? 1 / weightSum : 1;
  const rowLoss = new Float64Array(rows);
  const rowZ = new Float64Array(rows);
  const gradHidden = options.grad ? new Float64Array(rows * dim) : undefined;
  const gradWeight = options.grad ? new Float64Array(vocab * dim) : undefined;
  const gradBias = options.grad && options.bias ? new Float64Array(vocab) : undefined;
  const logits = new Float64Array(vocab);
  const one = new Int32Array(1);
  for (let r = 0; r < rows; r++) {
    const h = r * dim;
    for (let v = 0; v < vocab; v++) {
      let z = options.bias ? options.bias[v]! : 0;
      const o = v * dim;
      for (let d = 0; d < dim; d++) z += hidden[h + d]! * weight[o + d]!;
      logits[v] = z;
    }
    one[0] = target[r]!;
    const ce = crossEntropy(logits, one, 1, vocab, {
      reduction: 'sum',
      ignoreIndex: options.ignoreIndex,
      grad: options.grad,
      weight: options.classWeight,
      labelSmoothing: options.labelSmoothing ?? 0,
      zLoss: options.zLoss ?? 0,
      softcap: options.softcap,
    });
    rowLoss[r] = ce.loss as number;
    rowZ[r] = ce.zLoss as number;
    if (!ce.grad || !gradHidden || !gradWeight) continue;
    const g = ce.grad;
    for (let v = 0; v < vocab; v++) {
      const gv = g[v]! * scale;
      if (gv === 0) continue; // an ignored row, or a class with exactly zero gradient: nothing to add
      const o = v * dim;
      for (let d = 0; d < dim; d++) {
        gradHidden[h + d] = gradHidden[h + d]! + gv * weight[o + d]!;
        gradWeight[o + d] = gradWeight[o + d]! + gv * hidden[h + d]!;
      }
      if (gradBias) gradBias[v] = gradBias[v]! + gv;
    }
  }
  const reduce = (values: Float64Array): number | Float64Array => {
    if (options.reduction === 'none') return values;
    const s = sumItems(values);
    return options.reduction === 'sum' ? s : s / weightSum;
  };
  return { loss: reduce(rowLoss), gradHidden, gradWeight, gradBias, weightSum, zLoss: reduce(rowZ) };
}

/** The operands of `matmul` (the GPU kernels' math, shaders/linear_cross_entropy_matmul*.wgsl), in their layout. */
export interface MatmulReferenceArgs {
  m: number;
  n: number;
  k: number;
  /** A(i, p) = a[aOffset + i * lda + p], or with transA a[aOffset + p * lda + i]. */
  a: ArrayLike<number>;
  lda: number;
  aOffset: number;
  transA: boolean;
  /** B(p, j) = b[bOffset + p * ldb + j], or with transB b[bOffset + j * ldb + p]. */
  b: ArrayLike<number>;
  ldb: number;
  bOffset: number;
  transB: boolean;
  /** C(i, j) at cOffset + i * ldc + j; its other elements are left as they are. */
  c: ArrayLike<number>;
  ldc: number;
  cOffset: number;
  accumulate: boolean;
  scale: number;
  /** bias[biasOffset + j] added to column j, when given. */
  bias?: ArrayLike<number> | undefined;
  biasOffset?: number;
}

/**
 * C = (accumulate ? C : 0) + scale * A B (+ bias), in f64: a copy of `c` with the m x n block replaced. `magnitude`
 * holds, per element of c, |C before| (when accumulating) + |scale| sum_p |A(i, p) B(p, j)| + |bias| (0 outside the
 * block): the scale of an f32 evaluation's rounding error, for tolerances.
 */
export function matmul(p: MatmulReferenceArgs): { c: Float64Array; magnitude: Float64Array } {
  const c = Float64Array.from(p.c);
  const magnitude = new Float64Array(c.length);
  for (let i = 0; i < p.m; i++) {
    for (let j = 0; j < p.n; j++) {
      let dot = 0;
      let abs = 0;
      for (let q = 0; q < p.k; q++) {
        const x = p.a[p.aOffset + (p.transA ? q * p.lda + i : i * p.lda + q)]! * p.b[p.bOffset + (p.transB ? j * p.ldb + q : q * p.ldb + j)]!;
        dot += x;
        abs += Math.abs(x);
      }
      const at = p.cOffset + i * p.ldc + j;
      const bias = p.bias ? p.bias[(p.biasOffset ?? 0) + j]! : 0;
      const before = p.accumulate ? c[at]! : 0;
      c[at] = before + p.scale * dot + bias;
      magnitude[at] = Math.abs(before) + Math.abs(p.scale) * abs + Math.abs(bias);
    }
  }
  return { c, magnitude };
}
