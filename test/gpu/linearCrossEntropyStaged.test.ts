// The fused linear cross-entropy with the launch plan real GPUs get (tuning 'gpu': the matmuls in 128 x 128 tiles
// staged in workgroup memory, with barriers, linear_cross_entropy_matmul128.wgsl) on this machine's adapters, against
// the f64 reference; the default plan on a CPU adapter reads operands straight from storage instead
// (test/gpu/linearCrossEntropy.test.ts). Same tolerances. The matmul kernels' edges, the 32 x 32 staged plan of
// smaller workgroups included, are tested one product at a time in test/gpu/linearCrossEntropyMatmul.test.ts.
import { describe, expect, it } from 'vitest';
import { runOnlyOn, useGpuEngine } from '../helpers/engine.js';
import { expectResult, makeProblem, referenceFor } from '../helpers/linearCrossEntropy.js';

const engine = useGpuEngine({ tuning: 'gpu' });

describe('linearCrossEntropy, staged tiles (tuning gpu)', () => {
  it('runs the staged plan', () => expect(engine().tuning).toBe('gpu'));
  const CASES: [number, number, number, Parameters<typeof makeProblem>[4]][] = [
    [1, 1, 2, { bias: true }],
    [45, 40, 70, { bias: true, classWeight: true, labelSmoothing: 0.1, zLoss: 1e-3, softcap: 4, ignoredEvery: 3 }],
    [33, 65, 1000, { reduction: 'sum', ignoredEvery: 4 }],
    [2, 8, 50257, { bias: true, reduction: 'none' }], // split-K over the vocabulary, several vocabulary pieces
    [3, 4100, 9, { bias: true }], // D > 4096: the logits' K in two accumulating dispatches
  ];
  CASES.forEach(([n, d, v, spec], i) => {
    it(`N=${n} D=${d} V=${v} ${JSON.stringify(spec)}`, async (ctx) => {
      // One case (every option) everywhere, so SwiftShader's subgroup cross-entropy is composed with the staged tiles;
      // the others on llvmpipe only: the tile kernels have no subgroup or feature-dependent code, and SwiftShader
      // compiles each of their variants 20x slower.
      if (i !== 1) runOnlyOn(ctx, 'llvmpipe', 'the staged tile kernels are the same there and compile 20x faster');
      const p = makeProblem(n, d, v, n + d + v, spec);
      const got = await engine().linearCrossEntropy(p.hidden, p.weight, p.target, p.options);
      expectResult(got, referenceFor(p), p, `staged [${n}, ${d}] x [${v}, ${d}]`);
    });
  });
});
