// The fused linear cross-entropy's matmul kernels on their own (src/ops/linearCrossEntropy.ts encodeMatmul), on this
// machine's adapters, against the f64 reference (src/reference/linearCrossEntropy.ts matmul), for each launch plan:
// the large tiles real GPUs get (linear_cross_entropy_matmul128.wgsl, 128 x 128 tiles, 256 threads), the 32 x 32
// staged tiles of GPUs with smaller workgroups, and the direct storage reads of CPU adapters
// (linear_cross_entropy_matmul.wgsl). Shapes chosen for the edges the end-to-end tests do not reach cheaply: M, N, K
// not multiples of the tile or of the 16-deep K slice, K of one slice and of many, both transposes, binding shifts and
// operand offsets that are not multiples of 4, leading dimensions wider than the operand, ACCUMULATE, bias, the mean's
// scale, split-K slabs, K beyond one dispatch (MAX_INNER). Elements of C outside the product must stay untouched.
// Tolerance: |got - want| <= 8 sqrt(K) 2^-24 (|C before| + |s| sum_k |A B| + |bias|) per element (f32 rounding of K
// terms on random data is about sqrt(K) u of that sum); a missed or doubled k term, tile or slab is far larger.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GpuContext, type Tuning } from '../../src/gpu/context.js';
import type { GpuTensor } from '../../src/gpu/tensor.js';
import { encodeMatmul, largeTiles, logitsChunkBytes, MAX_INNER, planLinearCrossEntropy } from '../../src/ops/linearCrossEntropy.js';
import { matmul } from '../../src/reference/linearCrossEntropy.js';
import { normal } from '../helpers/data.js';
import { runOnlyOn, useRawDevice } from '../helpers/engine.js';

interface Case {
  m: number;
  n: number;
  k: number;
  transA?: boolean;
  transB?: boolean;
  accumulate?: boolean;
  bias?: boolean;
  /** weight_sum[0] for SCALED (the product is divided by it); absent: not scaled. */
  weightSum?: number;
  splits?: number;
  /** Extra columns of each operand's rows (leading dimension = natural + pad). */
  pad?: number;
  /** Elements before each operand in its buffer: part binding shift, part operand offset. */
  skew?: number;
}

const CASES: [string, Case][] = [
  ['1 x 1 x 1', { m: 1, n: 1, k: 1 }],
  ['129 x 130 x 33: one past a tile each way, K of 2 slices + 1', { m: 129, n: 130, k: 33 }],
  ['logits-like (TRANS_B, bias): 200 x 257 x 47, odd offsets and leading dimensions', { m: 200, n: 257, k: 47, transB: true, bias: true, pad: 3, skew: 5 }],
  ['gradWeight-like (TRANS_A, ACCUMULATE, scaled): 300 x 70 x 131', { m: 300, n: 70, k: 131, transA: true, accumulate: true, weightSum: 7, pad: 1, skew: 3 }],
  ['gradHidden-like split-K: 130 x 150 x 1000 in 5 slabs, scaled', { m: 130, n: 150, k: 1000, splits: 5, weightSum: 3, skew: 1 }],
  ['split-K with a short last piece: 20 x 9 x 1001 in 4 slabs', { m: 20, n: 9, k: 1001, splits: 4 }],
  ['both transposed, ACCUMULATE, bias: 65 x 190 x 16', { m: 65, n: 190, k: 16, transA: true, transB: true, accumulate: true, bias: true, skew: 2 }],
  ['thin C (N = 3): 1000 x 3 x 20, TRANS_A', { m: 1000, n: 3, k: 20, transA: true }],
  [`K beyond one dispatch: 5 x 9 x ${MAX_INNER + 13} (accumulating dispatches), bias, TRANS_B`, { m: 5, n: 9, k: MAX_INNER + 13, transB: true, bias: true }],
  ['weight_sum 0: scaled leaves the product unscaled', { m: 3, n: 4, k: 5, weightSum: 0 }],
];

const PLANS: { name: string; tuning: Tuning; wg: number; large: boolean }[] = [
  { name: 'large tiles (tuning gpu, 256 threads)', tuning: 'gpu', wg: 256, large: true },
  { name: '32 x 32 staged tiles (tuning gpu, 64-thread workgroups)', tuning: 'gpu', wg: 64, large: false },
  { name: 'direct storage reads (tuning cpu)', tuning: 'cpu', wg: 256, large: false },
];

const rawDevice = useRawDevice();

/** Run one case on `ctx`: the GPU's C buffer (the whole of it) and the reference's. */
async function run(ctx: GpuContext, c: Case, seed: number): Promise<{ got: Float32Array; want: Float64Array; magnitude: Float64Array; k: number }> {
  const pad = c.pad ?? 0;
  const skew = c.skew ?? 0;
  const splits = c.splits ?? 1;
  const lda = (c.transA ? c.m : c.k) + pad;
  const ldb = (c.transB ? c.k : c.n) + pad;
  const ldc = c.n + pad;
  const aRows = c.transA ? c.k : c.m;
  const bRows = c.transB ? c.n : c.k;
  // Each operand sits `skew` elements into its buffer: ceil(skew / 2) by the binding's start, the rest by the offset.
  const [shift, offset] = [Math.ceil(skew / 2), Math.floor(skew / 2)];
  const a = normal(skew + aRows * lda, 1, seed);
  const b = normal(skew + bRows * ldb, 1, seed + 1);
  const slab = c.m * ldc;
  const c0 = normal(skew + splits * slab + pad, 1, seed + 2); // what C held before: accumulated into, or overwritten
  const bias = normal(skew + c.n, 1, seed + 3);
  const weightSum = Float32Array.from([c.weightSum ?? 1, 0]);
  const tensors: GpuTensor[] = [];
  const up = (x: Float32Array, label: string): GpuTensor => {
    const t = ctx.upload(x, label);
    tensors.push(t);
    return t;
  };
  const [ta, tb, tc, tbias, tws, tnone] = [up(a, 'a'), up(b, 'b'), up(c0, 'c'), up(bias, 'bias'), up(weightSum, 'ws'), up(new Float32Array(1), 'none')];
  try {
    await ctx.submit('matmul test', (batch) =>
      encodeMatmul(ctx, batch, {
        m: c.m, n: c.n, k: c.k,
        a: ctx.bind(ta, shift, a.length - shift), lda, aOffset: offset, transA: c.transA ?? false,
        b: ctx.bind(tb, shift, b.length - shift), ldb, bOffset: offset, transB: c.transB ?? false,
        c: ctx.bind(tc, shift, c0.length - shift), ldc, cOffset: offset, accumulate: c.accumulate ?? false,
        bias: c.bias ? ctx.bind(tbias, skew, c.n) : undefined,
        ...(splits > 1 ? { splits, splitStride: slab } : {}),
        weightSum: ctx.bind(tws, 0, 2).binding, scaled: c.weightSum !== undefined,
      }, ctx.bind(tnone, 0, 1).binding));
    const got = (await ctx.read(tc)) as Float32Array;
    // The reference, slab by slab (slab s: K piece s, at skew + s * slab).
    const piece = Math.ceil(c.k / splits);
    let want: Float64Array = Float64Array.from(c0);
    const magnitude = new Float64Array(c0.length);
    const scale = c.weightSum ? 1 / Math.fround(c.weightSum) : 1;
    for (let s = 0; s * piece < c.k; s++) {
      const p0 = s * piece;
      const r = matmul({
        m: c.m, n: c.n, k: Math.min(piece, c.k - p0),
        a, lda, aOffset: skew + (c.transA ? p0 * lda : p0), transA: c.transA ?? false,
        b, ldb, bOffset: skew + (c.transB ? p0 : p0 * ldb), transB: c.transB ?? false,
        c: want, ldc, cOffset: skew + s * slab, accumulate: c.accumulate ?? false, scale,
        bias: c.bias ? bias : undefined, biasOffset: skew,
      });
      want = r.c;
      for (let i = 0; i < magnitude.length; i++) magnitude[i] = magnitude[i]! + r.magnitude[i]!;
    }
    return { got, want, magnitude, k: piece };
  } finally {
    for (const t of tensors) t.release();
  }
}

for (const plan of PLANS) {
  describe(`linearCrossEntropy matmul: ${plan.name}`, () => {
    let ctx!: GpuContext;
    beforeAll(() => {
      ctx = new GpuContext(rawDevice(), false, plan.tuning, plan.wg);
    });
    afterAll(() => {
      if (!ctx) return;
      const stats = ctx.stats();
      ctx.destroy();
      expect(stats.liveBuffers, 'buffers still handed out: a leak').toBe(0);
    });

    it('uses the plan named', () => {
      expect(largeTiles(ctx)).toBe(plan.large);
    });

    it('chunks of rows: whole 128-row tiles when there are several chunks (large tiles only)', () => {
      const [d, v] = [768, 50257];
      const unrounded = Math.min(MAX_INNER, Math.floor(logitsChunkBytes(ctx.tuning) / (4 * v)), Math.floor(ctx.maxBindingElements / v), Math.floor(ctx.maxBindingElements / d));
      expect(planLinearCrossEntropy(ctx, 4096, d, v).chunkRows).toBe(plan.large ? unrounded - (unrounded % 128) : unrounded);
      expect(planLinearCrossEntropy(ctx, Math.min(unrounded, 300), d, v).chunkRows).toBe(Math.min(unrounded, 300)); // one chunk: as is
    });

    CASES.forEach(([name, c], i) => {
      it(name, async (context) => {
        const why = 'the 128 x 128 tile kernel has no subgroup or feature-dependent code; SwiftShader compiles it slowly';
        if (plan.large) runOnlyOn(context, 'llvmpipe', why);
        const { got, want, magnitude, k } = await run(ctx, c, 100 * i + 7);
        const tol = (x: number) => 8 * Math.sqrt(k) * 2 ** -24 * x;
        let bad = 0;
        let first = '';
        for (let j = 0; j < want.length; j++) {
          // Outside the product (magnitude 0 there): untouched, bit for bit.
          const ok = magnitude[j] === 0 ? got[j] === Math.fround(want[j]!) : Math.abs(got[j]! - want[j]!) <= tol(magnitude[j]!);
          if (!ok && bad++ === 0) first = `element ${j}: got ${got[j]}, want ${want[j]} (tolerance ${tol(magnitude[j]!)})`;
        }
        expect(bad, `${bad} elements wrong, first ${first}`).toBe(0);
        // Deterministic: the same bits again.
        const again = await run(ctx, c, 100 * i + 7);
        expect(Buffer.from(again.got.buffer).equals(Buffer.from(got.buffer))).toBe(true);
      });
    });
  });
}
