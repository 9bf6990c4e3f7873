/**
 * Host side of shaders/binary_cross_entropy.wgsl (CPU reference: src/reference/binaryCrossEntropy.ts): element losses
 * and gradient in one dispatch per binding-sized chunk, then the reduction (src/ops/elementwise.ts).
 */
import type { Batch, GpuContext } from '../gpu/context.js';
import type { GpuTensor } from '../gpu/tensor.js';
import type { Reduction } from '../types.js';
import { f32Bits } from './bits.js';
import { forEachElementChunk, lossArray, reduceLoss } from './elementwise.js';
import { encodeWeightCheck } from './weightCheck.js';

export interface BinaryCrossEntropyEncodeOptions {
  n: number;
  cols: number;
  reduction: Reduction;
  grad: boolean;
  logits: boolean;
  weight: GpuTensor | undefined;
  posWeight: GpuTensor | undefined;
  /** Weights given as GpuTensors (never checked on the host): checked on the GPU, counted in weightSum[1]. */
  weightsOnGpu?: { weight: boolean; posWeight: boolean };
}

export function encodeBinaryCrossEntropy(ctx: GpuContext, batch: Batch, input: GpuTensor, target: GpuTensor, o: BinaryCrossEntropyEncodeOptions): { loss: GpuTensor; grad?: GpuTensor; weightSum: GpuTensor } {
  const { n } = o;
  const items = lossArray(ctx, batch, n, o.reduction === 'none', 'binary-cross-entropy-loss');
  const grad = o.grad ? ctx.allocate(n, 'f32', 'binary-cross-entropy-grad') : undefined;
  // Unused bindings still need a buffer; the read-only ones may share one, the written one may not (WebGPU forbids a
  // buffer bound both writable and read-only in one dispatch).
  const unusedInput = o.weight && o.posWeight ? undefined : ctx.unused('read');
  const gradSink = grad ?? ctx.unused('grad');
  const weight = o.weight ? ctx.bind(o.weight, 0, o.weight.length).binding : ctx.bind(unusedInput!, 0, 1).binding;
  const posWeight = o.posWeight ? ctx.bind(o.posWeight, 0, o.posWeight.length).binding : ctx.bind(unusedInput!, 0, 1).binding;
  const gradScale = o.reduction === 'mean' ? 1 / n : 1;
  const constants = { WANT_GRAD: o.grad, LOGITS: o.logits, WEIGHTED: o.weight !== undefined, POS_WEIGHTED: o.posWeight !== undefined };
  forEachElementChunk(ctx, n, (first, count) => {
    const x = ctx.bind(input, first, count);
    const y = ctx.bind(target, first, count);
    const g = grad ? ctx.bind(grad, first, count) : ctx.bind(gradSink, 0, 1);
    const l = ctx.bind(items, first, count);
    batch.dispatch(
      'binary_cross_entropy',
      constants,
      [count, first, o.cols, o.weight?.length ?? 1, x.shift, y.shift, g.shift, l.shift, f32Bits(gradScale)],
      [x.binding, y.binding, weight, posWeight, g.binding, l.binding],
      Math.ceil(count / ctx.workgroupSize),
    );
  });
  const reduced = reduceLoss(ctx, batch, items, n, o.reduction, n, 'binary-cross-entropy-loss');
  if (o.weight && o.weightsOnGpu?.weight) encodeWeightCheck(ctx, batch, o.weight, reduced.weightSum, false);
  if (o.posWeight && o.weightsOnGpu?.posWeight) encodeWeightCheck(ctx, batch, o.posWeight, reduced.weightSum, false);
  return grad ? { ...reduced, grad } : reduced;
}
