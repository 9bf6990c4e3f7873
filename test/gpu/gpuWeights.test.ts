// Weights given as GpuTensors (class weights, BCE weight and posWeight, linear cross-entropy's classWeight) in the
// GPU-resident, encoder and host forms: the same results as host weights, and the host's checks made on the GPU
// (a NaN, infinite or negative weight makes the values it touches NaN and counts in weightSum[1]; the host form then
// throws the host check's error, naming the first bad element). Out-of-range GPU targets are named the same way.
import { describe, expect, it } from 'vitest';
import { GpuTensor, XentropyArgumentError, type Engine } from '../../src/index.js';
import { expectClose } from '../helpers/compare.js';
import { classTargets, normal, softTargets } from '../helpers/data.js';
import { runOnlyOn, useBothPlans } from '../helpers/engine.js';

const ROWS = 7;
const COLS = 6;
const shape = [ROWS, COLS];
const logits = normal(ROWS * COLS, 2, 41);
const target = classTargets(ROWS, COLS, 42, 3);
const weight = Float32Array.from({ length: COLS }, (_, c) => 0.25 + c / 4);

/** Read every tensor of a GPU result into host arrays, then release them. */
async function readAll(result: object): Promise<Record<string, number[]>> {
  const out: Record<string, number[]> = {};
  for (const [key, value] of Object.entries(result)) {
    if (!(value instanceof GpuTensor)) continue;
    out[key] = Array.from(await value.read());
    value.release();
  }
  return out;
}

function expectSame(got: Record<string, number[]>, want: Record<string, number[]>, label: string): void {
  for (const key of Object.keys(want)) {
    const n = key === 'weightSum' ? 2 : want[key]!.length;
    expectClose(got[key]!.slice(0, n), want[key]!.slice(0, n), `${label}: ${key}`);
  }
}

async function rejection(promise: Promise<unknown>): Promise<XentropyArgumentError> {
  const error = await promise.then(() => null, (e: unknown) => e);
  expect(error).toBeInstanceOf(XentropyArgumentError);
  return error as XentropyArgumentError;
}

for (const [plan, getEngine] of useBothPlans()) {
  describe(`class weights as a GpuTensor (${plan})`, () => {
    it.each<[string, { labelSmoothing?: number; soft?: boolean; reduction?: 'none'; zLoss?: number }]>([
      ['class indices', {}],
      ['class indices, label smoothing (the weight sum comes from the GPU)', { labelSmoothing: 0.2 }],
      ['probability targets, smoothing', { labelSmoothing: 0.1, soft: true }],
      ["'none', z-loss", { reduction: 'none', zLoss: 1e-2 }],
    ])('crossEntropy (GPU-resident, encoder, host forms) equals host weights: %s', async (_, { soft, ...options }) => {
      const engine = getEngine();
      const x = engine.gpu.upload(logits);
      const t = soft ? engine.gpu.upload(softTargets(ROWS, COLS, 43)) : engine.gpu.upload(target);
      const w = engine.gpu.upload(weight);
      const want = await readAll(await engine.gpu.crossEntropy(x, t, { shape, ...options, weight }));
      const resident = await engine.gpu.crossEntropy(x, t, { shape, ...options, weight: w });
      expectSame(await readAll(resident), want, 'GPU-resident');
      const encoder = engine.device!.createCommandEncoder();
      const encoding = engine.gpu.encodeInto(encoder);
      const encoded = encoding.crossEntropy(x, t, { shape, ...options, weight: w });
      engine.device!.queue.submit([encoder.finish()]);
      await encoding.submitted();
      expectSame(await readAll(encoded), want, 'encoder');
      const host = await engine.crossEntropy(x, t, { shape, ...options, weight: w });
      expectClose(typeof host.loss === 'number' ? [host.loss] : host.loss, want.loss!, 'host form: loss');
      for (const tensor of [x, t, w]) tensor.release();
    });

    it('nllLoss, binaryCrossEntropyWithLogits (weight and posWeight) and binaryCrossEntropy', async () => {
      const engine = getEngine();
      const x = engine.gpu.upload(logits);
      const t = engine.gpu.upload(target);
      const w = engine.gpu.upload(weight);
      const nll = await readAll(await engine.gpu.nllLoss(x, t, { shape, weight: w }));
      expectSame(nll, await readAll(await engine.gpu.nllLoss(x, t, { shape, weight })), 'nllLoss');
      const y = engine.gpu.upload(softTargets(ROWS, COLS, 44));
      const pos = Float32Array.from({ length: COLS }, (_, c) => 2 - c / 4);
      const p = engine.gpu.upload(pos);
      const bce = { shape, reduction: 'sum' as const };
      expectSame(
        await readAll(await engine.gpu.binaryCrossEntropyWithLogits(x, y, { ...bce, weight: w, posWeight: p })),
        await readAll(await engine.gpu.binaryCrossEntropyWithLogits(x, y, { ...bce, weight, posWeight: pos })),
        'binaryCrossEntropyWithLogits',
      );
      const probs = engine.gpu.upload(Float32Array.from(logits, (v) => 1 / (1 + Math.exp(-v))));
      const bceGpu = await readAll(await engine.gpu.binaryCrossEntropy(probs, y, { ...bce, weight: w }));
      const bceHost = await readAll(await engine.gpu.binaryCrossEntropy(probs, y, { ...bce, weight }));
      expectSame(bceGpu, bceHost, 'binaryCrossEntropy');
      for (const tensor of [x, t, w, y, p, probs]) tensor.release();
    });

    it('linearCrossEntropy takes classWeight as a GpuTensor (with label smoothing)', async (ctx) => {
      // The many-threads-per-row plan's matmuls are 128 x 128 tiles (no subgroup code); classWeight is read the same.
      const why = 'the tile kernels are the same there; SwiftShader compiles them 20x slower';
      if (plan === 'many threads per row') runOnlyOn(ctx, 'llvmpipe', why);
      const engine = getEngine();
      const [n, d, v] = [9, 8, 6];
      const hidden = engine.gpu.upload(normal(n * d, 1, 45));
      const matrix = engine.gpu.upload(normal(v * d, 0.5, 46));
      const labels = engine.gpu.upload(classTargets(n, v, 47, 4));
      const w = engine.gpu.upload(weight);
      const options = { shape: [n, d], labelSmoothing: 0.1 };
      const run = async (classWeight: Float32Array | GpuTensor) =>
        readAll(await engine.gpu.linearCrossEntropy(hidden, matrix, labels, { ...options, classWeight }));
      expectSame(await run(w), await run(weight), 'GPU classWeight');
      for (const tensor of [hidden, matrix, labels, w]) tensor.release();
    });

    it('a wrong dtype or length is refused on the host, naming the option', async () => {
      const engine = getEngine();
      const x = engine.gpu.upload(logits);
      const t = engine.gpu.upload(target);
      const short = engine.gpu.upload(new Float32Array(COLS - 1));
      const ints = engine.gpu.upload(new Int32Array(COLS));
      const encoding = engine.gpu.encodeInto(engine.device!.createCommandEncoder());
      const lengthError = /encode\.crossEntropy: weight has 5 elements but must have one per class \(6\)/;
      expect(() => encoding.crossEntropy(x, t, { shape, weight: short })).toThrow(lengthError);
      const dtypeError = /gpu\.crossEntropy: weight must hold f32 values/;
      await expect(engine.gpu.crossEntropy(x, t, { shape, weight: ints })).rejects.toThrow(dtypeError);
      await encoding.submitted();
      for (const tensor of [x, t, short, ints]) tensor.release();
    });
  });

  describe(`the host checks, made on the GPU (${plan})`, () => {
    for (const [label, bad] of [['negative', -0.5], ['NaN', NaN], ['infinite', Infinity]] as const) {
      it(`a ${label} class weight: NaN where it is used, counted in weightSum[1]; the host form names it`, async () => {
        const engine: Engine = getEngine();
        const w = engine.gpu.upload(Float32Array.from(weight, (v, c) => (c === 2 || c === 4 ? bad : v)));
        const x = engine.gpu.upload(logits);
        const t = engine.gpu.upload(target);
        const r = await engine.gpu.crossEntropy(x, t, { shape, weight: w, reduction: 'none' });
        const [loss, ws] = [await r.loss.read(), await r.weightSum.read()];
        expect(ws[1], 'two bad weights counted').toBe(2);
        const badClass = (c: number) => c === 2 || c === 4;
        target.forEach((c, row) => expect(Number.isNaN(loss[row]!), `row ${row} (class ${c})`).toBe(badClass(c)));
        for (const tensor of [r.loss, r.grad!, r.weightSum]) tensor.release();
        const error = await rejection(engine.crossEntropy(x, t, { shape, weight: w }));
        expect([error.op, error.argument]).toEqual(['crossEntropy', 'weight[2]']);
        expect(error.message).toMatch(/weights must be finite and >= 0/);
        const bce = await engine.gpu.binaryCrossEntropyWithLogits(x, x, { shape, posWeight: w });
        expect((await bce.weightSum.read())[1]).toBe(2);
        for (const tensor of [bce.loss, bce.grad!, bce.weightSum]) tensor.release();
        const bceError = await rejection(engine.binaryCrossEntropyWithLogits(x, x, { shape, posWeight: w }));
        expect([bceError.op, bceError.argument]).toEqual(['binaryCrossEntropyWithLogits', 'posWeight[2]']);
        for (const tensor of [x, t, w]) tensor.release();
      });
    }

    it('out-of-range GPU targets: the host form names the first one (its index and value)', async () => {
      const engine = getEngine();
      const bad = Int32Array.from(target);
      bad[3] = COLS;
      bad[5] = -2;
      const t = engine.gpu.upload(bad);
      const error = await rejection(engine.crossEntropy(logits, t, { shape }));
      expect([error.op, error.argument]).toEqual(['crossEntropy', 'target[3]']);
      expect(error.message).toBe(`crossEntropy: target[3] is ${COLS}, outside [0, ${COLS}) and not ignoreIndex (-100)`);
      t.release();
    });
  });
}
