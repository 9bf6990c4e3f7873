/**
 * The classifier both trainers run: a one-hidden-layer MLP, logits = relu(x W1 + b1) W2 + b2, trained full-batch with
 * Adam on the mean cross-entropy. All parameters live in one flat array (one GPU buffer) so that the optimizer is one
 * elementwise pass; the layout below is shared by the WGSL kernels (mlp.wgsl), the CPU trainer and the initializer.
 */
import { gaussian, seededRandom } from './data.js';

export interface ModelShape {
  inputs: number; // 2 (x, y)
  hidden: number;
  classes: number;
}

/** Offsets (in floats) of each parameter block in the flat parameter array. */
export interface ParameterLayout {
  w1: number; // [inputs, hidden]
  b1: number; // [hidden]
  w2: number; // [hidden, classes]
  b2: number; // [classes]
  total: number;
}

export function parameterLayout({ inputs, hidden, classes }: ModelShape): ParameterLayout {
  const w1 = 0;
  const b1 = w1 + inputs * hidden;
  const w2 = b1 + hidden;
  const b2 = w2 + hidden * classes;
  return { w1, b1, w2, b2, total: b2 + classes };
}

/** He-style initial weights from a fixed seed (biases 0), so the GPU and CPU runs start from identical parameters. */
export function initialParameters(shape: ModelShape, seed = 1): Float32Array<ArrayBuffer> {
  const layout = parameterLayout(shape);
  const random = seededRandom(seed);
  const params = new Float32Array(layout.total);
  const w1Scale = Math.sqrt(2 / shape.inputs);
  for (let i = 0; i < shape.inputs * shape.hidden; i++) params[layout.w1 + i] = gaussian(random) * w1Scale;
  // Small output weights: the first loss is close to ln(classes), the loss of knowing nothing.
  const w2Scale = 0.1 / Math.sqrt(shape.hidden);
  for (let i = 0; i < shape.hidden * shape.classes; i++) params[layout.w2 + i] = gaussian(random) * w2Scale;
  return params;
}

/** Adam's settings (Kingma & Ba 2015, the defaults but for the learning rate). */
export interface AdamSettings {
  learningRate: number;
  beta1: number;
  beta2: number;
  epsilon: number;
}

export const ADAM: AdamSettings = { learningRate: 0.01, beta1: 0.9, beta2: 0.999, epsilon: 1e-8 };

/** What a trainer reports after each step. */
export interface StepMetrics {
  step: number;
  loss: number;
  accuracy: number;
}

/** A training run the view drives: the GPU one (gpuTrainer.ts) and the CPU one (cpuTrainer.ts) look the same. */
export interface Trainer {
  readonly label: string;
  /** Run `count` steps; resolves with the metrics of each (the GPU trainer reads them back in blocks). */
  run(count: number): Promise<StepMetrics[]>;
  /** Class probabilities [points, classes] for arbitrary 2-D points (the decision-boundary image). */
  predict(points: Float32Array<ArrayBuffer>): Promise<Float32Array>;
  /** Back to the initial parameters and step 0. */
  reset(): void;
  /** Free what it holds. */
  destroy(): void;
}
