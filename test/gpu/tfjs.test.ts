// xentropy/tfjs in Node, on tfjs-backend-webgpu over the project's Dawn adapter: the ops against tfjs's own (values
// and gradients, every Reduction, weights, label smoothing), zero-copy results, memory over 1000 training steps, the
// fallback on tfjs's CPU backend, and one small LayersModel trained the same way by tfjs's loss and by xentropy's.
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  categoricalCrossentropyFromLogits,
  ready,
  release,
  sigmoidCrossEntropy,
  softmaxCrossEntropy,
  sparseSoftmaxCrossEntropy,
} from '../../src/tfjs.js';
import type { Engine } from '../../src/index.js';
import { blobs, useTfjsWebGpu } from '../helpers/tfjs.js';
import { runOnlyOn } from '../helpers/engine.js';

const webgpu = useTfjsWebGpu();
let engine: Engine | null = null;

beforeAll(async () => {
  webgpu(); // the backend is ready (the fixture throws otherwise)
  engine = await ready();
});

afterAll(() => {
  if (!engine) return;
  const stats = engine.stats();
  release();
  // Buffers lent to tfjs tensors still alive at the end would show here.
  expect(stats.liveBuffers, 'engine buffers still lent out after every tensor was disposed').toBeLessThanOrEqual(2);
});

/** The summed loss and its gradient with respect to the logits. */
function valueAndGrad(loss: (logits: tf.Tensor) => tf.Tensor, logits: tf.Tensor) {
  return tf.valueAndGrad((x: tf.Tensor) => tf.sum(loss(x)))(logits);
}

/** max |a - b| / (1 + |b|) over two tensors' values. */
async function maxDiff(a: tf.Tensor, b: tf.Tensor): Promise<number> {
  const [x, y] = await Promise.all([a.data(), b.data()]);
  expect(x.length).toBe(y.length);
  let worst = 0;
  for (let i = 0; i < x.length; i++) worst = Math.max(worst, Math.abs(x[i]! - y[i]!) / (1 + Math.abs(y[i]!)));
  return Number.isNaN(worst) ? Infinity : worst;
}

const ROWS = 7;
const CLASSES = 33;
const logitsData = Float32Array.from({ length: ROWS * CLASSES }, (_, i) => 3 * Math.sin(i * 0.37) + (i % 5));
const labelData = Int32Array.from({ length: ROWS }, (_, r) => (r * 11) % CLASSES);
const softLabels = Float32Array.from({ length: ROWS * CLASSES }, (_, i) => Math.abs(Math.cos(i)));

describe('xentropy/tfjs on tfjs-backend-webgpu (Dawn)', () => {
  const reductions = [tf.Reduction.NONE, tf.Reduction.MEAN, tf.Reduction.SUM, tf.Reduction.SUM_BY_NONZERO_WEIGHTS];

  it.each(reductions)('softmaxCrossEntropy equals tfjs: value and d/dlogits (reduction %s)', async (reduction) => {
    if (!engine) throw new Error('no WebGPU adapter for tfjs');
    const logits = tf.tensor2d(logitsData, [ROWS, CLASSES]);
    const rowSums = tf.sum(tf.tensor2d(softLabels, [ROWS, CLASSES]), 1, true);
    const labels = tf.div(tf.tensor2d(softLabels, [ROWS, CLASSES]), rowSums);
    const weights = tf.tensor1d(Float32Array.from({ length: ROWS }, (_, r) => (r % 3) * 0.5));
    for (const [w, smoothing] of [[undefined, 0], [weights, 0.1]] as const) {
      const ours = valueAndGrad((x) => softmaxCrossEntropy(labels, x, w, smoothing, reduction), logits);
      const theirs = valueAndGrad((x) => tf.losses.softmaxCrossEntropy(labels, x, w, smoothing, reduction), logits);
      expect(await maxDiff(ours.value, theirs.value), `value, weights ${w ? 'given' : 'none'}`).toBeLessThan(1e-5);
      expect(await maxDiff(ours.grad, theirs.grad), `gradient, weights ${w ? 'given' : 'none'}`).toBeLessThan(1e-5);
      tf.dispose([ours.value, ours.grad, theirs.value, theirs.grad]);
    }
    tf.dispose([logits, rowSums, labels, weights]);
  });

  it.each(reductions)('sparseSoftmaxCrossEntropy equals tfjs on one-hot rows (reduction %s)', async (reduction) => {
    if (!engine) throw new Error('no WebGPU adapter for tfjs');
    const logits = tf.tensor2d(logitsData, [ROWS, CLASSES]);
    const indices = tf.tensor1d(labelData, 'int32');
    const column = tf.tensor2d(Float32Array.from(labelData), [ROWS, 1]); // float labels [rows, 1], as Keras gets them
    const onehot = tf.oneHot(indices, CLASSES);
    const weights = tf.tensor1d(Float32Array.from({ length: ROWS }, (_, r) => (r % 2) * 2));
    for (const labels of [indices, column]) {
      // labels [rows] (int32) and [rows, 1] (float32)
      const options = { weights, labelSmoothing: 0.2, reduction };
      const ours = valueAndGrad((x) => sparseSoftmaxCrossEntropy(labels, x, options), logits);
      const theirs = valueAndGrad((x) => tf.losses.softmaxCrossEntropy(onehot, x, weights, 0.2, reduction), logits);
      expect(await maxDiff(ours.value, theirs.value)).toBeLessThan(1e-5);
      expect(await maxDiff(ours.grad, theirs.grad)).toBeLessThan(1e-5);
      tf.dispose([ours.value, ours.grad, theirs.value, theirs.grad]);
    }
    tf.dispose([logits, indices, column, onehot, weights]);
  });

  it.each(reductions)('sigmoidCrossEntropy equals tf.losses.sigmoidCrossEntropy (reduction %s)', async (reduction) => {
    if (!engine) throw new Error('no WebGPU adapter for tfjs');
    const logits = tf.tensor2d(logitsData, [ROWS, CLASSES]);
    const labels = tf.tensor2d(softLabels, [ROWS, CLASSES]);
    const weights = tf.tensor2d(Float32Array.from({ length: CLASSES }, (_, c) => c % 4), [1, CLASSES]);
    const ours = valueAndGrad((x) => sigmoidCrossEntropy(labels, x, weights, 0.3, reduction), logits);
    const theirs = valueAndGrad((x) => tf.losses.sigmoidCrossEntropy(labels, x, weights, 0.3, reduction), logits);
    expect(await maxDiff(ours.value, theirs.value)).toBeLessThan(1e-5);
    expect(await maxDiff(ours.grad, theirs.grad)).toBeLessThan(1e-5);
    tf.dispose([logits, labels, weights, ours.value, ours.grad, theirs.value, theirs.grad]);
  });

  it("returns the loss on xentropy's buffer (zero copy) and never maps a buffer to read it back", async () => {
    if (!engine) throw new Error('no WebGPU adapter for tfjs');
    const backend = webgpu();
    const logits = tf.tensor2d(logitsData, [ROWS, CLASSES]);
    const labels = tf.tensor1d(labelData, 'int32');
    await logits.data(); // tfjs's upload and readback happen before the spy
    const mapAsync = vi.spyOn(GPUBuffer.prototype, 'mapAsync');
    const loss = sparseSoftmaxCrossEntropy(labels, logits, { reduction: tf.Reduction.NONE });
    const resource = backend.tensorMap.get(loss.dataId)?.resource as GPUBuffer;
    expect(resource.label).toMatch(/^xentropy:/);
    expect(mapAsync, 'no readback in the call').not.toHaveBeenCalled();
    mapAsync.mockRestore();
    tf.dispose([logits, labels, loss]);
  });

  it('is a tfjs op: tf.memory() and engine.stats() stay flat over 1000 steps of loss and gradient', async () => {
    if (!engine) throw new Error('no WebGPU adapter for tfjs');
    const logits = tf.tensor2d(logitsData, [ROWS, CLASSES]);
    const labels = tf.tensor1d(labelData, 'int32');
    const step = tf.valueAndGrad((x: tf.Tensor) => sparseSoftmaxCrossEntropy(labels, x));
    const snapshot = () => ({ tensors: tf.memory().numTensors, bytes: tf.memory().numBytes, engine: engine!.stats() });
    let early = snapshot();
    for (let i = 1; i <= 1000; i++) {
      const { value, grad } = step(logits);
      if (i % 250 === 0) await value.data(); // let the GPU catch up now and then
      tf.dispose([value, grad]);
      if (i === 10) early = snapshot();
    }
    const late = snapshot();
    expect(late.tensors, 'tf.memory().numTensors').toBe(early.tensors);
    expect(late.bytes, 'tf.memory().numBytes').toBe(early.bytes);
    expect(late.engine.liveBuffers, 'engine buffers lent to tfjs').toBeLessThanOrEqual(early.engine.liveBuffers);
    expect(late.engine.created, 'engine buffers created after step 10').toBe(early.engine.created);
    tf.dispose([logits, labels]);
  });

  it('optimizer.minimize trains a linear classifier through it', async () => {
    if (!engine) throw new Error('no WebGPU adapter for tfjs');
    const { x: xData, labels: labelHost } = blobs(16, 4, 5);
    const x = tf.tensor2d(xData, [16, 4]);
    const labels = tf.tensor1d(labelHost, 'int32');
    const w = tf.variable(tf.zeros([4, 5]));
    const optimizer = tf.train.sgd(0.5);
    const losses: number[] = [];
    for (let i = 0; i < 60; i++) {
      const cost = optimizer.minimize(() => sparseSoftmaxCrossEntropy(labels, tf.matMul(x, w)), true)!;
      losses.push((await cost.data())[0]!);
      cost.dispose();
    }
    expect(losses[0]).toBeCloseTo(Math.log(5), 5);
    expect(losses.at(-1)!, 'training lowers the loss').toBeLessThan(losses[0]! / 4);
    tf.dispose([x, labels, w]);
    optimizer.dispose();
  });

  it("model.fit: a LayersModel trains the same with tfjs's loss and with xentropy's", async (ctx) => {
    // 200 steps of the ops tested above; test/browser/interop.test.ts trains the same model on SwiftShader in Chromium.
    runOnlyOn(ctx, 'llvmpipe', 'the ops are tested above on every adapter; SwiftShader trains 5x slower');
    if (!engine) throw new Error('no WebGPU adapter for tfjs');
    // 200 steps: 2 epochs of 100 batches of 2 samples (fit's per-batch overhead is far below its per-epoch one).
    const [N, D, H, C, BATCH, EPOCHS] = [200, 8, 16, 10, 2, 2];
    const { x: xData, onehot } = blobs(N, D, C);
    const x = tf.tensor2d(xData, [N, D]);
    const y = tf.tensor2d(onehot, [N, C]);
    const makeModel = () => {
      const model = tfl.sequential();
      const init = (seed: number) => tfl.initializers.glorotUniform({ seed });
      model.add(tfl.layers.dense({ inputShape: [D], units: H, activation: 'tanh', kernelInitializer: init(1) }));
      model.add(tfl.layers.dense({ units: C, kernelInitializer: init(2) }));
      return model;
    };
    const train = async (model: tfl.LayersModel, loss: (yTrue: tf.Tensor, yPred: tf.Tensor) => tf.Tensor) => {
      model.compile({ optimizer: tf.train.sgd(0.1), loss });
      const curve: number[] = [];
      const onBatchEnd = async (_batch: number, logs?: { loss?: number }) => void curve.push(logs!.loss!);
      const callbacks = { onBatchEnd };
      const fit = { epochs: EPOCHS, batchSize: BATCH, shuffle: false, verbose: 0, yieldEvery: 'never' as const };
      await model.fit(x, y, { ...fit, callbacks });
      return curve;
    };
    const reference = makeModel();
    const ours = makeModel();
    ours.setWeights(reference.getWeights());
    const tfjsLoss = (yTrue: tf.Tensor, yPred: tf.Tensor) =>
      tf.losses.softmaxCrossEntropy(yTrue, yPred, undefined, 0, tf.Reduction.NONE);
    const expected = await train(reference, tfjsLoss);
    const actual = await train(ours, categoricalCrossentropyFromLogits);
    expect(actual).toHaveLength((N / BATCH) * EPOCHS);
    const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;
    expect(mean(expected.slice(-20)), 'the model learns').toBeLessThan(mean(expected.slice(0, 20)) / 3);
    // Tolerance: the same f32 math summed in another order, compounded over 200 SGD steps (seen here: 3e-7).
    const curveError = Math.max(...actual.map((v, i) => Math.abs(v - expected[i]!) / (1 + Math.abs(expected[i]!))));
    const finals = ours.getWeights();
    const weightError = Math.max(...(await Promise.all(reference.getWeights().map((w, i) => maxDiff(finals[i]!, w)))));
    const [curve, weights] = [curveError.toExponential(2), weightError.toExponential(2)];
    console.log(`model.fit, 200 steps: loss curves within ${curve}, final weights within ${weights}`);
    expect(curveError, 'loss curves').toBeLessThan(1e-5);
    expect(weightError, 'final weights').toBeLessThan(1e-5);
    tf.dispose([x, y]);
    reference.dispose();
    ours.dispose();
  });

  it("falls back to tfjs's own ops on another backend, with one note saying why", async () => {
    if (!engine) throw new Error('no WebGPU adapter for tfjs');
    const info = vi.spyOn(console, 'info').mockImplementation(() => {});
    await tf.setBackend('cpu');
    try {
      const logits = tf.tensor2d(logitsData, [ROWS, CLASSES]);
      const labels = tf.tensor1d(labelData, 'int32');
      const ours = sparseSoftmaxCrossEntropy(labels, logits);
      const again = sparseSoftmaxCrossEntropy(labels, logits);
      const theirs = tf.losses.softmaxCrossEntropy(tf.oneHot(labels, CLASSES), logits);
      expect(await maxDiff(ours, theirs)).toBe(0);
      expect(info).toHaveBeenCalledTimes(1);
      expect(String(info.mock.calls[0]![0])).toMatch(/backend is 'cpu', not 'webgpu'.*tfjs's own ops/);
      expect(await ready(), 'ready() on the CPU backend').toBeNull();
      tf.dispose([logits, labels, ours, again, theirs]);
    } finally {
      info.mockRestore();
      await tf.setBackend('webgpu');
    }
  });

  it('refuses mismatched shapes and bad options with tfjs-style errors', () => {
    if (!engine) throw new Error('no WebGPU adapter for tfjs');
    const logits = tf.zeros([3, 4]);
    const three = tf.zeros([3], 'int32');
    const four = tf.zeros([4], 'int32');
    const wide = tf.zeros([3, 5]);
    const mismatch = /Error in softmaxCrossEntropy: Shapes \[3,5\] and \[3,4\] must match/;
    expect(() => softmaxCrossEntropy(wide, logits)).toThrow(mismatch);
    expect(() => sparseSoftmaxCrossEntropy(four, logits)).toThrow(/labels of shape \[4\] do not index the rows/);
    const smoothing = /labelSmoothing must be a number in \[0, 1\]/;
    expect(() => sparseSoftmaxCrossEntropy(three, logits, { labelSmoothing: 2 })).toThrow(smoothing);
    expect(() => sparseSoftmaxCrossEntropy(three, logits, { weight: 1 } as never)).toThrow(/unknown option weight/);
    tf.dispose([three, four, wide]);
    tf.dispose(logits);
  });
});
