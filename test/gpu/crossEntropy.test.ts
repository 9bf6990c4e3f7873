// GPU fused cross-entropy forward+backward (shaders/cross_entropy.wgsl + target_weight_sum.wgsl + sum.wgsl) against
// the f64 reference: awkward shapes, every value family, every reduction, ignored rows, all rows ignored.
import { describe, expect, it } from 'vitest';
import { reference, type Reduction } from '../../src/index.js';
import { expectClose } from '../helpers/compare.js';
import { classTargets, logitsFor, rowsPastOneBindingOrSkip, type ValueFamily } from '../helpers/data.js';
import { chunksOf, traced } from '../helpers/trace.js';
import { useGpuEngine } from '../helpers/engine.js';

const engine = useGpuEngine();

const SHAPES: [number, number][] = [
  [1, 1], [2, 2], [7, 3], [64, 7], [65, 64], [257, 255], [4097, 256], [7, 257], [64, 1000],
  [65, 4099], [2, 32000], [7, 50257], [1, 128256], [65537, 3],
];
const FAMILIES: ValueFamily[] = ['shift+1e4', 'shift-1e4', 'scale1e3', 'masked', 'equal', 'nan-row'];
const REDUCTIONS: Reduction[] = ['mean', 'sum', 'none'];

async function check(rows: number, cols: number, family: ValueFamily, reduction: Reduction, ignoredEvery: number, label: string): Promise<void> {
  const target = classTargets(rows, cols, rows + cols, ignoredEvery);
  const x = logitsFor(family, rows, cols, rows * 7 + cols, target);
  const got = await engine().crossEntropy(x, target, { shape: [rows, cols], reduction });
  const want = reference.crossEntropy(x, target, rows, cols, { reduction, ignoreIndex: -100, grad: true });
  expectClose(got.loss as number | Float32Array, want.loss, `${label}: loss`);
  expectClose(got.grad!, want.grad!, `${label}: grad`);
  expect(got.weightSum, `${label}: weightSum`).toBe(want.weightSum);
}

describe('crossEntropy (class-index targets)', () => {
  for (const [rows, cols] of SHAPES) {
    for (const reduction of REDUCTIONS) {
      it(`[${rows}, ${cols}] ${reduction}, every 3rd row ignored`, () => check(rows, cols, 'normal', reduction, 3, `[${rows}, ${cols}] ${reduction}`));
    }
  }

  for (const family of FAMILIES) {
    it(`[65, 1000] ${family}, mean and none`, async () => {
      await check(65, 1000, family, 'mean', 0, `${family} mean`);
      await check(65, 1000, family, 'none', 4, `${family} none`);
    });
    // Few long rows: split into segments whose partial statistics are combined in a second dispatch.
    it(`[3, 20000] ${family} (split rows), sum and none`, async () => {
      await check(3, 20000, family, 'sum', 0, `${family} split sum`);
      await check(3, 20000, family, 'none', 2, `${family} split none`);
    });
  }

  it('a NaN logit makes only its own row NaN', async () => {
    const [rows, cols] = [5, 300];
    const target = classTargets(rows, cols, 1);
    const x = logitsFor('nan-row', rows, cols, 2);
    const { loss, grad } = await engine().crossEntropy(x, target, { shape: [rows, cols], reduction: 'none' });
    for (let r = 0; r < rows; r++) {
      expect(Number.isNaN((loss as Float32Array)[r]!), `loss row ${r}`).toBe(r === 1);
      expect(grad!.subarray(r * cols, (r + 1) * cols).every((g) => Number.isNaN(g) === (r === 1)), `grad row ${r}`).toBe(true);
    }
  });

  it('all rows ignored: mean is NaN with zero gradient, sum is 0, weightSum 0 (as PyTorch)', async () => {
    const x = logitsFor('normal', 9, 17, 3);
    const target = new Int32Array(9).fill(-100);
    const mean = await engine().crossEntropy(x, target, { shape: [9, 17] });
    expect(mean.loss).toBeNaN();
    expect(mean.weightSum).toBe(0);
    expect(mean.grad!.every((g) => g === 0)).toBe(true);
    const sum = await engine().crossEntropy(x, target, { shape: [9, 17], reduction: 'sum' });
    expect(sum.loss).toBe(0);
  });

  it('a custom ignoreIndex, and grad: false returns no gradient', async () => {
    const x = logitsFor('normal', 40, 10, 4);
    const target = classTargets(40, 10, 5, 2, 3); // every 2nd row gets 3, a real class used as ignoreIndex
    const got = await engine().crossEntropy(x, target, { shape: [40, 10], ignoreIndex: 3, grad: false });
    const want = reference.crossEntropy(x, target, 40, 10, { reduction: 'mean', ignoreIndex: 3, grad: false });
    expectClose(got.loss as number, want.loss as number, 'ignoreIndex 3');
    expect(got.weightSum).toBe(want.weightSum);
    expect(got.grad).toBeUndefined();
  });

  it('sum over shards equals the global mean: add the sums and the weightSums, divide once', async () => {
    const [rows, cols] = [301, 50];
    const target = classTargets(rows, cols, 8, 5);
    const x = logitsFor('normal', rows, cols, 9);
    const global = await engine().crossEntropy(x, target, { shape: [rows, cols], grad: false });
    let total = 0;
    let weight = 0;
    for (const [a, b] of [[0, 100], [100, 101], [101, 301]] as const) {
      const shard = await engine().crossEntropy(x.subarray(a * cols, b * cols), target.subarray(a, b), { shape: [b - a, cols], reduction: 'sum', grad: false });
      total += shard.loss as number;
      weight += shard.weightSum;
    }
    expect(weight).toBe(global.weightSum);
    expectClose(total / weight, global.loss as number, 'sharded mean');
  });

  it('GPU-resident: logits and targets in GpuTensors, results stay on the GPU until read', async () => {
    const [rows, cols] = [129, 333];
    const target = classTargets(rows, cols, 10, 7);
    const x = logitsFor('normal', rows, cols, 11);
    const logits = engine().gpu.upload(x);
    const labels = engine().gpu.upload(target);
    const r = await engine().gpu.crossEntropy(logits, labels, { shape: [rows, cols] });
    const want = reference.crossEntropy(x, target, rows, cols, { reduction: 'mean', ignoreIndex: -100, grad: true });
    expectClose((await r.loss.read())[0]!, want.loss as number, 'resident loss');
    expectClose(await r.grad!.read(), want.grad!, 'resident grad');
    expect((await r.weightSum.read())[0]).toBe(want.weightSum);
    for (const t of [logits, labels, r.loss, r.grad!, r.weightSum]) t.release();
  });

  it('GPU-resident targets out of range give NaN rows and a clear error on the host path', async () => {
    const e = engine();
    const x = logitsFor('normal', 4, 5, 12);
    const labels = e.gpu.upload(Int32Array.from([0, 7, 1, -100]));
    const logits = e.gpu.upload(x);
    const r = await e.gpu.crossEntropy(logits, labels, { shape: [4, 5], reduction: 'none' });
    const loss = await r.loss.read();
    expect([...loss].map(Number.isNaN)).toEqual([false, true, false, false]);
    await expect(e.crossEntropy(logits, labels, { shape: [4, 5] })).rejects.toThrow(/target.*outside \[0, 5\)/);
    for (const t of [logits, labels, r.loss, r.grad!, r.weightSum]) t.release();
  });

  it('logits larger than one storage binding are split by rows (llvmpipe: 128 MiB bindings)', async (ctx) => {
    const e = engine();
    const cols = 128256;
    const rows = rowsPastOneBindingOrSkip(ctx, e.device, cols);
    const target = classTargets(rows, cols, 13, 9);
    const x = logitsFor('normal', rows, cols, 14);
    const run = await traced(e, () => e.crossEntropy(x, target, { shape: [rows, cols], reduction: 'sum' }));
    expect(chunksOf(run.dispatches, 'crossEntropy'), 'chunks of rows').toBeGreaterThan(1);
    const got = run.result;
    const want = reference.crossEntropy(x, target, rows, cols, { reduction: 'sum', ignoreIndex: -100, grad: true });
    expectClose(got.loss as number, want.loss as number, `[${rows}, ${cols}] loss`);
    expectClose(got.grad!, want.grad!, `[${rows}, ${cols}] grad`);
  });
});

// The launch plan real GPUs get (tuning 'gpu'): hard-label rows that fit the lanes' registers (at most 32 classes per
// lane: here the shapes up to [5, 1025]) are read once and their gradient formed from the cached exponentials (CACHED
// in cross_entropy.wgsl; checked once by breaking that path: every such shape failed); [3, 8192] is split into
// segments (few rows) and [2, 8193] is too long, so they take the two-read path. Both against the reference.
describe('crossEntropy, tuning gpu: the row kept in registers', () => {
  const gpuTuned = useGpuEngine({ tuning: 'gpu' });
  const shapes: [number, number][] = [[1, 1], [3, 5], [64, 7], [65, 64], [257, 255], [7, 257], [64, 1000], [5, 1025], [3, 8192], [2, 8193]];
  const families: ValueFamily[] = ['normal', 'shift+1e4', 'scale1e3', 'masked', 'equal', 'nan-row'];
  for (const [rows, cols] of shapes) {
    it(`[${rows}, ${cols}] every family, mean and none with ignored rows`, async () => {
      for (const family of families) {
        for (const [reduction, ignoredEvery] of [['mean', 0], ['none', 3]] as const) {
          const target = classTargets(rows, cols, rows + cols, ignoredEvery);
          const x = logitsFor(family, rows, cols, rows * 7 + cols, target);
          const got = await gpuTuned().crossEntropy(x, target, { shape: [rows, cols], reduction });
          const want = reference.crossEntropy(x, target, rows, cols, { reduction, ignoreIndex: -100, grad: true });
          expectClose(got.loss as number | Float32Array, want.loss, `${family} ${reduction}: loss`);
          expectClose(got.grad!, want.grad!, `${family} ${reduction}: grad`);
        }
      }
    });
  }
  it('with class weights and z-loss, and a row of only -Inf (NaN, as PyTorch)', async () => {
    const [rows, cols] = [9, 300];
    const target = classTargets(rows, cols, 5, 4);
    const x = logitsFor('normal', rows, cols, 11, target);
    x.fill(-Infinity, 2 * cols, 3 * cols);
    const weight = Float32Array.from({ length: cols }, (_, c) => 0.5 + (c % 7) / 4);
    const options = { reduction: 'none', ignoreIndex: -100, grad: true, weight, zLoss: 1e-3 } as const;
    const got = await gpuTuned().crossEntropy(x, target, { shape: [rows, cols], ...options });
    const want = reference.crossEntropy(x, target, rows, cols, options);
    expectClose(got.loss as Float32Array, want.loss, 'loss');
    expectClose(got.grad!, want.grad!, 'grad');
    expect(Number.isNaN((got.loss as Float32Array)[2]), 'the all -Inf row is NaN').toBe(true);
  });
});
