/**
 * Host side of shaders/cross_entropy.wgsl and shaders/target_weight_sum.wgsl (CPU reference:
 * src/reference/crossEntropy.ts). One batch: the mean's denominator from the targets, the fused loss+gradient pass
 * over the logits, and the sum of the row losses (divided on the GPU for 'mean').
 */
import type { Batch, GpuContext } from '../gpu/context.js';
import type { GpuTensor } from '../gpu/tensor.js';
import type { CrossEntropyGpuResult, Reduction } from '../types.js';
import { forEachRowChunk, threadsPerRow } from './rows.js';
import { encodeSum } from './sum.js';

const REDUCTION_CODE: Record<Reduction, number> = { none: 0, mean: 1, sum: 2 };

export interface CrossEntropyEncodeOptions {
  rows: number;
  cols: number;
  reduction: Reduction;
  ignoreIndex: number;
  grad: boolean;
}

/**
 * Record cross-entropy. The returned tensors are engine-owned; `weightSum` holds 2 elements: the denominator and the
 * number of targets that were out of range (0 unless GPU-resident targets were never checked).
 */
export function encodeCrossEntropy(ctx: GpuContext, batch: Batch, logits: GpuTensor, target: GpuTensor, o: CrossEntropyEncodeOptions): Required<Omit<CrossEntropyGpuResult, 'grad'>> & { grad?: GpuTensor } {
  const { rows, cols } = o;
  const weightSum = ctx.allocate(2, 'f32', 'cross-entropy-weight-sum');
  const targets = ctx.bind(target, 0, rows);
  const ws = ctx.bind(weightSum, 0, 2);
  batch.dispatch('target_weight_sum', {}, [rows, cols, targets.shift, o.ignoreIndex], [targets.binding, ws.binding], 1);

  const rowLoss = o.reduction === 'none' ? ctx.allocate(rows, 'f32', 'cross-entropy-loss') : batch.scratchTensor(rows, 'f32', 'cross-entropy-row-loss');
  const grad = o.grad ? ctx.allocate(rows * cols, 'f32', 'cross-entropy-grad') : undefined;
  const gradSink = grad ?? batch.scratchTensor(1, 'f32', 'cross-entropy-no-grad');
  const tpr = threadsPerRow(cols, ctx.workgroupSize);
  const rowsPerGroup = ctx.workgroupSize / tpr;
  forEachRowChunk('crossEntropy', ctx, rows, cols, (first, count) => {
    const x = ctx.bind(logits, first * cols, count * cols);
    const g = grad ? ctx.bind(grad, first * cols, count * cols) : ctx.bind(gradSink, 0, 1);
    const t = ctx.bind(target, first, count);
    const loss = ctx.bind(rowLoss, first, count);
    batch.dispatch(
      'cross_entropy',
      { TPR: tpr, WANT_GRAD: o.grad },
      [count, cols, x.shift, g.shift, t.shift, loss.shift, o.ignoreIndex, REDUCTION_CODE[o.reduction]],
      [x.binding, t.binding, ws.binding, g.binding, loss.binding],
      Math.ceil(count / rowsPerGroup),
    );
  });

  let loss = rowLoss;
  if (o.reduction !== 'none') {
    loss = ctx.allocate(1, 'f32', 'cross-entropy-loss');
    encodeSum(ctx, batch, rowLoss, rows, loss, o.reduction === 'mean' ? weightSum : undefined);
  }
  return grad ? { loss, grad, weightSum } : { loss, weightSum };
}
