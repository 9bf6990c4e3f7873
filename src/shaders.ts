/**
 * The WGSL sources, one kernel per file in ../shaders/, bundled as strings by Vite (`?raw`) so the built package
 * carries them. Kernel names here match the file names.
 */
import binaryCrossEntropy from '../shaders/binary_cross_entropy.wgsl?raw';
import crossEntropy from '../shaders/cross_entropy.wgsl?raw';
import elementIoF16 from '../shaders/element_io_f16.wgsl?raw';
import elementIoF16InPlace from '../shaders/element_io_f16_in_place.wgsl?raw';
import elementIoF16Packed from '../shaders/element_io_f16_packed.wgsl?raw';
import elementIoF16PackedInPlace from '../shaders/element_io_f16_packed_in_place.wgsl?raw';
import elementIoF32 from '../shaders/element_io_f32.wgsl?raw';
import elementIoF32InPlace from '../shaders/element_io_f32_in_place.wgsl?raw';
import entropy from '../shaders/entropy.wgsl?raw';
import f16Bits from '../shaders/f16_bits.wgsl?raw';
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
 * How a row kernel's input and output elements are stored (an element-I/O snippet from shaders/element_io_*.wgsl):
 * - 'f32': f32 input and output in separate buffers (the default);
 * - 'f16': f16 (array<f16>, needs the device feature shader-f16), 'f16-packed': f16 pairs in u32 words (any device);
 * - '-in-place': the output is written over the input (one read_write binding).
 * The kernel's math is f32 in every variant.
 */
export type ElementIo = 'f32' | 'f32-in-place' | 'f16' | 'f16-in-place' | 'f16-packed' | 'f16-packed-in-place';

const ELEMENT_IO: Record<ElementIo, string> = {
  f32: elementIoF32,
  'f32-in-place': elementIoF32InPlace,
  f16: elementIoF16,
  'f16-in-place': elementIoF16InPlace,
  'f16-packed': elementIoF16Packed,
  'f16-packed-in-place': elementIoF16PackedInPlace,
};

/**
 * Row-wise kernels: the host prepends row_stats.wgsl (running max / sum of exponentials), a reduction snippet defining
 * reduce_unit(): row_reduce_subgroup.wgsl (subgroup shuffles) or row_reduce_workgroup.wgsl, and an element-I/O snippet
 * (load_x, store_out) with the kernel's binding numbers of its input and output arrays.
 */
const ROW_KERNELS: Partial<Record<KernelName, { x: number; out: number }>> = {
  log_softmax: { x: 1, out: 2 },
  cross_entropy: { x: 1, out: 5 },
};

/** True for the kernels that take an element-I/O variant. */
export function hasElementIo(kernel: KernelName): boolean {
  return ROW_KERNELS[kernel] !== undefined;
}

/** The full WGSL of a kernel, with the snippets it needs (the subgroup reduction when `subgroups`; the element I/O). */
export function kernelSource(kernel: KernelName, subgroups: boolean, io: ElementIo = 'f32'): string {
  const bindings = ROW_KERNELS[kernel];
  if (!bindings) return shaderSources[kernel];
  const elementIo = ELEMENT_IO[io].replaceAll('{{X}}', String(bindings.x)).replaceAll('{{OUT}}', String(bindings.out));
  const parts = [subgroups ? rowReduceSubgroup : rowReduceWorkgroup, rowStats, ...(io.startsWith('f16') ? [f16Bits] : []), elementIo, shaderSources[kernel]];
  // Directives (`enable subgroups;`, `enable f16;`, `diagnostic(...)`) must open the module: move them to the top.
  const directive = /^\s*(enable|requires|diagnostic)\b[^;]*;\s*$/;
  const lines = parts.join('\n').split('\n');
  return [...lines.filter((line) => directive.test(line)), ...lines.filter((line) => !directive.test(line))].join('\n');
}
