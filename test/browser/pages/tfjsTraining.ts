// xentropy/tfjs in the browser (headless Chromium, tfjs-backend-webgpu on its own device): one small LayersModel,
// the same initial weights and data, trained by model.fit for 200 steps with tfjs's softmax cross-entropy and with
// xentropy's; the page returns how far apart the loss curves and final weights are, and the memory counts of both
// libraries before and after. ../interop.test.ts checks them.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import '@tensorflow/tfjs-backend-webgpu';
import * as tfl from '@tensorflow/tfjs-layers';
import { categoricalCrossentropyFromLogits, ready, sparseSoftmaxCrossEntropy } from '../../../src/tfjs.js';

const [N, D, H, C, BATCH, EPOCHS] = [200, 8, 16, 10, 2, 2];

/** `N` points in `D` dimensions from `C` blobs, deterministic, with one-hot rows (as test/helpers/tfjs.ts). */
function blobs(): { x: Float32Array; labels: Int32Array; onehot: Float32Array } {
  const x = new Float32Array(N * D);
  const labels = new Int32Array(N);
  const onehot = new Float32Array(N * C);
  for (let i = 0; i < N; i++) {
    const c = (i * 7) % C;
    labels[i] = c;
    onehot[i * C + c] = 1;
    for (let k = 0; k < D; k++) {
      x[i * D + k] = Math.sin((c + 1) * (k + 1) * 1.7) + 0.4 * Math.sin(i * 12.9898 + k * 78.233);
    }
  }
  return { x, labels, onehot };
}

function makeModel(): tfl.Sequential {
  const model = tfl.sequential();
  const init = (seed: number) => tfl.initializers.glorotUniform({ seed });
  model.add(tfl.layers.dense({ inputShape: [D], units: H, activation: 'tanh', kernelInitializer: init(1) }));
  model.add(tfl.layers.dense({ units: C, kernelInitializer: init(2) }));
  return model;
}

async function maxRelativeDiff(a: tf.Tensor, b: tf.Tensor): Promise<number> {
  const [x, y] = await Promise.all([a.data(), b.data()]);
  let worst = 0;
  for (let i = 0; i < x.length; i++) worst = Math.max(worst, Math.abs(x[i]! - y[i]!) / (1 + Math.abs(y[i]!)));
  return Number.isNaN(worst) ? Infinity : worst;
}

export async function run() {
  await tf.setBackend('webgpu');
  const engine = await ready();
  if (!engine) throw new Error('xentropy/tfjs: no engine on the webgpu backend');
  const { x: xHost, onehot } = blobs();
  const x = tf.tensor2d(xHost, [N, D]);
  const y = tf.tensor2d(onehot, [N, C]);
  const train = async (model: tfl.LayersModel, loss: (yTrue: tf.Tensor, yPred: tf.Tensor) => tf.Tensor) => {
    model.compile({ optimizer: tf.train.sgd(0.1), loss });
    const curve: number[] = [];
    const onBatchEnd = async (_batch: number, logs?: { loss?: number }) => void curve.push(logs!.loss!);
    const fit = { epochs: EPOCHS, batchSize: BATCH, shuffle: false, verbose: 0, yieldEvery: 'never' as const };
    await model.fit(x, y, { ...fit, callbacks: { onBatchEnd } });
    return curve;
  };
  const reference = makeModel();
  const ours = makeModel();
  ours.setWeights(reference.getWeights());
  const tfjsLoss = (yTrue: tf.Tensor, yPred: tf.Tensor) =>
    tf.losses.softmaxCrossEntropy(yTrue, yPred, undefined, 0, tf.Reduction.NONE);
  const expected = await train(reference, tfjsLoss);
  const actual = await train(ours, categoricalCrossentropyFromLogits);
  const curveError = Math.max(...actual.map((v, i) => Math.abs(v - expected[i]!) / (1 + Math.abs(expected[i]!))));
  const weights = reference.getWeights();
  const finals = ours.getWeights();
  const weightError = Math.max(...(await Promise.all(finals.map((w, i) => maxRelativeDiff(w, weights[i]!)))));

  // Memory over 1000 steps of the sparse loss and its gradient.
  const logits = tf.tensor2d(Float32Array.from({ length: 7 * 33 }, (_, i) => Math.sin(i)), [7, 33]);
  const labels = tf.tensor1d(Int32Array.from({ length: 7 }, (_, r) => (r * 11) % 33), 'int32');
  const step = tf.valueAndGrad((z: tf.Tensor) => sparseSoftmaxCrossEntropy(labels, z));
  const memory = () => {
    const { numTensors: tensors, numBytes: bytes } = tf.memory();
    return { tensors, bytes, engineCreated: engine.stats().created, engineLive: engine.stats().liveBuffers };
  };
  let early = memory();
  for (let i = 1; i <= 1000; i++) {
    const { value, grad } = step(logits);
    if (i % 250 === 0) await value.data();
    tf.dispose([value, grad]);
    if (i === 10) early = memory();
  }
  const late = memory();
  tf.dispose([x, y, logits, labels]);
  reference.dispose();
  ours.dispose();
  return {
    backend: tf.getBackend(),
    sharedDevice: engine.device === (tf.backend() as unknown as { device: GPUDevice }).device,
    steps: actual.length,
    firstLoss: expected[0]!,
    lastLoss: expected.at(-1)!,
    curveError,
    weightError,
    early,
    late,
  };
}
