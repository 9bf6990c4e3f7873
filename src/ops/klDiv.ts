/**
 * Host side of shaders/kl_div.wgsl (CPU reference: src/reference/klDiv.ts): element losses and gradient in one
 * dispatch per binding-sized chunk, then the reduction ('batchmean' divides by the first dimension).
 */
import type { Batch, GpuContext } from '../gpu/context.js';
import type { GpuTensor } from '../gpu/tensor.js';
import type { KlReduction } from '../reference/klDiv.js';
import { f32Bits } from './bits.js';
import { forEachElementChunk, lossArray, reduceLoss } from './elementwise.js';

export function encodeKlDiv(
  ctx: GpuContext,
  batch: Batch,
  input: GpuTensor,
  target: GpuTensor,
  o: { n: number; batch: number; reduction: KlReduction; grad: boolean; logTarget: boolean },
): { loss: GpuTensor; grad?: GpuTensor; weightSum: GpuTensor } {
  const { n } = o;
  const items = lossArray(ctx, batch, n, o.reduction === 'none', 'kl-div-loss');
  const grad = o.grad ? ctx.allocate(n, 'f32', 'kl-div-grad') : undefined;
  const gradSink = grad ?? ctx.unused('grad');
  // PyTorch's: 'batchmean' divides by the first dimension, 'mean' by every element (written here, not taken from the
  // reference, which stays an independent oracle and is loaded only on the CPU backend).
  const denominator = o.reduction === 'batchmean' ? o.batch : o.reduction === 'mean' ? n : 1;
  forEachElementChunk(ctx, n, (first, count) => {
    const x = ctx.bind(input, first, count);
    const y = ctx.bind(target, first, count);
    const g = grad ? ctx.bind(grad, first, count) : ctx.bind(gradSink, 0, 1);
    const l = ctx.bind(items, first, count);
    batch.dispatch(
      'kl_div',
      { WANT_GRAD: o.grad, LOG_TARGET: o.logTarget },
      [count, x.shift, y.shift, g.shift, l.shift, f32Bits(1 / denominator)],
      [x.binding, y.binding, g.binding, l.binding],
      Math.ceil(count / ctx.workgroupSize),
    );
  });
  const reduction = o.reduction === 'batchmean' ? 'mean' : o.reduction;
  const reduced = reduceLoss(ctx, batch, items, n, reduction, denominator, 'kl-div-loss');
  return grad ? { ...reduced, grad } : reduced;
}
