/**
 * Host side of shaders/entropy.wgsl (CPU reference: src/reference/entropy.ts): row entropies and the gradient in one
 * pass over each row, then the reduction over rows.
 */
import type { Batch, GpuContext } from '../gpu/context.js';
import type { GpuTensor } from '../gpu/tensor.js';
import type { Reduction } from '../types.js';
import { f32Bits } from './bits.js';
import { lossArray, reduceLoss } from './elementwise.js';
import { lossRowShape } from './crossEntropy.js';
import { forEachRowChunk } from './rows.js';

export function encodeEntropy(ctx: GpuContext, batch: Batch, probs: GpuTensor, o: { rows: number; cols: number; reduction: Reduction; grad: boolean }): { loss: GpuTensor; grad?: GpuTensor; weightSum: GpuTensor } {
  const { rows, cols } = o;
  const items = lossArray(ctx, batch, rows, o.reduction === 'none', 'entropy');
  const grad = o.grad ? ctx.allocate(rows * cols, 'f32', 'entropy-grad') : undefined;
  const gradSink = grad ?? ctx.unused('grad');
  const { WG: wg, TPR: tpr } = lossRowShape(ctx, rows, cols);
  const gradScale = o.reduction === 'mean' ? 1 / rows : 1;
  forEachRowChunk('entropy', ctx, rows, cols, (first, count) => {
    const p = ctx.bind(probs, first * cols, count * cols);
    const g = grad ? ctx.bind(grad, first * cols, count * cols) : ctx.bind(gradSink, 0, 1);
    const h = ctx.bind(items, first, count);
    batch.dispatch('entropy', { WG: wg, TPR: tpr, WANT_GRAD: o.grad }, [count, cols, p.shift, g.shift, h.shift, f32Bits(gradScale)], [p.binding, g.binding, h.binding], Math.ceil(count / (wg / tpr)));
  });
  const reduced = reduceLoss(ctx, batch, items, rows, o.reduction, rows, 'entropy');
  return grad ? { ...reduced, grad } : reduced;
}
