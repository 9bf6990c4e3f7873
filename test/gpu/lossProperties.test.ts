// Property tests (fast-check): random shapes, layouts and options for every loss-family op, GPU against the f64 CPU
// reference at the atol 1e-6 + rtol 1e-5, with the launch plan drawn too (the adapter's own, or the
// many-threads-per-row plan of a real GPU). Seeded, so a failure reproduces; fast-check prints the shrunk case.
import fc from 'fast-check';
import { describe, it } from 'vitest';
import { reference } from '../../src/index.js';
import { expectClose } from '../helpers/compare.js';
import { rng } from '../helpers/data.js';
import { useGpuEngine } from '../helpers/engine.js';

const adapterTuned = useGpuEngine();
const gpuTuned = useGpuEngine({ tuning: 'gpu' });
const RUNS = { seed: 20261126, numRuns: 40 };
let draws = 0;
/** Alternate the two launch plans across runs. */
const engine = () => (draws++ % 2 === 0 ? adapterTuned() : gpuTuned());

function uniform(n: number, seed: number, lo: number, hi: number): Float32Array {
  const next = rng(seed);
  return Float32Array.from({ length: n }, () => lo + (hi - lo) * next());
}

/** Rows of probabilities along the class dimension of a [outer, cols, inner] layout. */
function distributions(outer: number, cols: number, inner: number, seed: number, floor = 0): Float32Array {
  const v = uniform(outer * cols * inner, seed, floor, 1);
  for (let n = 0; n < outer; n++) {
    for (let d = 0; d < inner; d++) {
      let s = 0;
      for (let c = 0; c < cols; c++) s += v[n * cols * inner + c * inner + d]!;
      for (let c = 0; c < cols; c++) v[n * cols * inner + c * inner + d]! /= s;
    }
  }
  return v;
}

const layout = fc.record({
  outer: fc.integer({ min: 1, max: 9 }),
  cols: fc.oneof(fc.integer({ min: 1, max: 12 }), fc.integer({ min: 13, max: 1500 })),
  inner: fc.constantFrom(1, 1, 2, 5, 11),
  seed: fc.integer({ min: 1, max: 1e9 }),
});

describe('properties: GPU vs the f64 reference', () => {
  it('crossEntropy: any layout, targets, weights, smoothing, z-loss, softcap, inputs, reduction', async () => {
    await fc.assert(
      fc.asyncProperty(
        layout,
        fc.record({
          reduction: fc.constantFrom('mean' as const, 'sum' as const, 'none' as const),
          soft: fc.boolean(),
          weighted: fc.boolean(),
          labelSmoothing: fc.constantFrom(0, 0, 0.1, 0.5, 1),
          ignoreEvery: fc.constantFrom(0, 2, 3),
          zLoss: fc.constantFrom(0, 0, 1e-3),
          softcap: fc.constantFrom(undefined, undefined, 0.5, 20),
          probabilities: fc.boolean(),
          scale: fc.constantFrom(1, 5, 30),
          grad: fc.boolean(),
        }),
        async ({ outer, cols, inner, seed }, o) => {
          const rows = outer * inner;
          const n = rows * cols;
          const probabilities = o.probabilities && o.zLoss === 0 && o.softcap === undefined;
          const input = probabilities ? distributions(outer, cols, inner, seed, 0.01) : uniform(n, seed, -o.scale, o.scale);
          const next = rng(seed + 1);
          const target = o.soft ? distributions(outer, cols, inner, seed + 2) : Int32Array.from({ length: rows }, (_, r) => (o.ignoreEvery && r % o.ignoreEvery === 0 ? -100 : Math.floor(next() * cols)));
          const weight = o.weighted ? uniform(cols, seed + 3, 0, 2) : undefined;
          const shape = inner === 1 ? [outer, cols] : [outer, cols, inner];
          const options = {
            shape, reduction: o.reduction, grad: o.grad, labelSmoothing: o.labelSmoothing, zLoss: o.zLoss,
            ...(inner === 1 ? {} : { classDim: 1 }), ...(weight ? { weight } : {}), ...(o.softcap ? { softcap: o.softcap } : {}),
            ...(probabilities ? { inputs: 'probabilities' as const } : {}),
          };
          const got = await engine().crossEntropy(input, target, options);
          const want = reference.crossEntropy(input, target, rows, cols, {
            ...options, ignoreIndex: -100, softTarget: o.soft, weight, inner, softcap: o.softcap, inputs: probabilities ? 'probabilities' : 'logits',
          });
          const label = JSON.stringify({ outer, cols, inner, seed, ...o });
          expectClose(got.loss, want.loss, `${label}: loss`);
          if (o.grad) expectClose(got.grad!, want.grad!, `${label}: grad`);
          expectClose(got.weightSum, want.weightSum, `${label}: weightSum`);
          if (o.zLoss) expectClose(got.zLoss!, want.zLoss, `${label}: zLoss`);
        },
      ),
      RUNS,
    );
  });

  it('nllLoss: any layout, weights, ignored rows, reduction', async () => {
    await fc.assert(
      fc.asyncProperty(layout, fc.constantFrom('mean' as const, 'sum' as const, 'none' as const), fc.boolean(), async ({ outer, cols, inner, seed }, reduction, weighted) => {
        const rows = outer * inner;
        const logProbs = uniform(rows * cols, seed, -20, 0);
        const next = rng(seed + 1);
        const target = Int32Array.from({ length: rows }, (_, r) => (r % 4 === 3 ? -100 : Math.floor(next() * cols)));
        const weight = weighted ? uniform(cols, seed + 3, 0, 2) : undefined;
        const shape = inner === 1 ? [outer, cols] : [outer, cols, inner];
        const got = await engine().nllLoss(logProbs, target, { shape, reduction, ...(weight ? { weight } : {}), ...(inner === 1 ? {} : { classDim: 1 }) });
        const want = reference.nllLoss(logProbs, target, rows, cols, { reduction, ignoreIndex: -100, grad: true, weight, inner });
        expectClose(got.loss, want.loss, 'loss');
        expectClose(got.grad!, want.grad!, 'grad');
        expectClose(got.weightSum, want.weightSum, 'weightSum');
      }),
      RUNS,
    );
  });

  it('binary cross-entropy (logits and probabilities): any shape, weights, posWeight, reduction', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 3 }),
        fc.integer({ min: 1, max: 1e9 }),
        fc.record({ reduction: fc.constantFrom('mean' as const, 'sum' as const, 'none' as const), logits: fc.boolean(), weightDims: fc.integer({ min: 0, max: 3 }), posWeighted: fc.boolean(), scale: fc.constantFrom(3, 60, 1e4) }),
        async (shape, seed, o) => {
          const n = shape.reduce((a, b) => a * b, 1);
          const cols = shape[shape.length - 1]!;
          const input = o.logits ? uniform(n, seed, -o.scale, o.scale) : uniform(n, seed, 0, 1);
          const target = uniform(n, seed + 1, 0, 1);
          const k = Math.min(o.weightDims, shape.length);
          const weight = k > 0 ? uniform(shape.slice(shape.length - k).reduce((a, b) => a * b, 1), seed + 2, 0, 2) : undefined;
          const posWeight = o.logits && o.posWeighted ? uniform(cols, seed + 3, 0, 3) : undefined;
          const options = { shape, reduction: o.reduction, ...(weight ? { weight } : {}), ...(posWeight ? { posWeight } : {}) };
          const got = o.logits ? await engine().binaryCrossEntropyWithLogits(input, target, options) : await engine().binaryCrossEntropy(input, target, options);
          const ref = { reduction: o.reduction, grad: true, cols, weight, posWeight };
          const want = o.logits ? reference.binaryCrossEntropyWithLogits(input, target, ref) : reference.binaryCrossEntropy(input, target, ref);
          expectClose(got.loss, want.loss, 'loss');
          expectClose(got.grad!, want.grad!, 'grad');
          expectClose(got.weightSum, want.weightSum, 'weightSum');
        },
      ),
      RUNS,
    );
  });

  it('entropy and klDiv: any shape, reduction, logTarget', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 70 }),
        fc.oneof(fc.integer({ min: 1, max: 8 }), fc.integer({ min: 9, max: 2000 })),
        fc.integer({ min: 1, max: 1e9 }),
        fc.constantFrom('mean' as const, 'sum' as const, 'none' as const, 'batchmean' as const),
        fc.boolean(),
        async (rows, cols, seed, reduction, logTarget) => {
          const p = distributions(rows, cols, 1, seed);
          const entropyReduction = reduction === 'batchmean' ? 'mean' : reduction;
          const h = await engine().entropy(p, { shape: [rows, cols], reduction: entropyReduction });
          const hWant = reference.entropy(p, rows, cols, { reduction: entropyReduction, grad: true });
          expectClose(h.loss, hWant.loss, 'entropy loss');
          expectClose(h.grad!, hWant.grad!, 'entropy grad');
          const logQ = Float32Array.from(distributions(rows, cols, 1, seed + 1, 0.001), Math.log);
          const y = logTarget ? Float32Array.from(p, (v) => Math.log(Math.max(v, 1e-30))) : p;
          const kl = await engine().klDiv(logQ, y, { shape: [rows, cols], reduction, logTarget });
          const klWant = reference.klDiv(logQ, y, { reduction, grad: true, logTarget, batch: rows });
          expectClose(kl.loss, klWant.loss, 'kl loss');
          expectClose(kl.grad!, klWant.grad!, 'kl grad');
          expectClose(kl.weightSum, klWant.weightSum, 'kl weightSum');
        },
      ),
      RUNS,
    );
  });
});
