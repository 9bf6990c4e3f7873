// The fused linear cross-entropy with f16 inputs: hidden, weight and/or bias as f16 GpuTensors (pairs of f16 in u32
// words on these adapters, which lack shader-f16), read exactly (widened to f32), every product and sum f32, f32
// results. Expected: the f64 reference run on the f16-rounded inputs, with the f32 tests' tolerances
// (test/helpers/linearCrossEntropy.ts), on both launch plans: tuning 'cpu' (direct storage reads,
// linear_cross_entropy_matmul.wgsl) and 'gpu' (128 x 128 tiles, linear_cross_entropy_matmul128.wgsl). Odd D and odd
// N * D put rows (and the operand's last element) in the middle of a u32 word. Below: the matmul kernels alone with
// f16 operands (every operand position, both transposes, offsets and leading dimensions that split words).
import { describe, expect, it } from 'vitest';
import { roundToFloat16, toFloat16Bits, XentropyArgumentError, type Engine, type LinearCrossEntropyOptions } from '../../src/index.js';
import { GpuContext } from '../../src/gpu/context.js';
import type { GpuTensor } from '../../src/gpu/tensor.js';
import { encodeMatmul } from '../../src/ops/linearCrossEntropy.js';
import { matmul } from '../../src/reference/linearCrossEntropy.js';
import { runOnlyOn, useGpuEngine, useRawDevice } from '../helpers/engine.js';
import { expectResult, makeProblem, referenceFor, type Problem, type ProblemSpec } from '../helpers/linearCrossEntropy.js';
import { normal } from '../helpers/data.js';

/** Which inputs are f16 GpuTensors (the others f32 GpuTensors). */
interface Halves {
  hidden?: boolean;
  weight?: boolean;
  bias?: boolean;
}

/** The problem with the f16 inputs rounded to f16: what the op must compute on. */
function rounded(p: Problem, halves: Halves): Problem {
  const options = { ...p.options };
  if (halves.bias && options.bias) options.bias = roundToFloat16(options.bias);
  return {
    ...p,
    hidden: halves.hidden ? roundToFloat16(p.hidden) : p.hidden,
    weight: halves.weight ? roundToFloat16(p.weight) : p.weight,
    options,
  };
}

/** Run the op on GPU tensors of the dtypes `halves` picks (host results: the engine's read-back form). */
async function runOn(e: Engine, p: Problem, halves: Halves) {
  const up = (x: Float32Array, half: boolean | undefined) => e.gpu.upload(x, { dtype: half ? 'f16' : 'f32' });
  const hidden = up(p.hidden, halves.hidden);
  const weight = up(p.weight, halves.weight);
  const bias = p.options.bias ? up(p.options.bias, halves.bias) : undefined;
  try {
    const options: LinearCrossEntropyOptions = { ...p.options, ...(bias ? { bias } : {}) };
    return await e.linearCrossEntropy(hidden, weight, p.target, options);
  } finally {
    for (const t of [hidden, weight, bias]) t?.release();
  }
}

const CASES: [number, number, number, Halves, ProblemSpec][] = [
  [1, 1, 2, { hidden: true, weight: true, bias: true }, { bias: true }],
  [7, 64, 1000, { hidden: true }, { ignoredEvery: 3, labelSmoothing: 0.1 }],
  [7, 257, 2, { weight: true }, { bias: true, zLoss: 1e-3, reduction: 'none' }], // odd D, odd N * D
  [7, 257, 1000, { hidden: true, weight: true }, { classWeight: true, ignoredEvery: 2, reduction: 'sum' }],
  [300, 257, 1000, { hidden: true, weight: true, bias: true }, { bias: true, classWeight: true, ignoredEvery: 5, reduction: 'sum' }],
  [300, 1, 1000, { weight: true }, { bias: true, ignoredEvery: 3 }],
  [300, 64, 2, { hidden: true }, { zLoss: 1e-3, labelSmoothing: 0.2, reduction: 'none' }],
  [1, 257, 1000, { bias: true }, { bias: true, reduction: 'none' }], // only the bias in f16
  [300, 1, 2, { hidden: true, weight: true }, { softcap: 3, ignoredEvery: 4 }],
  [2, 9, 50257, { hidden: true, weight: true, bias: true }, { bias: true }], // several vocabulary pieces, split-K
];

const STAGED_WHY =
  'the 128 x 128 tile kernel has no subgroup or feature-dependent code; SwiftShader compiles each variant ' +
  '20x slower';

for (const tuning of ['cpu', 'gpu'] as const) {
  describe(`linearCrossEntropy with f16 inputs (tuning ${tuning})`, () => {
    const engine = useGpuEngine({ tuning });
    CASES.forEach(([n, d, v, halves, spec], i) => {
      const which = Object.keys(halves).join('+');
      it(`N=${n} D=${d} V=${v}, f16 ${which}, ${JSON.stringify(spec)}`, async (ctx) => {
        // The staged-tile plan's cases but one run on llvmpipe only (see STAGED_WHY); the one with every f16 operand
        // and split-K runs everywhere, so SwiftShader's subgroup cross-entropy is composed with the staged tiles too.
        if (tuning === 'gpu' && i !== CASES.length - 1) runOnlyOn(ctx, 'llvmpipe', STAGED_WHY);
        const p = makeProblem(n, d, v, 1000 + 17 * i, spec);
        const got = await runOn(engine(), p, halves);
        expectResult(got, referenceFor(rounded(p, halves)), p, `f16 ${which} [${n}, ${d}] x [${v}, ${d}] (${tuning})`);
      });
    });
  });
}

describe('linearCrossEntropy with f16 inputs: GPU-resident results and sanity', () => {
  const engine = useGpuEngine();

  it('engine.gpu form: f32 results (loss and every gradient) from f16 hidden, weight and bias', async () => {
    const e = engine();
    const p = makeProblem(7, 33, 50, 5, { bias: true, ignoredEvery: 3 });
    const [hidden, weight, bias] = [p.hidden, p.weight, p.options.bias!].map((x) => e.gpu.upload(x, { dtype: 'f16' }));
    const target = e.gpu.upload(p.target);
    const r = await e.gpu.linearCrossEntropy(hidden!, weight!, target, { shape: [7, 33], bias: bias! });
    try {
      for (const t of [r.loss, r.gradHidden, r.gradWeight, r.gradBias]) expect(t?.dtype).toBe('f32');
      const want = referenceFor(rounded(p, { hidden: true, weight: true, bias: true }));
      const [loss, ws, gh, gw, gb] = await Promise.all([r.loss, r.weightSum, r.gradHidden!, r.gradWeight!, r.gradBias!].map((t) => t.read()));
      expectResult({ loss: loss![0]!, weightSum: ws![0]!, gradHidden: gh as Float32Array, gradWeight: gw as Float32Array, gradBias: gb as Float32Array }, want, p, 'gpu form');
    } finally {
      for (const t of [hidden, weight, bias, target, r.loss, r.weightSum, r.gradHidden, r.gradWeight, r.gradBias]) t?.release();
    }
  });

  it('reads the f16 values: the loss is that of the rounded inputs, measurably not that of the f32 ones', async () => {
    const p = makeProblem(7, 64, 1000, 77, {});
    const got = await runOn(engine(), p, { hidden: true, weight: true });
    const ofRounded = referenceFor(rounded(p, { hidden: true, weight: true })).loss as number;
    const ofF32 = referenceFor(p).loss as number;
    const offRounded = Math.abs((got.loss as number) - ofRounded);
    expect(Math.abs(ofF32 - ofRounded), 'the f16 rounding moves the loss').toBeGreaterThan(1e-4);
    expect(offRounded * 10, 'the result is the loss of the f16 values').toBeLessThan(Math.abs((got.loss as number) - ofF32));
  });

  it('is deterministic with f16 inputs (the same bits twice)', async () => {
    const p = makeProblem(30, 17, 300, 9, { bias: true });
    const halves = { hidden: true, weight: true, bias: true };
    const [a, b] = [await runOn(engine(), p, halves), await runOn(engine(), p, halves)];
    expect(a.loss).toBe(b.loss);
    for (const key of ['gradHidden', 'gradWeight', 'gradBias'] as const) {
      expect(Buffer.from(a[key]!.buffer).equals(Buffer.from(b[key]!.buffer)), key).toBe(true);
    }
  });

  it('refuses f16 where it is not taken: target, classWeight', async () => {
    const e = engine();
    const hidden = e.gpu.upload(new Float32Array(6), { dtype: 'f16' });
    const weight = e.gpu.upload(new Float32Array(6), { dtype: 'f16' });
    const target16 = e.gpu.upload(new Float32Array(2), { dtype: 'f16' });
    try {
      await expect(e.gpu.linearCrossEntropy(hidden, weight, target16, { shape: [2, 3] })).rejects.toThrow(XentropyArgumentError);
      await expect(e.gpu.linearCrossEntropy(hidden, weight, target16, { shape: [2, 3] })).rejects.toThrow(/target/);
      await expect(e.linearCrossEntropy(hidden, weight, new Int32Array([0, 1]), { shape: [2, 3], classWeight: target16 as unknown as Float32Array })).rejects.toThrow(/classWeight/);
      // f16 hidden of the wrong length is still checked against the shape.
      await expect(e.gpu.linearCrossEntropy(hidden, weight, new Int32Array([0, 1]), { shape: [3, 3] })).rejects.toThrow(/hidden/);
    } finally {
      for (const t of [hidden, weight, target16]) t.release();
    }
  });
});

// The matmul kernels alone with f16 operands (C = A B (+ bias), as test/gpu/linearCrossEntropyMatmul.test.ts), for
// each plan; the product of f16 values is exact in f32, so the tolerance is that file's: 8 sqrt(K) 2^-24 sum |A B|.
describe('linearCrossEntropy matmul with f16 operands', () => {
  const rawDevice = useRawDevice();

  const PLANS = [
    { name: 'large tiles', tuning: 'gpu', wg: 256 },
    { name: '32 x 32 staged', tuning: 'gpu', wg: 64 },
    { name: 'direct reads', tuning: 'cpu', wg: 256 },
  ] as const;
  // [m, n, k, transA, transB, f16 of a, b, bias]; offsets of 3 and 5 elements and leading dimensions k + 1 split words.
  const MM: [number, number, number, boolean, boolean, boolean, boolean, boolean][] = [
    [33, 130, 19, false, true, true, false, true], // logits-like: A f16 (hidden), bias f16
    [130, 17, 37, false, false, false, true, false], // gradHidden-like: B f16 (weight)
    [70, 9, 131, true, false, false, true, false], // gradWeight-like: B f16 (hidden)
    [5, 7, 3, true, true, true, true, true],
  ];
  for (const plan of PLANS) {
    MM.forEach(([m, n, k, transA, transB, a16, b16, bias16]) => {
      it(`${plan.name}: ${m} x ${n} x ${k}${transA ? ' TRANS_A' : ''}${transB ? ' TRANS_B' : ''}, f16 ${[a16 && 'a', b16 && 'b', bias16 && 'bias'].filter(Boolean).join('+')}`, async (context) => {
        if (plan.name === 'large tiles') runOnlyOn(context, 'llvmpipe', STAGED_WHY);
        const device = rawDevice();
        const ctx = new GpuContext(device, false, plan.tuning, plan.wg);
        const tensors: GpuTensor[] = [];
        try {
          const [lda, ldb, ldc, skew] = [(transA ? m : k) + 1, (transB ? k : n) + 1, n, 5];
          const round = (x: Float32Array, half: boolean) => (half ? roundToFloat16(x) : x);
          const a = round(normal(skew + (transA ? k : m) * lda, 1, m), a16);
          const b = round(normal(skew + (transB ? n : k) * ldb, 1, n), b16);
          const bias = round(normal(skew + n, 1, k), bias16);
          const up = (x: Float32Array, half: boolean) => {
            const t = half ? ctx.upload(toFloat16Bits(x), 'f16 operand') : ctx.upload(x, 'operand');
            tensors.push(t);
            return t;
          };
          const [ta, tb, tbias, tc, tws, tnone] = [up(a, a16), up(b, b16), up(bias, bias16), up(new Float32Array(m * ldc), false), up(Float32Array.from([1, 0]), false), up(new Float32Array(1), false)];
          await ctx.submit('f16 matmul test', (batch) =>
            encodeMatmul(ctx, batch, {
              m, n, k,
              a: ctx.bind(ta, 3, a.length - 3), lda, aOffset: 2, transA, aType: ta.dtype,
              b: ctx.bind(tb, 3, b.length - 3), ldb, bOffset: 2, transB, bType: tb.dtype,
              c: ctx.bind(tc, 0, m * ldc), ldc, cOffset: 0, accumulate: false,
              bias: ctx.bind(tbias, skew, n), biasType: tbias.dtype,
              weightSum: ctx.bind(tws, 0, 2).binding, scaled: false,
            }, ctx.bind(tnone, 0, 1).binding));
          const got = (await ctx.read(tc)) as Float32Array;
          const r = matmul({ m, n, k, a, lda, aOffset: skew, transA, b, ldb, bOffset: skew, transB, c: new Float64Array(m * ldc), ldc, cOffset: 0, accumulate: false, scale: 1, bias, biasOffset: skew });
          let bad = 0;
          let first = '';
          for (let j = 0; j < got.length; j++) {
            const tol = 8 * Math.sqrt(k) * 2 ** -24 * r.magnitude[j]!;
            if (!(Math.abs(got[j]! - r.c[j]!) <= tol) && bad++ === 0) first = `element ${j}: got ${got[j]}, want ${r.c[j]}`;
          }
          expect(bad, `${bad} wrong, first ${first}`).toBe(0);
        } finally {
          for (const t of tensors) t.release();
          ctx.destroy();
        }
      });
    });
  }
});
