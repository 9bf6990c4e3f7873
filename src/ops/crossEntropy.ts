/**
 * Host side of shaders/cross_entropy.wgsl and shaders/target_weight_sum.wgsl (CPU reference:
 * src/reference/crossEntropy.ts). One batch: the mean's denominator from the targets, the fused loss+gradient kernel
 * over the input, and the sums of the row losses and z-losses (divided on the GPU for 'mean').
 * Serves F.cross_entropy (logits or probabilities, class-index or soft targets) and F.nll_loss (log-probabilities).
 */
import type { Batch, GpuContext } from '../gpu/context.js';
import type { GpuTensor } from '../gpu/tensor.js';
import type { CrossEntropyInputs } from '../reference/crossEntropy.js';
import type { Reduction } from '../types.js';
import { f32Bits } from './bits.js';
import { planRows, type RowPlan } from './rows.js';
import { encodeSum, sumPlan } from './sum.js';
import { encodeWeightCheck } from './weightCheck.js';

const REDUCTION_CODE: Record<Reduction, number> = { none: 0, mean: 1, sum: 2 };
const INPUT_CODE: Record<CrossEntropyInputs, number> = { logits: 0, probabilities: 1, logProbs: 2 };

/** With this many rows between two classes of a row or more, one thread per row reads neighbouring addresses. */
const STRIDED_ONE_THREAD_PER_ROW = 8;

/** Strided class layouts (classDim not last) up to this many classes take one thread per row. */
const STRIDED_MAX_CLASSES_PER_THREAD = 256;

/**
 * Workgroup size and threads per row of the row-wise loss kernels (cross_entropy.wgsl, entropy.wgsl): the device's
 * row plan (planRows: one thread per row on CPU adapters, about 32 columns per thread on GPUs, at most
 * MAX_COLUMNS_PER_THREAD per thread), without splitting rows into segments (one workgroup finishes a row). Strided
 * layouts with few classes take one thread per row, so neighbouring threads read neighbouring addresses.
 */
export function lossRowShape(ctx: GpuContext, rows: number, cols: number, strided = false): RowPlan['constants'] {
  const plan = planRows(ctx, rows, cols, { split: false }).constants;
  if (strided && cols <= STRIDED_MAX_CLASSES_PER_THREAD) return { WG: plan.WG, TPR: 1 };
  return plan;
}

export interface CrossEntropyEncodeOptions {
  rows: number;
  cols: number;
  /** Product of the dimensions after the class dimension (1 when the classes are last). */
  inner: number;
  reduction: Reduction;
  ignoreIndex: number;
  grad: boolean;
  softTarget: boolean;
  inputs: CrossEntropyInputs;
  /** Class weights on the GPU, and their sum (computed on the host from the validated host copy). */
  weight: GpuTensor | undefined;
  allWeights: number;
  /** The weights were given as a GpuTensor: checked and summed on the GPU (weight_check.wgsl), not by the host. */
  weightsOnGpu?: boolean;
  labelSmoothing: number;
  zLoss: number;
  softcap: number | undefined;
  /** Write the gradient over the input (the returned `grad` is the input tensor). */
  inPlace?: boolean;
}

export interface CrossEntropyEncoded {
  loss: GpuTensor;
  grad?: GpuTensor;
  /** 2 elements: the mean's denominator and the number of out-of-range targets (0 unless never checked on the host). */
  weightSum: GpuTensor;
  /** The z-loss part (reduced like the loss), when zLoss is not 0. */
  zLoss?: GpuTensor;
}

/** Blocks of 4 classes each lane keeps in registers in cross_entropy.wgsl's CACHED path (its CACHE_BLOCKS). */
const CACHE_BLOCKS = 8;

/**
 * Most rows one thread of target_weight_sum.wgsl adds when they carry class weights (an f32 chain; counts are exact
 * u32). Unweighted, a thread takes as many as sum.wgsl's plan (sumPlan): on CPU adapters up to 2048, so up to 131072
 * rows need one dispatch and no sum pass.
 */
const WEIGHTED_ROWS_PER_THREAD = 256;

/**
 * The mean's denominator and the out-of-range count ([weight_sum, out_of_range] in a new 2-element tensor): one
 * target_weight_sum dispatch writes per-workgroup partials, straight into the result when one workgroup covers every
 * row, else into scratch that a second, one-workgroup dispatch of the same kernel (COMBINE) adds up (deterministic
 * either way).
 */
export interface TargetWeightSumOptions {
  rows: number;
  cols: number;
  ignoreIndex: number;
  /** `weight` holds per-class weights (else a placeholder is bound). */
  weighted: boolean;
  /** Probability targets: every row counts with weight 1 (PyTorch divides soft-target means by the row count). */
  softTarget: boolean;
  /**
   * The weights are a GpuTensor the host never checked: a third element receives their sum, and their invalid values
   * are added to the out-of-range count (weight_check.wgsl).
   */
  weightsOnGpu?: boolean;
}

export function encodeTargetWeightSum(ctx: GpuContext, batch: Batch, target: GpuTensor, weight: GpuTensor, o: TargetWeightSumOptions): GpuTensor {
  const { rows, cols } = o;
  const checkWeights = o.weighted && o.weightsOnGpu === true;
  const weightSum = ctx.allocate(checkWeights ? 3 : 2, 'f32', 'cross-entropy-weight-sum');
  const plan = sumPlan(ctx.tuning, ctx.workgroupSize, rows);
  const wg = plan.WG;
  const items = o.weighted ? Math.min(plan.ITEMS, WEIGHTED_ROWS_PER_THREAD) : plan.ITEMS;
  const groups = Math.max(1, Math.ceil(rows / (wg * items)));
  const partials = groups === 1 ? weightSum : batch.scratchTensor(2 * groups, 'f32', 'cross-entropy-weight-partials');
  const targets = o.softTarget ? ctx.bind(target, 0, 1) : ctx.bind(target, 0, rows);
  const out = ctx.bind(partials, 0, 2 * groups);
  const weights = ctx.bind(weight, 0, o.weighted ? cols : 1).binding;
  batch.dispatch(
    'target_weight_sum',
    { WG: wg, ITEMS: items, WEIGHTED: o.weighted, SOFT_TARGET: o.softTarget },
    [rows, cols, targets.shift, o.ignoreIndex, groups, out.shift],
    [targets.binding, weights, out.binding],
    groups,
  );
  if (groups > 1) {
    // The second pass (COMBINE): one workgroup reads the partials (bound as the labels) into the two results.
    const result = ctx.bind(weightSum, 0, 2);
    batch.dispatch(
      'target_weight_sum',
      { WG: wg, ITEMS: items, WEIGHTED: o.weighted, SOFT_TARGET: o.softTarget, COMBINE: true },
      [rows, cols, out.shift, o.ignoreIndex, groups, result.shift],
      [out.binding, weights, result.binding],
      1,
    );
  }
  if (checkWeights) encodeWeightCheck(ctx, batch, weight, weightSum, true);
  return weightSum;
}

export function encodeCrossEntropy(ctx: GpuContext, batch: Batch, input: GpuTensor, target: GpuTensor, o: CrossEntropyEncodeOptions): CrossEntropyEncoded {
  const { rows, cols, inner } = o;
  const withZ = o.zLoss !== 0;
  const weight = o.weight ?? ctx.unused('read');
  const weightBinding = ctx.bind(weight, 0, o.weight ? cols : 1).binding;

  const weightsOnGpu = o.weight !== undefined && o.weightsOnGpu === true;
  const weightSum = encodeTargetWeightSum(ctx, batch, target, weight, {
    rows, cols, ignoreIndex: o.ignoreIndex, weighted: o.weight !== undefined, softTarget: o.softTarget, weightsOnGpu,
  });
  const ws = ctx.bind(weightSum, 0, weightSum.length);

  const rowLoss = o.reduction === 'none' ? ctx.allocate(rows, 'f32', 'cross-entropy-loss') : batch.scratchTensor(rows, 'f32', 'cross-entropy-row-loss');
  const rowZ = withZ ? (o.reduction === 'none' ? ctx.allocate(rows, 'f32', 'cross-entropy-z-loss') : batch.scratchTensor(rows, 'f32', 'cross-entropy-row-z')) : ctx.unused('z');
  // The gradient has the input's dtype (f16 logits: an f16 gradient, computed in f32 and rounded once).
  const inPlace = o.grad && o.inPlace === true;
  const grad = inPlace ? input : o.grad ? ctx.allocate(rows * cols, input.dtype, 'cross-entropy-grad') : undefined;
  const gradSink = grad ?? ctx.unused('grad');
  // Few long rows are split into segments (two dispatches, see PHASE in the shader) when only the hard-label fast path
  // runs: contiguous logits, no soft targets, no smoothing.
  const canSplit = inner === 1 && o.inputs === 'logits' && !o.softTarget && !(o.labelSmoothing > 0);
  const shape = canSplit ? planRows(ctx, rows, cols).constants : lossRowShape(ctx, rows, cols, inner >= STRIDED_ONE_THREAD_PER_ROW);
  const { WG: wg, TPR: tpr } = shape;
  // Short rows walked in unrolled blocks (row_stats.wgsl FIXED_COLS): the hard-label path without a soft cap.
  const fixedCols = canSplit && o.softcap === undefined ? shape.FIXED_COLS : undefined;
  const constants = {
    WG: wg,
    TPR: tpr,
    ...(fixedCols !== undefined ? { FIXED_COLS: fixedCols } : {}),
    WANT_GRAD: o.grad,
    INPUTS: INPUT_CODE[o.inputs],
    SOFT_TARGET: o.softTarget,
    WEIGHTED: o.weight !== undefined,
    WEIGHTS_ON_GPU: weightsOnGpu,
    SOFTCAP: o.softcap !== undefined,
    Z_LOSS: withZ,
    CONTIGUOUS: inner === 1,
    DENSE: o.softTarget || o.labelSmoothing > 0,
  };
  // Chunks of whole outer blocks [cols, inner] (one row each when classes are last), each fitting one binding.
  const block = cols * inner;
  const maxBlocks = Math.floor(ctx.maxBindingElements / block);
  if (maxBlocks < 1) {
    throw new Error(`crossEntropy: one block of ${cols} x ${inner} values (${block * 4} bytes) exceeds this device's maxStorageBufferBindingSize (${ctx.limits.maxStorageBufferBindingSize} bytes)`);
  }
  const blocks = rows / inner;
  for (let firstBlock = 0; firstBlock < blocks; firstBlock += maxBlocks) {
    const count = Math.min(maxBlocks, blocks - firstBlock);
    const first = firstBlock * inner;
    const chunkRows = count * inner;
    const x = ctx.bind(input, firstBlock * block, count * block);
    // In place the gradient goes through the input's binding (the variant declares no binding 5).
    const g = inPlace ? x : grad ? ctx.bind(grad, firstBlock * block, count * block) : ctx.bind(gradSink, 0, 4);
    // Stores only through lane-owned blocks: one thread per row, the hard-label paths (CACHED and the 4-wide loop;
    // their rows' fills too), or no gradient; the dense per-class loop stores element by element across lanes.
    const blockStores = tpr === 1 || !o.grad || (!constants.DENSE && o.inputs === 'logits');
    const io = ctx.elementIo(input.dtype, inPlace, inner === 1 ? cols : 0, [x, g], blockStores);
    const t = o.softTarget ? ctx.bind(target, firstBlock * block, count * block) : ctx.bind(target, first, chunkRows);
    const loss = ctx.bind(rowLoss, first, chunkRows);
    const z = withZ ? ctx.bind(rowZ, first, chunkRows) : ctx.bind(rowZ, 0, 1);
    // row_loss and row_z share an offset: give row_z the same shift by binding it at the same element position.
    if (withZ && z.shift !== loss.shift) throw new Error('crossEntropy: internal error: row_z and row_loss alignment differ');
    const plan = canSplit ? planRows(ctx, chunkRows, cols) : { segments: 1, segmentLength: Math.ceil(cols / 4) * 4 };
    const units = chunkRows * plan.segments;
    // Split rows: (max, sum) per unit, then the target's logit per row (read in PHASE 1, before PHASE 2 writes).
    const partials = plan.segments > 1 ? batch.scratchTensor(2 * (units + chunkRows), 'f32', 'cross-entropy-partials') : ctx.unused('partials');
    const params = [
      chunkRows, cols, inner, x.shift, t.shift, g.shift, loss.shift, o.ignoreIndex, REDUCTION_CODE[o.reduction],
      f32Bits(o.labelSmoothing), f32Bits(o.zLoss), f32Bits(o.softcap ?? 1), f32Bits(o.allWeights), plan.segments, plan.segmentLength,
    ];
    const bindings = [x.binding, t.binding, weightBinding, ws.binding, inPlace ? null : g.binding, loss.binding, z.binding, ctx.bind(partials, 0, partials.length).binding];
    // The row kept in registers (see CACHED in the shader): GPUs only, whole rows that fit the lanes' blocks.
    const cached = ctx.tuning === 'gpu' && canSplit && o.grad && o.softcap === undefined && plan.segments === 1 && cols <= tpr * 4 * CACHE_BLOCKS;
    for (const phase of plan.segments > 1 ? [1, 2] : [0]) {
      batch.dispatch('cross_entropy', { ...constants, PHASE: phase, CACHED: cached }, params, bindings, Math.ceil(units / (wg / tpr)), true, io);
    }
  }

  const result: CrossEntropyEncoded = { loss: rowLoss, weightSum };
  if (grad) result.grad = grad;
  if (withZ) result.zLoss = rowZ;
  if (o.reduction !== 'none') {
    const divideBy = o.reduction === 'mean' ? weightSum : undefined;
    result.loss = ctx.allocate(1, 'f32', 'cross-entropy-loss');
    encodeSum(ctx, batch, rowLoss, rows, result.loss, divideBy);
    if (withZ) {
      result.zLoss = ctx.allocate(1, 'f32', 'cross-entropy-z-loss');
      encodeSum(ctx, batch, rowZ, rows, result.zLoss, divideBy);
    }
  }
  return result;
}
