// The CPU reference itself: its gradients agree with central finite differences of its own loss (in f64), and the
// CPU backend returns what the reference computes.
import { describe, expect, it } from 'vitest';
import { createEngine, reference, type Reduction } from '../../src/index.js';
import { expectClose } from '../helpers/compare.js';
import { classTargets, normal } from '../helpers/data.js';

function lossOf(x: Float64Array, target: Int32Array, rows: number, cols: number, reduction: Reduction): number {
  const r = reference.crossEntropy(x, target, rows, cols, { reduction, ignoreIndex: -100, grad: false });
  return typeof r.loss === 'number' ? r.loss : r.loss.reduce((a, b) => a + b, 0); // 'none': upstream gradient of ones
}

describe('reference gradients vs finite differences', () => {
  for (const reduction of ['mean', 'sum', 'none'] as Reduction[]) {
    for (const [rows, cols] of [[1, 1], [3, 2], [4, 7], [6, 5]] as const) {
      it(`crossEntropy [${rows}, ${cols}] ${reduction}`, () => {
        const x = Float64Array.from(normal(rows * cols, 3, rows * 10 + cols));
        const target = classTargets(rows, cols, 3, 3);
        const analytic = reference.crossEntropy(x, target, rows, cols, { reduction, ignoreIndex: -100, grad: true }).grad!;
        const numeric = new Float64Array(x.length);
        const h = 1e-6;
        for (let i = 0; i < x.length; i++) {
          const saved = x[i]!;
          x[i] = saved + h;
          const up = lossOf(x, target, rows, cols, reduction);
          x[i] = saved - h;
          const down = lossOf(x, target, rows, cols, reduction);
          x[i] = saved;
          numeric[i] = (up - down) / (2 * h);
        }
        expectClose(analytic, numeric, `fd ${reduction}`, { atol: 1e-7, rtol: 1e-6 });
      });
    }
  }

  it('log_softmax rows exponentiate to probabilities that sum to 1, and softmax = exp(log_softmax)', () => {
    const x = normal(5 * 9, 3, 1);
    const ls = reference.logSoftmax(x, 5, 9);
    const sm = reference.softmax(x, 5, 9);
    for (let r = 0; r < 5; r++) {
      let total = 0;
      for (let c = 0; c < 9; c++) total += Math.exp(ls[r * 9 + c]!);
      expect(Math.abs(total - 1)).toBeLessThan(1e-14);
    }
    expectClose(sm, Array.from(ls, Math.exp), 'softmax', { atol: 0, rtol: 1e-15 });
  });

  it('the compensated sum is exact where naive summation is not', () => {
    expect(reference.sum([1e16, 1, -1e16])).toBe(1);
    expect(reference.sum([1, Infinity])).toBe(Infinity);
    expect(reference.sum([1, NaN])).toBeNaN();
  });
});

describe('CPU backend', () => {
  it('runs the reference and rounds to f32', async () => {
    const engine = await createEngine({ backend: 'cpu' });
    expect(engine.backend).toBe('cpu');
    expect(engine.adapterInfo).toBeNull();
    const x = normal(12, 3, 2);
    const target = Int32Array.from([0, 1, 2, 3]);
    const got = await engine.crossEntropy(x, target, { shape: [4, 3 + 0] , reduction: 'sum', ignoreIndex: 3 });
    const want = reference.crossEntropy(x, target, 4, 3, { reduction: 'sum', ignoreIndex: 3, grad: true });
    expect(got.loss).toBe(Math.fround(want.loss as number));
    expect(got.weightSum).toBe(3);
    expect(got.grad).toEqual(Float32Array.from(want.grad!));
    expect(await engine.sum(x)).toBe(Math.fround(reference.sum(x)));
    expect(() => engine.gpu.upload(x)).toThrow(/webgpu backend/);
    engine.destroy();
  });
});
