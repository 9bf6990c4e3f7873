// GPU log_softmax / softmax (shaders/log_softmax.wgsl) against the f64 reference, over awkward shapes and values.
import { describe, expect, it } from 'vitest';
import { reference } from '../../src/index.js';
import { expectClose } from '../helpers/compare.js';
import { logitsFor, type ValueFamily } from '../helpers/data.js';
import { useGpuEngine } from '../helpers/engine.js';

const engine = useGpuEngine();
// The launch plan a real GPU gets; on SwiftShader its rows are reduced with subgroup shuffles, on llvmpipe (no
// subgroups) with the workgroup-memory tree, so both reduction paths are tested.
const gpuTuned = useGpuEngine({ tuning: 'gpu' });

// Every row and class count of the core issue at least once, with awkward partners.
const SHAPES: [number, number][] = [
  [1, 1], [2, 2], [7, 3], [64, 7], [65, 64], [257, 255], [4097, 256], [7, 257], [64, 1000],
  [65, 4099], [2, 32000], [7, 50257], [1, 128256], [65537, 3],
];
const FAMILIES: ValueFamily[] = ['shift+1e4', 'shift-1e4', 'scale1e3', 'masked', 'equal', 'nan-row'];

describe('logSoftmax / softmax', () => {
  for (const [rows, cols] of SHAPES) {
    it(`[${rows}, ${cols}] N(0, 3), both launch plans`, async () => {
      const x = logitsFor('normal', rows, cols, rows * 131 + cols);
      const want = reference.logSoftmax(x, rows, cols);
      for (const e of [engine(), gpuTuned()]) {
        expectClose(await e.logSoftmax(x, { shape: [rows, cols] }), want, `logSoftmax [${rows}, ${cols}] tuning ${e.tuning}`);
        expectClose(await e.softmax(x, { shape: [rows, cols] }), reference.softmax(x, rows, cols), `softmax [${rows}, ${cols}] tuning ${e.tuning}`);
      }
    });
  }

  it('[64, 262144]: few long rows split into segments and combined', async () => {
    const [rows, cols] = [64, 262144];
    const x = logitsFor('normal', rows, cols, 3);
    x[5 * cols + 100_000] = 40; // a row whose max sits in one segment only
    const want = reference.logSoftmax(x, rows, cols);
    for (const e of [engine(), gpuTuned()]) expectClose(await e.logSoftmax(x, { shape: [rows, cols] }), want, `split tuning ${e.tuning}`);
  });

  for (const family of FAMILIES) {
    for (const [rows, cols] of [[7, 257], [65, 1000], [3, 4099], [2, 50257]] as const) {
      it(`[${rows}, ${cols}] ${family}`, async () => {
        const x = logitsFor(family, rows, cols, 7 + cols);
        const y = await engine().logSoftmax(x, { shape: [rows, cols] });
        expectClose(y, reference.logSoftmax(x, rows, cols), `logSoftmax ${family}`);
        expectClose(await gpuTuned().logSoftmax(x, { shape: [rows, cols] }), reference.logSoftmax(x, rows, cols), `logSoftmax ${family} gpu tuning`);
        expectClose(await engine().softmax(x, { shape: [rows, cols] }), reference.softmax(x, rows, cols), `softmax ${family}`);
        if (family === 'nan-row') {
          // NaN stays in its row: row 1 all NaN, the others finite.
          for (let r = 0; r < rows; r++) {
            const row = y.subarray(r * cols, (r + 1) * cols);
            expect(row.every((v) => (r === 1 ? Number.isNaN(v) : !Number.isNaN(v))), `row ${r}`).toBe(true);
          }
        }
      });
    }
  }

  it('keeps leading dimensions: shape [2, 3, 5, 7]', async () => {
    const x = logitsFor('normal', 30, 7, 5);
    expectClose(await engine().logSoftmax(x, { shape: [2, 3, 5, 7] }), reference.logSoftmax(x, 30, 7), 'rank 4');
  });

  it('GPU-resident: reads from a GpuTensor, leaves the result on the GPU', async () => {
    const x = logitsFor('normal', 33, 100, 9);
    const input = engine().gpu.upload(x);
    const out = await engine().gpu.logSoftmax(input, { shape: [33, 100] });
    expectClose(await out.read(), reference.logSoftmax(x, 33, 100), 'resident');
    const probs = await engine().gpu.softmax(out, { shape: [33, 100] }); // softmax of log-probabilities = probabilities
    expectClose(await probs.read(), reference.softmax(x, 33, 100), 'chained');
    for (const t of [input, out, probs]) t.release();
  });
});

describe('long-row accuracy', () => {
  // One logit of 0 and 31999 of -12: every block adds the same tiny term (~2.5e-5) to a running sum near 1, so each
  // rounding errs the same way and a plain f32 chain of thousands of blocks drifts by ~1e-4 (the reduced value is
  // then off by far more than the tolerance). The running sum is kept in two levels (row_stats.wgsl, add_block).
  const [rows, cols] = [8, 32000];
  const x = new Float32Array(rows * cols).fill(-12);
  for (let r = 0; r < rows; r++) x[r * cols + (r * 997) % cols] = 0;
  const target = Int32Array.from({ length: rows }, (_, r) => (r * 997) % cols);

  it('log-softmax and cross-entropy of a row with thousands of equal tiny terms', async () => {
    const want = reference.logSoftmax(x, rows, cols);
    const ce = reference.crossEntropy(x, target, rows, cols, { reduction: 'none', ignoreIndex: -100, grad: true });
    for (const e of [engine(), gpuTuned()]) {
      expectClose(await e.logSoftmax(x, { shape: [rows, cols] }), want, `logSoftmax tuning ${e.tuning}`);
      const got = await e.crossEntropy(x, target, { shape: [rows, cols], reduction: 'none' });
      expectClose(got.loss as Float32Array, ce.loss as Float64Array, `crossEntropy loss tuning ${e.tuning}`);
      expectClose(got.grad!, ce.grad!, `crossEntropy grad tuning ${e.tuning}`);
    }
  });
});
