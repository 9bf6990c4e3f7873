/**
 * The PyTorch fixtures (test/fixtures/pytorch.json, written by test/fixtures/generate.py): decoding, running a case on
 * an engine or on the f64 reference, and comparing against torch's float64 answer.
 */
import { readFileSync } from 'node:fs';
import { reference, type Engine } from '../../src/index.js';
import { expectClose, type Tolerance } from './compare.js';
import { rng } from './data.js';

type Encoded = number | string;
type GeneratorSpec = { mulberry32: number; scale?: number; shift?: number; uniform?: number };
type Values = Encoded[] | GeneratorSpec;

export interface FixtureCase {
  name: string;
  op: 'crossEntropy' | 'nllLoss' | 'binaryCrossEntropyWithLogits' | 'binaryCrossEntropy' | 'entropy' | 'klDiv';
  shape: number[];
  options: Record<string, unknown> & { reduction: string; weight?: Values; posWeight?: Values };
  input: Values;
  target?: Values | number[];
  targetType?: 'index' | 'float';
  loss: Encoded | Encoded[];
  grad: Encoded[] | { indices: number[]; values: Encoded[] };
  weightSum: Encoded;
  zLoss?: Encoded | Encoded[];
}

export const FIXTURES: FixtureCase[] = JSON.parse(readFileSync(new URL('../fixtures/pytorch.json', import.meta.url), 'utf8')).cases;

function decodeNumber(v: Encoded): number {
  return typeof v === 'number' ? v : v === 'NaN' ? NaN : v === 'Infinity' ? Infinity : -Infinity;
}

/** Values as stored, or regenerated from a mulberry32 spec exactly as the generator made them. */
export function decodeFloats(values: Values, length: number): Float32Array {
  if (Array.isArray(values)) return Float32Array.from(values, decodeNumber);
  const next = rng(values.mulberry32);
  const out = new Float32Array(length);
  for (let i = 0; i < length; i++) out[i] = values.uniform !== undefined ? next() * values.uniform : (next() * 2 - 1) * values.scale! + values.shift!;
  return out;
}

export interface CaseResult {
  loss: number | ArrayLike<number>;
  grad?: ArrayLike<number> | undefined;
  weightSum: number;
  zLoss?: number | ArrayLike<number> | undefined;
}

interface Decoded {
  input: Float32Array;
  target: Float32Array | Int32Array | undefined;
  options: Record<string, unknown>;
}

function decode(c: FixtureCase): Decoded {
  const n = c.shape.reduce((a, b) => a * b, 1);
  const options: Record<string, unknown> = { ...c.options, shape: c.shape };
  const classDim = typeof c.options.classDim === 'number' ? (c.options.classDim + c.shape.length) % c.shape.length : c.shape.length - 1;
  if (c.options.weight !== undefined) {
    const length = Array.isArray(c.options.weight) ? c.options.weight.length : c.shape[classDim]!;
    options.weight = decodeFloats(c.options.weight, length);
  }
  if (c.options.posWeight !== undefined) options.posWeight = decodeFloats(c.options.posWeight, c.shape[c.shape.length - 1]!);
  let target: Float32Array | Int32Array | undefined;
  if (c.target !== undefined) {
    target = c.targetType === 'index' ? Int32Array.from(c.target as number[]) : decodeFloats(c.target as Values, n);
  }
  return { input: decodeFloats(c.input, n), target, options };
}

/** Run the case on an engine (GPU or CPU backend). */
export async function runOnEngine(engine: Engine, c: FixtureCase): Promise<CaseResult> {
  const { input, target, options } = decode(c);
  switch (c.op) {
    case 'crossEntropy':
      return engine.crossEntropy(input, target!, options as never);
    case 'nllLoss':
      return engine.nllLoss(input, target as Int32Array, options as never);
    case 'binaryCrossEntropyWithLogits':
      return engine.binaryCrossEntropyWithLogits(input, target as Float32Array, options as never);
    case 'binaryCrossEntropy':
      return engine.binaryCrossEntropy(input, target as Float32Array, options as never);
    case 'entropy':
      return engine.entropy(input, options as never);
    case 'klDiv':
      return engine.klDiv(input, target as Float32Array, options as never);
  }
}

/** Run the case on the f64 reference directly. */
export function runOnReference(c: FixtureCase): CaseResult {
  const { input, target, options } = decode(c);
  const shape = c.shape;
  const reduction = c.options.reduction as never;
  const grad = true;
  switch (c.op) {
    case 'crossEntropy':
    case 'nllLoss': {
      const classDim = typeof c.options.classDim === 'number' ? (c.options.classDim + shape.length) % shape.length : shape.length - 1;
      const cols = shape[classDim]!;
      const inner = shape.slice(classDim + 1).reduce((a, b) => a * b, 1);
      const rows = input.length / cols;
      return reference.crossEntropy(input, target!, rows, cols, {
        reduction,
        grad,
        ignoreIndex: (c.options.ignoreIndex as number | undefined) ?? -100,
        softTarget: c.targetType === 'float',
        weight: options.weight as Float32Array | undefined,
        labelSmoothing: (c.options.labelSmoothing as number | undefined) ?? 0,
        inner,
        zLoss: (c.options.zLoss as number | undefined) ?? 0,
        softcap: c.options.softcap as number | undefined,
        inputs: c.op === 'nllLoss' ? 'logProbs' : ((c.options.inputs as 'probabilities' | undefined) ?? 'logits'),
      });
    }
    case 'binaryCrossEntropyWithLogits':
    case 'binaryCrossEntropy': {
      const o = { reduction, grad, cols: shape[shape.length - 1]!, weight: options.weight as Float32Array | undefined, posWeight: options.posWeight as Float32Array | undefined };
      return c.op === 'binaryCrossEntropy' ? reference.binaryCrossEntropy(input, target!, o) : reference.binaryCrossEntropyWithLogits(input, target!, o);
    }
    case 'entropy': {
      const cols = shape[shape.length - 1]!;
      return reference.entropy(input, input.length / cols, cols, { reduction, grad });
    }
    case 'klDiv':
      return reference.klDiv(input, target!, { reduction, grad, logTarget: c.options.logTarget === true, batch: shape[0]! });
  }
}

function values(v: number | ArrayLike<number>): ArrayLike<number> {
  return typeof v === 'number' ? [v] : v;
}

/** Compare a result with the case's PyTorch answer (sampled gradients are compared at their indices). */
export function expectMatchesTorch(got: CaseResult, c: FixtureCase, label: string, tol: Tolerance): void {
  const wantLoss = Array.isArray(c.loss) ? c.loss.map(decodeNumber) : [decodeNumber(c.loss as Encoded)];
  expectClose(values(got.loss), wantLoss, `${label}: loss`, tol);
  const grad = got.grad!;
  if (Array.isArray(c.grad)) expectClose(grad, c.grad.map(decodeNumber), `${label}: grad`, tol);
  else {
    const sampled = c.grad as { indices: number[]; values: Encoded[] };
    expectClose(sampled.indices.map((i) => grad[i]!), sampled.values.map(decodeNumber), `${label}: grad (sampled)`, tol);
  }
  expectClose(got.weightSum, decodeNumber(c.weightSum), `${label}: weightSum`, tol);
  if (c.zLoss !== undefined) {
    const wantZ = Array.isArray(c.zLoss) ? c.zLoss.map(decodeNumber) : [decodeNumber(c.zLoss as Encoded)];
    expectClose(values(got.zLoss!), wantZ, `${label}: zLoss`, tol);
  }
}

/** Compare two results element-wise (the GPU against the f64 reference). */
export function expectMatchesResult(got: CaseResult, want: CaseResult, label: string, tol: Tolerance): void {
  expectClose(values(got.loss), values(want.loss), `${label}: loss`, tol);
  expectClose(got.grad!, want.grad!, `${label}: grad`, tol);
  expectClose(got.weightSum, want.weightSum, `${label}: weightSum`, tol);
  if (want.zLoss !== undefined && got.zLoss !== undefined) expectClose(values(got.zLoss), values(want.zLoss), `${label}: zLoss`, tol);
}
