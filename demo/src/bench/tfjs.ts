/**
 * Optional comparison: TensorFlow.js on its WebGPU backend, computing the same mean cross-entropy and its gradient
 * (tf.valueAndGrad of tf.losses.softmaxCrossEntropy against one-hot labels). Loaded only when the visitor asks for it:
 * it is a large download, and it creates its own WebGPU device.
 */
import type { BenchCase } from './cases.js';

export interface TfjsRunner {
  version: string;
  /** Validate against `referenceLoss`, then return the median time of `repeats` runs (after one warm-up). */
  time(c: BenchCase, logits: Float32Array, target: Int32Array, referenceLoss: number, repeats: number, onTick: () => void): Promise<{ milliseconds: number; error: number }>;
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
    async time(c, logits, target, referenceLoss, repeats, onTick) {
      const x = tf.tensor2d(logits, [c.rows, c.classes]);
      const indices = tf.tensor1d(target, 'int32');
      const labels = tf.oneHot(indices, c.classes);
      const lossAndGradient = tf.valueAndGrad((z) => tf.losses.softmaxCrossEntropy(labels, z));
      // Timed to a one-element readback of the gradient: that forces the whole computation without timing a 2 x MB copy.
      const once = async () => {
        const { value, grad } = lossAndGradient(x);
        const corner = tf.slice(grad, [0, 0], [1, 1]);
        await corner.data();
        const loss = (await value.data())[0]!;
        tf.dispose([value, grad, corner]);
        return loss;
      };
      try {
        const error = Math.abs((await once()) - referenceLoss);
        if (!(error <= 1e-5 + 1e-4 * Math.abs(referenceLoss))) throw new Error(`TensorFlow.js loss differs from the reference by ${error}`);
        onTick();
        const times: number[] = [];
        for (let i = 0; i < repeats; i++) {
          const start = performance.now();
          await once();
          times.push(performance.now() - start);
          onTick();
        }
        times.sort((a, b) => a - b);
        return { milliseconds: times[Math.floor(times.length / 2)]!, error };
      } finally {
        tf.dispose([x, indices, labels]);
      }
    },
  };
}
