// The loss-family references' gradients agree with central finite differences of their own losses, in f64, over
// random shapes and options (fast-check). With h = 1e-6 the central difference's truncation error is ~h^2 |f'''| and
// its rounding error ~1e-16 |f| / h, both far below the atol 1e-7 + rtol 1e-6 used (as the core reference test).
import fc from 'fast-check';
import { describe, it } from 'vitest';
import { reference, type Reduction } from '../../src/index.js';
import { expectClose } from '../helpers/compare.js';
import { rng } from '../helpers/data.js';

const RUNS = { seed: 7, numRuns: 40 };
const TOL = { atol: 1e-7, rtol: 1e-6 };

function uniform(n: number, seed: number, lo: number, hi: number): Float64Array {
  const next = rng(seed);
  return Float64Array.from({ length: n }, () => lo + (hi - lo) * next());
}

/** Sum of the loss (a 'none' result summed: an upstream gradient of ones). */
function total(loss: number | Float64Array): number {
  return typeof loss === 'number' ? loss : loss.reduce((a, b) => a + b, 0);
}

function finiteDifferences(x: Float64Array, f: (x: Float64Array) => number): Float64Array {
  const h = 1e-6;
  const out = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const saved = x[i]!;
    x[i] = saved + h;
    const up = f(x);
    x[i] = saved - h;
    const down = f(x);
    x[i] = saved;
    out[i] = (up - down) / (2 * h);
  }
  return out;
}

const reductions = fc.constantFrom<Reduction>('mean', 'sum', 'none');

describe('loss-family reference gradients vs finite differences', () => {
  it('crossEntropy with every option (logits and probabilities)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 6 }),
        fc.constantFrom(1, 3),
        fc.integer({ min: 1, max: 1e9 }),
        fc.record({
          reduction: reductions,
          soft: fc.boolean(),
          weighted: fc.boolean(),
          labelSmoothing: fc.constantFrom(0, 0.2, 1),
          zLoss: fc.constantFrom(0, 0.01),
          softcap: fc.constantFrom(undefined, 2, 10),
          probabilities: fc.boolean(),
        }),
        (outer, cols, inner, seed, o) => {
          const rows = outer * inner;
          const probabilities = o.probabilities && o.zLoss === 0 && o.softcap === undefined;
          // probabilities stay in [0.05, 1): no clamp is active, so the loss is differentiable where it is sampled
          const x = probabilities ? uniform(rows * cols, seed, 0.05, 1) : uniform(rows * cols, seed, -4, 4);
          const next = rng(seed + 1);
          const target = o.soft ? uniform(rows * cols, seed + 2, 0, 1) : Int32Array.from({ length: rows }, (_, r) => (r % 3 === 2 ? -100 : Math.floor(next() * cols)));
          const options = {
            reduction: o.reduction, ignoreIndex: -100, softTarget: o.soft, weight: o.weighted ? uniform(cols, seed + 3, 0.1, 2) : undefined,
            labelSmoothing: o.labelSmoothing, inner, zLoss: o.zLoss, softcap: o.softcap, inputs: probabilities ? ('probabilities' as const) : ('logits' as const),
          };
          // A mean over no kept row is NaN: not a sample of this property (fast-check draws another instead).
          fc.pre(o.soft || o.reduction !== 'mean' || Array.from(target as Int32Array).some((t) => t >= 0));
          const analytic = reference.crossEntropy(x, target, rows, cols, { ...options, grad: true }).grad!;
          const numeric = finiteDifferences(x, (v) => total(reference.crossEntropy(v, target, rows, cols, { ...options, grad: false }).loss));
          expectClose(analytic, numeric, JSON.stringify({ outer, cols, inner, seed, ...o }), TOL);
        },
      ),
      RUNS,
    );
  });

  it('nllLoss', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 1e9 }), reductions, fc.boolean(), (rows, cols, seed, reduction, weighted) => {
        const x = uniform(rows * cols, seed, -5, 0);
        const next = rng(seed);
        const target = Int32Array.from({ length: rows }, () => Math.floor(next() * cols));
        const options = { reduction, ignoreIndex: -100, weight: weighted ? uniform(cols, seed + 1, 0.1, 2) : undefined };
        const analytic = reference.nllLoss(x, target, rows, cols, { ...options, grad: true }).grad!;
        const numeric = finiteDifferences(x, (v) => total(reference.nllLoss(v, target, rows, cols, { ...options, grad: false }).loss));
        expectClose(analytic, numeric, 'nll', TOL);
      }),
      RUNS,
    );
  });

  it('binary cross-entropy, logits and probabilities', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 1e9 }), reductions, fc.boolean(), fc.boolean(), (rows, cols, seed, reduction, logits, weighted) => {
        const n = rows * cols;
        const x = logits ? uniform(n, seed, -8, 8) : uniform(n, seed, 0.02, 0.98);
        const y = uniform(n, seed + 1, 0, 1);
        const options = { reduction, cols, weight: weighted ? uniform(cols, seed + 2, 0.1, 2) : undefined, posWeight: logits && weighted ? uniform(cols, seed + 3, 0.1, 3) : undefined };
        const run = (v: Float64Array, grad: boolean) => (logits ? reference.binaryCrossEntropyWithLogits(v, y, { ...options, grad }) : reference.binaryCrossEntropy(v, y, { ...options, grad }));
        expectClose(run(x, true).grad!, finiteDifferences(x, (v) => total(run(v, false).loss)), 'bce', TOL);
      }),
      RUNS,
    );
  });

  it('entropy and klDiv', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 1e9 }), fc.constantFrom('mean', 'sum', 'none', 'batchmean') as fc.Arbitrary<'mean' | 'sum' | 'none' | 'batchmean'>, fc.boolean(), (rows, cols, seed, reduction, logTarget) => {
        const p = uniform(rows * cols, seed, 0.01, 1);
        const entropyReduction = reduction === 'batchmean' ? 'mean' : reduction;
        const h = (v: Float64Array, grad: boolean) => reference.entropy(v, rows, cols, { reduction: entropyReduction, grad });
        expectClose(h(p, true).grad!, finiteDifferences(p, (v) => total(h(v, false).loss)), 'entropy', TOL);
        const x = uniform(rows * cols, seed + 1, -6, 0);
        const y = logTarget ? uniform(rows * cols, seed + 2, -6, 0) : uniform(rows * cols, seed + 2, 0, 1);
        const kl = (v: Float64Array, grad: boolean) => reference.klDiv(v, y, { reduction, grad, logTarget, batch: rows });
        expectClose(kl(x, true).grad!, finiteDifferences(x, (v) => total(kl(v, false).loss)), 'kl', TOL);
      }),
      RUNS,
    );
  });
});
