/**
 * Host side of shaders/sum.wgsl (CPU reference: src/reference/sum.ts): a deterministic multi-pass tree sum.
 * Pass 1 reduces blocks of WG * ITEMS values to one partial each; further passes reduce the partials until one is
 * left. Block boundaries depend only on n, so results are bitwise reproducible.
 */
import type { Batch, GpuContext, Tuning } from '../gpu/context.js';
import type { GpuTensor } from '../gpu/tensor.js';

/** Launch constants of the sum: workgroup size and values per thread per pass (see shaders/sum.wgsl). */
export interface SumPlan {
  WG: number;
  ITEMS: number;
}

/** On CPU adapters, sums of up to CPU_ONE_PASS_ITEMS values per thread finish in one pass (see sumPlan). */
const CPU_ONE_PASS_ITEMS = 2048;

/**
 * CPU-emulated adapters pay for every workgroup barrier and every dispatch, so each thread adds more values (1024) in
 * a smaller workgroup (64), and a sum of at most 64 * 2048 values (`n`, when given) takes a single pass with the
 * next power of two of n / 64 values per thread (65537 row losses: one dispatch instead of two; a few pipeline
 * variants at most). GPUs keep 256 threads adding 64 values each (blocks of 16384, enough workgroups for every SM).
 * The error bound of sumErrorBound holds for the plan of the same n; the plan without n gives a bound at least as
 * large for any n.
 */
export function sumPlan(tuning: Tuning, workgroupSize: number, n?: number): SumPlan {
  if (tuning !== 'cpu') return { WG: workgroupSize, ITEMS: 64 };
  const WG = Math.min(64, workgroupSize);
  if (n !== undefined && n <= WG * CPU_ONE_PASS_ITEMS) {
    return { WG, ITEMS: Math.min(CPU_ONE_PASS_ITEMS, Math.max(4, 2 ** Math.ceil(Math.log2(Math.max(1, n / WG))))) };
  }
  return { WG, ITEMS: 1024 };
}

function passCount(n: number, block: number): number {
  let passes = 1;
  for (let remaining = Math.ceil(n / block); remaining > 1; remaining = Math.ceil(remaining / block)) passes++;
  return passes;
}

/**
 * A bound on |gpu sum - exact sum| for n f32 values whose absolute values add up to `sumAbs`: every value passes
 * through at most ITEMS/4 - 1 + 2 + log2(WG) roundings per pass, each of relative size at most u = 2^-24 (Higham,
 * "Accuracy and Stability of Numerical Algorithms", 2nd ed., section 4.2: |error| <= gamma_k * sum|x|,
 * gamma_k = k u / (1 - k u)).
 */
export function sumErrorBound(n: number, sumAbs: number, plan: SumPlan): number {
  const k = passCount(n, plan.WG * plan.ITEMS) * (plan.ITEMS / 4 + 1 + Math.log2(plan.WG));
  const u = 2 ** -24;
  return ((k * u) / (1 - k * u)) * sumAbs;
}

/**
 * Record the sum of `n` values of `input` into element 0 of `output`; with `divideBy`, the mean: each value is divided
 * by its element 0 on the first pass (NaN when that is 0), as cross-entropy's mean does without a host round trip.
 */
export function encodeSum(ctx: GpuContext, batch: Batch, input: GpuTensor, n: number, output: GpuTensor, divideBy?: GpuTensor): void {
  if (n === 0) {
    batch.clear(output, 1);
    return;
  }
  const plan = sumPlan(ctx.tuning, ctx.workgroupSize, n);
  const block = plan.WG * plan.ITEMS;
  const denominator = divideBy ?? ctx.unused('read');
  const denominatorBinding = ctx.bind(denominator, 0, 1).binding;
  let source = input;
  let count = n;
  let first = true;
  do {
    const groups = Math.ceil(count / block);
    const last = groups === 1;
    const target = last ? output : batch.scratchTensor(groups, 'f32', 'sum-partials');
    // Each dispatch covers a whole number of blocks and fits one binding.
    const chunk = Math.max(block, Math.floor(ctx.maxBindingElements / block) * block);
    for (let start = 0; start < count; start += chunk) {
      const size = Math.min(chunk, count - start);
      const x = ctx.bind(source, start, size);
      const out = ctx.bind(target, start / block, Math.ceil(size / block));
      const constants = { ...plan, DIVIDE: first && divideBy !== undefined };
      const bindings = [x.binding, out.binding, denominatorBinding];
      batch.dispatch('sum', constants, [size, x.shift, out.shift, 0], bindings, Math.ceil(size / block));
    }
    first = false;
    source = target;
    count = groups;
  } while (count > 1 || source !== output);
}
