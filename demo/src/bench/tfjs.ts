/**
 * Optional comparison: TensorFlow.js on its WebGPU backend, computing the same mean cross-entropy and its gradient
 * (tf.valueAndGrad of tf.losses.softmaxCrossEntropy against one-hot labels). Loaded only when the visitor asks for it:
 * it is a large download, and it creates its own WebGPU device.
 */
import type { BenchCase } from './cases.js';

export interface TfjsRunner {
  version: string;
  /** Put a case's data on tfjs's device; `run` computes loss and gradient once and returns the loss. */
  prepare(c: BenchCase, logits: Float32Array, target: Int32Array): { run(): Promise<number>; dispose(): void };
}

let loaded: Promise<TfjsRunner> | null = null;

export function loadTfjs(): Promise<TfjsRunner> {
  return (loaded ??= load());
}

async function load(): Promise<TfjsRunner> {
  const tf = await import('demo-tfjs/core');
  await import('demo-tfjs/gradients');
  await import('demo-tfjs/webgpu');
  if (!(await tf.setBackend('webgpu'))) throw new Error('TensorFlow.js: its webgpu backend did not start in this browser');
  await tf.ready();
  return {
    version: tf.version_core,
    prepare(c, logits, target) {
      const x = tf.tensor2d(logits, [c.rows, c.classes]);
      const indices = tf.tensor1d(target, 'int32');
      const labels = tf.oneHot(indices, c.classes);
      const lossAndGradient = tf.valueAndGrad((z) => tf.losses.softmaxCrossEntropy(labels, z));
      return {
        // Finished at a one-element readback of the gradient: that forces the whole computation without timing a
        // copy of the full gradient to the CPU.
        async run() {
          const { value, grad } = lossAndGradient(x);
          const corner = tf.slice(grad, [0, 0], [1, 1]);
          await corner.data();
          const loss = (await value.data())[0]!;
          tf.dispose([value, grad, corner]);
          return loss;
        },
        dispose: () => tf.dispose([x, indices, labels]),
      };
    },
  };
}
