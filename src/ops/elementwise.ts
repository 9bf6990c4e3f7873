/**
 * Shared host logic of the element-wise losses (binary_cross_entropy.wgsl, kl_div.wgsl) and the row-wise entropy:
 * the per-element (or per-row) loss array and its reduction by sum.wgsl, with the mean's denominator in a tensor.
 */
import type { Batch, GpuContext } from '../gpu/context.js';
import type { GpuTensor } from '../gpu/tensor.js';
import { encodeSum } from './sum.js';

export interface ReducedLoss {
  loss: GpuTensor;
  /** 2 elements: the mean's denominator, and 0 (the slot cross-entropy uses for out-of-range targets). */
  weightSum: GpuTensor;
}

/**
 * The per-item loss array: engine-owned for 'none' (it is the result), batch scratch otherwise. The denominator is
 * known on the host from the shape alone, so it is written with the batch (a queue write, no round trip).
 */
export function lossArray(ctx: GpuContext, batch: Batch, count: number, none: boolean, label: string): GpuTensor {
  return none ? ctx.allocate(count, 'f32', label) : batch.scratchTensor(count, 'f32', `${label}-items`);
}

/** Reduce `items` (count values) to the op's result: itself for 'none', else its sum, divided by `denominator` for a mean. */
export function reduceLoss(ctx: GpuContext, batch: Batch, items: GpuTensor, count: number, reduction: 'none' | 'sum' | 'mean', denominator: number, label: string): ReducedLoss {
  const weightSum = ctx.upload(Float32Array.of(denominator, 0), `${label}-weight-sum`);
  if (reduction === 'none') return { loss: items, weightSum };
  const loss = ctx.allocate(1, 'f32', label);
  encodeSum(ctx, batch, items, count, loss, reduction === 'mean' ? weightSum : undefined);
  return { loss, weightSum };
}

/** Visit element ranges that each fit one storage binding and one dispatch grid. */
export function forEachElementChunk(ctx: GpuContext, n: number, visit: (first: number, count: number) => void): void {
  const chunk = Math.floor(ctx.maxBindingElements / ctx.workgroupSize) * ctx.workgroupSize;
  for (let first = 0; first < n; first += chunk) visit(first, Math.min(chunk, n - first));
}
