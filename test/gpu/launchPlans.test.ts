// Every launch plan and engine option the engine can choose, each run numerically against the f64 reference on the
// project's adapter, with the engine's trace proving which variant ran. Four engines cover every pair of the three
// launch choices (workgroups of 64 or the adapter's maximum; tuning 'cpu' or 'gpu'; subgroup reductions on or off),
// and the element-I/O options ride on them: vec4 I/O on the two "on" engines, shader-f16 forced off on the other two
// (array<f16> where the device has shader-f16, else f16 pairs packed in u32 words, odd and even row lengths), in place
// everywhere. A case an adapter cannot run (no subgroups, no shader-f16) is skipped naming the reason.
import { describe, expect, it } from 'vitest';
import {
  reference,
  roundToFloat16,
  sumErrorBound,
  sumPlan,
  type CrossEntropyOptions,
  type Engine,
} from '../../src/index.js';
import { expectClose, type Tolerance } from '../helpers/compare.js';
import { classTargets, logitsFor, normal, softTargets } from '../helpers/data.js';
import { useGpuEngine } from '../helpers/engine.js';
import { ioOf, releaseAll, rowDispatches, traced, type TracedDispatch } from '../helpers/trace.js';

const F16_RESULT: Tolerance = { atol: 1.1e-6, rtol: 5e-4 }; // as test/gpu/f16.test.ts: one f16 rounding of the result
/** Asks for the largest workgroup the device allows (createEngine caps maxWorkgroupSize at the device's limits). */
const DEVICE_MAX = 1 << 16;

interface Plan {
  name: string;
  maxWorkgroupSize: number;
  tuning: 'cpu' | 'gpu';
  subgroups: boolean;
  vec4Io: boolean;
  shaderF16: boolean;
}

// All pairs of (workgroup, tuning, subgroups) in four engines.
const PLANS: Plan[] = [
  {
    name: 'wg 64, tuning cpu, subgroups off',
    maxWorkgroupSize: 64,
    tuning: 'cpu',
    subgroups: false,
    vec4Io: false,
    shaderF16: false,
  },
  {
    name: 'wg max, tuning cpu, subgroups on, vec4',
    maxWorkgroupSize: DEVICE_MAX,
    tuning: 'cpu',
    subgroups: true,
    vec4Io: true,
    shaderF16: true,
  },
  {
    name: 'wg 64, tuning gpu, subgroups on, vec4',
    maxWorkgroupSize: 64,
    tuning: 'gpu',
    subgroups: true,
    vec4Io: true,
    shaderF16: true,
  },
  {
    name: 'wg max, tuning gpu, subgroups off',
    maxWorkgroupSize: DEVICE_MAX,
    tuning: 'gpu',
    subgroups: false,
    vec4Io: false,
    shaderF16: false,
  },
];

type Options = Omit<CrossEntropyOptions, 'shape'>;

/** The f64 reference of crossEntropy for `options` (x already rounded where the GPU holds f16). */
function referenceCe(x: Float32Array, target: Int32Array | Float32Array, rows: number, cols: number, options: Options) {
  return reference.crossEntropy(x, target, rows, cols, {
    reduction: options.reduction ?? 'mean',
    ignoreIndex: -100,
    grad: true,
    softTarget: target instanceof Float32Array,
    weight: options.weight as Float32Array | undefined,
    labelSmoothing: options.labelSmoothing,
    zLoss: options.zLoss,
    softcap: options.softcap,
  });
}

/** What every dispatch of a plan shows: its reduction, and a workgroup no larger than the engine's. */
function expectPlan(e: Engine, dispatches: readonly TracedDispatch[], label: string): void {
  for (const d of dispatches) {
    expect(d.reduction, `${label}: ${d.key}`).toBe(e.subgroups ? 'subgroup' : 'workgroup');
    expect(Number(d.constants.WG), `${label}: ${d.key} workgroup`).toBeLessThanOrEqual(e.workgroupSize);
  }
}

for (const plan of PLANS) {
  describe(`launch plan: ${plan.name}`, () => {
    const engine = useGpuEngine({
      maxWorkgroupSize: plan.maxWorkgroupSize,
      tuning: plan.tuning,
      subgroups: plan.subgroups,
      vec4Io: plan.vec4Io,
      shaderF16: plan.shaderF16,
    });

    it('the engine took the plan: workgroup size, tuning, subgroups as asked and as the device allows', () => {
      const e = engine();
      const limits = e.device!.limits;
      const max = Math.min(limits.maxComputeInvocationsPerWorkgroup, limits.maxComputeWorkgroupSizeX);
      expect(e.workgroupSize).toBe(plan.maxWorkgroupSize === DEVICE_MAX ? max : 64);
      expect(e.tuning).toBe(plan.tuning);
      expect(e.shaderF16).toBe(plan.shaderF16 && e.device!.features.has('shader-f16'));
      if (!plan.subgroups) expect(e.subgroups, 'subgroups: false').toBe(false);
    });

    // (Asked for on two plans; the others assert subgroups: false above.)
    if (plan.subgroups)
      it('subgroup reductions are on where the device has subgroups', (ctx) => {
        const e = engine();
        if (!e.device!.features.has('subgroups')) {
          expect(e.subgroups).toBe(false);
          ctx.skip(
            `${e.adapterInfo!.source} has no 'subgroups' feature: this plan reduces with the workgroup tree here`,
          );
        }
        expect(e.subgroups, 'subgroup reductions on (the device has subgroups and passed the probe)').toBe(true);
      });

    it('crossEntropy: short rows, long rows, split rows, soft targets and options, against the reference', async () => {
      const e = engine();
      const cases: [string, number, number, Options, boolean][] = [
        ['short rows', 67, 10, {}, false],
        [
          'weights, z-loss, none',
          9,
          1000,
          { weight: normal(1000, 1, 3).map((w) => Math.abs(w) + 0.1), zLoss: 1e-3, reduction: 'none' },
          false,
        ],
        ['soft cap, sum', 9, 301, { softcap: 4, reduction: 'sum' }, false],
        ['soft targets, smoothing', 9, 40, { labelSmoothing: 0.2 }, true],
        ['split rows', 3, 20000, { reduction: 'sum' }, false],
      ];
      for (const [name, rows, cols, options, soft] of cases) {
        const label = `${name} [${rows}, ${cols}]`;
        const x = logitsFor('normal', rows, cols, rows * cols);
        const target = soft ? softTargets(rows, cols, cols) : classTargets(rows, cols, rows + cols, 3);
        const want = referenceCe(x, target, rows, cols, options);
        const run = await traced(e, () => e.crossEntropy(x, target, { shape: [rows, cols], ...options }));
        expectClose(run.result.loss as number | Float32Array, want.loss, `${label}: loss`);
        expectClose(run.result.grad!, want.grad!, `${label}: grad`);
        expectPlan(e, run.dispatches, label);
        const ce = rowDispatches(run.dispatches, 'crossEntropy');
        const tpr = Number(ce[0]!.constants.TPR);
        if (plan.tuning === 'gpu' && cols >= 64) {
          expect(tpr, `${label}: many threads per row`).toBeGreaterThan(1);
          expect(Number(ce[0]!.constants.WG), `${label}: the GPU plan's workgroups are the largest`).toBe(
            e.workgroupSize,
          );
        }
        if (plan.tuning === 'cpu' && cols <= 8192) expect(tpr, `${label}: one thread per row`).toBe(1);
        if (name === 'short rows')
          expect(ce[0]!.constants.FIXED_COLS, label).toBe(plan.tuning === 'cpu' ? '10' : undefined);
        // Split rows run in two phases; one thread per row always splits 20000 columns (a GPU plan of 1024 threads
        // per row may not).
        const phases = ce.map((d) => d.constants.PHASE);
        if (name === 'split rows' && plan.tuning === 'cpu') expect(phases, `${label}: two phases`).toEqual(['1', '2']);
        else expect([['0'], ['1', '2']], `${label}: phases ${phases.join(', ')}`).toContainEqual(phases);
        const aligned = cols % 4 === 0;
        expect(ioOf(run.dispatches, 'crossEntropy'), `${label}: element I/O`).toEqual([
          plan.vec4Io && aligned ? 'f32-vec4' : 'f32',
        ]);
      }
    });

    it('logSoftmax and softmax, aligned and odd rows; sum within its error bound', async () => {
      const e = engine();
      for (const [rows, cols] of [
        [9, 1000],
        [9, 1001],
        [2, 20000],
      ] as [number, number][]) {
        const x = logitsFor('masked', rows, cols, cols);
        for (const log of [true, false]) {
          const label = `${log ? 'logSoftmax' : 'softmax'} [${rows}, ${cols}]`;
          const run = await traced(e, () =>
            log ? e.logSoftmax(x, { shape: [rows, cols] }) : e.softmax(x, { shape: [rows, cols] }),
          );
          expectClose(run.result, log ? reference.logSoftmax(x, rows, cols) : reference.softmax(x, rows, cols), label);
          expectPlan(e, run.dispatches, label);
          expect(ioOf(run.dispatches, 'logSoftmax'), label).toEqual([
            plan.vec4Io && cols % 4 === 0 ? 'f32-vec4' : 'f32',
          ]);
        }
      }
      const n = 100_003;
      const values = normal(n, 1, 5, 0.25);
      const run = await traced(e, () => e.sum(values));
      let sumAbs = 0;
      for (const v of values) sumAbs += Math.abs(v);
      const bound =
        sumErrorBound(n, sumAbs, sumPlan(e.tuning!, e.workgroupSize, n)) + 2 ** -24 * Math.abs(reference.sum(values));
      expect(Math.abs(run.result - reference.sum(values)), `sum of ${n}`).toBeLessThanOrEqual(bound);
      expectPlan(e, run.dispatches, 'sum');
      rowDispatches(run.dispatches, 'sum');
    });

    it('in place: f32 logits overwritten by their gradient', async () => {
      const e = engine();
      for (const [rows, cols] of [
        [9, 64],
        [5, 77],
      ] as [number, number][]) {
        const label = `in place [${rows}, ${cols}]`;
        const x = logitsFor('normal', rows, cols, 11 + cols);
        const target = classTargets(rows, cols, 12, 4);
        const want = referenceCe(x, target, rows, cols, {});
        const logits = e.gpu.upload(x);
        const labels = e.gpu.upload(target);
        try {
          const run = await traced(e, () => e.gpu.crossEntropy(logits, labels, { shape: [rows, cols], inPlace: true }));
          expectClose((await run.result.loss.read())[0]!, want.loss as number, `${label}: loss`);
          expectClose(await logits.read(), want.grad!, `${label}: gradient over the logits`);
          releaseAll(run.result, [logits]);
          expectPlan(e, run.dispatches, label);
          const io = plan.vec4Io && cols % 4 === 0 ? 'f32-vec4-in-place' : 'f32-in-place';
          expect(ioOf(run.dispatches, 'crossEntropy'), label).toEqual([io]);
        } finally {
          logits.release();
          labels.release();
        }
      }
    });

    it('f16 logits: odd and even row lengths, in place and not, and log-softmax of f16', async () => {
      const e = engine();
      for (const [rows, cols, inPlace] of [
        [5, 333, false],
        [5, 334, false],
        [5, 333, true],
        [5, 334, true],
      ] as const) {
        const label = `f16 [${rows}, ${cols}]${inPlace ? ' in place' : ''}`;
        const x = logitsFor('normal', rows, cols, rows + cols);
        const target = classTargets(rows, cols, cols, 5);
        const want = referenceCe(roundToFloat16(x), target, rows, cols, { reduction: 'sum' });
        const logits = e.gpu.upload(x, { dtype: 'f16' });
        try {
          const run = await traced(e, () =>
            e.gpu.crossEntropy(logits, target, { shape: [rows, cols], reduction: 'sum', inPlace }),
          );
          expectClose((await run.result.loss.read())[0]!, want.loss as number, `${label}: loss`);
          expectClose(await run.result.grad!.read(), want.grad!, `${label}: f16 gradient`, F16_RESULT);
          releaseAll(run.result, [logits]);
          expectPlan(e, run.dispatches, label);
          const base = e.shaderF16 ? 'f16' : cols % 2 === 0 ? 'f16-packed-even' : 'f16-packed';
          expect(ioOf(run.dispatches, 'crossEntropy'), label).toEqual([`${base}${inPlace ? '-in-place' : ''}`]);
        } finally {
          logits.release();
        }
      }
      const [rows, cols] = [7, 301];
      const x = logitsFor('normal', rows, cols, 9);
      const input = e.gpu.upload(x, { dtype: 'f16' });
      try {
        const run = await traced(e, () => e.gpu.logSoftmax(input, { shape: [rows, cols] }));
        expectClose(
          await run.result.read(),
          reference.logSoftmax(roundToFloat16(x), rows, cols),
          'f16 logSoftmax',
          F16_RESULT,
        );
        releaseAll(run.result);
        expect(ioOf(run.dispatches, 'logSoftmax')).toEqual([e.shaderF16 ? 'f16' : 'f16-packed']);
      } finally {
        input.release();
      }
    });

    it('native array<f16> where the device has shader-f16', (ctx) => {
      const e = engine();
      if (!plan.shaderF16) ctx.skip('this plan forces the packed pairs (shaderF16: false)');
      if (!e.device!.features.has('shader-f16'))
        ctx.skip(`${e.adapterInfo!.source} has no 'shader-f16': the packed pairs ran above`);
      expect(e.shaderF16, 'array<f16> in use (the f16 cases above saw the f16 variant)').toBe(true);
    });
  });
}
