/**
 * `npm run bench:tfjs`: one training step of a classifier with a large class count, in TensorFlow.js on
 * tfjs-backend-webgpu (Node, Dawn), with tfjs's own loss against xentropy/tfjs's, as a tfjs user writes it:
 *
 *   step       optimizer.minimize(() => loss(labels, matMul(x, w)))   x [B, D], w [D, V] a variable, labels [B]
 *   loss only  tf.valueAndGrad((logits) => loss(labels, logits))     the same logits [B, V], already on the GPU
 *
 * with loss = tf.losses.softmaxCrossEntropy(tf.oneHot(labels, V), logits) (tfjs) or sparseSoftmaxCrossEntropy(labels,
 * logits) (xentropy/tfjs). Both are validated first (the loss and dL/dw of one step agree). Timing: wall clock of
 * `--steps` back-to-back calls ended by reading the last loss (so the GPU has finished them), per call; median and
 * minimum of `--samples` samples. Flags: bench/cli.ts, `--help`.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import { create, globals } from 'webgpu';
import { createEngine } from 'xentropy';
import { ready, sparseSoftmaxCrossEntropy } from 'xentropy/tfjs';
import { COMMON, commandLine, dims, integer } from './cli.js';

const { values } = commandLine(
  'npm run bench:tfjs -- [options]   (or node bench/dist/tfjs.mjs [options], once built)',
  "One training step of a classifier in TensorFlow.js (tfjs-backend-webgpu), tfjs's loss against xentropy/tfjs's.",
  {
    shape: dims('B,D,V', 'batch, features and classes (default 64,128,32000; --full 256,512,32000)', ',', 3),
    full: { ...COMMON.full, help: 'x [256, 512] @ w [512, 32000]' },
    steps: integer('N', 'back-to-back calls per sample', 5, 1),
    samples: integer('N', 'samples (median and minimum reported)', 5, 1),
    adapter: COMMON.adapter,
  },
);
const [B, D, V] = (values.shape ?? (values.full ? [256, 512, 32000] : [64, 128, 32000])) as [number, number, number];
const { steps, samples } = values;

// A device from xentropy's adapter choice; tfjs-backend-webgpu on it. tfjs needs WebGPU's globals and navigator.gpu,
// which Node lacks: the bench process installs Dawn's (the library never does).
const host = await createEngine({ backend: 'webgpu', adapter: values.adapter });
const device = host.device!;
Object.assign(globalThis, globals);
const nav = ((globalThis as { navigator?: object }).navigator ??= {}) as { gpu?: GPU };
Object.defineProperty(nav, 'gpu', { value: create([]), configurable: true, writable: true });
if (host.adapterInfo!.cpuBased) {
  // As bench/node.ts: dawn.node's setImmediate polling takes a core from a CPU adapter's workers (bench process only).
  const timer = (fn: (...a: unknown[]) => void, ...a: unknown[]) => setTimeout(fn, 1, ...a);
  (globalThis as { setImmediate: unknown }).setImmediate = timer;
}
if (tf.findBackendFactory('webgpu')) tf.removeBackend('webgpu');
tf.registerBackend('webgpu', () => new WebGPUBackend(device as never));
if (!(await tf.setBackend('webgpu'))) throw new Error('tfjs: could not set the webgpu backend');
const engine = await ready();
if (!engine) throw new Error('xentropy/tfjs: no engine on the webgpu backend');

type Loss = (labels: tf.Tensor, logits: tf.Tensor) => tf.Scalar;
const losses: Record<string, Loss> = {
  tfjs: (labels, logits) => tf.losses.softmaxCrossEntropy(tf.oneHot(labels, V), logits) as tf.Scalar,
  xentropy: (labels, logits) => sparseSoftmaxCrossEntropy<tf.Scalar>(labels, logits),
};

const seeded = (n: number, seed: number, scale: number) =>
  Float32Array.from({ length: n }, (_, i) => scale * Math.sin(i * 12.9898 + seed * 78.233));
const x = tf.tensor2d(seeded(B * D, 1, 1), [B, D]);
const labels = tf.tensor1d(Int32Array.from({ length: B }, (_, r) => (r * 7919) % V), 'int32');
const initial = tf.tensor2d(seeded(D * V, 2, 0.05), [D, V]);
const logits = tf.tidy(() => tf.matMul(x, initial));
const w = tf.variable(initial);
const optimizer = tf.train.sgd(1e-3);

/** One training step: the loss, dL/dw, and the SGD update of w (the weights move a little at every call). */
const step = (loss: Loss) => optimizer.minimize(() => loss(labels, tf.matMul(x, w)), true)!;
const lossOnly = (loss: Loss) => tf.tidy(() => {
  const { value, grad } = tf.valueAndGrad((z: tf.Tensor) => loss(labels, z))(logits);
  grad.dispose();
  return value;
});

// Validation: the loss and dL/dw of one step from the same weights.
const check: Record<string, { loss: number; grad: Float32Array }> = {};
for (const [name, loss] of Object.entries(losses)) {
  const { value, grads } = tf.variableGrads(() => loss(labels, tf.matMul(x, w)), [w]);
  check[name] = { loss: (await value.data())[0]!, grad: (await grads[w.name]!.data()) as Float32Array };
  tf.dispose([value, grads[w.name]!]);
}
let gradError = 0;
for (let i = 0; i < check.tfjs!.grad.length; i++) {
  const [a, b] = [check.tfjs!.grad[i]!, check.xentropy!.grad[i]!];
  gradError = Math.max(gradError, Math.abs(a - b) / (1e-6 + Math.abs(a)));
}
const lossError = Math.abs(check.tfjs!.loss - check.xentropy!.loss) / Math.abs(check.tfjs!.loss);
const valid = lossError < 1e-5 && Number.isFinite(gradError);

async function time(run: () => tf.Tensor): Promise<{ median: number; min: number }> {
  const warm = run(); // warm-up: pipelines compiled, buffers pooled
  await warm.data();
  warm.dispose();
  const per: number[] = [];
  for (let s = 0; s < samples; s++) {
    const start = performance.now();
    let last: tf.Tensor | undefined;
    for (let k = 0; k < steps; k++) {
      last?.dispose();
      last = run();
    }
    await last!.data();
    last!.dispose();
    per.push((performance.now() - start) / steps);
  }
  per.sort((a, b) => a - b);
  return { median: per[Math.floor(per.length / 2)]!, min: per[0]! };
}

const info = host.adapterInfo!;
const adapter = `${info.source} ${info.vendor}/${info.architecture}`;
console.log(`xentropy bench:tfjs (node ${process.version}): ${adapter}; tfjs-core ${tf.version_core}`);
console.log(`classifier: x [${B}, ${D}] @ w [${D}, ${V}] -> logits [${B}, ${V}]; ${steps} calls x ${samples} samples`);
const [lossT, lossX] = [check.tfjs!.loss.toFixed(6), check.xentropy!.loss.toFixed(6)];
console.log(
  `validation (one step from the same weights): loss ${lossT} (tfjs) vs ${lossX} (xentropy), ` +
    `relative ${lossError.toExponential(1)}; dL/dw max relative ${gradError.toExponential(1)}`,
);
const rows: string[] = [];
const results: Record<string, Record<string, { median: number; min: number }>> = {};
for (const [name, loss] of Object.entries(losses)) {
  results[name] = { loss: await time(() => lossOnly(loss)), step: await time(() => step(loss)) };
}
for (const what of ['loss', 'step'] as const) {
  const t = results.tfjs![what]!;
  const xe = results.xentropy![what]!;
  const label = what === 'loss' ? 'loss + dL/dlogits alone' : 'whole training step (matMul, loss, backward, SGD)';
  const cell = (r: { median: number; min: number }) => `${r.median.toFixed(1)} (min ${r.min.toFixed(1)})`;
  rows.push(`| ${label} | ${cell(t)} | ${cell(xe)} | ${(t.median / xe.median).toFixed(2)}x |`);
}
const header = `| ms per call (median of ${samples}) | tfjs loss | xentropy/tfjs | tfjs / xentropy |`;
console.log(`\n${header}\n| --- | --- | --- | --- |\n${rows.join('\n')}`);
const share = (name: string) => ((100 * results[name]!.loss!.median) / results[name]!.step!.median).toFixed(0);
console.log(`\nthe loss's share of the step: tfjs ${share('tfjs')}%, xentropy ${share('xentropy')}%`);
tf.dispose([x, labels, logits, w]);
optimizer.dispose();
if (!valid) console.error(`validation failed: loss relative error ${lossError}, gradient ${gradError}`);
process.exit(valid ? 0 : 1);
