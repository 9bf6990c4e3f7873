// NaN in gives NaN out: for every op, one NaN in one input element; exactly the outputs that depend on it (the
// element's, or the row's, loss and gradient; see README "Special values") are NaN on the GPU and in the CPU reference,
// and every other output is finite and agrees with the reference. Both launch plans (one thread per row and many)
// and the row kernels' variants (short rows in unrolled blocks, online statistics, split rows, f16, vec4 I/O) are
// covered.
import { describe, expect, it } from 'vitest';
import { createEngine, GpuTensor, reference, roundToFloat16, type Engine } from '../../src/index.js';
import { expectClose } from '../helpers/compare.js';
import { classTargets, normal, softTargets } from '../helpers/data.js';
import { runOnlyOn, useBothPlans, useGpuEngine } from '../helpers/engine.js';

const cpu = await createEngine({ backend: 'cpu' });
const TOL = { atol: 1e-5, rtol: 1e-4 };
const F16_TOL = { atol: 2e-3, rtol: 2e-3 };

type Values = number | ArrayLike<number>;
type Outputs = Record<string, Values>;
/** Which elements of an output must be NaN: their indices, or 'all'. Outputs not named must have no NaN. */
type NanSpec = Record<string, readonly number[] | 'all'>;

interface NanCase {
  label: string;
  /** The op through an engine (host data, or tensors uploaded for values the host form refuses). */
  gpu(e: Engine): Promise<Outputs>;
  /** The same through the CPU backend, or the f64 reference where the host form refuses the input. */
  cpu(): Promise<Outputs> | Outputs;
  nan: NanSpec;
  tol?: typeof TOL;
}

/** `x` with NaN at `at`. */
function poisoned(x: Float32Array, at: number): Float32Array {
  const y = x.slice();
  y[at] = NaN;
  return y;
}

/** The indices of row `r` ([rows, cols], classes last). */
function rowOf(r: number, cols: number): number[] {
  return Array.from({ length: cols }, (_, c) => r * cols + c);
}

/** Read a GPU-resident result's tensors and release them. */
async function readAll(result: Record<string, unknown>): Promise<Outputs> {
  const out: Outputs = {};
  for (const [key, value] of Object.entries(result)) {
    if (!(value instanceof GpuTensor)) continue;
    if (key !== 'weightSum') out[key] = (await value.read()) as Float32Array;
    value.release();
  }
  return out;
}

/** A host-API result as outputs (weightSum left out: it never depends on the values). */
function outputs(result: object): Outputs {
  const out: Outputs = {};
  for (const [key, value] of Object.entries(result)) if (key !== 'weightSum') out[key] = value as Values;
  return out;
}

/** The f64 reference's result as f32 outputs. */
function fromReference(result: Record<string, unknown>, keys: string[]): Outputs {
  const out: Outputs = {};
  for (const key of keys) {
    const v = result[key] as number | Float64Array;
    out[key] = typeof v === 'number' ? Math.fround(v) : Float32Array.from(v);
  }
  return out;
}

function checkOutputs(actual: Outputs, expected: Outputs, nan: NanSpec, label: string, tol = TOL): void {
  expect(Object.keys(actual).sort(), label).toEqual(Object.keys(expected).sort());
  for (const key of Object.keys(expected)) {
    for (const [who, values] of [['actual', actual[key]!], ['reference', expected[key]!]] as const) {
      const list = typeof values === 'number' ? [values] : Array.from(values);
      const spec = nan[key] ?? [];
      const want = spec === 'all' ? list.map(() => true) : list.map((_, i) => spec.includes(i));
      const got = list.map((v) => Number.isNaN(v));
      const wrong = got.flatMap((g, i) => (g === want[i] ? [] : [`${i}: ${list[i]}`]));
      expect(wrong, `${label}: ${who} ${key}: elements whose NaN-ness is wrong`).toEqual([]);
      const finite = list.every((v, i) => want[i] || Number.isFinite(v));
      if (spec !== 'all') expect(finite, `${label}: ${who} ${key}: the other elements are finite`).toBe(true);
    }
    expectClose(actual[key]!, expected[key]!, `${label}: ${key}`, tol);
  }
}

// ---- The cases ----------------------------------------------------------------------------------------------------

const cases: NanCase[] = [];
const same = (label: string, run: (e: Engine) => Promise<object>, nan: NanSpec, tol?: typeof TOL) =>
  cases.push({
    label,
    gpu: async (e) => outputs(await run(e)),
    cpu: async () => outputs(await run(cpu)),
    nan,
    ...(tol ? { tol } : {}),
  });

// Row-wise ops: a NaN at column `at` of row 1 makes row 1 NaN. Shapes: short rows (unrolled on CPU adapters), longer
// rows (online statistics), and few long rows (split into segments).
for (const [rows, cols, at] of [[3, 7, 3], [3, 300, 299], [2, 4096, 17]] as const) {
  const x = poisoned(normal(rows * cols, 2, rows * cols), cols + at);
  const shape = [rows, cols];
  const target = classTargets(rows, cols, 5);
  for (const log of [true, false]) {
    const op = log ? 'logSoftmax' : 'softmax';
    cases.push({
      label: `${op} [${shape}]`,
      gpu: async (e) => ({ out: await e[op](x, { shape }) }),
      cpu: async () => ({ out: await cpu[op](x, { shape }) }),
      nan: { out: rowOf(1, cols) },
    });
    if (cols <= 300) {
      // f16 input (and output): NaN survives the f16 decode and encode.
      const h = roundToFloat16(x);
      cases.push({
        label: `${op} f16 [${shape}]`,
        gpu: async (e) => {
          const t = e.gpu.upload(h, { dtype: 'f16' });
          const out = await e.gpu[op](t, { shape });
          t.release();
          return readAll({ out });
        },
        cpu: async () => ({ out: await cpu[op](h, { shape }) }),
        nan: { out: rowOf(1, cols) },
        tol: F16_TOL,
      });
    }
  }
  for (const reduction of ['none', 'mean'] as const) {
    const loss = reduction === 'none' ? [1] : 'all';
    const nan: NanSpec = { loss, grad: rowOf(1, cols) };
    same(`crossEntropy ${reduction} [${shape}]`, (e) => e.crossEntropy(x, target, { shape, reduction }), nan);
  }
}

{
  // crossEntropy's other paths on [3, 10], NaN logit in row 1.
  const [rows, cols] = [3, 10];
  const shape = [rows, cols];
  const x = poisoned(normal(rows * cols, 2, 31), cols + 4);
  const target = classTargets(rows, cols, 6);
  const row1 = rowOf(1, cols);
  const weight = Float32Array.from({ length: cols }, (_, c) => 0.5 + c / cols);
  const soft = softTargets(rows, cols, 7);
  for (const [name, options] of [
    ['labelSmoothing', { labelSmoothing: 0.1 }],
    ['zLoss', { zLoss: 1e-3 }],
    ['softcap', { softcap: 5 }],
    ['weight', { weight }],
    ['everything', { labelSmoothing: 0.2, zLoss: 1e-3, softcap: 4, weight }],
  ] as const) {
    const nan: NanSpec = { loss: [1], grad: row1, ...('zLoss' in options ? { zLoss: [1] } : {}) };
    same(`crossEntropy ${name}`, (e) => e.crossEntropy(x, target, { shape, reduction: 'none', ...options }), nan);
  }
  const none = { shape, reduction: 'none' as const };
  same('crossEntropy probability targets, NaN logit', (e) => e.crossEntropy(x, soft, none), { loss: [1], grad: row1 });
  const clean = normal(rows * cols, 2, 32);
  const badSoft = poisoned(soft, cols + 2);
  const smoothed = { ...none, labelSmoothing: 0.1 };
  const rowNan = { loss: [1], grad: row1 };
  same('crossEntropy probability targets, NaN target', (e) => e.crossEntropy(clean, badSoft, smoothed), rowNan);
  // classDim 1: [2, 5, 3] holds rows (n, d) of 5 classes at n * 15 + c * 3 + d; NaN at (1, 2, 1): row (1, 1) = row 4.
  const strided = poisoned(normal(30, 2, 33), 15 + 2 * 3 + 1);
  const stridedRow = [0, 1, 2, 3, 4].map((c) => 15 + c * 3 + 1);
  const classDim1 = { shape: [2, 5, 3], classDim: 1, reduction: 'none' as const };
  const stridedNan = { loss: [4], grad: stridedRow };
  same('crossEntropy classDim 1', (e) => e.crossEntropy(strided, classTargets(6, 5, 8), classDim1), stridedNan);
  const stridedSoft = softTargets(6, 5, 9);
  same('crossEntropy classDim 1, soft targets', (e) => e.crossEntropy(strided, stridedSoft, classDim1), stridedNan);
  // f16 logits: the gradient has the logits' dtype.
  const h = roundToFloat16(x);
  cases.push({
    label: 'crossEntropy f16 logits',
    gpu: async (e) => {
      const t = e.gpu.upload(h, { dtype: 'f16' });
      const r = await e.gpu.crossEntropy(t, target, { shape, reduction: 'none' });
      t.release();
      return readAll({ ...r });
    },
    cpu: async () => outputs(await cpu.crossEntropy(h, target, { shape, reduction: 'none' })),
    nan: { loss: [1], grad: row1 },
    tol: F16_TOL,
  });

  // Probabilities and log-probabilities: the loss of a row is NaN when it reads the NaN (at the target, or any class
  // under smoothing); the NaN element's gradient is NaN (the others do not depend on it). The host refuses NaN
  // probabilities, so those run GPU-resident against the reference.
  const probs = softTargets(rows, cols, 10);
  const atTarget = cols + target[1]!;
  const offTarget = cols + ((target[1]! + 1) % cols);
  for (const [where, at, loss] of [['at the target', atTarget, [1]], ['off the target', offTarget, []]] as const) {
    for (const smoothing of [0, 0.1]) {
      const p = poisoned(probs, at);
      const options = { ...none, inputs: 'probabilities' as const, labelSmoothing: smoothing };
      cases.push({
        label: `crossEntropy probabilities, NaN ${where}, smoothing ${smoothing}`,
        gpu: async (e) => {
          const t = e.gpu.upload(p);
          const r = await e.gpu.crossEntropy(t, target, options);
          t.release();
          return readAll({ ...r });
        },
        cpu: () => {
          const r = reference.crossEntropy(p, target, rows, cols, { ...options, ignoreIndex: -100, grad: true });
          return fromReference({ ...r }, ['loss', 'grad']);
        },
        nan: { loss: smoothing > 0 ? [1] : loss, grad: [at] },
      });
    }
    const logProbs = poisoned(Float32Array.from(probs, Math.log), at);
    for (const reduction of ['none', 'mean'] as const) {
      const lossNan = reduction === 'mean' ? (loss.length > 0 ? 'all' : []) : loss;
      const nan: NanSpec = { loss: lossNan, grad: [at] };
      same(`nllLoss ${reduction}, NaN ${where}`, (e) => e.nllLoss(logProbs, target, { shape, reduction }), nan);
    }
  }
}

{
  // Element-wise losses on [4, 6], NaN at element 9 (of the input or of the target).
  const shape = [4, 6];
  const n = 24;
  const at = 9;
  const logits = normal(n, 3, 41);
  const y = Float32Array.from({ length: n }, (_, i) => (i % 3) / 2);
  const weight = Float32Array.from({ length: 6 }, (_, i) => 0.25 + i / 4);
  const posWeight = Float32Array.from({ length: 6 }, (_, i) => 2 - i / 4);
  for (const reduction of ['none', 'mean'] as const) {
    const loss = reduction === 'none' ? [at] : 'all';
    for (const options of [{}, { weight, posWeight }]) {
      const label = `${reduction}${'weight' in options ? ', weights' : ''}`;
      const all = { shape, reduction, ...options };
      const op = 'binaryCrossEntropyWithLogits';
      same(`${op} ${label}, NaN input`, (e) => e[op](poisoned(logits, at), y, all), { loss, grad: [at] });
      same(`${op} ${label}, NaN target`, (e) => e[op](logits, poisoned(y, at), all), { loss, grad: [at] });
    }
    const probs = Float32Array.from(logits, (v) => 1 / (1 + Math.exp(-v)));
    const weighted = { shape, reduction, weight };
    same(`binaryCrossEntropy ${reduction}, NaN target`, (e) => e.binaryCrossEntropy(probs, poisoned(y, at), weighted), {
      loss,
      grad: [at],
    });
    const p = poisoned(probs, at);
    cases.push({
      label: `binaryCrossEntropy ${reduction}, NaN probability`,
      gpu: async (e) => {
        const t = e.gpu.upload(p);
        const r = await e.gpu.binaryCrossEntropy(t, y, weighted);
        t.release();
        return readAll({ ...r });
      },
      cpu: () => fromReference({ ...reference.binaryCrossEntropy(p, y, { reduction, grad: true, cols: 6, weight }) }, [
        'loss',
        'grad',
      ]),
      nan: { loss, grad: [at] },
    });
    const logQ = Float32Array.from(probs, Math.log);
    for (const logTarget of [false, true]) {
      const target = logTarget ? Float32Array.from(y, (v) => Math.log(v + 0.1)) : y;
      const kl = { shape, reduction, logTarget };
      const label = `klDiv ${reduction}${logTarget ? ' logTarget' : ''}`;
      same(`${label}, NaN input`, (e) => e.klDiv(poisoned(logQ, at), target, kl), { loss, grad: [at] });
      same(`${label}, NaN target`, (e) => e.klDiv(logQ, poisoned(target, at), kl), { loss, grad: [at] });
    }
    // entropy: the row's entropy and the element's gradient (the host refuses NaN probabilities: GPU-resident).
    const rowsP = poisoned(softTargets(4, 6, 42), at);
    cases.push({
      label: `entropy ${reduction}, NaN probability`,
      gpu: async (e) => {
        const t = e.gpu.upload(rowsP);
        const r = await e.gpu.entropy(t, { shape, reduction });
        t.release();
        return readAll({ ...r });
      },
      cpu: () => fromReference({ ...reference.entropy(rowsP, 4, 6, { reduction, grad: true }) }, ['loss', 'grad']),
      nan: { loss: reduction === 'none' ? [1] : 'all', grad: [at] },
    });
  }
  for (const size of [5, 5000]) {
    const x = poisoned(normal(size, 1, size), size - 2);
    same(`sum of ${size}`, async (e) => ({ sum: await e.sum(x) }), { sum: 'all' });
  }
}

{
  // linearCrossEntropy: a NaN in row 1 of hidden makes row 1's logits NaN: its loss and gradHidden row; every entry of
  // gradWeight and gradBias sums over all rows, row 1 included.
  const [rows, dim, vocab] = [3, 8, 12];
  const hidden = poisoned(normal(rows * dim, 1, 51), dim + 5);
  const weight = normal(vocab * dim, 0.5, 52);
  const bias = normal(vocab, 0.5, 53);
  const target = classTargets(rows, vocab, 54);
  const options = { shape: [rows, dim], bias, reduction: 'none' as const };
  same('linearCrossEntropy, NaN hidden', (e) => e.linearCrossEntropy(hidden, weight, target, options), {
    loss: [1],
    gradHidden: rowOf(1, dim),
    gradWeight: 'all',
    gradBias: 'all',
  });
}

// Both launch plans, and f32 rows read and written as vec4s (classes a multiple of 4).
const engines = [...useBothPlans(), ['vec4 I/O', useGpuEngine({ vec4Io: true })] as const];
describe.each(engines)('NaN propagation (%s)', (plan, getEngine) => {
  it.for(cases.map((c) => [c.label, c] as const))('%s', async ([label, c], ctx) => {
    // The many-threads-per-row plan's linear cross-entropy is its 128 x 128 tile matmuls (no subgroup code).
    if (plan === 'many threads per row' && label.startsWith('linearCrossEntropy')) {
      runOnlyOn(ctx, 'llvmpipe', 'the tile kernels are the same there; SwiftShader compiles them 20x slower');
    }
    checkOutputs(await c.gpu(getEngine()), await c.cpu(), c.nan, label, c.tol);
  });
});
