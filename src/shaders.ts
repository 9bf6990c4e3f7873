/**
 * The WGSL sources, one kernel per file in ../shaders/, bundled as strings by Vite (`?raw`) so the built package
 * carries them. Kernel names here match the file names.
 */
import binaryCrossEntropy from '../shaders/binary_cross_entropy.wgsl?raw';
import crossEntropy from '../shaders/cross_entropy.wgsl?raw';
import entropy from '../shaders/entropy.wgsl?raw';
import linearCrossEntropyBias from '../shaders/linear_cross_entropy_bias.wgsl?raw';
import linearCrossEntropyMatmul from '../shaders/linear_cross_entropy_matmul.wgsl?raw';
import linearCrossEntropyMatmul128 from '../shaders/linear_cross_entropy_matmul128.wgsl?raw';
import klDiv from '../shaders/kl_div.wgsl?raw';
import logSoftmax from '../shaders/log_softmax.wgsl?raw';
import rowReduceSubgroup from '../shaders/row_reduce_subgroup.wgsl?raw';
import rowReduceWorkgroup from '../shaders/row_reduce_workgroup.wgsl?raw';
import rowStats from '../shaders/row_stats.wgsl?raw';
import subgroupProbe from '../shaders/subgroup_probe.wgsl?raw';
import sum from '../shaders/sum.wgsl?raw';
import targetWeightSum from '../shaders/target_weight_sum.wgsl?raw';

export const shaderSources = {
  binary_cross_entropy: binaryCrossEntropy,
  cross_entropy: crossEntropy,
  entropy,
  kl_div: klDiv,
  linear_cross_entropy_bias: linearCrossEntropyBias,
  linear_cross_entropy_matmul: linearCrossEntropyMatmul,
  linear_cross_entropy_matmul128: linearCrossEntropyMatmul128,
  log_softmax: logSoftmax,
  subgroup_probe: subgroupProbe,
  sum,
  target_weight_sum: targetWeightSum,
} as const;

export type KernelName = keyof typeof shaderSources;

/**
 * Row-wise kernels: the host prepends row_stats.wgsl (running max / sum of exponentials) and a reduction snippet
 * defining reduce_unit(): row_reduce_subgroup.wgsl (subgroup shuffles) or row_reduce_workgroup.wgsl.
 */
const ROW_KERNELS: ReadonlySet<KernelName> = new Set<KernelName>(['log_softmax', 'cross_entropy']);

/** The full WGSL of a kernel, with the snippets it needs (the subgroup reduction when `subgroups`). */
export function kernelSource(kernel: KernelName, subgroups: boolean): string {
  if (!ROW_KERNELS.has(kernel)) return shaderSources[kernel];
  // Directives (`enable subgroups;`) must open the module, so the reduction snippet goes first.
  return [subgroups ? rowReduceSubgroup : rowReduceWorkgroup, rowStats, shaderSources[kernel]].join('\n');
}
