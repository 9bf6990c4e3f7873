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
import elementIoF16PackedEven from '../shaders/element_io_f16_packed_even.wgsl?raw';
import elementIoF16PackedEvenInPlace from '../shaders/element_io_f16_packed_even_in_place.wgsl?raw';
import elementIoF32 from '../shaders/element_io_f32.wgsl?raw';
import elementIoF32InPlace from '../shaders/element_io_f32_in_place.wgsl?raw';
import elementIoF32Vec4 from '../shaders/element_io_f32_vec4.wgsl?raw';
import elementIoF32Vec4InPlace from '../shaders/element_io_f32_vec4_in_place.wgsl?raw';
import entropy from '../shaders/entropy.wgsl?raw';
import f16Bits from '../shaders/f16_bits.wgsl?raw';
import linearCrossEntropyBias from '../shaders/linear_cross_entropy_bias.wgsl?raw';
import linearCrossEntropyMatmul from '../shaders/linear_cross_entropy_matmul.wgsl?raw';
import linearCrossEntropyMatmul128 from '../shaders/linear_cross_entropy_matmul128.wgsl?raw';
import matmulOperandF16 from '../shaders/matmul_operand_f16.wgsl?raw';
import matmulOperandF16Packed from '../shaders/matmul_operand_f16_packed.wgsl?raw';
import matmulOperandF32 from '../shaders/matmul_operand_f32.wgsl?raw';
import klDiv from '../shaders/kl_div.wgsl?raw';
import logSoftmax from '../shaders/log_softmax.wgsl?raw';
import rowReduceSubgroup from '../shaders/row_reduce_subgroup.wgsl?raw';
import rowReduceWorkgroup from '../shaders/row_reduce_workgroup.wgsl?raw';
import rowStats from '../shaders/row_stats.wgsl?raw';
import subgroupProbe from '../shaders/subgroup_probe.wgsl?raw';
import sum from '../shaders/sum.wgsl?raw';
import targetWeightSum from '../shaders/target_weight_sum.wgsl?raw';
import weightCheck from '../shaders/weight_check.wgsl?raw';

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
  weight_check: weightCheck,
} as const;

export type KernelName = keyof typeof shaderSources;

/**
 * How a row kernel's input and output elements are stored (an element-I/O snippet from shaders/element_io_*.wgsl):
 * - 'f32': f32 input and output in separate buffers (the default);
 * - 'f32-vec4': f32 bound as array<vec4<f32>>, for rows aligned to 16 bytes (createEngine({ vec4Io: true }));
 * - 'f16': f16 (array<f16>, needs the device feature shader-f16), 'f16-packed': f16 pairs in u32 words (any device),
 *   'f16-packed-even': the same where every row starts on an even element (plain word stores instead of atomics);
 * - '-in-place': the output is written over the input (one read_write binding).
 * The kernel's math is f32 in every variant.
 */
export type ElementIo = 'f32' | 'f32-in-place' | 'f32-vec4' | 'f32-vec4-in-place' | 'f16' | 'f16-in-place' | 'f16-packed' | 'f16-packed-in-place' | 'f16-packed-even' | 'f16-packed-even-in-place';

const ELEMENT_IO: Record<ElementIo, string> = {
  f32: elementIoF32,
  'f32-in-place': elementIoF32InPlace,
  'f32-vec4': elementIoF32Vec4,
  'f32-vec4-in-place': elementIoF32Vec4InPlace,
  f16: elementIoF16,
  'f16-in-place': elementIoF16InPlace,
  'f16-packed': elementIoF16Packed,
  'f16-packed-in-place': elementIoF16PackedInPlace,
  'f16-packed-even': elementIoF16PackedEven,
  'f16-packed-even-in-place': elementIoF16PackedEvenInPlace,
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

/**
 * How one operand of the linear cross-entropy matmuls (a, b or bias) is stored (a snippet from
 * shaders/matmul_operand_*.wgsl defining its binding and NAME_at(i) -> f32): 'f32'; 'f16' (array<f16>, needs
 * shader-f16); 'f16-packed' (f16 pairs in u32 words, any device). Products and sums are f32 in every variant.
 */
export type OperandIo = 'f32' | 'f16' | 'f16-packed';

/**
 * The operand variant of a matmul dispatch: 'f32' when a, b and bias are all f32 (the kernel as it always was, and
 * its pipeline key unchanged), else 'A:B:BIAS', e.g. 'f16-packed:f32:f32' (hidden in f16 for the logits).
 */
export type MatmulIo = 'f32' | `${OperandIo}:${OperandIo}:${OperandIo}`;

/** A kernel's storage variant: a row kernel's element I/O, or a matmul kernel's operand types. */
export type KernelIo = ElementIo | MatmulIo;

const OPERAND_IO: Record<OperandIo, string> = { f32: matmulOperandF32, f16: matmulOperandF16, 'f16-packed': matmulOperandF16Packed };

/** The matmul kernels, which take operand variants (bindings 1, 2, 3: a, b, bias). */
const MATMUL_KERNELS: ReadonlySet<KernelName> = new Set(['linear_cross_entropy_matmul', 'linear_cross_entropy_matmul128']);

/** The MatmulIo of operands stored as `a`, `b` and `bias`. */
export function matmulIo(a: OperandIo, b: OperandIo, bias: OperandIo): MatmulIo {
  return a === 'f32' && b === 'f32' && bias === 'f32' ? 'f32' : `${a}:${b}:${bias}`;
}

/** True for the kernels that take an element-I/O variant. */
export function hasElementIo(kernel: KernelName): boolean {
  return ROW_KERNELS[kernel] !== undefined;
}

/** Directives (`enable subgroups;`, `enable f16;`, `diagnostic(...)`) must open the module: move them to the top. */
function hoistDirectives(parts: string[]): string {
  const directive = /^\s*(enable|requires|diagnostic)\b[^;]*;\s*$/;
  const lines = parts.join('\n').split('\n');
  const enables = [...new Set(lines.filter((line) => directive.test(line)).map((line) => line.trim()))];
  return [...enables, ...lines.filter((line) => !directive.test(line))].join('\n');
}

/**
 * The full WGSL of a kernel, with the snippets it needs: for row kernels the subgroup reduction when `subgroups` and
 * the element I/O (`io`: an ElementIo); for the matmul kernels the operand snippets (`io`: a MatmulIo).
 */
export function kernelSource(kernel: KernelName, subgroups: boolean, io: KernelIo = 'f32'): string {
  if (MATMUL_KERNELS.has(kernel)) {
    const types = (io === 'f32' ? 'f32:f32:f32' : io).split(':') as OperandIo[];
    if (types.length !== 3 || !types.every((t) => t in OPERAND_IO)) throw new Error(`xentropy: internal error: matmul operand variant '${io}'`);
    const operands = (['a', 'b', 'bias'] as const).map((name, i) => OPERAND_IO[types[i]!].replaceAll('{{NAME}}', name).replaceAll('{{BINDING}}', String(i + 1)));
    return hoistDirectives([...operands, shaderSources[kernel]]);
  }
  const bindings = ROW_KERNELS[kernel];
  if (!bindings) return shaderSources[kernel];
  if (!(io in ELEMENT_IO)) throw new Error(`xentropy: internal error: element I/O '${io}' for ${kernel}`);
  const elementIo = ELEMENT_IO[io as ElementIo].replaceAll('{{X}}', String(bindings.x)).replaceAll('{{OUT}}', String(bindings.out));
  return hoistDirectives([subgroups ? rowReduceSubgroup : rowReduceWorkgroup, rowStats, ...(io.startsWith('f16') ? [f16Bits] : []), elementIo, shaderSources[kernel]]);
}
