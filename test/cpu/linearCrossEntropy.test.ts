// The fused linear cross-entropy's f64 reference against PyTorch (test/fixtures/linear_cross_entropy.json, float64
// answers for the same float32 inputs): both are f64 computations of the same math, so they agree to 1e-10 + 1e-9
// relative (the core fixtures' reference tolerance). Also the CPU backend's engine.linearCrossEntropy and the
// reference's agreement with crossEntropy of explicitly formed logits.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createEngine, reference, type Reduction } from '../../src/index.js';
import { expectClose } from '../helpers/compare.js';
import { makeProblem, referenceFor } from '../helpers/linearCrossEntropy.js';

const TIGHT = { atol: 1e-10, rtol: 1e-9 };

interface Case {
  name: string; rows: number; dim: number; vocab: number; hidden: number[]; weight: number[]; target: number[];
  options: { reduction: Reduction; bias?: number[]; classWeight?: number[]; labelSmoothing?: number; zLoss?: number; softcap?: number; ignoreIndex?: number };
  loss: number[]; weightSum: number; gradHidden: number[]; gradWeight: number[]; gradBias?: number[];
}
const cases: Case[] = JSON.parse(readFileSync(new URL('../fixtures/linear_cross_entropy.json', import.meta.url), 'utf8')).cases;

describe('reference.linearCrossEntropy', () => {
  for (const c of cases) {
    it(`matches PyTorch: ${c.name}`, () => {
      const o = c.options;
      const r = reference.linearCrossEntropy(Float32Array.from(c.hidden), Float32Array.from(c.weight), Int32Array.from(c.target), c.rows, c.dim, c.vocab, {
        reduction: o.reduction, ignoreIndex: o.ignoreIndex ?? -100, grad: true, bias: o.bias && Float32Array.from(o.bias),
        classWeight: o.classWeight && Float32Array.from(o.classWeight), labelSmoothing: o.labelSmoothing ?? 0, zLoss: o.zLoss ?? 0, softcap: o.softcap,
      });
      expectClose(typeof r.loss === 'number' ? r.loss : r.loss, o.reduction === 'none' ? c.loss : c.loss[0]!, `${c.name}: loss`, TIGHT);
      expect(r.weightSum).toBeCloseTo(c.weightSum, 12);
      expectClose(r.gradHidden!, c.gradHidden, `${c.name}: gradHidden`, TIGHT);
      expectClose(r.gradWeight!, c.gradWeight, `${c.name}: gradWeight`, TIGHT);
      if (c.gradBias) expectClose(r.gradBias!, c.gradBias, `${c.name}: gradBias`, TIGHT);
      else expect(r.gradBias).toBeUndefined();
    });
  }

  it('equals crossEntropy of the explicit logits (loss and dlogits @ W)', () => {
    const p = makeProblem(6, 5, 13, 3, { bias: true, classWeight: true, labelSmoothing: 0.1, zLoss: 1e-3, softcap: 3, ignoredEvery: 4 });
    const o = p.options;
    const logits = new Float64Array(p.n * p.v);
    for (let r = 0; r < p.n; r++) for (let c = 0; c < p.v; c++) {
      let z = o.bias![c]!;
      for (let k = 0; k < p.d; k++) z += p.hidden[r * p.d + k]! * p.weight[c * p.d + k]!;
      logits[r * p.v + c] = z;
    }
    const ce = reference.crossEntropy(logits, p.target, p.n, p.v, { reduction: 'mean', ignoreIndex: -100, grad: true, weight: o.classWeight as Float32Array, labelSmoothing: 0.1, zLoss: 1e-3, softcap: 3 });
    const r = referenceFor(p);
    expectClose(r.loss as number, ce.loss as number, 'loss', TIGHT);
    const gh = new Float64Array(p.n * p.d);
    for (let r0 = 0; r0 < p.n; r0++) for (let c = 0; c < p.v; c++) for (let k = 0; k < p.d; k++) gh[r0 * p.d + k]! += ce.grad![r0 * p.v + c]! * p.weight[c * p.d + k]!;
    expectClose(r.gradHidden!, gh, 'gradHidden', TIGHT);
  });
});

describe('engine.linearCrossEntropy on the CPU backend', () => {
  it('returns the reference in f32, zLoss and gradBias included', async () => {
    const engine = await createEngine({ backend: 'cpu' });
    const p = makeProblem(9, 4, 7, 8, { bias: true, zLoss: 1e-3, ignoredEvery: 3, reduction: 'sum' });
    const got = await engine.linearCrossEntropy(p.hidden, p.weight, p.target, p.options);
    const want = referenceFor(p);
    expect(got.loss).toBe(Math.fround(want.loss as number));
    expect(got.zLoss).toBe(Math.fround(want.zLoss as number));
    expect(got.weightSum).toBe(want.weightSum);
    expect(Array.from(got.gradHidden!)).toEqual(Array.from(Float32Array.from(want.gradHidden!)));
    expect(Array.from(got.gradWeight!)).toEqual(Array.from(Float32Array.from(want.gradWeight!)));
    expect(Array.from(got.gradBias!)).toEqual(Array.from(Float32Array.from(want.gradBias!)));
    const noGrad = await engine.linearCrossEntropy(p.hidden, p.weight, p.target, { ...p.options, grad: false });
    expect(noGrad.gradHidden).toBeUndefined();
    await expect(engine.linearCrossEntropy(p.hidden, p.weight, p.target, { ...p.options, classWeight: [1] })).rejects.toThrow(/classWeight has 1 elements/);
    await expect(engine.linearCrossEntropy(p.hidden, p.weight, p.target.subarray(2), p.options)).rejects.toThrow(/target has 7 elements but hidden has 9 rows$/);
  });
});
