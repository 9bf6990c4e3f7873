// createEngine({ vec4Io: true }): f32 rows bound as array<vec4<f32>> where every row starts on a 16-byte boundary
// (shaders/element_io_f32_vec4[_in_place].wgsl), against the f64 reference on both launch plans: every cross-entropy
// path that reads through the element I/O (hard labels, the short-row and cached variants, split rows, soft targets,
// smoothing, classDim 1, in place, forward only), log-softmax and softmax, and the shapes and offsets that are not
// aligned and must fall back to the plain f32 variant. The engine's trace shows which variant ran, on every adapter.
import { describe, expect, it } from 'vitest';
import { createEngine, reference, type CrossEntropyOptions, type Engine, type GpuTensor } from '../../src/index.js';
import { expectClose } from '../helpers/compare.js';
import { classTargets, logitsFor, normal, softTargets } from '../helpers/data.js';
import { useBothPlans } from '../helpers/engine.js';
import { BufferUsage } from '../../src/gpu/flags.js';
import { ioOf, traced, variantsOf } from '../helpers/trace.js';

const engines = useBothPlans({ vec4Io: true });

type Options = Omit<CrossEntropyOptions, 'shape'>;

/** The element-I/O variants of the cross_entropy dispatches of one call, from the engine's trace. */
function variantOf(
  e: Engine,
  x: GpuTensor,
  t: GpuTensor,
  shape: number[],
  options: Options & { inPlace?: boolean } = {},
): Promise<string[]> {
  return variantsOf(e, 'crossEntropy', () => e.gpu.crossEntropy(x, t, { shape, ...options }), [x]);
}

it('vec4Io must be a boolean', async () => {
  await expect(createEngine({ backend: 'cpu', vec4Io: 'yes' as unknown as boolean })).rejects.toThrow(/vec4Io/);
});

for (const [plan, engine] of engines) {
  describe(`vec4 element I/O (${plan})`, () => {
    it('cross-entropy on aligned rows, every path, against the reference', async () => {
      const cases: [number, number, Options, boolean][] = [
        [65, 1000, {}, false],
        [67, 8, { reduction: 'none' }, false], // short rows (one thread per row on CPU adapters)
        [33, 96, { zLoss: 1e-3, weight: normal(96, 1, 3).map((w) => Math.abs(w) + 0.1) }, false],
        [3, 20000, { reduction: 'sum' }, false], // split rows
        [9, 40, { labelSmoothing: 0.2 }, false],
        [9, 40, {}, true], // soft targets
        [7, 300, { softcap: 4 }, false],
        [5, 64, { grad: false }, false],
      ];
      for (const [rows, cols, options, soft] of cases) {
        const label = `[${rows}, ${cols}] ${JSON.stringify({ ...options, weight: options.weight ? 'w' : undefined })}${soft ? ' soft' : ''}`;
        const x = logitsFor('normal', rows, cols, rows + cols);
        const target = soft ? softTargets(rows, cols, cols) : classTargets(rows, cols, rows * cols, 3);
        const grad = options.grad !== false;
        const want = reference.crossEntropy(x, target, rows, cols, {
          reduction: options.reduction ?? 'mean',
          ignoreIndex: -100,
          grad,
          softTarget: soft,
          weight: options.weight as Float32Array | undefined,
          labelSmoothing: options.labelSmoothing,
          zLoss: options.zLoss,
          softcap: options.softcap,
        });
        const run = await traced(engine(), () => engine().crossEntropy(x, target, { shape: [rows, cols], ...options }));
        expect(ioOf(run.dispatches, 'crossEntropy'), `${label}: every row starts on 16 bytes`).toEqual(['f32-vec4']);
        const got = run.result;
        expectClose(got.loss as number | Float32Array, want.loss, `${label}: loss`);
        if (grad) expectClose(got.grad!, want.grad!, `${label}: grad`);
      }
    });

    it('classDim 1, in place, and a caller gradient at an unaligned offset (falls back to f32)', async () => {
      const e = engine();
      const [n, c, hw] = [3, 8, 5];
      const x = logitsFor('normal', n * hw, c, 11);
      const t = classTargets(n * hw, c, 12);
      const want = reference.crossEntropy(x, t, n * hw, c, { reduction: 'mean', ignoreIndex: -100, grad: true, inner: hw });
      const got = await e.crossEntropy(x, t, { shape: [n, c, hw], classDim: 1 });
      expectClose(got.loss as number, want.loss as number, 'classDim 1: loss');
      expectClose(got.grad!, want.grad!, 'classDim 1: grad');

      const [rows, cols] = [33, 64];
      const logits = logitsFor('normal', rows, cols, 13);
      const target = classTargets(rows, cols, 14, 4);
      const ref = reference.crossEntropy(logits, target, rows, cols, { reduction: 'mean', ignoreIndex: -100, grad: true });
      const xs = e.gpu.upload(logits);
      const ts = e.gpu.upload(target);
      const r = await e.gpu.crossEntropy(xs, ts, { shape: [rows, cols], inPlace: true });
      expectClose((await r.loss.read())[0]!, ref.loss as number, 'in place: loss');
      expectClose(await xs.read(), ref.grad!, 'in place: gradient over the logits');
      for (const tensor of [r.loss, r.weightSum]) tensor.release();

      const x2 = e.gpu.upload(logits);
      const outBuffer = e.device!.createBuffer({ size: (rows * cols + 1) * 4, usage: BufferUsage.STORAGE | BufferUsage.COPY_SRC | BufferUsage.COPY_DST });
      try {
        const out = e.gpu.wrap(outBuffer, { dtype: 'f32', length: rows * cols, byteOffset: 4 });
        const r2 = await e.gpu.crossEntropy(x2, ts, { shape: [rows, cols], gradOut: out });
        expectClose(await r2.grad!.read(), ref.grad!, 'gradient at byte offset 4');
        for (const tensor of [r2.loss, r2.weightSum, out]) tensor.release();
      } finally {
        outBuffer.destroy();
        for (const tensor of [xs, ts, x2]) tensor.release();
      }
    });

    it('log-softmax and softmax on aligned and unaligned rows', async () => {
      for (const [rows, cols] of [[67, 8], [33, 1000], [5, 999], [3, 20000]] as [number, number][]) {
        const x = logitsFor('masked', rows, cols, cols);
        expectClose(await engine().logSoftmax(x, { shape: [rows, cols] }), reference.logSoftmax(x, rows, cols), `[${rows}, ${cols}] log_softmax`);
        expectClose(await engine().softmax(x, { shape: [rows, cols] }), reference.softmax(x, rows, cols), `[${rows}, ${cols}] softmax`);
      }
    });

    it('takes the vec4 variant exactly where rows are aligned (engine trace)', async () => {
      const e = engine();
      const aligned = e.gpu.upload(normal(16 * 64, 3, 21));
      const odd = e.gpu.upload(normal(16 * 63, 3, 22));
      const t = e.gpu.upload(classTargets(16, 63, 23));
      try {
        expect(await variantOf(e, aligned, t, [16, 64]), '64 classes').toEqual(['f32-vec4']);
        expect(await variantOf(e, odd, t, [16, 63]), '63 classes').toEqual(['f32']);
        const inPlace = await variantOf(e, aligned, t, [16, 64], { inPlace: true });
        expect(inPlace, '64 classes in place').toEqual(['f32-vec4-in-place']);
        const softmax = (input: GpuTensor, cols: number) =>
          variantsOf(e, 'logSoftmax', () => e.gpu.softmax(input, { shape: [16, cols] }));
        expect(await softmax(aligned, 64), 'softmax, 64 classes').toEqual(['f32-vec4']);
        expect(await softmax(odd, 63), 'softmax, 63 classes').toEqual(['f32']);
      } finally {
        for (const tensor of [aligned, odd, t]) tensor.release();
      }
    });
  });
}
