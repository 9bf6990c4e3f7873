/**
 * The same training run on the CPU: the matmuls as plain loops, the cross-entropy forward+backward from the library's
 * CPU engine (its f64 reference, the fallback the library uses without WebGPU). Same data, initial parameters and Adam
 * settings as the GPU trainer, so the two loss curves can be laid over each other.
 */
import type { Engine } from 'xentropy';
import type { Dataset } from './data.js';
import { ADAM, initialParameters, parameterLayout, type ModelShape, type StepMetrics, type Trainer } from './model.js';

export class CpuTrainer implements Trainer {
  readonly label = 'CPU';
  private readonly layout;
  private params: Float32Array;
  private readonly firstMoment: Float32Array;
  private readonly secondMoment: Float32Array;
  private readonly gradient: Float32Array;
  private readonly hidden: Float32Array;
  private readonly logits: Float32Array<ArrayBuffer>;
  private readonly hiddenGradient: Float32Array;
  private step = 0;

  constructor(private readonly engine: Engine, private readonly data: Dataset, private readonly shape: ModelShape) {
    if (engine.backend !== 'cpu') throw new Error('CpuTrainer: needs an engine with backend "cpu"');
    this.layout = parameterLayout(shape);
    this.params = initialParameters(shape);
    this.firstMoment = new Float32Array(this.layout.total);
    this.secondMoment = new Float32Array(this.layout.total);
    this.gradient = new Float32Array(this.layout.total);
    this.hidden = new Float32Array(data.count * shape.hidden);
    this.logits = new Float32Array(data.count * shape.classes);
    this.hiddenGradient = new Float32Array(data.count * shape.hidden);
  }

  reset(): void {
    this.params = initialParameters(this.shape);
    this.firstMoment.fill(0);
    this.secondMoment.fill(0);
    this.step = 0;
  }

  /** Nothing to free: the CPU trainer holds only typed arrays. */
  destroy(): void {}

  async run(count: number): Promise<StepMetrics[]> {
    const metrics: StepMetrics[] = [];
    for (let i = 0; i < count; i++) metrics.push(await this.trainStep());
    return metrics;
  }

  async predict(points: Float32Array<ArrayBuffer>): Promise<Float32Array> {
    const n = points.length / 2;
    const hidden = new Float32Array(n * this.shape.hidden);
    const logits = new Float32Array(n * this.shape.classes);
    this.forward(points, n, hidden, logits);
    return this.engine.softmax(logits, { shape: [n, this.shape.classes] });
  }

  private forward(points: Float32Array, n: number, hidden: Float32Array, logits: Float32Array): void {
    const { hidden: H, classes: C } = this.shape;
    const { w1, b1, w2, b2 } = this.layout;
    const p = this.params;
    for (let row = 0; row < n; row++) {
      const x0 = points[2 * row]!;
      const x1 = points[2 * row + 1]!;
      for (let j = 0; j < H; j++) {
        const pre = p[b1 + j]! + x0 * p[w1 + j]! + x1 * p[w1 + H + j]!;
        hidden[row * H + j] = Math.max(pre, 0);
      }
      for (let k = 0; k < C; k++) {
        let z = p[b2 + k]!;
        for (let j = 0; j < H; j++) z += hidden[row * H + j]! * p[w2 + j * C + k]!;
        logits[row * C + k] = z;
      }
    }
  }

  private async trainStep(): Promise<StepMetrics> {
    const { hidden: H, classes: C } = this.shape;
    const { w1, b1, w2, b2 } = this.layout;
    const N = this.data.count;
    const x = this.data.points;
    this.forward(x, N, this.hidden, this.logits);
    const { loss, grad } = await this.engine.crossEntropy(this.logits, this.data.labels, { shape: [N, C] });
    const dLogits = grad!; // already divided by N (the mean's gradient)
    let correct = 0;
    for (let row = 0; row < N; row++) correct += argmax(this.logits, row * C, C) === this.data.labels[row] ? 1 : 0;

    const g = this.gradient;
    const p = this.params;
    g.fill(0);
    for (let row = 0; row < N; row++) {
      for (let j = 0; j < H; j++) {
        const h = this.hidden[row * H + j]!;
        let dh = 0;
        for (let k = 0; k < C; k++) {
          const d = dLogits[row * C + k]!;
          g[w2 + j * C + k] = g[w2 + j * C + k]! + h * d;
          dh += d * p[w2 + j * C + k]!;
        }
        this.hiddenGradient[row * H + j] = h > 0 ? dh : 0;
      }
      for (let k = 0; k < C; k++) g[b2 + k] = g[b2 + k]! + dLogits[row * C + k]!;
      for (let j = 0; j < H; j++) {
        const dh = this.hiddenGradient[row * H + j]!;
        g[w1 + j] = g[w1 + j]! + x[2 * row]! * dh;
        g[w1 + H + j] = g[w1 + H + j]! + x[2 * row + 1]! * dh;
        g[b1 + j] = g[b1 + j]! + dh;
      }
    }
    this.step++;
    adamUpdate(p, g, this.firstMoment, this.secondMoment, this.step);
    return { step: this.step, loss: loss as number, accuracy: correct / N };
  }
}

export function argmax(values: ArrayLike<number>, start: number, count: number): number {
  let best = 0;
  for (let k = 1; k < count; k++) if (values[start + k]! > values[start + best]!) best = k;
  return best;
}

/** One Adam step with bias correction; `step` counts from 1. Same formula as adam() in mlp.wgsl. */
export function adamUpdate(params: Float32Array, grad: Float32Array, m: Float32Array, v: Float32Array, step: number): void {
  const { learningRate, beta1, beta2, epsilon } = ADAM;
  const correction1 = 1 - beta1 ** step;
  const correction2 = 1 - beta2 ** step;
  for (let i = 0; i < params.length; i++) {
    const gi = grad[i]!;
    m[i] = beta1 * m[i]! + (1 - beta1) * gi;
    v[i] = beta2 * v[i]! + (1 - beta2) * gi * gi;
    params[i] = params[i]! - (learningRate * (m[i]! / correction1)) / (Math.sqrt(v[i]! / correction2) + epsilon);
  }
}
