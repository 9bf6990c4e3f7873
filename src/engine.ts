/**
 * The engine: one WebGPU device (or the CPU), the public ops, and the choice between the GPU kernels and the CPU
 * reference. Every op validates its arguments first (src/validate.ts), then runs either the reference
 * (src/reference/) or records its kernels (src/ops/) through the GpuContext that owns all GPU objects.
 */
import { acquireDevice, describe, type AdapterInfo, type NodeAdapter } from './gpu/adapter.js';
import { BufferUsage } from './gpu/flags.js';
import { GpuContext, type Batch, type DispatchInfo, type DispatchTiming, type EngineStats, type Tuning } from './gpu/context.js';
import { GpuTensor, byteLengthOf, type DType } from './gpu/tensor.js';
import { encodeBinaryCrossEntropy } from './ops/binaryCrossEntropy.js';
import { encodeCrossEntropy } from './ops/crossEntropy.js';
import { encodeEntropy } from './ops/entropy.js';
import { encodeKlDiv } from './ops/klDiv.js';
import { encodeLogSoftmax } from './ops/logSoftmax.js';
import { encodeSum } from './ops/sum.js';
import { explainInvalid, gpuRechecks, type Recheck } from './gpuChecks.js';
import type { LinearArgs } from './ops/linearCrossEntropy.js';
import type { KlReduction } from './reference/klDiv.js';
import type {
  BinaryCrossEntropyOptions,
  BinaryCrossEntropyWithLogitsOptions,
  CrossEntropyGpuResult,
  CrossEntropyOptions,
  CrossEntropyResult,
  FloatInput,
  IndexInput,
  KlDivOptions,
  LinearCrossEntropyGpuResult,
  LinearCrossEntropyOptions,
  LinearCrossEntropyResult,
  LossGpuResult,
  LossOptions,
  LossResult,
  NllLossOptions,
  ShapeOptions,
} from './types.js';
import {
  XentropyArgumentError,
  checkBoolean,
  checkChoice,
  checkClassDim,
  checkClassTargets,
  checkFloatInput,
  checkFloatTensor,
  checkInteger,
  checkNumber,
  checkOptions,
  checkProbabilities,
  checkReduction,
  checkShape,
  checkNotDetached,
  checkWeights,
  typeName,
} from './validate.js';

export interface EngineOptions {
  /** 'auto' (default): WebGPU when an adapter exists, else the CPU. 'webgpu': fail without one. 'cpu': the reference. */
  backend?: 'auto' | 'webgpu' | 'cpu';
  /** Use this device (e.g. the host application's) instead of requesting one. The engine never destroys it. */
  device?: GPUDevice;
  /** Node only: which Dawn adapter to use (default 'auto': a real GPU, else SwiftShader, else llvmpipe). */
  adapter?: NodeAdapter;
  /**
   * Launch shapes: 'cpu' for adapters that emulate a GPU on the CPU (one thread per row, few barriers), 'gpu' for
   * real GPUs (many threads per row). Default 'auto': from the adapter. Results are the same either way.
   */
  tuning?: 'auto' | Tuning;
  /** Use subgroup operations for row reductions when the device has them (default true; false forces the workgroup tree). */
  subgroups?: boolean;
  /** The largest workgroup the kernels use (a power of two; default 256; the device's limit caps it). */
  maxWorkgroupSize?: number;
  /**
   * f16 tensors use the device's `shader-f16` feature (array<f16>) when it has it (default true); false forces the
   * path every device has (f16 pairs packed in u32 words), e.g. to compare the two. See `engine.shaderF16`.
   */
  shaderF16?: boolean;
  /**
   * Read and write f32 rows as vec4s where every row starts on a 16-byte boundary (classes a multiple of 4; see
   * shaders/element_io_f32_vec4.wgsl). Default false until measured on GPUs (bench: `--vec4-io`); results are the same.
   */
  vec4Io?: boolean;
}

/** PyTorch's ignore_index default. */
const DEFAULT_IGNORE_INDEX = -100;

const ENGINE_OPTIONS = ['backend', 'device', 'adapter', 'tuning', 'subgroups', 'maxWorkgroupSize', 'shaderF16', 'vec4Io'];
const SHAPE_OPTIONS = ['shape'];
const NLL_OPTIONS = ['shape', 'reduction', 'ignoreIndex', 'grad', 'weight', 'classDim'];
const CROSS_ENTROPY_OPTIONS = [...NLL_OPTIONS, 'labelSmoothing', 'zLoss', 'softcap', 'inputs'];
const BCE_OPTIONS = ['shape', 'reduction', 'grad', 'weight'];
const BCE_LOGITS_OPTIONS = [...BCE_OPTIONS, 'posWeight'];
const ENTROPY_OPTIONS = ['shape', 'reduction', 'grad'];
const KL_OPTIONS = ['shape', 'reduction', 'logTarget', 'grad'];

type CrossEntropyArgs = ReturnType<Engine['crossEntropyArgs']>;
type BinaryArgs = ReturnType<Engine['binaryArgs']>;
type EntropyArgs = ReturnType<Engine['entropyArgs']>;
type KlArgs = ReturnType<Engine['klDivArgs']>;
/** Host data or GPU tensors an op reads (an array of numbers is float data: uploaded as f32). */
type Operand = Float32Array | Int32Array | readonly number[] | GpuTensor;

/** Create an engine. See EngineOptions. */
export async function createEngine(options: EngineOptions = {}): Promise<Engine> {
  checkOptions('createEngine', options, ENGINE_OPTIONS);
  const backend = options.backend ?? 'auto';
  if (!['auto', 'webgpu', 'cpu'].includes(backend)) {
    throw new XentropyArgumentError('createEngine', 'backend', `must be 'auto', 'webgpu' or 'cpu' (got ${JSON.stringify(backend)})`);
  }
  const tuning = options.tuning ?? 'auto';
  if (!['auto', 'cpu', 'gpu'].includes(tuning)) {
    throw new XentropyArgumentError('createEngine', 'tuning', `must be 'auto', 'cpu' or 'gpu' (got ${JSON.stringify(tuning)})`);
  }
  const tuningFor = (info: AdapterInfo): Tuning => (tuning !== 'auto' ? tuning : info.cpuBased ? 'cpu' : 'gpu');
  const subgroups = checkBoolean('createEngine', 'subgroups', options.subgroups, true);
  const maxWorkgroupSize = checkInteger('createEngine', 'maxWorkgroupSize', options.maxWorkgroupSize, 256);
  if (maxWorkgroupSize < 1 || (maxWorkgroupSize & (maxWorkgroupSize - 1)) !== 0) {
    throw new XentropyArgumentError('createEngine', 'maxWorkgroupSize', `must be a power of two (got ${maxWorkgroupSize})`);
  }
  const shaderF16 = checkBoolean('createEngine', 'shaderF16', options.shaderF16, true);
  const vec4Io = checkBoolean('createEngine', 'vec4Io', options.vec4Io, false);
  const contextFor = async (device: GPUDevice, owned: boolean, info: AdapterInfo): Promise<GpuContext> => {
    const ctx = new GpuContext(device, owned, tuningFor(info), maxWorkgroupSize, shaderF16, vec4Io);
    if (vec4Io || ctx.nativeF16) {
      // Snippets only these engines use, loaded now (recording is synchronous, so no op can wait for them).
      const optional = await import('./elementIoOptional.js');
      if (vec4Io) optional.registerVec4Io();
      if (ctx.nativeF16) optional.registerNativeF16Io();
    }
    if (subgroups) await ctx.enableSubgroups();
    return ctx;
  };
  if (backend === 'cpu') return new Engine(null, null, null);
  if (options.device) {
    const info = describe(undefined, options.device, 'external', 'core');
    return new Engine(await contextFor(options.device, false, info), info, null);
  }
  const adapter = options.adapter ?? 'auto';
  const acquired = await acquireDevice(adapter);
  const reacquire = async () => {
    // Dawn's OpenGL ES backend (llvmpipe) brings the whole process down when a device is used after another one was
    // destroyed (webgpu 0.6.2, seen in test/gpu/faults.test.ts), so an engine on it moves to the CPU instead.
    if (acquired?.info.source === 'llvmpipe') return null;
    const next = await acquireDevice(adapter);
    return next && { ctx: await contextFor(next.device, true, next.info), info: next.info, keepAlive: next.keepAlive };
  };
  if (!acquired) {
    if (backend === 'webgpu') {
      throw new Error(
        'createEngine: no WebGPU adapter was found (browser: navigator.gpu; Node: the `webgpu` package with a Vulkan ' +
          'driver, SwiftShader or Mesa llvmpipe). Use backend: "auto" or "cpu" to run on the CPU reference.',
      );
    }
    return new Engine(null, null, null);
  }
  return new Engine(await contextFor(acquired.device, true, acquired.info), acquired.info, acquired.keepAlive, reacquire);
}

/** Where a GPU-resident op's work goes: the engine's own submission, or a caller's encoder (see GpuEncoding). */
interface Recorder {
  ctx: GpuContext;
  /** Recording into a caller's encoder (GpuEncoding), not onto the engine's queue. */
  encoding: boolean;
  /** Upload host data to a temporary that outlives the work. */
  onGpu(value: Operand): GpuTensor;
  /** Record `record` and hand back its result (awaited on the engine's queue; synchronous into a caller's encoder). */
  run<T>(op: string, record: (batch: Batch) => T): T | Promise<T>;
}

/** Options of a GPU-resident loss: write the gradient into the caller's tensor (a copy on the GPU, same submission). */
export interface GradientOutput {
  /**
   * A GpuTensor of the input's length and dtype that receives the gradient (returned as `grad`); needs grad: true.
   * crossEntropy and nllLoss: the input tensor itself (same buffer and byteOffset) means `inPlace: true`.
   */
  gradOut?: GpuTensor;
}

/** Options of the GPU-resident crossEntropy and nllLoss: the gradient written over the input. */
export interface InPlaceGradient {
  /**
   * Write the gradient over the input's own buffer (as Liger-Kernel does): `grad` is returned as the input tensor
   * itself, and no gradient buffer of the input's size is allocated. The input's values are gone afterwards. Needs
   * grad: true and the input in a GpuTensor (an engine-owned one or a wrapped caller buffer), whose buffer holds no
   * other operand of the call (targets). Default false.
   */
  inPlace?: boolean;
}

/** Options of the GPU-resident row-wise ops: write the result into the caller's tensor (no copy) instead of a new one. */
export interface RowwiseGpuOptions extends ShapeOptions {
  /** A GpuTensor of the input's length and dtype, not overlapping the input: the kernel writes there; it is returned. */
  out?: GpuTensor;
}

/** Options of the GPU-resident sum. */
export interface SumGpuOptions {
  /** An f32 GpuTensor (length >= 1) whose element 0 receives the sum; it is returned. */
  out?: GpuTensor;
}

/**
 * Refuse tensors this engine did not make (another engine's, or ones left on a device that was lost), and, for work
 * the engine submits itself (`encoding` false), results of an encoding not yet reported submitted.
 */
function checkHome(ctx: GpuContext, op: string, operands: Record<string, unknown>, encoding = false): void {
  for (const [name, value] of Object.entries(operands)) {
    if (!(value instanceof GpuTensor)) continue;
    if (value.isReleased) throw new XentropyArgumentError(op, name, 'is a GpuTensor that was already released');
    if (value.unsubmitted && !encoding) {
      const pending = `is a result of ${value.unsubmitted.op} not yet reported submitted`;
      throw new XentropyArgumentError(op, name, `${pending}: submit that encoder and call encoding.submitted() first (or record this op into the same encoding)`);
    }
    if (!ctx.made(value)) {
      throw new XentropyArgumentError(op, name, "is a GpuTensor from another engine or from a device that was lost: upload it, or wrap its buffer, on this engine's device");
    }
  }
}

/** A caller's output tensor: `dtype` (f32 unless the input is f16), `length` elements, made on this engine, and not overlapping `input`. */
function checkOut(ctx: GpuContext, op: string, name: string, out: unknown, length: number, input?: GpuTensor, dtype: DType = 'f32', inPlaceHint = ''): GpuTensor {
  if (!(out instanceof GpuTensor)) throw new XentropyArgumentError(op, name, `must be a GpuTensor (got ${typeName(out)})`);
  // Writing into a tensor that a pending encoding returned is ordered by the caller: allowed.
  checkHome(ctx, op, { [name]: out }, true);
  if (out.dtype !== dtype) throw new XentropyArgumentError(op, name, `must hold ${dtype} values (got a ${out.dtype} GpuTensor)`);
  if (out.length < length) throw new XentropyArgumentError(op, name, `has ${out.length} elements but the result needs ${length}`);
  if (input && overlaps(input, out.buffer, out.byteOffset, byteLengthOf(dtype, length))) {
    throw new XentropyArgumentError(op, name, `overlaps the input in the same buffer (${inPlaceHint || 'this op does not work in place'})`);
  }
  return out;
}

/** True when `tensor` shares bytes with [byteOffset, byteOffset + byteLength) of `buffer`. */
function overlaps(tensor: GpuTensor, buffer: GPUBuffer, byteOffset: number, byteLength: number): boolean {
  return tensor.buffer === buffer && byteOffset < tensor.byteOffset + tensor.byteLength && tensor.byteOffset < byteOffset + byteLength;
}

/** Ops on data already on the GPU: inputs and results are GpuTensors; nothing is read back unless asked. */
export class GpuOps {
  constructor(private readonly engine: Engine, private readonly context: (op: string) => GpuContext) {}

  /**
   * Copy host data to a new engine-owned tensor (release it when done): a Float32Array (or an array of numbers) as
   * f32, an Int32Array (or, with `dtype: 'i32'`, an array of integers) as i32. `dtype: 'f16'`: float values rounded to
   * the nearest f16 (ties to even; 65520 and up become Infinity), or a Uint16Array of f16 bits as they are.
   */
  upload(data: Float32Array | Int32Array | Uint16Array | readonly number[], options: { dtype?: DType } = {}): GpuTensor {
    const op = 'gpu.upload';
    this.context(op);
    checkOptions(op, options, ['dtype']);
    let host: Float32Array | Int32Array | Uint16Array;
    if (Array.isArray(data)) {
      // An array of numbers: float data as everywhere (f32, or f16 with dtype 'f16'); integers with dtype 'i32'.
      checkFloatInput(op, 'data', data);
      const integers = options.dtype === 'i32';
      const i = integers ? data.findIndex((v) => !Number.isInteger(v) || Math.abs(v) > 2 ** 31 - 1) : -1;
      if (i >= 0) {
        throw new XentropyArgumentError(op, `data[${i}]`, `must be a 32-bit integer for dtype 'i32' (got ${data[i]})`);
      }
      host = integers ? Int32Array.from(data) : Float32Array.from(data);
    } else host = data as Float32Array | Int32Array | Uint16Array;
    const dtype = checkChoice(op, 'dtype', options.dtype, ['f32', 'i32', 'f16'] as const, host instanceof Int32Array ? 'i32' : host instanceof Uint16Array ? 'f16' : 'f32');
    const fits = dtype === 'f16' ? host instanceof Float32Array || host instanceof Uint16Array : dtype === 'i32' ? host instanceof Int32Array : host instanceof Float32Array;
    if (!fits) {
      const wanted = { f32: 'a Float32Array', i32: 'an Int32Array', f16: 'a Float32Array (rounded to f16) or a Uint16Array of f16 bits' }[dtype];
      throw new XentropyArgumentError(op, 'data', `must be ${wanted} for dtype '${dtype}' (got ${typeName(host)})`);
    }
    checkNotDetached(op, 'data', host);
    return this.context(op).upload(host, 'upload', dtype);
  }

  /**
   * View a caller-owned buffer as a tensor. The buffer needs STORAGE usage (and COPY_SRC to be read back); the engine
   * never destroys it. Keep the buffer alive while the tensor is used.
   */
  wrap(buffer: GPUBuffer, options: { dtype: DType; length: number; byteOffset?: number }): GpuTensor {
    const op = 'gpu.wrap';
    const ctx = this.context(op);
    if (typeof GPUBuffer !== 'undefined' ? !(buffer instanceof GPUBuffer) : typeof (buffer as Partial<GPUBuffer>)?.usage !== 'number') {
      throw new XentropyArgumentError(op, 'buffer', `must be a GPUBuffer (got ${typeName(buffer)})`);
    }
    checkOptions(op, options, ['dtype', 'length', 'byteOffset']);
    const dtype = checkChoice(op, 'dtype', options.dtype, ['f32', 'i32', 'f16'] as const, 'f32');
    const length = checkInteger(op, 'length', options.length, -1);
    if (length < 0) throw new XentropyArgumentError(op, 'length', `must be an integer >= 0 (got ${String(options.length)})`);
    const byteOffset = checkInteger(op, 'byteOffset', options.byteOffset, 0);
    if (byteOffset < 0 || byteOffset % 4 !== 0) throw new XentropyArgumentError(op, 'byteOffset', `must be a multiple of 4, >= 0 (got ${byteOffset})`);
    const bytes = byteLengthOf(dtype, length);
    if (byteOffset + bytes > buffer.size) {
      const padding = dtype === 'f16' && length % 2 === 1 ? ' (an odd number of f16 values covers a whole last word)' : '';
      throw new XentropyArgumentError(op, 'buffer', `is too small: ${buffer.size} bytes, but ${length} ${dtype} elements at byte ${byteOffset} need ${byteOffset + bytes}${padding}`);
    }
    if (!(buffer.usage & BufferUsage.STORAGE)) throw new XentropyArgumentError(op, 'buffer', 'needs GPUBufferUsage.STORAGE (buffers with MAP_READ or MAP_WRITE usage cannot have it)');
    if (buffer.mapState !== 'unmapped') throw new XentropyArgumentError(op, 'buffer', `is ${buffer.mapState}: unmap it before the GPU uses it`);
    return ctx.own(buffer, dtype, length, byteOffset, false);
  }

  /**
   * Record ops into your own command encoder, so the loss joins your submission with no extra queue submit or sync:
   *
   * ```ts
   * const encoding = engine.gpu.encodeInto(encoder);
   * const { loss, grad } = encoding.crossEntropy(logits, labels, { shape: [rows, classes] });
   * device.queue.submit([encoder.finish()]);
   * await encoding.submitted(); // then: scratch buffers go back to the pool; rejects on a recording error
   * ```
   *
   * The rule: call `submitted()` once the encoder's command buffer was submitted (or dropped). Until then the engine
   * keeps every temporary buffer of the encoding out of its pool (reusing one before your submission would race it),
   * so an encoding never reported submitted shows in `engine.stats()` as live buffers. Results belong to you as usual:
   * release them after the work that reads them was submitted.
   */
  encodeInto(encoder: GPUCommandEncoder): GpuEncoding {
    const ctx = this.context('gpu.encodeInto');
    if (typeof GPUCommandEncoder !== 'undefined' ? !(encoder instanceof GPUCommandEncoder) : typeof (encoder as Partial<GPUCommandEncoder>)?.finish !== 'function') {
      throw new XentropyArgumentError('gpu.encodeInto', 'encoder', `must be a GPUCommandEncoder (got ${typeName(encoder)})`);
    }
    return new GpuEncoding(this, ctx, encoder);
  }

  async logSoftmax(input: GpuTensor, options: RowwiseGpuOptions): Promise<GpuTensor> {
    return this.withUploads((r) => this.rowwise(r, 'gpu.logSoftmax', input, options, true), 'gpu.logSoftmax');
  }

  async softmax(input: GpuTensor, options: RowwiseGpuOptions): Promise<GpuTensor> {
    return this.withUploads((r) => this.rowwise(r, 'gpu.softmax', input, options, false), 'gpu.softmax');
  }

  /** F.cross_entropy: class-index targets (i32) or probability targets (f32, the logits' shape). See Engine.crossEntropy. */
  async crossEntropy(logits: GpuTensor, target: IndexInput | Float32Array, options: CrossEntropyOptions & GradientOutput & InPlaceGradient): Promise<CrossEntropyGpuResult> {
    return this.withUploads((r) => this.crossEntropyOn(r, 'gpu.crossEntropy', logits, target, options, false), 'gpu.crossEntropy');
  }

  /** F.nll_loss of log-probabilities. See Engine.nllLoss. */
  async nllLoss(logProbs: GpuTensor, target: IndexInput, options: NllLossOptions & GradientOutput & InPlaceGradient): Promise<LossGpuResult> {
    return this.withUploads((r) => this.crossEntropyOn(r, 'gpu.nllLoss', logProbs, target, options, true), 'gpu.nllLoss');
  }

  /** F.binary_cross_entropy_with_logits. See Engine.binaryCrossEntropyWithLogits. */
  async binaryCrossEntropyWithLogits(input: GpuTensor, target: FloatInput, options: BinaryCrossEntropyWithLogitsOptions & GradientOutput): Promise<LossGpuResult> {
    return this.withUploads((r) => this.binaryOn(r, 'gpu.binaryCrossEntropyWithLogits', input, target, options, true), 'gpu.binaryCrossEntropyWithLogits');
  }

  /** F.binary_cross_entropy of probabilities. See Engine.binaryCrossEntropy. */
  async binaryCrossEntropy(probs: GpuTensor, target: FloatInput, options: BinaryCrossEntropyOptions & GradientOutput): Promise<LossGpuResult> {
    return this.withUploads((r) => this.binaryOn(r, 'gpu.binaryCrossEntropy', probs, target, options, false), 'gpu.binaryCrossEntropy');
  }

  /** Row entropies of probabilities. See Engine.entropy. */
  async entropy(probs: GpuTensor, options: LossOptions & GradientOutput): Promise<LossGpuResult> {
    return this.withUploads((r) => this.entropyOn(r, 'gpu.entropy', probs, options), 'gpu.entropy');
  }

  /** F.kl_div of log-probabilities. See Engine.klDiv. */
  async klDiv(input: GpuTensor, target: FloatInput, options: KlDivOptions & GradientOutput): Promise<LossGpuResult> {
    return this.withUploads((r) => this.klDivOn(r, 'gpu.klDiv', input, target, options), 'gpu.klDiv');
  }

  /**
   * Fused linear cross-entropy on GPU tensors (host arrays are uploaded). See Engine.linearCrossEntropy. Several
   * submissions on the engine's queue (one per chunk of rows), so it has no `encodeInto` form.
   */
  async linearCrossEntropy(hidden: GpuTensor, weight: GpuTensor, target: IndexInput, options: LinearCrossEntropyOptions): Promise<LinearCrossEntropyGpuResult> {
    return this.withUploads((r) => this.linearCrossEntropyOn(r, 'gpu.linearCrossEntropy', hidden, weight, target, options), 'gpu.linearCrossEntropy');
  }

  async sum(input: GpuTensor, options: SumGpuOptions = {}): Promise<GpuTensor> {
    return this.withUploads((r) => this.sumOn(r, 'gpu.sum', input, options), 'gpu.sum');
  }

  /** @internal Run `record` on the engine's queue, with uploads of host data released afterwards. */
  async withUploads<T>(record: (recorder: Recorder) => T | Promise<T>, op = 'engine.gpu'): Promise<T> {
    const ctx = this.context(op);
    const temporaries: GpuTensor[] = [];
    const recorder: Recorder = {
      ctx,
      encoding: false,
      onGpu: (value) => {
        if (value instanceof GpuTensor) return value;
        const tensor = ctx.upload(hostArray(value), 'upload');
        temporaries.push(tensor);
        return tensor;
      },
      run: (op, recordBatch) => ctx.submit(op, recordBatch),
    };
    try {
      return await record(recorder);
    } finally {
      // Safe once submitted: any reuse of the buffers is a later queue operation.
      for (const t of temporaries) t.release();
    }
  }

  /** @internal Record cross-entropy or nll_loss (validated here) with `recorder`. */
  crossEntropyOn(r: Recorder, op: string, input: Operand, target: Operand, options: CrossEntropyOptions & GradientOutput & InPlaceGradient, nll: boolean, validated?: CrossEntropyArgs) {
    const { gradOut, inPlace: inPlaceOption, ...lossOptions } = (options ?? {}) as CrossEntropyOptions & GradientOutput & InPlaceGradient;
    const o = validated ?? this.engine.crossEntropyArgs(op, input, target, lossOptions, nll);
    const inputName = nll ? 'logProbs' : o.inputs === 'probabilities' ? 'input' : 'logits';
    checkHome(r.ctx, op, { [inputName]: input, target, weight: o.weight }, r.encoding);
    let inPlace = checkBoolean(op, 'inPlace', inPlaceOption, false);
    // gradOut naming the input's own elements is the in-place form too.
    const sameAsInput = gradOut instanceof GpuTensor && input instanceof GpuTensor && gradOut.buffer === input.buffer && gradOut.byteOffset === input.byteOffset;
    if (inPlace && gradOut !== undefined && !sameAsInput) throw new XentropyArgumentError(op, 'gradOut', `and inPlace: true both say where the gradient goes; give one of them`);
    const out = sameAsInput ? undefined : this.gradOutput(r.ctx, op, gradOut, o.grad, input, 'in place: inPlace: true, or gradOut the input tensor itself');
    if (sameAsInput) {
      checkOut(r.ctx, op, 'gradOut', gradOut, input.length, undefined, input.dtype);
      inPlace = true;
    }
    if (inPlace) {
      const what = gradOut !== undefined ? 'gradOut' : 'inPlace';
      if (!o.grad) throw new XentropyArgumentError(op, what, 'needs grad: true (in place, the gradient is written over the input)');
      if (!(input instanceof GpuTensor)) throw new XentropyArgumentError(op, what, `needs the ${inputName} in a GpuTensor (the gradient is written over it)`);
      if (o.target instanceof GpuTensor && o.target.buffer === input.buffer) {
        throw new XentropyArgumentError(op, 'target', `is in the same GPUBuffer as the ${inputName}, which in place is bound writable: WebGPU forbids one buffer read-only and writable in one dispatch (give the targets their own buffer)`);
      }
    }
    const [x, t] = [r.onGpu(input), r.onGpu(o.target)];
    const weight = o.weight ? r.onGpu(o.weight) : undefined;
    const weightsOnGpu = o.weight instanceof GpuTensor;
    return r.run(op, (batch) => withGradOut(batch, encodeCrossEntropy(r.ctx, batch, x, t, { ...o, weight, weightsOnGpu, inPlace }), out));
  }

  /** @internal */
  binaryOn(r: Recorder, op: string, input: Operand, target: Operand, options: BinaryCrossEntropyWithLogitsOptions & GradientOutput, logits: boolean, validated?: BinaryArgs) {
    const { gradOut, ...lossOptions } = (options ?? {}) as BinaryCrossEntropyWithLogitsOptions & GradientOutput;
    const o = validated ?? this.engine.binaryArgs(op, input, target, lossOptions, logits);
    checkHome(r.ctx, op, { [logits ? 'input' : 'probs']: input, target, weight: o.weight, posWeight: o.posWeight }, r.encoding);
    const out = this.gradOutput(r.ctx, op, gradOut, o.grad, input);
    const [x, t] = [r.onGpu(input), r.onGpu(o.target)];
    const weight = o.weight ? r.onGpu(o.weight) : undefined;
    const posWeight = o.posWeight ? r.onGpu(o.posWeight) : undefined;
    const weightsOnGpu = { weight: o.weight instanceof GpuTensor, posWeight: o.posWeight instanceof GpuTensor };
    return r.run(op, (batch) => withGradOut(batch, encodeBinaryCrossEntropy(r.ctx, batch, x, t, { ...o, weight, posWeight, weightsOnGpu }), out));
  }

  /** @internal */
  async linearCrossEntropyOn(r: Recorder, op: string, hidden: Operand, weight: Operand, target: Operand, options: LinearCrossEntropyOptions, validated?: LinearArgs): Promise<LinearCrossEntropyGpuResult> {
    const lce = await loadLinearCrossEntropy();
    const o = validated ?? lce.linearCrossEntropyArgs(op, hidden, weight, target, options);
    checkHome(r.ctx, op, { hidden, weight, target, bias: options.bias, classWeight: o.classWeight }, r.encoding);
    const bias = o.bias ? r.onGpu(o.bias) : undefined;
    const classWeight = o.classWeight ? r.onGpu(o.classWeight) : undefined;
    return lce.runLinearCrossEntropy(r.ctx, op, r.onGpu(hidden), r.onGpu(weight), r.onGpu(o.target), { ...o, bias, classWeight, classWeightOnGpu: o.classWeight instanceof GpuTensor });
  }

  /** @internal */
  entropyOn(r: Recorder, op: string, probs: Operand, options: LossOptions & GradientOutput, validated?: EntropyArgs) {
    const { gradOut, ...lossOptions } = (options ?? {}) as LossOptions & GradientOutput;
    const o = validated ?? this.engine.entropyArgs(op, probs, lossOptions);
    checkHome(r.ctx, op, { probs }, r.encoding);
    const out = this.gradOutput(r.ctx, op, gradOut, o.grad, probs);
    const p = r.onGpu(probs);
    return r.run(op, (batch) => withGradOut(batch, encodeEntropy(r.ctx, batch, p, o), out));
  }

  /** @internal */
  klDivOn(r: Recorder, op: string, input: Operand, target: Operand, options: KlDivOptions & GradientOutput, validated?: KlArgs) {
    const { gradOut, ...lossOptions } = (options ?? {}) as KlDivOptions & GradientOutput;
    const o = validated ?? this.engine.klDivArgs(op, input, target, lossOptions);
    checkHome(r.ctx, op, { input, target }, r.encoding);
    const out = this.gradOutput(r.ctx, op, gradOut, o.grad, input);
    const [x, t] = [r.onGpu(input), r.onGpu(o.target)];
    return r.run(op, (batch) => withGradOut(batch, encodeKlDiv(r.ctx, batch, x, t, o), out));
  }

  /** @internal */
  sumOn(r: Recorder, op: string, input: Operand, options: SumGpuOptions) {
    checkOptions(op, options ?? {}, ['out']);
    const n = checkFloatInput(op, 'input', input);
    checkHome(r.ctx, op, { input }, r.encoding);
    const given = options?.out === undefined ? undefined : checkOut(r.ctx, op, 'out', options.out, 1, input instanceof GpuTensor ? input : undefined);
    const x = r.onGpu(input);
    return r.run(op, (batch) => {
      const out = given ?? r.ctx.allocate(1, 'f32', 'sum');
      encodeSum(r.ctx, batch, x, n, out);
      return out;
    });
  }

  /** @internal */
  rowwise(r: Recorder, op: string, input: Operand, options: RowwiseGpuOptions, log: boolean) {
    checkOptions(op, options, ['shape', 'out']);
    const { rows, cols } = checkShape(op, options.shape, checkFloatInput(op, 'input', input, true));
    checkHome(r.ctx, op, { input }, r.encoding);
    const dtype = input instanceof GpuTensor ? input.dtype : 'f32'; // the output has the input's dtype
    const given = options.out === undefined ? undefined : checkOut(r.ctx, op, 'out', options.out, rows * cols, input instanceof GpuTensor ? input : undefined, dtype);
    const x = r.onGpu(input);
    return r.run(op, (batch) => {
      const out = given ?? r.ctx.allocate(rows * cols, dtype, op);
      encodeLogSoftmax(r.ctx, batch, x, out, rows, cols, log);
      return out;
    });
  }

  private gradOutput(ctx: GpuContext, op: string, gradOut: unknown, grad: boolean, input: Operand, inPlaceHint = ''): GpuTensor | undefined {
    if (gradOut === undefined) return undefined;
    if (!grad) throw new XentropyArgumentError(op, 'gradOut', 'needs grad: true');
    const tensor = input instanceof GpuTensor ? input : undefined;
    return checkOut(ctx, op, 'gradOut', gradOut, input.length, tensor, tensor?.dtype ?? 'f32', inPlaceHint);
  }
}

/** Copy the gradient into the caller's tensor in the same batch, and retire the engine's own gradient buffer. */
function withGradOut<T extends { grad?: GpuTensor }>(batch: Batch, result: T, out: GpuTensor | undefined): T {
  if (!out || !result.grad) return result;
  batch.copy(result.grad, out);
  batch.retire(result.grad);
  return { ...result, grad: out };
}

/**
 * Ops recorded into a caller's GPUCommandEncoder (from `engine.gpu.encodeInto(encoder)`): the same ops and options as
 * `engine.gpu`, returning their results at once (the work runs when the caller submits the encoder). Call
 * `submitted()` after submitting; see GpuOps.encodeInto for the rule.
 */
export class GpuEncoding {
  private readonly batches: Batch[] = [];
  private readonly temporaries: GpuTensor[] = [];
  private done: Promise<void> | null = null;
  private readonly recorder: Recorder;
  /** Results whose reads wait for `submitted()` (see holdReads). */
  private readonly held: GpuTensor[] = [];

  /** @internal */
  constructor(private readonly ops: GpuOps, private readonly ctx: GpuContext, readonly encoder: GPUCommandEncoder) {
    ctx.encodingStarted();
    this.recorder = {
      ctx,
      encoding: true,
      onGpu: (value) => {
        if (value instanceof GpuTensor) return value;
        const tensor = ctx.upload(hostArray(value), 'upload');
        this.temporaries.push(tensor);
        return tensor;
      },
      run: (op, record) => {
        if (this.done) throw new Error(`${op}: this encoding was already reported submitted; start a new one with engine.gpu.encodeInto`);
        const { batch, result } = ctx.record(op, encoder, record);
        batch.endRecording();
        this.batches.push(batch);
        this.holdReads(op, result);
        return result;
      },
    };
  }

  /** Every tensor the op returned rejects `read()` until `submitted()`: its values exist only after the submission. */
  private holdReads(op: string, result: unknown): void {
    const values = result instanceof GpuTensor ? [result] : Object.values(result as object);
    const tensors = values.filter((v): v is GpuTensor => v instanceof GpuTensor);
    for (const tensor of new Set(tensors)) {
      if (tensor.unsubmitted) tensor.unsubmitted.count++;
      else tensor.unsubmitted = { op, count: 1 };
      this.held.push(tensor);
    }
  }

  logSoftmax(input: GpuTensor, options: RowwiseGpuOptions): GpuTensor {
    return this.ops.rowwise(this.recorder, 'encode.logSoftmax', input, options, true) as GpuTensor;
  }

  softmax(input: GpuTensor, options: RowwiseGpuOptions): GpuTensor {
    return this.ops.rowwise(this.recorder, 'encode.softmax', input, options, false) as GpuTensor;
  }

  crossEntropy(logits: GpuTensor, target: IndexInput | Float32Array, options: CrossEntropyOptions & GradientOutput & InPlaceGradient): CrossEntropyGpuResult {
    return this.ops.crossEntropyOn(this.recorder, 'encode.crossEntropy', logits, target, options, false) as CrossEntropyGpuResult;
  }

  nllLoss(logProbs: GpuTensor, target: IndexInput, options: NllLossOptions & GradientOutput & InPlaceGradient): LossGpuResult {
    return this.ops.crossEntropyOn(this.recorder, 'encode.nllLoss', logProbs, target, options, true) as LossGpuResult;
  }

  binaryCrossEntropyWithLogits(input: GpuTensor, target: FloatInput, options: BinaryCrossEntropyWithLogitsOptions & GradientOutput): LossGpuResult {
    return this.ops.binaryOn(this.recorder, 'encode.binaryCrossEntropyWithLogits', input, target, options, true) as LossGpuResult;
  }

  binaryCrossEntropy(probs: GpuTensor, target: FloatInput, options: BinaryCrossEntropyOptions & GradientOutput): LossGpuResult {
    return this.ops.binaryOn(this.recorder, 'encode.binaryCrossEntropy', probs, target, options, false) as LossGpuResult;
  }

  entropy(probs: GpuTensor, options: LossOptions & GradientOutput): LossGpuResult {
    return this.ops.entropyOn(this.recorder, 'encode.entropy', probs, options) as LossGpuResult;
  }

  klDiv(input: GpuTensor, target: FloatInput, options: KlDivOptions & GradientOutput): LossGpuResult {
    return this.ops.klDivOn(this.recorder, 'encode.klDiv', input, target, options) as LossGpuResult;
  }

  sum(input: GpuTensor, options: SumGpuOptions = {}): GpuTensor {
    return this.ops.sumOn(this.recorder, 'encode.sum', input, options) as GpuTensor;
  }

  /**
   * Report that the encoder's command buffer was submitted (or dropped): temporaries go back to the engine's pool.
   * Resolves when every recording passed validation; rejects with the first error otherwise (its results are
   * released). Idempotent.
   */
  submitted(): Promise<void> {
    if (!this.done) {
      for (const tensor of this.held) {
        if (tensor.unsubmitted && --tensor.unsubmitted.count === 0) tensor.unsubmitted = null;
      }
      this.held.length = 0;
    }
    this.done ??= (async () => {
      for (const t of this.temporaries) t.release();
      const outcomes = await Promise.allSettled(this.batches.map((batch) => batch.close()));
      this.ctx.encodingDone();
      const failed = outcomes.find((o): o is PromiseRejectedResult => o.status === 'rejected');
      if (failed) throw failed.reason;
    })();
    return this.done;
  }
}

/**
 * Sent by an engine (an EventTarget) when its WebGPU device was lost: the engine has already moved to a new device
 * (when it owned the lost one) or to the CPU reference (when the device was the caller's, or none could be had).
 */
export class DeviceLostEvent extends Event {
  constructor(
    /** GPUDeviceLostInfo.reason: 'destroyed' or 'unknown'. */
    readonly reason: string,
    /** GPUDeviceLostInfo.message. */
    readonly message: string,
    /** Where the engine runs now. */
    readonly backend: 'webgpu' | 'cpu',
  ) {
    super('devicelost');
  }
}

/** A new device, for an engine that owned the one it lost. */
type Reacquire = () => Promise<{ ctx: GpuContext; info: AdapterInfo; keepAlive: unknown } | null>;

/**
 * The engine. It is an EventTarget: listen for 'devicelost' (a DeviceLostEvent) to learn that the device was lost and
 * where the engine runs now. Host-data calls running when the device is lost are redone there, so a loss never
 * gives a wrong number; GPU-resident calls whose tensors were on the lost device fail with a clear error.
 */
export class Engine extends EventTarget {
  /** The GPU-resident API (throws on the CPU backend). */
  readonly gpu: GpuOps;
  private info: AdapterInfo | null;
  private recovery: { from: GpuContext; done: Promise<void> } | null = null;
  private destroyed = false;

  /** @internal */
  constructor(private ctx: GpuContext | null, adapterInfo: AdapterInfo | null, private keepAlive: unknown, private readonly reacquire: Reacquire | null = null) {
    super();
    this.info = adapterInfo;
    this.gpu = new GpuOps(this, (op) => {
      this.assertLive(op);
      if (!this.ctx) {
        const problem = "runs on the CPU backend (engine.backend is 'cpu'): GPU-resident ops need the webgpu backend; check engine.backend first";
        throw new XentropyArgumentError(op, 'engine', problem);
      }
      return this.ctx;
    });
    if (ctx) this.watch(ctx);
  }

  /** Refuse any call after destroy(), on every backend. @internal */
  assertLive(op: string): void {
    if (this.destroyed) throw new XentropyArgumentError(op, 'engine', 'was destroyed: create a new engine');
  }

  /** 'webgpu' when the kernels run on a device, 'cpu' when the f64 reference does the work (also after a device loss without recovery). */
  get backend(): 'webgpu' | 'cpu' {
    return this.ctx ? 'webgpu' : 'cpu';
  }

  /** The adapter chosen (null on the CPU backend). */
  get adapterInfo(): AdapterInfo | null {
    return this.ctx ? this.info : null;
  }

  /** Resolves once a device loss seen so far was handled (the engine then runs on a new device or on the CPU). */
  async settled(): Promise<void> {
    await this.recovery?.done;
  }

  /** Recover as soon as the device reports its loss, so that a loss between calls is handled before the next one. */
  private watch(ctx: GpuContext): void {
    void ctx.device.lost.then(() => {
      if (this.ctx === ctx && ctx.lost) void this.recover(ctx);
    });
  }

  /** Move off a lost device: to a new one when the engine owned the lost one, else to the CPU. Once per device. */
  private recover(lost: GpuContext): Promise<void> {
    if (this.recovery?.from === lost) return this.recovery.done;
    if (this.ctx !== lost) return Promise.resolve();
    const done = (async () => {
      const { reason, message } = lost.lostInfo ?? { reason: 'unknown', message: '' };
      lost.destroy();
      let next: Awaited<ReturnType<Reacquire>>;
      try {
        next = this.reacquire ? await this.reacquire() : null;
      } catch {
        next = null;
      }
      if (this.destroyed) {
        next?.ctx.destroy();
        return;
      }
      this.ctx = next?.ctx ?? null;
      this.info = next?.info ?? null;
      this.keepAlive = next?.keepAlive ?? null;
      if (next) this.watch(next.ctx);
      console.warn(`xentropy: the WebGPU device was lost (${reason}: ${message}); the engine continues on ${next ? 'a new WebGPU device' : 'the CPU reference'}`);
      this.dispatchEvent(new DeviceLostEvent(reason, message, this.backend));
    })();
    this.recovery = { from: lost, done };
    return done;
  }

  /**
   * Run a host-data call on the GPU; if the device is lost before or while it runs, recover and run the whole call
   * again (`again`) on the new device or the CPU. GpuTensor operands cannot move, so then the call fails clearly.
   */
  private async resilient<T>(op: string, operands: readonly unknown[], gpu: () => Promise<T>, again: () => Promise<T>): Promise<T> {
    const ctx = this.ctx!;
    if (!ctx.lost) {
      try {
        return await gpu();
      } catch (error) {
        if (this.destroyed || !(await ctx.lostAfterError())) throw error;
      }
    }
    await this.recover(ctx);
    if (operands.some((value) => value instanceof GpuTensor)) {
      throw new Error(`${op}: the WebGPU device was lost, and this call's GpuTensor inputs were on it (the engine now runs on ${this.ctx ? 'a new device' : 'the CPU'}: upload the data again)`);
    }
    return again();
  }

  /** The device in use (null on the CPU backend): share it with other WebGPU code. */
  get device(): GPUDevice | null {
    return this.ctx?.device ?? null;
  }

  /** The largest workgroup the kernels use (0 on the CPU backend). */
  get workgroupSize(): number {
    return this.ctx?.workgroupSize ?? 0;
  }

  /** True when row reductions use subgroup operations. */
  get subgroups(): boolean {
    return this.ctx?.subgroups ?? false;
  }

  /**
   * True when f16 tensors are read and written as array<f16> (the device has `shader-f16` and createEngine's
   * `shaderF16` was not false); false: as f16 pairs packed in u32 words, which every device can (see README, f16).
   */
  get shaderF16(): boolean {
    return this.ctx?.nativeF16 ?? false;
  }

  /** The launch shapes in use ('cpu' or 'gpu'; null on the CPU backend). */
  get tuning(): Tuning | null {
    return this.ctx?.tuning ?? null;
  }

  /** log_softmax over the last dimension of `input` (shape [...rows, classes]). */
  async logSoftmax(input: FloatInput, options: ShapeOptions): Promise<Float32Array> {
    return this.rowwise('logSoftmax', input, options, true);
  }

  /** softmax over the last dimension of `input` (shape [...rows, classes]). */
  async softmax(input: FloatInput, options: ShapeOptions): Promise<Float32Array> {
    return this.rowwise('softmax', input, options, false);
  }

  /**
   * PyTorch's F.cross_entropy of logits (or probabilities, `inputs: 'probabilities'`) against class-index targets
   * (an Int32Array, one per row) or probability targets (a Float32Array of the logits' shape), with class weights,
   * label smoothing, ignoreIndex and any class dimension, plus zLoss and softcap. The gradient is fused into the same
   * kernel. 'none' gives one loss per row (the shape without the class dimension).
   */
  async crossEntropy(logits: FloatInput, target: IndexInput | Float32Array, options: CrossEntropyOptions): Promise<CrossEntropyResult> {
    const op = 'crossEntropy';
    const o = this.crossEntropyArgs(op, logits, target, options, false);
    if (!this.ctx) {
      const r = (await cpuReference()).crossEntropy(this.hostFloats(op, logits, o.inputs === 'probabilities' ? 'input' : 'logits'), this.hostData(op, 'target', o.target), o.rows, o.cols, { ...o, weight: this.hostWeights(op, 'weight', o.weight) });
      const result = toHost(r, o.reduction === 'none') as CrossEntropyResult;
      if (o.zLoss !== 0) result.zLoss = typeof r.zLoss === 'number' ? Math.fround(r.zLoss) : Float32Array.from(r.zLoss);
      return result;
    }
    return this.resilient(op, [logits, target], async () => this.readResult(op, o.reduction === 'none', o.recheck, await this.gpu.withUploads((r) => this.gpu.crossEntropyOn(r, op, logits, o.target, options, false, o))), () => this.crossEntropy(logits, target, options));
  }

  /**
   * PyTorch's F.nll_loss: `logProbs` holds log-probabilities (e.g. from logSoftmax), targets are class indices.
   * Loss -w_t logProbs[t] per non-ignored row; the gradient is with respect to logProbs.
   */
  async nllLoss(logProbs: FloatInput, target: IndexInput, options: NllLossOptions): Promise<LossResult> {
    const op = 'nllLoss';
    const o = this.crossEntropyArgs(op, logProbs, target, options, true);
    if (!this.ctx) return toHost((await cpuReference()).nllLoss(this.hostFloats(op, logProbs, 'logProbs'), this.hostData(op, 'target', o.target), o.rows, o.cols, { ...o, weight: this.hostWeights(op, 'weight', o.weight) }), o.reduction === 'none');
    return this.resilient(op, [logProbs, target], async () => this.readResult(op, o.reduction === 'none', o.recheck, await this.gpu.withUploads((r) => this.gpu.crossEntropyOn(r, op, logProbs, o.target, options, true, o))), () => this.nllLoss(logProbs, target, options));
  }

  /**
   * PyTorch's F.binary_cross_entropy_with_logits in its stable form: element-wise losses of `input` logits against
   * `target` (same shape, values in [0, 1] typically), `weight` broadcast from the trailing dimensions, `posWeight`
   * along the last. 'none' gives one loss per element; 'mean' divides by the element count.
   */
  async binaryCrossEntropyWithLogits(input: FloatInput, target: FloatInput, options: BinaryCrossEntropyWithLogitsOptions): Promise<LossResult> {
    const op = 'binaryCrossEntropyWithLogits';
    const o = this.binaryArgs(op, input, target, options, true);
    if (!this.ctx) {
      const weight = this.hostWeights(op, 'weight', o.weight);
      const posWeight = this.hostWeights(op, 'posWeight', o.posWeight);
      return toHost((await cpuReference()).binaryCrossEntropyWithLogits(this.hostFloats(op, input), this.hostFloats(op, o.target, 'target'), { ...o, weight, posWeight }), o.reduction === 'none');
    }
    return this.resilient(op, [input, target], async () => this.readResult(op, o.reduction === 'none', o.recheck, await this.gpu.withUploads((r) => this.gpu.binaryOn(r, op, input, o.target, options, true, o))), () => this.binaryCrossEntropyWithLogits(input, target, options));
  }

  /** PyTorch's F.binary_cross_entropy of probabilities in [0, 1] (logs clamped at -100). Same options as the logits form, without posWeight. */
  async binaryCrossEntropy(probs: FloatInput, target: FloatInput, options: BinaryCrossEntropyOptions): Promise<LossResult> {
    const op = 'binaryCrossEntropy';
    const o = this.binaryArgs(op, probs, target, options, false);
    if (!this.ctx) return toHost((await cpuReference()).binaryCrossEntropy(this.hostFloats(op, probs, 'probs'), this.hostFloats(op, o.target, 'target'), { ...o, weight: this.hostWeights(op, 'weight', o.weight) }), o.reduction === 'none');
    return this.resilient(op, [probs, target], async () => this.readResult(op, o.reduction === 'none', o.recheck, await this.gpu.withUploads((r) => this.gpu.binaryOn(r, op, probs, o.target, options, false, o))), () => this.binaryCrossEntropy(probs, target, options));
  }

  /** The entropy -sum_c p_c log p_c of each row of probabilities (shape [...rows, classes]); 'mean' averages over rows. */
  async entropy(probs: FloatInput, options: LossOptions): Promise<LossResult> {
    const op = 'entropy';
    const o = this.entropyArgs(op, probs, options);
    if (!this.ctx) return toHost((await cpuReference()).entropy(this.hostFloats(op, probs, 'probs'), o.rows, o.cols, o), o.reduction === 'none');
    return this.resilient(op, [probs], async () => this.readResult(op, o.reduction === 'none', [], await this.gpu.withUploads((r) => this.gpu.entropyOn(r, op, probs, options, o))), () => this.entropy(probs, options));
  }

  /**
   * PyTorch's F.kl_div(input, target): `input` holds log-probabilities, `target` probabilities (or log-probabilities
   * with logTarget). KL(target || exp(input)) summed per element; 'batchmean' divides by the first dimension.
   */
  async klDiv(input: FloatInput, target: FloatInput, options: KlDivOptions): Promise<LossResult> {
    const op = 'klDiv';
    const o = this.klDivArgs(op, input, target, options);
    if (!this.ctx) return toHost((await cpuReference()).klDiv(this.hostFloats(op, input), this.hostFloats(op, o.target, 'target'), o), o.reduction === 'none');
    return this.resilient(op, [input, target], async () => this.readResult(op, o.reduction === 'none', [], await this.gpu.withUploads((r) => this.gpu.klDivOn(r, op, input, o.target, options, o))), () => this.klDiv(input, target, options));
  }

  /**
   * Fused linear cross-entropy: `crossEntropy(hidden @ weight^T + bias, target)` with hidden [...rows, D] (`shape`),
   * weight [V, D] (a torch.nn.Linear's weight), class-index targets, and crossEntropy's options (class weights as
   * `classWeight`), returning the loss and d loss / d hidden, weight and bias without the rows x V logits ever being
   * in GPU memory at once (chunks of rows; see src/ops/linearCrossEntropy.ts).
   */
  async linearCrossEntropy(hidden: FloatInput, weight: FloatInput, target: IndexInput, options: LinearCrossEntropyOptions): Promise<LinearCrossEntropyResult> {
    const op = 'linearCrossEntropy';
    this.assertLive(op);
    const lce = await loadLinearCrossEntropy();
    const o = lce.linearCrossEntropyArgs(op, hidden, weight, target, options);
    if (!this.ctx) {
      const r = (await cpuReference()).linearCrossEntropy(this.hostFloats(op, hidden, 'hidden'), this.hostFloats(op, weight, 'weight'), this.hostData(op, 'target', o.target), o.rows, o.dim, o.vocab, {
        ...o,
        bias: this.hostWeights(op, 'bias', o.bias),
        classWeight: this.hostWeights(op, 'classWeight', o.classWeight),
      });
      const f32 = (x: number | Float64Array): number | Float32Array => (typeof x === 'number' ? Math.fround(x) : Float32Array.from(x));
      return withoutUndefined({
        loss: f32(r.loss),
        gradHidden: r.gradHidden && Float32Array.from(r.gradHidden),
        gradWeight: r.gradWeight && Float32Array.from(r.gradWeight),
        gradBias: r.gradBias && Float32Array.from(r.gradBias),
        weightSum: r.weightSum,
        zLoss: o.zLoss !== 0 ? f32(r.zLoss) : undefined,
      });
    }
    const gpu = async () => lce.readLinearCrossEntropy(op, o, await this.gpu.withUploads((r) => this.gpu.linearCrossEntropyOn(r, op, hidden, weight, o.target, options, o)));
    return this.resilient(op, [hidden, weight, target, options.bias], gpu, () => this.linearCrossEntropy(hidden, weight, target, options));
  }

  /** The sum of all values (deterministic: the same input gives the same bits on every run). */
  async sum(input: FloatInput): Promise<number> {
    this.assertLive('sum');
    checkFloatInput('sum', 'input', input);
    if (!this.ctx) return Math.fround((await cpuReference()).sum(this.hostFloats('sum', input)));
    const gpu = async () => {
      const out = await this.gpu.withUploads((r) => this.gpu.sumOn(r, 'sum', input, {}));
      try {
        return (await out.read())[0]!;
      } finally {
        out.release();
      }
    };
    return this.resilient('sum', [input], gpu, () => this.sum(input));
  }

  /** Buffers the engine holds (live and pooled), for leak checks and memory accounting. */
  stats(): EngineStats {
    return this.ctx?.stats() ?? { liveBuffers: 0, liveBytes: 0, pooledBuffers: 0, pooledBytes: 0, created: 0, cachedDispatches: 0 };
  }

  /**
   * Run `work` (calls of this engine) and return, with its result, every GPU dispatch it recorded: the kernel with its
   * pipeline constants and element-I/O variant, and the workgroup count. Works on every adapter (nothing is timed):
   * for tests and tuning, to see which kernel variant a call chose.
   */
  async trace<T>(work: () => Promise<T>): Promise<{ result: T; dispatches: DispatchInfo[] }> {
    this.assertLive('trace');
    if (!this.ctx) {
      throw new XentropyArgumentError('trace', 'engine', "runs on the CPU backend (engine.backend is 'cpu'): it has no GPU dispatches");
    }
    return this.ctx.trace(work);
  }

  /**
   * Run `work` (calls of this engine) with each GPU dispatch timed by GPU timestamps; needs the device feature
   * 'timestamp-query'. For benchmarks and tuning: profiled dispatches each get their own compute pass; with
   * `{ perPass: true }` a batch's dispatches share their pass as in unprofiled calls and each pass is timed as one
   * entry (its `kernel` lists the pass's kernels), which avoids the per-pass overhead of tiny dispatches.
   */
  async profile<T>(work: () => Promise<T>, options: { perPass?: boolean } = {}): Promise<{ result: T; timings: DispatchTiming[] }> {
    this.assertLive('profile');
    if (!this.ctx) {
      throw new XentropyArgumentError('profile', 'engine', "runs on the CPU backend (engine.backend is 'cpu'): it has no GPU dispatches to time");
    }
    return this.ctx.profile(work, options);
  }

  /** Destroy the pooled buffers kept for reuse (e.g. after a one-off large call); live results stay valid. */
  trim(): void {
    this.ctx?.pool.trim();
  }

  /** Free every GPU object the engine created (and the device, unless the caller supplied it). */
  destroy(): void {
    this.destroyed = true;
    this.ctx?.destroy();
    this.keepAlive = null;
  }

  /** @internal Validate crossEntropy's and nllLoss's arguments (shared by the host and GPU-resident forms). */
  crossEntropyArgs(op: string, input: unknown, target: unknown, options: CrossEntropyOptions, nll: boolean) {
    this.assertLive(op);
    checkOptions(op, options, nll ? NLL_OPTIONS : CROSS_ENTROPY_OPTIONS);
    const inputs = nll ? ('logProbs' as const) : checkChoice(op, 'inputs', options.inputs, ['logits', 'probabilities'] as const, 'logits');
    const inputName = nll ? 'logProbs' : inputs === 'probabilities' ? 'input' : 'logits';
    const length = checkFloatInput(op, inputName, input, true);
    checkShape(op, options.shape, length, inputName);
    const { rows, cols, inner, classDim } = checkClassDim(op, options.classDim, Array.from(options.shape));
    // A target length error names `shape` as what the target disagrees with (e.g. a transposed [classes, rows]).
    const classesAt = classDim === options.shape.length - 1 ? '' : ` (classes in dimension ${classDim})`;
    const rowsOf = `shape [${options.shape.join(', ')}]${classesAt} has`;
    const reduction = checkReduction(op, options.reduction);
    const grad = checkBoolean(op, 'grad', options.grad, true);
    const labelSmoothing = checkNumber(op, 'labelSmoothing', options.labelSmoothing, 0, 0, 1);
    const zLoss = checkNumber(op, 'zLoss', options.zLoss, 0, 0, Infinity);
    const softcap = options.softcap === undefined ? undefined : checkNumber(op, 'softcap', options.softcap, 0, 0, Infinity, true);
    if (inputs === 'probabilities') {
      if (zLoss !== 0) throw new XentropyArgumentError(op, 'zLoss', "applies to logits only, not to inputs: 'probabilities'");
      if (softcap !== undefined) throw new XentropyArgumentError(op, 'softcap', "applies to logits only, not to inputs: 'probabilities'");
      checkProbabilities(op, inputName, input as Float32Array | GpuTensor);
    }
    const weight = options.weight === undefined ? undefined : checkWeights(op, 'weight', options.weight, [cols], `one per class (${cols})`);
    let allWeights = cols;
    if (weight instanceof Float32Array) allWeights = weight.reduce((a, b) => a + b, 0);
    // An f16 GpuTensor is taken for probabilities too, so that it is refused as such (probability targets are f32).
    const softTarget = target instanceof Float32Array || (target instanceof GpuTensor && target.dtype !== 'i32');
    const ignoreIndex = checkInteger(op, 'ignoreIndex', options.ignoreIndex, DEFAULT_IGNORE_INDEX);
    let checkedTarget: Int32Array | Float32Array | GpuTensor;
    if (softTarget) {
      if (nll) throw new XentropyArgumentError(op, 'target', 'must hold class indices (an Int32Array or an i32 GpuTensor); nll_loss has no probability targets');
      // The default passed explicitly (code ported from PyTorch passes ignore_index=-100 everywhere) means no option.
      if (ignoreIndex !== DEFAULT_IGNORE_INDEX) {
        const problem = 'applies to class-index targets only; these targets are probabilities (a Float32Array)';
        const fix = `leave it out (or at its default, ${DEFAULT_IGNORE_INDEX})`;
        throw new XentropyArgumentError(op, 'ignoreIndex', `${problem}: ${fix}`);
      }
      checkedTarget = checkFloatTensor(op, 'target', target, length, `probability targets need the ${inputName}' element count,`);
    } else {
      checkedTarget = checkClassTargets(op, target, rows, cols, ignoreIndex, rowsOf);
    }
    const recheck = gpuRechecks(
      [checkedTarget, (v) => checkClassTargets(op, v, rows, cols, ignoreIndex, rowsOf)],
      [weight, (v) => checkWeights(op, 'weight', v, [cols], `one per class (${cols})`)],
    );
    return { rows, cols, inner, reduction, ignoreIndex, grad, target: checkedTarget, softTarget, inputs, weight, allWeights, labelSmoothing, zLoss, softcap, recheck };
  }

  /** @internal Validate the binary cross-entropies' arguments. */
  binaryArgs(op: string, input: unknown, target: unknown, options: BinaryCrossEntropyWithLogitsOptions, logits: boolean) {
    this.assertLive(op);
    checkOptions(op, options, logits ? BCE_LOGITS_OPTIONS : BCE_OPTIONS);
    const inputName = logits ? 'input' : 'probs';
    const n = checkFloatInput(op, inputName, input);
    const { cols } = checkShape(op, options.shape, n, inputName);
    const reduction = checkReduction(op, options.reduction);
    const grad = checkBoolean(op, 'grad', options.grad, true);
    const checkedTarget = checkFloatTensor(op, 'target', target, n, `the ${inputName} has`);
    if (!logits) checkProbabilities(op, inputName, input as Float32Array | GpuTensor);
    const dims = Array.from(options.shape);
    const suffixes: number[] = [];
    for (let k = dims.length - 1, product = 1; k >= 0; k--) suffixes.push((product *= dims[k]!));
    const weight = options.weight === undefined ? undefined : checkWeights(op, 'weight', options.weight, suffixes, `the size of trailing dimensions of the shape: one of ${suffixes.join(', ')}`);
    const posWeight = options.posWeight === undefined ? undefined : checkWeights(op, 'posWeight', options.posWeight, [cols], `one per entry of the last dimension (${cols})`);
    const recheck = gpuRechecks(
      [weight, (v) => checkWeights(op, 'weight', v, suffixes, 'finite values >= 0')],
      [posWeight, (v) => checkWeights(op, 'posWeight', v, [cols], 'finite values >= 0')],
    );
    return { n, cols, reduction, grad, target: checkedTarget, logits, weight, posWeight, recheck };
  }

  /** @internal */
  entropyArgs(op: string, probs: unknown, options: LossOptions) {
    this.assertLive(op);
    checkOptions(op, options, ENTROPY_OPTIONS);
    const { rows, cols } = checkShape(op, options.shape, checkFloatInput(op, 'probs', probs), 'probs');
    checkProbabilities(op, 'probs', probs as Float32Array | GpuTensor);
    return { rows, cols, reduction: checkReduction(op, options.reduction), grad: checkBoolean(op, 'grad', options.grad, true) };
  }

  /** @internal */
  klDivArgs(op: string, input: unknown, target: unknown, options: KlDivOptions) {
    this.assertLive(op);
    checkOptions(op, options, KL_OPTIONS);
    const n = checkFloatInput(op, 'input', input);
    checkShape(op, options.shape, n, 'input');
    const reduction: KlReduction = checkChoice(op, 'reduction', options.reduction, ['mean', 'batchmean', 'sum', 'none'] as const, 'mean');
    const logTarget = checkBoolean(op, 'logTarget', options.logTarget, false);
    const checkedTarget = checkFloatTensor(op, 'target', target, n, 'the input has');
    return { n, batch: options.shape[0]!, reduction, logTarget, grad: checkBoolean(op, 'grad', options.grad, true), target: checkedTarget };
  }

  /** Read a GPU result back to the host and release its tensors; out-of-range GPU-resident targets throw here. */
  private async readResult(op: string, none: boolean, recheck: Recheck, result: CrossEntropyGpuResult): Promise<CrossEntropyResult> {
    const tensors = [result.loss, result.weightSum, ...(result.grad ? [result.grad] : []), ...(result.zLoss ? [result.zLoss] : [])];
    try {
      const [loss, grad, ws, z] = await Promise.all([result.loss.read(), result.grad?.read(), result.weightSum.read(), result.zLoss?.read()]);
      if (ws[1]! > 0) await explainInvalid(op, ws[1]!, recheck);
      return withoutUndefined({
        loss: none ? (loss as Float32Array) : loss[0]!,
        grad: grad as Float32Array | undefined,
        weightSum: ws[0]!,
        zLoss: z === undefined ? undefined : none ? (z as Float32Array) : z[0]!,
      });
    } finally {
      for (const t of tensors) t.release();
    }
  }

  private async rowwise(op: string, input: FloatInput, options: ShapeOptions, log: boolean): Promise<Float32Array> {
    this.assertLive(op);
    checkOptions(op, options, SHAPE_OPTIONS);
    const { rows, cols } = checkShape(op, options.shape, checkFloatInput(op, 'input', input, true));
    if (!this.ctx) {
      const x = this.hostFloats(op, input);
      return Float32Array.from(log ? (await cpuReference()).logSoftmax(x, rows, cols) : (await cpuReference()).softmax(x, rows, cols));
    }
    const gpu = async () => {
      const out = await this.gpu.withUploads((r) => this.gpu.rowwise(r, op, input, options, log));
      try {
        return (await out.read()) as Float32Array;
      } finally {
        out.release();
      }
    };
    return this.resilient(op, [input], gpu, () => this.rowwise(op, input, options, log));
  }

  /** Host data for the CPU reference: arrays of numbers as f32 (as they would be uploaded); a GpuTensor is refused. */
  private hostFloats(op: string, value: FloatInput, argument = 'input'): Float32Array {
    return this.hostData(op, argument, value) as Float32Array;
  }

  private hostData<T extends Float32Array | Int32Array>(op: string, argument: string, value: T | GpuTensor | readonly number[]): T {
    if (value instanceof GpuTensor) {
      const problem = "is a GpuTensor, but this engine runs on the CPU backend (engine.backend is 'cpu'): pass host data";
      throw new XentropyArgumentError(op, argument, problem);
    }
    return hostArray(value) as T;
  }

  private hostWeights(op: string, argument: string, value: Float32Array | GpuTensor | undefined): Float32Array | undefined {
    return value === undefined ? undefined : this.hostData(op, argument, value);
  }
}

/** Host data as a typed array: an array of numbers is float data (f32), as everywhere. */
function hostArray(value: Float32Array | Int32Array | readonly number[]): Float32Array | Int32Array {
  return Array.isArray(value) ? Float32Array.from(value) : (value as Float32Array | Int32Array);
}

/**
 * The fused linear cross-entropy (its validation, kernels and host side), loaded on first use, so that applications
 * that never call it do not load it (its kernels are registered by the module: see src/shaders.ts).
 */
function loadLinearCrossEntropy(): Promise<typeof import('./ops/linearCrossEntropy.js')> {
  return import('./ops/linearCrossEntropy.js');
}

/**
 * The f64 CPU reference, for an engine on the CPU backend: loaded on first use, so that applications whose engine runs
 * on WebGPU need not load it (it is also the package's public `reference` export).
 */
function cpuReference(): Promise<typeof import('./reference/index.js')> {
  return import('./reference/index.js');
}

function withoutUndefined<T extends object>(value: T): T {
  for (const key of Object.keys(value) as (keyof T)[]) if (value[key] === undefined) delete value[key];
  return value;
}

/** An f64 reference result as the engine returns it: f32 values. */
function toHost(r: { loss: number | Float64Array; grad: Float64Array | undefined; weightSum: number }, none: boolean): LossResult {
  return withoutUndefined({
    loss: none || typeof r.loss !== 'number' ? Float32Array.from(r.loss as Float64Array) : Math.fround(r.loss),
    grad: r.grad ? Float32Array.from(r.grad) : undefined,
    weightSum: r.weightSum,
  });
}
