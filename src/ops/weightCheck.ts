/**
 * Host side of shaders/weight_check.wgsl: weights given as GpuTensors (never seen by the host check) are checked on
 * the GPU. Their count of NaN, infinite or negative values is added to a result's weightSum[1] (the count of invalid
 * targets and weights, which the host-returning forms turn into an XentropyArgumentError), and with `writeSum` their
 * sum is stored at weightSum[2] (label smoothing's sum_c w_c, see cross_entropy.wgsl's WEIGHTS_ON_GPU).
 */
import type { Batch, GpuContext } from '../gpu/context.js';
import type { GpuTensor } from '../gpu/tensor.js';

export function encodeWeightCheck(
  ctx: GpuContext,
  batch: Batch,
  weights: GpuTensor,
  weightSum: GpuTensor,
  writeSum: boolean,
): void {
  const w = ctx.bind(weights, 0, weights.length);
  const stats = ctx.bind(weightSum, 1, writeSum ? 2 : 1);
  const params = [weights.length, w.shift, stats.shift];
  batch.dispatch('weight_check', { WRITE_SUM: writeSum }, params, [w.binding, stats.binding], 1);
}
