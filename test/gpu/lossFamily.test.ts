// The loss family on the GPU beyond the fixtures: GPU-resident forms of every op, big and awkward shapes (rows past
// the 65535-workgroup dispatch limit, 50257 and 128256 classes, strided class layouts, logits split across bindings),
// sharded weighted means, and GPU-resident targets that were never checked on the host. Everything is compared with
// the f64 reference at the atol 1e-6 + rtol 1e-5.
import { describe, expect, it } from 'vitest';
import { reference, type GpuTensor } from '../../src/index.js';
import { expectClose } from '../helpers/compare.js';
import { classTargets, logitsFor, normal, rng, rowsPastOneBindingOrSkip } from '../helpers/data.js';
import { useGpuEngine } from '../helpers/engine.js';
import { chunksOf, traced } from '../helpers/trace.js';

const engine = useGpuEngine();
/** The many-threads-per-row plan of a real GPU (on CPU adapters too), where a test needs both plans. */
const gpuPlan = useGpuEngine({ tuning: 'gpu' });

function distributions(rows: number, cols: number, seed: number): Float32Array {
  const next = rng(seed);
  const v = Float32Array.from({ length: rows * cols }, () => next());
  for (let r = 0; r < rows; r++) {
    const s = v.subarray(r * cols, (r + 1) * cols).reduce((a, b) => a + b, 0);
    for (let c = 0; c < cols; c++) v[r * cols + c]! /= s;
  }
  return v;
}

const positiveWeights = (n: number, seed: number): Float32Array => Float32Array.from(normal(n, 1, seed), (v) => Math.abs(v) + 0.1);

describe('loss family on the GPU', () => {
  it('crossEntropy [65537, 3]: weights, smoothing, ignored rows (more than 65535 workgroups of rows)', async () => {
    const [rows, cols] = [65537, 3];
    const target = classTargets(rows, cols, 1, 5);
    const x = logitsFor('normal', rows, cols, 2);
    const weight = positiveWeights(cols, 3);
    for (const reduction of ['mean', 'none'] as const) {
      const got = await engine().crossEntropy(x, target, { shape: [rows, cols], reduction, weight, labelSmoothing: 0.1 });
      const want = reference.crossEntropy(x, target, rows, cols, { reduction, ignoreIndex: -100, grad: true, weight, labelSmoothing: 0.1 });
      expectClose(got.loss, want.loss, `${reduction} loss`);
      expectClose(got.grad!, want.grad!, `${reduction} grad`);
      // the weighted denominator is an f32 tree sum on the GPU: within (rows / WG + log2 WG) * 2^-24 relative
      expectClose(got.weightSum, want.weightSum, 'weightSum');
    }
  });

  it('crossEntropy [7, 50257] soft targets with smoothing, z-loss and softcap', async () => {
    const [rows, cols] = [7, 50257];
    const x = logitsFor('normal', rows, cols, 4);
    const y = distributions(rows, cols, 5);
    const options = { reduction: 'sum' as const, labelSmoothing: 0.1, zLoss: 1e-4, softcap: 30 };
    const got = await engine().crossEntropy(x, y, { shape: [rows, cols], ...options });
    const want = reference.crossEntropy(x, y, rows, cols, { ...options, ignoreIndex: -100, grad: true, softTarget: true });
    expectClose(got.loss, want.loss, 'loss');
    expectClose(got.grad!, want.grad!, 'grad');
    expectClose(got.zLoss!, want.zLoss, 'zLoss');
  });

  it('crossEntropy in the [N, C, H, W] layout (classDim 1, read in place): class-index and soft targets', async () => {
    const [n, c, h, w] = [2, 19, 33, 31];
    const rows = n * h * w;
    const x = logitsFor('normal', n * c, h * w, 6);
    const target = classTargets(rows, c, 7, 6);
    const weight = positiveWeights(c, 8);
    for (const [label, t] of [['index', target], ['soft', (() => {
      // probabilities along dim 1 of [N, C, H, W]
      const y = new Float32Array(n * c * h * w);
      const rowsFirst = distributions(rows, c, 9);
      for (let b = 0; b < n; b++) for (let k = 0; k < c; k++) for (let p = 0; p < h * w; p++) y[(b * c + k) * h * w + p] = rowsFirst[(b * h * w + p) * c + k]!;
      return y;
    })()]] as const) {
      const got = await engine().crossEntropy(x, t, { shape: [n, c, h, w], classDim: 1, weight, labelSmoothing: 0.2, reduction: 'none' });
      const want = reference.crossEntropy(x, t, rows, c, { reduction: 'none', ignoreIndex: -100, grad: true, weight, labelSmoothing: 0.2, inner: h * w, softTarget: label === 'soft' });
      expectClose(got.loss, want.loss, `${label} loss`);
      expectClose(got.grad!, want.grad!, `${label} grad`);
    }
  });

  it('crossEntropy with weights and smoothing when the logits exceed one storage binding (split by rows)', async (ctx) => {
    const e = engine();
    const cols = 128256;
    const rows = rowsPastOneBindingOrSkip(ctx, e.device, cols);
    const target = classTargets(rows, cols, 13, 9);
    const x = logitsFor('normal', rows, cols, 14);
    const weight = positiveWeights(cols, 15);
    const options = { reduction: 'mean' as const, weight, labelSmoothing: 0.05, zLoss: 1e-4 };
    const run = await traced(e, () => e.crossEntropy(x, target, { shape: [rows, cols], ...options }));
    expect(chunksOf(run.dispatches, 'crossEntropy'), 'chunks of rows').toBeGreaterThan(1);
    const got = run.result;
    const want = reference.crossEntropy(x, target, rows, cols, { ...options, ignoreIndex: -100, grad: true });
    expectClose(got.loss, want.loss, `[${rows}, ${cols}] loss`);
    expectClose(got.grad!, want.grad!, `[${rows}, ${cols}] grad`);
  });

  it('sharded weighted, smoothed sums add up to the global mean: add losses and weightSums, divide once', async () => {
    const [rows, cols] = [301, 50];
    const target = classTargets(rows, cols, 16, 4);
    const x = logitsFor('normal', rows, cols, 17);
    const options = { weight: positiveWeights(cols, 18), labelSmoothing: 0.1, grad: false };
    const global = await engine().crossEntropy(x, target, { shape: [rows, cols], ...options });
    let total = 0;
    let weight = 0;
    for (const [a, b] of [[0, 100], [100, 101], [101, 301]] as const) {
      const shard = await engine().crossEntropy(x.subarray(a * cols, b * cols), target.subarray(a, b), { shape: [b - a, cols], reduction: 'sum', ...options });
      total += shard.loss as number;
      weight += shard.weightSum;
    }
    expectClose(weight, global.weightSum, 'weightSum');
    expectClose(total / weight, global.loss as number, 'sharded mean');
  });

  it('GPU-resident: every op takes GpuTensors and returns GpuTensors (nothing read back until asked)', async () => {
    const e = engine();
    const [rows, cols] = [33, 70];
    const x = logitsFor('normal', rows, cols, 19);
    const y = distributions(rows, cols, 20);
    const labels = classTargets(rows, cols, 21, 5);
    const weight = positiveWeights(cols, 22);
    const logProbs = Float32Array.from(reference.logSoftmax(x, rows, cols));
    const tensors: GpuTensor[] = [];
    const up = (v: Float32Array | Int32Array): GpuTensor => {
      const t = e.gpu.upload(v);
      tensors.push(t);
      return t;
    };
    const check = async (r: { loss: GpuTensor; grad?: GpuTensor; weightSum: GpuTensor; zLoss?: GpuTensor }, want: { loss: number | Float64Array; grad?: Float64Array | undefined; weightSum: number }, label: string): Promise<void> => {
      tensors.push(r.loss, r.weightSum, ...(r.grad ? [r.grad] : []), ...(r.zLoss ? [r.zLoss] : []));
      const loss = await r.loss.read();
      expectClose(typeof want.loss === 'number' ? loss[0]! : loss, want.loss, `${label} loss`);
      expectClose(await r.grad!.read(), want.grad!, `${label} grad`);
      expectClose((await r.weightSum.read())[0]!, want.weightSum, `${label} weightSum`);
    };
    await check(
      await e.gpu.crossEntropy(up(x), up(y), { shape: [rows, cols], weight, labelSmoothing: 0.1, zLoss: 1e-3 }),
      reference.crossEntropy(x, y, rows, cols, { reduction: 'mean', ignoreIndex: -100, grad: true, softTarget: true, weight, labelSmoothing: 0.1, zLoss: 1e-3 }),
      'crossEntropy soft',
    );
    await check(await e.gpu.nllLoss(up(logProbs), up(labels), { shape: [rows, cols], weight }), reference.nllLoss(logProbs, labels, rows, cols, { reduction: 'mean', ignoreIndex: -100, grad: true, weight }), 'nllLoss');
    const bceTarget = Float32Array.from(y, (v) => v * cols);
    const pw = positiveWeights(cols, 23);
    await check(
      await e.gpu.binaryCrossEntropyWithLogits(up(x), up(bceTarget), { shape: [rows, cols], posWeight: pw, reduction: 'sum' }),
      reference.binaryCrossEntropyWithLogits(x, bceTarget, { reduction: 'sum', grad: true, cols, posWeight: pw }),
      'bce logits',
    );
    await check(await e.gpu.binaryCrossEntropy(up(y), up(bceTarget), { shape: [rows, cols] }), reference.binaryCrossEntropy(y, bceTarget, { reduction: 'mean', grad: true, cols }), 'bce');
    await check(await e.gpu.entropy(up(y), { shape: [rows, cols] }), reference.entropy(y, rows, cols, { reduction: 'mean', grad: true }), 'entropy');
    await check(await e.gpu.klDiv(up(logProbs), up(y), { shape: [rows, cols], reduction: 'batchmean' }), reference.klDiv(logProbs, y, { reduction: 'batchmean', grad: true, logTarget: false, batch: rows }), 'klDiv');
    for (const t of tensors) t.release();
  });

  it('GPU-resident class targets out of range with weights: NaN rows, left out of weightSum, and a clear error on the host path', async () => {
    const e = engine();
    const x = logitsFor('normal', 4, 5, 24);
    const labels = e.gpu.upload(Int32Array.from([0, 7, 1, -100]));
    const logits = e.gpu.upload(x);
    const weight = Float32Array.of(1, 2, 3, 4, 5);
    const r = await e.gpu.crossEntropy(logits, labels, { shape: [4, 5], reduction: 'none', weight, labelSmoothing: 0.1 });
    expect([...(await r.loss.read())].map(Number.isNaN)).toEqual([false, true, false, false]);
    expect((await r.weightSum.read())[0]).toBe(1 + 2);
    await expect(e.crossEntropy(logits, labels, { shape: [4, 5], weight })).rejects.toThrow(/target.*outside \[0, 5\)/);
    await expect(e.nllLoss(logits, labels, { shape: [4, 5] })).rejects.toThrow(/^nllLoss: target\[1\] is 7, outside \[0, 5\)/);
    for (const t of [logits, labels, r.loss, r.grad!, r.weightSum]) t.release();
  });

  it('the denominator over many workgroups of targets, on both plans: exact counts, weighted sums, soft targets, out-of-range counts', async () => {
    // 2 target_weight_sum workgroups on the CPU plan (64 x 2048 rows each), 9 on the GPU plan (256 x 64): the
    // partials are then added by the kernel's second, COMBINE dispatch.
    const [rows, cols] = [2 * 65536 + 5, 3];
    const x = logitsFor('normal', rows, cols, 27);
    const target = classTargets(rows, cols, 28, 7);
    const weight = positiveWeights(cols, 29);
    const soft = distributions(rows, cols, 30);
    for (const e of [engine(), gpuPlan()]) {
      const plan = `tuning ${e.tuning}`;
      const plain = await e.crossEntropy(x, target, { shape: [rows, cols], grad: false });
      expect(plain.weightSum, `${plan}: count of non-ignored rows`).toBe(target.filter((t) => t !== -100).length);
      const weighted = await e.crossEntropy(x, target, { shape: [rows, cols], weight, grad: false, reduction: 'sum' });
      expectClose(weighted.weightSum, reference.crossEntropy(x, target, rows, cols, { reduction: 'sum', ignoreIndex: -100, grad: false, weight }).weightSum, `${plan}: weighted weightSum`);
      const softMean = await e.crossEntropy(x, soft, { shape: [rows, cols], grad: false });
      expect(softMean.weightSum, `${plan}: soft targets divide by the rows`).toBe(rows);
      const bad = target.slice();
      bad[5] = 3;
      bad[rows - 2] = -7;
      bad[70000] = 99;
      const labels = e.gpu.upload(bad);
      const logits = e.gpu.upload(x);
      await expect(e.crossEntropy(logits, labels, { shape: [rows, cols], grad: false }), plan).rejects.toThrow(/^crossEntropy: target\[5\] is 3, outside \[0, 3\)/);
      labels.release();
      logits.release();
    }
  });

  it('grad: false returns no gradient for every op', async () => {
    const x = logitsFor('normal', 5, 6, 25);
    const y = distributions(5, 6, 26);
    const e = engine();
    const results = [
      await e.crossEntropy(x, y, { shape: [5, 6], grad: false }),
      await e.nllLoss(x, Int32Array.of(0, 1, 2, 3, 4), { shape: [5, 6], grad: false }),
      await e.binaryCrossEntropyWithLogits(x, y, { shape: [5, 6], grad: false }),
      await e.binaryCrossEntropy(y, y, { shape: [5, 6], grad: false }),
      await e.entropy(y, { shape: [5, 6], grad: false }),
      await e.klDiv(x, y, { shape: [5, 6], grad: false }),
    ];
    for (const r of results) {
      expect(r.grad).toBeUndefined();
      expect(Number.isFinite(r.loss as number)).toBe(true);
    }
  });
});
