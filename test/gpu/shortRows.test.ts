// Short rows on CPU adapters (65537 x 10): rows of at most 32 classes walked by one thread in unrolled blocks
// (row_stats.wgsl FIXED_COLS; cross_entropy.wgsl fixed_main; log_softmax.wgsl), against the f64 reference: every row
// length around the block boundaries, a partial last workgroup, every value family, every option the variant takes
// (weights, z-loss, reductions, ignore_index inside the class range, out-of-range GPU-resident targets, in place, f16
// logits, forward only) and the ones it leaves to the loop (soft cap, smoothing, soft targets). Both launch plans run
// each case: the adapter's (SwiftShader and llvmpipe: one thread per row, so the unrolled variant) and the
// many-threads-per-row plan of a real GPU. The engine's trace shows which variant ran, on every adapter.
import { describe, expect, it } from 'vitest';
import { reference, type CrossEntropyOptions, type Engine, type Reduction } from '../../src/index.js';
import { MAX_FIXED_COLS, planRows } from '../../src/ops/rows.js';
import type { GpuContext } from '../../src/gpu/context.js';
import { expectClose, type Tolerance } from '../helpers/compare.js';
import { classTargets, logitsFor, normal, type ValueFamily } from '../helpers/data.js';
import { useBothPlans } from '../helpers/engine.js';
import { releaseAll, rowDispatches, traced } from '../helpers/trace.js';

const engines = useBothPlans();

const ROWS = 67; // one full workgroup of 64 rows and a partial one
const COLS = [1, 2, 3, 4, 5, 7, 8, 9, 10, 12, 13, 16, 17, 20, 31, 32, 33];
const F16_RESULT: Tolerance = { atol: 1.1e-6, rtol: 5e-4 }; // as test/gpu/f16.test.ts: one f16 rounding of the result

type Options = Omit<CrossEntropyOptions, 'shape'>;

/** GPU-resident cross-entropy against the reference (loss, gradient, weightSum, z-loss). */
async function checkCe(e: Engine, x: Float32Array, target: Int32Array, rows: number, cols: number, options: Options, label: string, grad = true): Promise<void> {
  const reduction = options.reduction ?? 'mean';
  const want = reference.crossEntropy(x, target, rows, cols, {
    reduction,
    ignoreIndex: options.ignoreIndex ?? -100,
    grad,
    weight: options.weight as Float32Array | undefined,
    labelSmoothing: options.labelSmoothing,
    zLoss: options.zLoss,
    softcap: options.softcap,
  });
  const got = await e.crossEntropy(x, target, { shape: [rows, cols], ...options, grad });
  expectClose(got.loss as number | Float32Array, want.loss, `${label}: loss`);
  if (grad) expectClose(got.grad!, want.grad!, `${label}: grad`);
  else expect(got.grad, `${label}: no gradient asked`).toBeUndefined();
  expectClose(got.weightSum, want.weightSum, `${label}: weightSum`);
  if (options.zLoss) expectClose(got.zLoss as number | Float32Array, want.zLoss, `${label}: zLoss`);
}

describe('the launch plan', () => {
  it(`takes the unrolled variant for rows of 1..${MAX_FIXED_COLS} classes on CPU adapters only`, () => {
    const ctx = (tuning: 'cpu' | 'gpu') => ({ tuning, workgroupSize: 256 }) as GpuContext;
    for (const cols of [1, 10, MAX_FIXED_COLS]) expect(planRows(ctx('cpu'), 65537, cols).constants.FIXED_COLS).toBe(cols);
    expect(planRows(ctx('cpu'), 65537, MAX_FIXED_COLS + 1).constants.FIXED_COLS).toBeUndefined();
    expect(planRows(ctx('gpu'), 65537, 10).constants.FIXED_COLS).toBeUndefined();
  });

  for (const [plan, engine] of engines) {
    it(`runs the unrolled variant exactly where the plan says so (${plan}, engine trace)`, async () => {
      const e = engine();
      const x = e.gpu.upload(normal(ROWS * 10, 3, 1));
      const t = e.gpu.upload(classTargets(ROWS, 10, 2));
      const fixedCols = async (op: 'crossEntropy' | 'logSoftmax', work: () => Promise<unknown>) => {
        const run = await traced(e, work);
        releaseAll(run.result);
        return rowDispatches(run.dispatches, op).map((d) => d.constants.FIXED_COLS);
      };
      const ce = (options: Options) =>
        fixedCols('crossEntropy', () => e.gpu.crossEntropy(x, t, { shape: [ROWS, 10], ...options }));
      try {
        const unrolled = e.tuning === 'cpu' ? '10' : undefined;
        expect(await ce({}), 'cross_entropy').toEqual([unrolled]);
        const ls = await fixedCols('logSoftmax', () => e.gpu.logSoftmax(x, { shape: [ROWS, 10] }));
        expect(ls, 'log_softmax').toEqual([unrolled]);
        expect(await ce({ softcap: 5 }), 'a soft cap takes the loop').toEqual([undefined]);
        expect(await ce({ labelSmoothing: 0.1 }), 'smoothing takes the loop').toEqual([undefined]);
      } finally {
        x.release();
        t.release();
      }
    });
  }
});

for (const [plan, engine] of engines) {
  describe(`short rows (${plan})`, () => {
    it('cross-entropy for every row length around the blocks, mean and none, with and without the gradient', async () => {
      for (const cols of COLS) {
        const target = classTargets(ROWS, cols, cols, 3);
        const x = logitsFor('normal', ROWS, cols, cols + 100);
        for (const reduction of ['mean', 'none'] as Reduction[]) {
          await checkCe(engine(), x, target, ROWS, cols, { reduction }, `[${ROWS}, ${cols}] ${reduction}`);
        }
        await checkCe(engine(), x, target, ROWS, cols, { reduction: 'sum' }, `[${ROWS}, ${cols}] forward only`, false);
      }
    });

    it('cross-entropy over every value family (masked, equal, NaN rows, shifted, scaled)', async () => {
      const families: ValueFamily[] = ['masked', 'equal', 'nan-row', 'shift+1e4', 'shift-1e4', 'scale1e3'];
      for (const cols of [3, 10, 32]) {
        for (const family of families) {
          const target = classTargets(ROWS, cols, cols + 7, 4);
          const x = logitsFor(family, ROWS, cols, cols + 8, target);
          await checkCe(engine(), x, target, ROWS, cols, { reduction: 'none' }, `[${ROWS}, ${cols}] ${family}`);
        }
      }
    });

    it('cross-entropy with weights, z-loss, ignore_index inside the classes, and the options the loop keeps', async () => {
      const cols = 10;
      const x = logitsFor('normal', ROWS, cols, 31);
      const weight = normal(cols, 1, 32).map((w) => Math.abs(w) + 0.1);
      const target = classTargets(ROWS, cols, 33, 5);
      const cases: [string, Options][] = [
        ['weights mean', { weight }],
        ['weights none', { weight, reduction: 'none' }],
        ['z-loss sum', { zLoss: 1e-2, reduction: 'sum' }],
        ['z-loss and weights none', { zLoss: 1e-3, weight, reduction: 'none' }],
        ['soft cap (loop)', { softcap: 2 }],
        ['smoothing (loop)', { labelSmoothing: 0.2, weight }],
      ];
      for (const [label, options] of cases) await checkCe(engine(), x, target, ROWS, cols, options, `[${ROWS}, ${cols}] ${label}`);
      const inside = classTargets(ROWS, cols, 34).map((t, r) => (r % 4 === 0 ? 3 : t));
      await checkCe(engine(), x, inside, ROWS, cols, { ignoreIndex: 3, reduction: 'none' }, `[${ROWS}, ${cols}] ignore_index 3`);
    });

    it('GPU-resident targets out of range give NaN loss and gradient rows, the others unchanged', async () => {
      const e = engine();
      const [rows, cols] = [ROWS, 7];
      const x = logitsFor('normal', rows, cols, 41);
      const target = classTargets(rows, cols, 42, 6);
      const bad = new Set([2, 30, 66]);
      const sent = target.map((t, r) => (r === 2 ? cols : r === 30 ? -1 : r === 66 ? 1000 : t));
      const logits = e.gpu.upload(x);
      const labels = e.gpu.upload(sent);
      const r = await e.gpu.crossEntropy(logits, labels, { shape: [rows, cols], reduction: 'none' });
      try {
        const loss = await r.loss.read();
        const grad = await r.grad!.read();
        const want = reference.crossEntropy(x, target.map((t, i) => (bad.has(i) ? -100 : t)), rows, cols, { reduction: 'none', ignoreIndex: -100, grad: true });
        for (let row = 0; row < rows; row++) {
          const g = grad.subarray(row * cols, (row + 1) * cols);
          if (bad.has(row)) {
            expect(Number.isNaN(loss[row]), `loss row ${row}`).toBe(true);
            expect(g.every(Number.isNaN), `grad row ${row}`).toBe(true);
          } else {
            expectClose(loss[row]!, (want.loss as Float64Array)[row]!, `loss row ${row}`);
            expectClose(g, want.grad!.subarray(row * cols, (row + 1) * cols), `grad row ${row}`);
          }
        }
        expect((await r.weightSum.read())[1], 'out-of-range count').toBe(bad.size);
      } finally {
        for (const t of [logits, labels, r.loss, r.grad!, r.weightSum]) t.release();
      }
    });

    it('in place and f16 logits (odd lengths share words between rows), in place too', async () => {
      const e = engine();
      for (const cols of [5, 10, 32]) {
        const x = logitsFor('normal', ROWS, cols, cols + 50);
        const target = classTargets(ROWS, cols, cols + 51, 3);
        const want = reference.crossEntropy(x, target, ROWS, cols, { reduction: 'mean', ignoreIndex: -100, grad: true });
        const labels = e.gpu.upload(target);
        const logits = e.gpu.upload(x);
        const r = await e.gpu.crossEntropy(logits, labels, { shape: [ROWS, cols], inPlace: true });
        expectClose((await r.loss.read())[0]!, want.loss as number, `[${ROWS}, ${cols}] in place: loss`);
        expectClose(await logits.read(), want.grad!, `[${ROWS}, ${cols}] in place: gradient over the logits`);
        for (const t of [logits, r.loss, r.weightSum]) t.release();

        // f16: the reference on the f16-rounded logits (what the GPU holds); odd lengths share words between rows.
        const half = e.gpu.upload(x, { dtype: 'f16' });
        const rounded = await half.read();
        const want16 = reference.crossEntropy(rounded, target, ROWS, cols, { reduction: 'sum', ignoreIndex: -100, grad: true });
        const r16 = await e.gpu.crossEntropy(half, labels, { shape: [ROWS, cols], reduction: 'sum' });
        expectClose((await r16.loss.read())[0]!, want16.loss as number, `[${ROWS}, ${cols}] f16: loss`);
        expectClose(await r16.grad!.read(), want16.grad!, `[${ROWS}, ${cols}] f16: gradient`, F16_RESULT);
        for (const t of [r16.loss, r16.grad!, r16.weightSum]) t.release();
        const r16i = await e.gpu.crossEntropy(half, labels, { shape: [ROWS, cols], reduction: 'sum', inPlace: true });
        expectClose((await r16i.loss.read())[0]!, want16.loss as number, `[${ROWS}, ${cols}] f16 in place: loss`);
        expectClose(await half.read(), want16.grad!, `[${ROWS}, ${cols}] f16 in place: gradient over the logits`, F16_RESULT);
        for (const t of [half, labels, r16i.loss, r16i.weightSum]) t.release();
      }
    });

    it('log_softmax and softmax for every row length and value family', async () => {
      for (const cols of COLS) {
        for (const family of ['normal', 'masked', 'nan-row', 'shift-1e4'] as ValueFamily[]) {
          const x = logitsFor(family, ROWS, cols, cols * 3 + 1);
          expectClose(await engine().logSoftmax(x, { shape: [ROWS, cols] }), reference.logSoftmax(x, ROWS, cols), `[${ROWS}, ${cols}] ${family} log_softmax`);
          expectClose(await engine().softmax(x, { shape: [ROWS, cols] }), reference.softmax(x, ROWS, cols), `[${ROWS}, ${cols}] ${family} softmax`);
        }
      }
    });
  });
}
