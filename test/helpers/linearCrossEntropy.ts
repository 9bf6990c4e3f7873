/**
 * Shared pieces of the fused linear cross-entropy tests: seeded problems, the f64 reference, the unfused path
 * (host logits, then the engine's crossEntropy, then host matmuls of its dlogits) and the tolerances.
 *
 * Tolerances (GPU f32 against f64). The GPU's logits are f32 dot products of D terms plus a bias; their error is about
 * sqrt(D) u sum_d |h_d w_d| on random data (u = 2^-24; Higham's worst case gamma_D = D u is the sqrt(D) times larger
 * bound, never approached by random signs). With the test data (h ~ N(0, 1), w ~ N(0, 4 / D)) sum_d |h_d w_d| is about
 * 1.3 sqrt(D), so for D = 257 the logit error is ~2e-5 at most and the loss (1-Lipschitz in each logit up to the
 * factor sum_c |p_c - a_c| <= 2) moves by ~4e-5: loss tolerance atol 1e-4 + rtol 1e-5. The gradients are f32 sums of
 * V terms (gradHidden, V up to 50257: sqrt(V) u ~ 1.3e-5 relative to the largest magnitude) or N terms (gradWeight,
 * gradBias), plus the propagated logit error (relative ~2e-5 in p): atol 1e-4 * max|expected| + rtol 1e-4, about 5x
 * the largest of those estimates. Errors measured on SwiftShader and llvmpipe were at most ~6e-6 of max|expected|; a
 * real defect (a missed tile, a wrong scale, a row of another chunk) is O(1) of it.
 */
import { expect } from 'vitest';
import { reference, type Engine, type LinearCrossEntropyOptions, type LinearCrossEntropyResult, type Reduction } from '../../src/index.js';
import { expectClose, type Tolerance } from './compare.js';
import { classTargets, normal, rng } from './data.js';

export const LOSS_TOLERANCE: Tolerance = { atol: 1e-4, rtol: 1e-5 };

export function gradTolerance(expected: ArrayLike<number>): Tolerance {
  let max = 0;
  for (let i = 0; i < expected.length; i++) if (Number.isFinite(expected[i]!)) max = Math.max(max, Math.abs(expected[i]!));
  return { atol: 1e-4 * max, rtol: 1e-4 };
}

export interface Problem {
  n: number;
  d: number;
  v: number;
  hidden: Float32Array;
  weight: Float32Array;
  target: Int32Array;
  options: LinearCrossEntropyOptions & { bias?: Float32Array };
}

export interface ProblemSpec {
  bias?: boolean;
  /** Every k-th row's target is ignoreIndex (0: none). */
  ignoredEvery?: number;
  reduction?: Reduction;
  classWeight?: boolean;
  labelSmoothing?: number;
  zLoss?: number;
  softcap?: number;
  ignoreIndex?: number;
  grad?: boolean;
}

/** A seeded problem: h ~ N(0, 1), w ~ N(0, 4 / D) (logits of standard deviation about 2), bias ~ N(0, 0.25). */
export function makeProblem(n: number, d: number, v: number, seed: number, spec: ProblemSpec = {}): Problem {
  const hidden = normal(n * d, 1, seed);
  const weight = normal(v * d, 2 / Math.sqrt(d), seed + 1);
  const ignoreIndex = spec.ignoreIndex ?? -100;
  const target = classTargets(n, v, seed + 2, spec.ignoredEvery ?? 0, ignoreIndex);
  const options: Problem['options'] = { shape: [n, d] };
  if (spec.bias) options.bias = normal(v, 0.5, seed + 3);
  if (spec.reduction) options.reduction = spec.reduction;
  if (spec.classWeight) {
    const next = rng(seed + 4);
    options.classWeight = Float32Array.from({ length: v }, () => 0.25 + next());
  }
  if (spec.labelSmoothing !== undefined) options.labelSmoothing = spec.labelSmoothing;
  if (spec.zLoss !== undefined) options.zLoss = spec.zLoss;
  if (spec.softcap !== undefined) options.softcap = spec.softcap;
  if (spec.ignoreIndex !== undefined) options.ignoreIndex = spec.ignoreIndex;
  if (spec.grad !== undefined) options.grad = spec.grad;
  return { n, d, v, hidden, weight, target, options };
}

export function referenceFor(p: Problem): reference.LinearCrossEntropyReferenceResult {
  const o = p.options;
  return reference.linearCrossEntropy(p.hidden, p.weight, p.target, p.n, p.d, p.v, {
    reduction: o.reduction ?? 'mean',
    ignoreIndex: o.ignoreIndex ?? -100,
    grad: o.grad ?? true,
    bias: o.bias,
    classWeight: o.classWeight as Float32Array | undefined, // host weights in these problems
    labelSmoothing: o.labelSmoothing ?? 0,
    zLoss: o.zLoss ?? 0,
    softcap: o.softcap,
  });
}

/**
 * The unfused way: f32 logits (f64 dot products rounded once), the engine's crossEntropy (its dlogits), then the
 * gradients as f64 matmuls of those dlogits.
 */
export async function unfused(engine: Engine, p: Problem): Promise<{ loss: number | Float32Array; zLoss?: number | Float32Array; gradHidden: Float64Array; gradWeight: Float64Array; gradBias: Float64Array; weightSum: number }> {
  const { n, d, v, hidden, weight } = p;
  const o = p.options;
  const logits = new Float32Array(n * v);
  for (let r = 0; r < n; r++) {
    for (let c = 0; c < v; c++) {
      let z = o.bias ? o.bias[c]! : 0;
      for (let k = 0; k < d; k++) z += hidden[r * d + k]! * weight[c * d + k]!;
      logits[r * v + c] = z;
    }
  }
  const ce = await engine.crossEntropy(logits, p.target, {
    shape: [n, v],
    reduction: o.reduction ?? 'mean',
    ignoreIndex: o.ignoreIndex ?? -100,
    ...(o.classWeight ? { weight: o.classWeight } : {}),
    labelSmoothing: o.labelSmoothing ?? 0,
    zLoss: o.zLoss ?? 0,
    ...(o.softcap !== undefined ? { softcap: o.softcap } : {}),
  });
  const g = ce.grad!;
  const gradHidden = new Float64Array(n * d);
  const gradWeight = new Float64Array(v * d);
  const gradBias = new Float64Array(v);
  for (let r = 0; r < n; r++) {
    for (let c = 0; c < v; c++) {
      const gv = g[r * v + c]!;
      if (gv === 0) continue;
      gradBias[c] = gradBias[c]! + gv;
      for (let k = 0; k < d; k++) {
        gradHidden[r * d + k] = gradHidden[r * d + k]! + gv * weight[c * d + k]!;
        gradWeight[c * d + k] = gradWeight[c * d + k]! + gv * hidden[r * d + k]!;
      }
    }
  }
  return { loss: ce.loss, ...(ce.zLoss !== undefined ? { zLoss: ce.zLoss } : {}), gradHidden, gradWeight, gradBias, weightSum: ce.weightSum };
}

interface Expected {
  loss: number | ArrayLike<number>;
  zLoss?: number | ArrayLike<number> | undefined;
  gradHidden?: ArrayLike<number> | undefined;
  gradWeight?: ArrayLike<number> | undefined;
  gradBias?: ArrayLike<number> | undefined;
  weightSum: number;
}

/** Assert a result against expected values (reference, unfused or PyTorch) with the tolerances above. */
export function expectResult(got: LinearCrossEntropyResult, want: Expected, p: { options: LinearCrossEntropyOptions }, label: string): void {
  expectClose(got.loss, want.loss as number | ArrayLike<number>, `${label}: loss`, LOSS_TOLERANCE);
  expect(got.weightSum, `${label}: weightSum`).toBeCloseTo(want.weightSum, 4);
  if ((p.options.zLoss ?? 0) !== 0 && want.zLoss !== undefined) expectClose(got.zLoss!, want.zLoss as number | ArrayLike<number>, `${label}: zLoss`, LOSS_TOLERANCE);
  if (p.options.grad === false) {
    expect(got.gradHidden, `${label}: no gradHidden without grad`).toBeUndefined();
    expect(got.gradWeight, `${label}: no gradWeight without grad`).toBeUndefined();
    return;
  }
  expectClose(got.gradHidden!, want.gradHidden!, `${label}: gradHidden`, gradTolerance(want.gradHidden!));
  expectClose(got.gradWeight!, want.gradWeight!, `${label}: gradWeight`, gradTolerance(want.gradWeight!));
  if (p.options.bias) expectClose(got.gradBias!, want.gradBias!, `${label}: gradBias`, gradTolerance(want.gradBias!));
  else expect(got.gradBias, `${label}: no gradBias without a bias`).toBeUndefined();
}
