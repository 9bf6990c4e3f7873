/**
 * The WGSL sources, one kernel per file in ../shaders/, bundled as strings by Vite (`?raw`, minified by
 * ../vite.wgsl.ts) so the built package carries them. Kernel names here match the file names. The kernels every
 * engine may need are imported here; the linear cross-entropy matmuls are imported by their op
 * (src/ops/linearCrossEntropy.ts, loaded on first use) and the subgroup probe by src/gpu/subgroupProbe.ts (loaded by
 * GpuContext.enableSubgroups), which register them, so applications need not load them.
 */
import binaryCrossEntropy from '../shaders/binary_cross_entropy.wgsl?raw';
import crossEntropy from '../shaders/cross_entropy.wgsl?raw';
import elementIoF16Packed from '../shaders/element_io_f16_packed.wgsl?raw';
import elementIoF16PackedInPlace from '../shaders/element_io_f16_packed_in_place.wgsl?raw';
import elementIoF16PackedEven from '../shaders/element_io_f16_packed_even.wgsl?raw';
import elementIoF16PackedEvenInPlace from '../shaders/element_io_f16_packed_even_in_place.wgsl?raw';
import elementIoF32 from '../shaders/element_io_f32.wgsl?raw';
import elementIoF32InPlace from '../shaders/element_io_f32_in_place.wgsl?raw';
import entropy from '../shaders/entropy.wgsl?raw';
import f16Bits from '../shaders/f16_bits.wgsl?raw';
import klDiv from '../shaders/kl_div.wgsl?raw';
import logSoftmax from '../shaders/log_softmax.wgsl?raw';
import rowReduceSubgroup from '../shaders/row_reduce_subgroup.wgsl?raw';
import rowReduceWorkgroup from '../shaders/row_reduce_workgroup.wgsl?raw';
import rowStats from '../shaders/row_stats.wgsl?raw';
import sum from '../shaders/sum.wgsl?raw';
import targetWeightSum from '../shaders/target_weight_sum.wgsl?raw';
import weightCheck from '../shaders/weight_check.wgsl?raw';

export const shaderSources = {
  binary_cross_entropy: binaryCrossEntropy,
  cross_entropy: crossEntropy,
  entropy,
  kl_div: klDiv,
  log_softmax: logSoftmax,
  sum,
  target_weight_sum: targetWeightSum,
  weight_check: weightCheck,
} as const;

/** Kernels registered by the op that uses them (registerKernel), not imported here. */
export type RegisteredKernelName =
  | 'linear_cross_entropy_bias'
  | 'linear_cross_entropy_matmul'
  | 'linear_cross_entropy_matmul128'
  | 'subgroup_probe';

export type KernelName = keyof typeof shaderSources | RegisteredKernelName;

/** The full WGSL of a registered kernel for one variant. */
export type KernelBuilder = (subgroups: boolean, io: KernelIo) => string;

const registered = new Map<KernelName, KernelBuilder>();

/** Make a kernel available (called by the module of the op that uses it, when it is loaded). */
export function registerKernel(kernel: RegisteredKernelName, build: KernelBuilder): void {
  registered.set(kernel, build);
}

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

/**
 * The element-I/O snippets. The vec4 and array<f16> ones are used only by engines created with `vec4Io: true` or on a
 * device with `shader-f16`, so createEngine loads them then (src/elementIoOptional.ts) and registers them here.
 */
const ELEMENT_IO: Partial<Record<ElementIo, string>> = {
  f32: elementIoF32,
  'f32-in-place': elementIoF32InPlace,
  'f16-packed': elementIoF16Packed,
  'f16-packed-in-place': elementIoF16PackedInPlace,
  'f16-packed-even': elementIoF16PackedEven,
  'f16-packed-even-in-place': elementIoF16PackedEvenInPlace,
};

/** Make element-I/O snippets available (see ELEMENT_IO). */
export function registerElementIo(snippets: Partial<Record<ElementIo, string>>): void {
  Object.assign(ELEMENT_IO, snippets);
}

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

/** True for the kernels that take an element-I/O variant. */
export function hasElementIo(kernel: KernelName): boolean {
  return ROW_KERNELS[kernel] !== undefined;
}

/** Directives (`enable subgroups;`, `enable f16;`, `diagnostic(...)`) must open the module: move them to the top. */
export function hoistDirectives(parts: string[]): string {
  const directive = /^\s*(enable|requires|diagnostic)\b[^;]*;\s*$/;
  const lines = parts.join('\n').split('\n');
  const enables = [...new Set(lines.filter((line) => directive.test(line)).map((line) => line.trim()))];
  return [...enables, ...lines.filter((line) => !directive.test(line))].join('\n');
}

/**
 * The full WGSL of a kernel, with the snippets it needs: for row kernels the subgroup reduction when `subgroups` and
 * the element I/O (`io`: an ElementIo); registered kernels build their own (the matmuls: operand snippets, `io` a
 * MatmulIo).
 */
export function kernelSource(kernel: KernelName, subgroups: boolean, io: KernelIo = 'f32'): string {
  const build = registered.get(kernel);
  if (build) return build(subgroups, io);
  if (!(kernel in shaderSources)) throw new Error(`xentropy: internal error: kernel '${kernel}' is not loaded`);
  const source = shaderSources[kernel as keyof typeof shaderSources];
  const bindings = ROW_KERNELS[kernel];
  if (!bindings) return source;
  const snippet = ELEMENT_IO[io as ElementIo];
  if (snippet === undefined) {
    throw new Error(`xentropy: internal error: element I/O '${io}' for ${kernel} is not loaded`);
  }
  const elementIo = snippet.replaceAll('{{X}}', String(bindings.x)).replaceAll('{{OUT}}', String(bindings.out));
  const reduce = subgroups ? rowReduceSubgroup : rowReduceWorkgroup;
  return hoistDirectives([reduce, rowStats, ...(io.startsWith('f16') ? [f16Bits] : []), elementIo, source]);
}
