/**
 * The loss computations the views show, all through the library's public API. Hard (class-index) targets and soft
 * (probability) targets both go through engine.crossEntropy, the fused forward+backward kernel (PyTorch's
 * F.cross_entropy semantics). Only a prediction with a zero probability (a -Inf logit) takes the seed's formula
 * -sum_i y_i log_softmax(z)_i with 0 log 0 = 0 instead: there PyTorch, and the library, give 0 * -Inf = NaN.
 */
import type { Engine } from 'xentropy';

/** Logits whose softmax is `probabilities` (log p; zero probabilities become -Inf logits, which the kernels mask). */
export function logitsOf(probabilities: readonly number[]): Float32Array<ArrayBuffer> {
  return Float32Array.from(probabilities, (p) => Math.log(p));
}

/**
 * Per-row cross-entropy H(y, softmax(z)) and its gradient softmax(z) - y for `rows` rows of `classes` logits.
 * `hardClasses[r]` is the class index of row r when its target is one-hot (else null: soft target in `targets`).
 */
export async function crossEntropyRows(
  engine: Engine,
  logits: Float32Array<ArrayBuffer>,
  targets: Float32Array,
  hardClasses: readonly (number | null)[],
  classes: number,
): Promise<{ loss: Float64Array; grad: Float32Array }> {
  const rows = hardClasses.length;
  const loss = new Float64Array(rows);
  const grad = new Float32Array(rows * classes);
  if (hardClasses.every((c) => c !== null)) {
    // reduction 'sum' with one row per call would also do; 'none' gives every row's loss in one dispatch, and the
    // gradient of the sum is the per-row gradient softmax(z) - onehot.
    const result = await engine.crossEntropy(logits, Int32Array.from(hardClasses as number[]), { shape: [rows, classes], reduction: 'none' });
    loss.set(result.loss as Float32Array);
    grad.set(result.grad!);
    return { loss, grad };
  }
  if (logits.every(Number.isFinite)) {
    const result = await engine.crossEntropy(logits, Float32Array.from(targets), { shape: [rows, classes], reduction: 'none' });
    loss.set(result.loss as Float32Array);
    grad.set(result.grad!);
    return { loss, grad };
  }
  const logProbabilities = await engine.logSoftmax(logits, { shape: [rows, classes] });
  for (let r = 0; r < rows; r++) {
    let sum = 0;
    for (let c = 0; c < classes; c++) {
      const i = r * classes + c;
      const y = targets[i]!;
      if (y !== 0) sum -= y * logProbabilities[i]!; // 0 log 0 = 0: a class the target never names costs nothing
      grad[i] = Math.exp(logProbabilities[i]!) - y;
    }
    loss[r] = sum;
  }
  return { loss, grad };
}

/** Entropy H(y) in nats (0 log 0 = 0). */
export function entropy(y: readonly number[]): number {
  return -y.reduce((a, v) => a + (v > 0 ? v * Math.log(v) : 0), 0);
}

/** Format a loss for the table: 3 decimals, ∞ for an infinite loss (a zero probability on the true class). */
export function formatLoss(value: number): string {
  if (value === Infinity) return '∞';
  if (Number.isNaN(value)) return 'NaN';
  return value.toFixed(3);
}
