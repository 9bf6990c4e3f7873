/**
 * Argument checks shared by every op. They run before any GPU work and throw errors that name the op, the argument
 * and the problem, so a bad call never produces a silently wrong number.
 */
import { XentropyArgumentError } from './errors.js';
import { GpuTensor } from './gpu/tensor.js';
import type { Reduction } from './types.js';

export { XentropyArgumentError };

export function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'Array';
  if (typeof value === 'object') return (value as object).constructor?.name ?? 'object';
  return typeof value;
}

/** Reject options the op does not know (a typo must not be silently ignored). */
export function checkOptions(op: string, options: unknown, allowed: readonly string[]): void {
  if (options === null || typeof options !== 'object') {
    throw new XentropyArgumentError(op, 'options', `must be an object with at least { shape } (got ${typeName(options)})`);
  }
  for (const name of Object.keys(options)) {
    if (!allowed.includes(name)) {
      throw new XentropyArgumentError(op, `option '${name}'`, `is not known; the options are: ${allowed.join(', ')}`);
    }
  }
}

/** A shape [...rows, cols] whose product is `length`: returns rows (product of the leading dims) and cols. */
export function checkShape(op: string, shape: unknown, length: number, argument = 'input'): { rows: number; cols: number } {
  if (!Array.isArray(shape) && !(shape instanceof Object && ArrayBuffer.isView(shape))) {
    throw new XentropyArgumentError(op, 'shape', `must be an array of dimensions (got ${typeName(shape)})`);
  }
  const dims = Array.from(shape as ArrayLike<unknown>);
  if (dims.length === 0) throw new XentropyArgumentError(op, 'shape', 'is empty: give at least the class dimension, e.g. [rows, classes]');
  dims.forEach((d, i) => {
    if (typeof d !== 'number' || !Number.isInteger(d) || d < 1) {
      throw new XentropyArgumentError(op, `shape[${i}]`, `must be a positive integer (got ${String(d)})`);
    }
  });
  const cols = dims[dims.length - 1] as number;
  const rows = (dims as number[]).slice(0, -1).reduce((a, b) => a * b, 1);
  if (rows * cols !== length) {
    throw new XentropyArgumentError(op, argument, `has ${length} elements but shape [${dims.join(', ')}] needs ${rows * cols}`);
  }
  return { rows, cols };
}

/**
 * True when the view's ArrayBuffer was detached (transferred to a worker, or by ArrayBuffer.transfer): it then
 * reads as empty, which would otherwise surface as a puzzling length error. Node 20 lacks `ArrayBuffer.detached`;
 * making a view of a detached buffer throws there.
 */
export function isDetached(view: ArrayBufferView): boolean {
  const buffer = view.buffer as ArrayBufferLike & { detached?: boolean };
  if (typeof buffer.detached === 'boolean') return buffer.detached;
  try {
    new Uint8Array(buffer, 0, 0);
    return false;
  } catch {
    return true;
  }
}

/** Refuse a typed array whose buffer was detached, naming the argument. */
export function checkNotDetached(op: string, argument: string, view: ArrayBufferView): void {
  if (isDetached(view)) throw new XentropyArgumentError(op, argument, `is a ${typeName(view)} whose ArrayBuffer was detached (transferred); pass data that is still readable`);
}

/**
 * Float data: a Float32Array, an array of numbers (rounded to f32 where it is used), or an f32 GpuTensor (or f16
 * where the op takes it: `f16`). Returns its length.
 */
export function checkFloatInput(op: string, argument: string, value: unknown, f16 = false): number {
  if (value instanceof Float32Array) {
    checkNotDetached(op, argument, value);
    return value.length;
  }
  if (Array.isArray(value)) {
    const i = value.findIndex((v) => typeof v !== 'number');
    if (i >= 0) {
      throw new XentropyArgumentError(op, `${argument}[${i}]`, `must be a number (got ${typeName(value[i])})`);
    }
    return value.length;
  }
  const tensors = f16 ? 'an f32 or f16 GpuTensor' : 'an f32 GpuTensor';
  if (value instanceof GpuTensor) {
    if (value.dtype !== 'f32' && !(f16 && value.dtype === 'f16')) {
      throw new XentropyArgumentError(op, argument, `must hold ${f16 ? 'f32 or f16' : 'f32'} values (got a ${value.dtype} GpuTensor)`);
    }
    if (value.isReleased) throw new XentropyArgumentError(op, argument, 'is a GpuTensor that was already released');
    return value.length;
  }
  const wanted = `a Float32Array, an array of numbers or ${tensors}`;
  throw new XentropyArgumentError(op, argument, `must be ${wanted} (got ${typeName(value)})`);
}

export function checkReduction(op: string, value: unknown): Reduction {
  if (value === undefined) return 'mean';
  if (value === 'mean' || value === 'sum' || value === 'none') return value;
  throw new XentropyArgumentError(op, 'reduction', `must be 'mean', 'sum' or 'none' (got ${JSON.stringify(value)})`);
}

export function checkInteger(op: string, argument: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || Math.abs(value) > 2 ** 31 - 1) {
    throw new XentropyArgumentError(op, argument, `must be a 32-bit integer (got ${String(value)})`);
  }
  return value;
}

export function checkBoolean(op: string, argument: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw new XentropyArgumentError(op, argument, `must be true or false (got ${String(value)})`);
  return value;
}

/**
 * Class-index targets: an Int32Array (or an array of integers) of one index per row, each in [0, cols) or equal to
 * ignoreIndex; or an i32 GpuTensor (its values are checked on the GPU: out-of-range rows become NaN and are reported).
 * `rowsOf` names what the rows belong to in the length error ('the logits have', or linearCrossEntropy's 'hidden has').
 */
export function checkClassTargets(op: string, target: unknown, rows: number, cols: number, ignoreIndex: number, rowsOf = 'the logits have'): Int32Array | GpuTensor {
  if (target instanceof GpuTensor) {
    if (target.dtype !== 'i32') throw new XentropyArgumentError(op, 'target', `must hold i32 class indices (got a ${target.dtype} GpuTensor)`);
    if (target.isReleased) throw new XentropyArgumentError(op, 'target', 'is a GpuTensor that was already released');
    if (target.length !== rows) throw new XentropyArgumentError(op, 'target', `has ${target.length} elements but ${rowsOf} ${rows} rows`);
    return target;
  }
  let indices: Int32Array;
  if (target instanceof Int32Array) {
    checkNotDetached(op, 'target', target);
    indices = target;
  }
  else if (Array.isArray(target)) {
    target.forEach((v, i) => {
      if (typeof v !== 'number' || !Number.isInteger(v)) {
        throw new XentropyArgumentError(op, `target[${i}]`, `must be an integer class index (got ${String(v)})`);
      }
    });
    indices = Int32Array.from(target as number[]);
  } else if (ArrayBuffer.isView(target)) {
    throw new XentropyArgumentError(op, 'target', `must be an Int32Array of class indices (got ${typeName(target)})`);
  } else {
    throw new XentropyArgumentError(op, 'target', `must be an Int32Array of class indices (got ${typeName(target)})`);
  }
  if (indices.length !== rows) throw new XentropyArgumentError(op, 'target', `has ${indices.length} elements but ${rowsOf} ${rows} rows`);
  for (let i = 0; i < indices.length; i++) {
    const t = indices[i]!;
    if (t !== ignoreIndex && (t < 0 || t >= cols)) {
      throw new XentropyArgumentError(op, `target[${i}]`, `is ${t}, outside [0, ${cols}) and not ignoreIndex (${ignoreIndex})`);
    }
  }
  return indices;
}

/**
 * The class dimension of `shape` (default: the last; negative counts from the end, as PyTorch's dims): returns the
 * rows (outer * inner: every position that has a class distribution), the classes, and the product of the dimensions
 * after the class dimension.
 */
export function checkClassDim(op: string, classDim: unknown, shape: readonly number[]): { outer: number; cols: number; inner: number; rows: number; classDim: number } {
  const ndim = shape.length;
  let dim = ndim - 1;
  if (classDim !== undefined) {
    if (typeof classDim !== 'number' || !Number.isInteger(classDim) || classDim < -ndim || classDim >= ndim) {
      throw new XentropyArgumentError(op, 'classDim', `must be an integer dimension of the shape [${shape.join(', ')}], in [${-ndim}, ${ndim - 1}] (got ${String(classDim)})`);
    }
    dim = classDim < 0 ? classDim + ndim : classDim;
  }
  const outer = shape.slice(0, dim).reduce((a, b) => a * b, 1);
  const inner = shape.slice(dim + 1).reduce((a, b) => a * b, 1);
  const cols = shape[dim]!;
  return { outer, cols, inner, rows: outer * inner, classDim: dim };
}

/** A finite number in [min, max] (bounds inclusive unless `exclusiveMin`). */
export function checkNumber(op: string, argument: string, value: unknown, fallback: number, min: number, max: number, exclusiveMin = false): number {
  if (value === undefined) return fallback;
  const ok = typeof value === 'number' && Number.isFinite(value) && (exclusiveMin ? value > min : value >= min) && value <= max;
  if (!ok) {
    const range = `${exclusiveMin ? '(' : '['}${min}, ${max === Infinity ? 'Infinity)' : `${max}]`}`;
    throw new XentropyArgumentError(op, argument, `must be a finite number in ${range} (got ${String(value)})`);
  }
  return value;
}

/**
 * Weights (class weights, BCE weights): a Float32Array or an array of numbers of one of the allowed lengths, every
 * value finite and >= 0, returned as a Float32Array; or an f32 GpuTensor of such a length, returned as it is (its
 * values are checked on the GPU: see shaders/weight_check.wgsl).
 */
export function checkWeights(
  op: string,
  argument: string,
  value: unknown,
  allowedLengths: readonly number[],
  lengthWords: string,
): Float32Array | GpuTensor {
  if (value instanceof GpuTensor) {
    if (value.dtype !== 'f32') {
      throw new XentropyArgumentError(op, argument, `must hold f32 values (got a ${value.dtype} GpuTensor)`);
    }
    if (value.isReleased) throw new XentropyArgumentError(op, argument, 'is a GpuTensor that was already released');
    if (!allowedLengths.includes(value.length)) {
      throw new XentropyArgumentError(op, argument, `has ${value.length} elements but must have ${lengthWords}`);
    }
    return value;
  }
  let weights: Float32Array;
  if (value instanceof Float32Array) {
    checkNotDetached(op, argument, value);
    weights = value;
  } else if (Array.isArray(value) && value.every((v) => typeof v === 'number')) weights = Float32Array.from(value as number[]);
  else {
    const wanted = 'a Float32Array, an array of numbers or an f32 GpuTensor';
    throw new XentropyArgumentError(op, argument, `must be ${wanted} (got ${typeName(value)})`);
  }
  if (!allowedLengths.includes(weights.length)) {
    throw new XentropyArgumentError(op, argument, `has ${weights.length} elements but must have ${lengthWords}`);
  }
  for (let i = 0; i < weights.length; i++) {
    const w = weights[i]!;
    if (!Number.isFinite(w) || w < 0) throw new XentropyArgumentError(op, `${argument}[${i}]`, `is ${w}: weights must be finite and >= 0`);
  }
  return weights;
}

/** Host probabilities must lie in [0, 1] (NaN is refused too, as PyTorch's binary_cross_entropy refuses it). */
export function checkProbabilities(op: string, argument: string, value: ArrayLike<number> | GpuTensor): void {
  if (value instanceof GpuTensor) return; // checked where it lives: the kernels give NaN outside [0, 1]
  for (let i = 0; i < value.length; i++) {
    const p = value[i]!;
    if (!(p >= 0 && p <= 1)) throw new XentropyArgumentError(op, `${argument}[${i}]`, `is ${p}: probabilities must be in [0, 1]`);
  }
}

/** A float tensor of exactly `length` elements (soft targets, BCE targets). */
export function checkFloatTensor(op: string, argument: string, value: unknown, length: number, what: string, f16 = false): Float32Array | GpuTensor {
  const n = checkFloatInput(op, argument, value, f16);
  if (n !== length) throw new XentropyArgumentError(op, argument, `has ${n} elements but ${what} ${length}`);
  return value as Float32Array | GpuTensor;
}

export function checkChoice<T extends string>(op: string, argument: string, value: unknown, choices: readonly T[], fallback: T): T {
  if (value === undefined) return fallback;
  if (typeof value === 'string' && (choices as readonly string[]).includes(value)) return value as T;
  throw new XentropyArgumentError(op, argument, `must be ${choices.map((c) => `'${c}'`).join(', ')} (got ${JSON.stringify(value)})`);
}
