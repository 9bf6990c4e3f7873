// TensorFlow.js interop: xentropy shares the tfjs WebGPU backend's device, reads the logits of a
// tfjs tensor in place (tensor.dataToGPU()), and hands its gradient back as a tfjs tensor on the same buffer
// (tf.tensor({ buffer, zeroCopy: true })), inside a small training loop of a linear softmax classifier.
import * as tf from 'interop-tfjs/core';
import 'interop-tfjs/gradients';
import 'interop-tfjs/webgpu';
import { createEngine } from '../../../src/index.js';

const N = 48; // points
const D = 3; // features (x, y, 1)
const C = 3; // classes
const STEPS = 40;
const LEARNING_RATE = 2;

/** Three separable blobs, deterministic. */
function data(): { x: Float32Array; labels: Int32Array } {
  const x = new Float32Array(N * D);
  const labels = new Int32Array(N);
  const centers = [[1, 0], [-0.5, 0.87], [-0.5, -0.87]];
  for (let i = 0; i < N; i++) {
    const c = i % C;
    const jitter = (k: number) => Math.sin(i * 12.9898 + k * 78.233) * 0.3;
    x.set([centers[c]![0]! + jitter(1), centers[c]![1]! + jitter(2), 1], i * D);
    labels[i] = c;
  }
  return { x, labels };
}

export async function run() {
  await tf.setBackend('webgpu');
  await tf.ready();
  const device = (tf.backend() as unknown as { device: GPUDevice }).device; // WebGPUBackend (its types bring an older @webgpu/types)
  const engine = await createEngine({ device });
  const { x: xHost, labels: labelHost } = data();
  const x = tf.tensor2d(xHost, [N, D]);
  const labels = engine.gpu.upload(labelHost);
  const w = tf.variable(tf.zeros([D, C]));
  const losses: number[] = [];
  let gradientError = -1;

  for (let step = 0; step < STEPS; step++) {
    const logits = tf.matMul(x, w);
    const { tensorRef, buffer } = logits.dataToGPU(); // tfjs submitted the work that fills `buffer`
    const input = engine.gpu.wrap(buffer!, { dtype: 'f32', length: N * C });
    const { loss, grad, weightSum } = await engine.gpu.crossEntropy(input, labels, { shape: [N, C] });
    // The gradient goes back to tfjs on the engine's buffer, no copy; it stays ours until tfjs is done with it.
    const gradient = tf.tensor({ buffer: grad!.buffer, zeroCopy: true }, [N, C], 'float32');
    const dw = tf.matMul(x, gradient, true, false);
    if (step === 0) {
      // Check against tfjs' own autodiff of its softmax cross-entropy: the same dL/dW.
      const oneHot = tf.oneHot(tf.tensor1d(labelHost, 'int32'), C);
      const expected = tf.grad((weights) => tf.losses.softmaxCrossEntropy(oneHot, tf.matMul(x, weights)))(w);
      gradientError = (await tf.max(tf.abs(tf.sub(expected, dw))).data())[0]!;
    }
    w.assign(tf.sub(w, tf.mul(LEARNING_RATE, dw)));
    losses.push((await loss.read())[0]!);
    await dw.data(); // tfjs' work reading `gradient` is done: the buffer can go back to the engine
    tf.dispose([logits, tensorRef, gradient, dw]);
    for (const t of [loss, grad!, weightSum]) t.release();
  }

  const predictions = await tf.argMax(tf.matMul(x, w), 1).data();
  const accuracy = predictions.filter((p, i) => p === labelHost[i]).length / N;
  labels.release();
  const stats = engine.stats();
  engine.destroy();
  return { backend: tf.getBackend(), sharedDevice: engine.backend === 'webgpu', losses, gradientError, accuracy, liveBuffers: stats.liveBuffers };
}
