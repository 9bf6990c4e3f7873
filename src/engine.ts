/**
 * The engine: one WebGPU device (or the CPU), the public ops, and the choice between the GPU kernels and the CPU
 * reference. Every op validates its arguments first (src/validate.ts), then runs either the reference
 * (src/reference/) or records its kernels (src/ops/) through the GpuContext that owns all GPU objects.
 */
import { acquireDevice, describe, type AdapterInfo, type NodeAdapter } from './gpu/adapter.js';
import { GpuContext, type DispatchTiming, type EngineStats, type Tuning } from './gpu/context.js';
import { GpuTensor, type DType } from './gpu/tensor.js';
import { encodeBinaryCrossEntropy } from './ops/binaryCrossEntropy.js';
import { encodeCrossEntropy } from './ops/crossEntropy.js';
import { encodeEntropy } from './ops/entropy.js';
import { encodeKlDiv } from './ops/klDiv.js';
import { encodeLogSoftmax } from './ops/logSoftmax.js';
import { runLinearCrossEntropy } from './ops/linearCrossEntropy.js';
import { encodeSum } from './ops/sum.js';
import * as reference from './reference/index.js';
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
  checkWeights,
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
}

const ENGINE_OPTIONS = ['backend', 'device', 'adapter', 'tuning', 'subgroups', 'maxWorkgroupSize'];
const SHAPE_OPTIONS = ['shape'];
const NLL_OPTIONS = ['shape', 'reduction', 'ignoreIndex', 'grad', 'weight', 'classDim'];
const CROSS_ENTROPY_OPTIONS = [...NLL_OPTIONS, 'labelSmoothing', 'zLoss', 'softcap', 'inputs'];
const BCE_OPTIONS = ['shape', 'reduction', 'grad', 'weight'];
const BCE_LOGITS_OPTIONS = [...BCE_OPTIONS, 'posWeight'];
const ENTROPY_OPTIONS = ['shape', 'reduction', 'grad'];
const KL_OPTIONS = ['shape', 'reduction', 'logTarget', 'grad'];
const LINEAR_CE_OPTIONS = ['shape', 'bias', 'reduction', 'ignoreIndex', 'grad', 'classWeight', 'labelSmoothing', 'zLoss', 'softcap'];

type CrossEntropyArgs = ReturnType<Engine['crossEntropyArgs']>;
type BinaryArgs = ReturnType<Engine['binaryArgs']>;
type EntropyArgs = ReturnType<Engine['entropyArgs']>;
type KlArgs = ReturnType<Engine['klDivArgs']>;
type LinearArgs = ReturnType<Engine['linearCrossEntropyArgs']>;
/** Host data or GPU tensors an op reads. */
type Operand = Float32Array | Int32Array | GpuTensor;

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
  const contextFor = async (device: GPUDevice, owned: boolean, info: AdapterInfo): Promise<GpuContext> => {
    const ctx = new GpuContext(device, owned, tuningFor(info), maxWorkgroupSize);
    if (subgroups) await ctx.enableSubgroups();
    return ctx;
  };
  if (backend === 'cpu') return new Engine(null, null, null);
  if (options.device) {
    const info = describe(undefined, options.device, 'external', 'core');
    return new Engine(await contextFor(options.device, false, info), info, null);
  }
  const acquired = await acquireDevice(options.adapter ?? 'auto');
  if (!acquired) {
    if (backend === 'webgpu') {
      throw new Error(
        'createEngine: no WebGPU adapter was found (browser: navigator.gpu; Node: the `webgpu` package with a Vulkan ' +
          'driver, SwiftShader or Mesa llvmpipe). Use backend: "auto" or "cpu" to run on the CPU reference.',
      );
    }
    return new Engine(null, null, null);
  }
  return new Engine(await contextFor(acquired.device, true, acquired.info), acquired.info, acquired.keepAlive);
}

/** Ops on data already on the GPU: inputs and results are GpuTensors; nothing is read back unless asked. */
export class GpuOps {
  constructor(private readonly engine: Engine, private readonly context: () => GpuContext) {}

  /** Copy host data to a new engine-owned tensor (release it when done). */
  upload(data: Float32Array | Int32Array): GpuTensor {
    if (!(data instanceof Float32Array) && !(data instanceof Int32Array)) {
      throw new XentropyArgumentError('gpu.upload', 'data', 'must be a Float32Array or an Int32Array');
    }
    return this.context().upload(data, 'upload');
  }

  /**
   * View a caller-owned buffer as a tensor. The buffer needs STORAGE usage (and COPY_SRC to be read back); the engine
   * never destroys it.
   */
  wrap(buffer: GPUBuffer, options: { dtype: DType; length: number; byteOffset?: number }): GpuTensor {
    const byteOffset = options.byteOffset ?? 0;
    if (byteOffset % 4 !== 0) throw new XentropyArgumentError('gpu.wrap', 'byteOffset', `must be a multiple of 4 (got ${byteOffset})`);
    if (byteOffset + options.length * 4 > buffer.size) {
      throw new XentropyArgumentError('gpu.wrap', 'buffer', `is too small: ${buffer.size} bytes, but ${options.length} elements at byte ${byteOffset} need ${byteOffset + options.length * 4}`);
    }
    if (!(buffer.usage & GPUBufferUsage.STORAGE)) throw new XentropyArgumentError('gpu.wrap', 'buffer', 'needs GPUBufferUsage.STORAGE');
    return this.context().own(buffer, options.dtype, options.length, byteOffset, false);
  }

  async logSoftmax(input: GpuTensor, options: ShapeOptions): Promise<GpuTensor> {
    return this.rowwise('logSoftmax', input, options, true);
  }

  async softmax(input: GpuTensor, options: ShapeOptions): Promise<GpuTensor> {
    return this.rowwise('softmax', input, options, false);
  }

  /** F.cross_entropy: class-index targets (i32) or probability targets (f32, the logits' shape). See Engine.crossEntropy. */
  async crossEntropy(logits: GpuTensor, target: GpuTensor | Int32Array | Float32Array, options: CrossEntropyOptions): Promise<CrossEntropyGpuResult> {
    const op = 'gpu.crossEntropy';
    const o = this.engine.crossEntropyArgs(op, logits, target, options, false);
    return this.withUploads((onGpu) => this.crossEntropyOnGpu(op, onGpu(logits), onGpu(o.target), o, onGpu));
  }

  /** F.nll_loss of log-probabilities. See Engine.nllLoss. */
  async nllLoss(logProbs: GpuTensor, target: GpuTensor | Int32Array, options: NllLossOptions): Promise<LossGpuResult> {
    const op = 'gpu.nllLoss';
    const o = this.engine.crossEntropyArgs(op, logProbs, target, options, true);
    return this.withUploads((onGpu) => this.crossEntropyOnGpu(op, onGpu(logProbs), onGpu(o.target), o, onGpu));
  }

  /** F.binary_cross_entropy_with_logits. See Engine.binaryCrossEntropyWithLogits. */
  async binaryCrossEntropyWithLogits(input: GpuTensor, target: GpuTensor | Float32Array, options: BinaryCrossEntropyWithLogitsOptions): Promise<LossGpuResult> {
    const op = 'gpu.binaryCrossEntropyWithLogits';
    const o = this.engine.binaryArgs(op, input, target, options, true);
    return this.withUploads((onGpu) => this.binaryOnGpu(op, onGpu(input), onGpu(o.target), o, onGpu));
  }

  /** F.binary_cross_entropy of probabilities. See Engine.binaryCrossEntropy. */
  async binaryCrossEntropy(probs: GpuTensor, target: GpuTensor | Float32Array, options: BinaryCrossEntropyOptions): Promise<LossGpuResult> {
    const op = 'gpu.binaryCrossEntropy';
    const o = this.engine.binaryArgs(op, probs, target, options, false);
    return this.withUploads((onGpu) => this.binaryOnGpu(op, onGpu(probs), onGpu(o.target), o, onGpu));
  }

  /** Row entropies of probabilities. See Engine.entropy. */
  async entropy(probs: GpuTensor, options: LossOptions): Promise<LossGpuResult> {
    const op = 'gpu.entropy';
    const o = this.engine.entropyArgs(op, probs, options);
    return this.entropyOnGpu(op, probs, o);
  }

  /** F.kl_div of log-probabilities. See Engine.klDiv. */
  async klDiv(input: GpuTensor, target: GpuTensor | Float32Array, options: KlDivOptions): Promise<LossGpuResult> {
    const op = 'gpu.klDiv';
    const o = this.engine.klDivArgs(op, input, target, options);
    return this.withUploads((onGpu) => this.klDivOnGpu(op, onGpu(input), onGpu(o.target), o));
  }

  /** Fused linear cross-entropy on GPU tensors (host arrays are uploaded). See Engine.linearCrossEntropy. */
  async linearCrossEntropy(hidden: GpuTensor, weight: GpuTensor, target: GpuTensor | Int32Array, options: LinearCrossEntropyOptions): Promise<LinearCrossEntropyGpuResult> {
    const op = 'gpu.linearCrossEntropy';
    const o = this.engine.linearCrossEntropyArgs(op, hidden, weight, target, options);
    return this.withUploads((onGpu) => this.linearCrossEntropyOnGpu(op, onGpu(hidden), onGpu(weight), onGpu(o.target), o, onGpu));
  }

  async sum(input: GpuTensor): Promise<GpuTensor> {
    const n = checkFloatInput('gpu.sum', 'input', input);
    const ctx = this.context();
    const out = ctx.allocate(1, 'f32', 'sum');
    await ctx.submit('sum', (batch) => encodeSum(ctx, batch, input as GpuTensor, n, out));
    return out;
  }

  /** @internal Run `record` with `onGpu`, which uploads host data to temporaries released afterwards. */
  async withUploads<T>(record: (onGpu: (value: Operand) => GpuTensor) => Promise<T>): Promise<T> {
    const ctx = this.context();
    const temporaries: GpuTensor[] = [];
    try {
      return await record((value) => {
        if (value instanceof GpuTensor) return value;
        const tensor = ctx.upload(value, 'upload');
        temporaries.push(tensor);
        return tensor;
      });
    } finally {
      // Safe once recorded: any reuse of the buffers is a later queue operation.
      for (const t of temporaries) t.release();
    }
  }

  /** @internal */
  async crossEntropyOnGpu(op: string, input: GpuTensor, target: GpuTensor, o: CrossEntropyArgs, onGpu: (value: Operand) => GpuTensor): Promise<CrossEntropyGpuResult> {
    const ctx = this.context();
    const weight = o.weight ? onGpu(o.weight) : undefined;
    return ctx.submit(op, (batch) => encodeCrossEntropy(ctx, batch, input, target, { ...o, weight }));
  }

  /** @internal */
  async binaryOnGpu(op: string, input: GpuTensor, target: GpuTensor, o: BinaryArgs, onGpu: (value: Operand) => GpuTensor): Promise<LossGpuResult> {
    const ctx = this.context();
    const weight = o.weight ? onGpu(o.weight) : undefined;
    const posWeight = o.posWeight ? onGpu(o.posWeight) : undefined;
    return ctx.submit(op, (batch) => encodeBinaryCrossEntropy(ctx, batch, input, target, { ...o, weight, posWeight }));
  }

  /** @internal */
  async linearCrossEntropyOnGpu(op: string, hidden: GpuTensor, weight: GpuTensor, target: GpuTensor, o: LinearArgs, onGpu: (value: Operand) => GpuTensor): Promise<LinearCrossEntropyGpuResult> {
    const ctx = this.context();
    const bias = o.bias ? onGpu(o.bias) : undefined;
    const classWeight = o.classWeight ? onGpu(o.classWeight) : undefined;
    return runLinearCrossEntropy(ctx, op, hidden, weight, target, { ...o, bias, classWeight });
  }

  /** @internal */
  async entropyOnGpu(op: string, probs: GpuTensor, o: EntropyArgs): Promise<LossGpuResult> {
    const ctx = this.context();
    return ctx.submit(op, (batch) => encodeEntropy(ctx, batch, probs, o));
  }

  /** @internal */
  async klDivOnGpu(op: string, input: GpuTensor, target: GpuTensor, o: KlArgs): Promise<LossGpuResult> {
    const ctx = this.context();
    return ctx.submit(op, (batch) => encodeKlDiv(ctx, batch, input, target, o));
  }

  private async rowwise(op: string, input: GpuTensor, options: ShapeOptions, log: boolean): Promise<GpuTensor> {
    checkOptions(`gpu.${op}`, options, SHAPE_OPTIONS);
    const { rows, cols } = checkShape(`gpu.${op}`, options.shape, checkFloatInput(`gpu.${op}`, 'input', input));
    const ctx = this.context();
    const out = ctx.allocate(rows * cols, 'f32', op);
    await ctx.submit(op, (batch) => encodeLogSoftmax(ctx, batch, input, out, rows, cols, log));
    return out;
  }
}

export class Engine {
  /** 'webgpu' when the kernels run on a device, 'cpu' when the f64 reference does the work. */
  readonly backend: 'webgpu' | 'cpu';
  /** The adapter chosen (null on the CPU backend). */
  readonly adapterInfo: AdapterInfo | null;
  /** The GPU-resident API (throws on the CPU backend). */
  readonly gpu: GpuOps;

  /** @internal */
  constructor(private readonly ctx: GpuContext | null, adapterInfo: AdapterInfo | null, private keepAlive: unknown) {
    this.backend = ctx ? 'webgpu' : 'cpu';
    this.adapterInfo = adapterInfo;
    this.gpu = new GpuOps(this, () => {
      if (!this.ctx) throw new Error('engine.gpu: GPU-resident ops need the webgpu backend (this engine runs on the CPU)');
      return this.ctx;
    });
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
      const r = reference.crossEntropy(this.hostFloats(op, logits), o.target as Int32Array | Float32Array, o.rows, o.cols, { ...o, weight: o.weight });
      const result = toHost(r, o.reduction === 'none') as CrossEntropyResult;
      if (o.zLoss !== 0) result.zLoss = typeof r.zLoss === 'number' ? Math.fround(r.zLoss) : Float32Array.from(r.zLoss);
      return result;
    }
    return this.readResult(op, o.reduction === 'none', o.cols, o.ignoreIndex, await this.gpu.withUploads((onGpu) => this.gpu.crossEntropyOnGpu(op, onGpu(logits), onGpu(o.target), o, onGpu)));
  }

  /**
   * PyTorch's F.nll_loss: `logProbs` holds log-probabilities (e.g. from logSoftmax), targets are class indices.
   * Loss -w_t logProbs[t] per non-ignored row; the gradient is with respect to logProbs.
   */
  async nllLoss(logProbs: FloatInput, target: IndexInput, options: NllLossOptions): Promise<LossResult> {
    const op = 'nllLoss';
    const o = this.crossEntropyArgs(op, logProbs, target, options, true);
    if (!this.ctx) return toHost(reference.nllLoss(this.hostFloats(op, logProbs), o.target as Int32Array, o.rows, o.cols, o), o.reduction === 'none');
    return this.readResult(op, o.reduction === 'none', o.cols, o.ignoreIndex, await this.gpu.withUploads((onGpu) => this.gpu.crossEntropyOnGpu(op, onGpu(logProbs), onGpu(o.target), o, onGpu)));
  }

  /**
   * PyTorch's F.binary_cross_entropy_with_logits in its stable form: element-wise losses of `input` logits against
   * `target` (same shape, values in [0, 1] typically), `weight` broadcast from the trailing dimensions, `posWeight`
   * along the last. 'none' gives one loss per element; 'mean' divides by the element count.
   */
  async binaryCrossEntropyWithLogits(input: FloatInput, target: FloatInput, options: BinaryCrossEntropyWithLogitsOptions): Promise<LossResult> {
    const op = 'binaryCrossEntropyWithLogits';
    const o = this.binaryArgs(op, input, target, options, true);
    if (!this.ctx) return toHost(reference.binaryCrossEntropyWithLogits(this.hostFloats(op, input), this.hostFloats(op, o.target), o), o.reduction === 'none');
    return this.readResult(op, o.reduction === 'none', 0, 0, await this.gpu.withUploads((onGpu) => this.gpu.binaryOnGpu(op, onGpu(input), onGpu(o.target), o, onGpu)));
  }

  /** PyTorch's F.binary_cross_entropy of probabilities in [0, 1] (logs clamped at -100). Same options as the logits form, without posWeight. */
  async binaryCrossEntropy(probs: FloatInput, target: FloatInput, options: BinaryCrossEntropyOptions): Promise<LossResult> {
    const op = 'binaryCrossEntropy';
    const o = this.binaryArgs(op, probs, target, options, false);
    if (!this.ctx) return toHost(reference.binaryCrossEntropy(this.hostFloats(op, probs), this.hostFloats(op, o.target), o), o.reduction === 'none');
    return this.readResult(op, o.reduction === 'none', 0, 0, await this.gpu.withUploads((onGpu) => this.gpu.binaryOnGpu(op, onGpu(probs), onGpu(o.target), o, onGpu)));
  }

  /** The entropy -sum_c p_c log p_c of each row of probabilities (shape [...rows, classes]); 'mean' averages over rows. */
  async entropy(probs: FloatInput, options: LossOptions): Promise<LossResult> {
    const op = 'entropy';
    const o = this.entropyArgs(op, probs, options);
    if (!this.ctx) return toHost(reference.entropy(this.hostFloats(op, probs), o.rows, o.cols, o), o.reduction === 'none');
    return this.readResult(op, o.reduction === 'none', 0, 0, await this.gpu.withUploads((onGpu) => this.gpu.entropyOnGpu(op, onGpu(probs), o)));
  }

  /**
   * PyTorch's F.kl_div(input, target): `input` holds log-probabilities, `target` probabilities (or log-probabilities
   * with logTarget). KL(target || exp(input)) summed per element; 'batchmean' divides by the first dimension.
   */
  async klDiv(input: FloatInput, target: FloatInput, options: KlDivOptions): Promise<LossResult> {
    const op = 'klDiv';
    const o = this.klDivArgs(op, input, target, options);
    if (!this.ctx) return toHost(reference.klDiv(this.hostFloats(op, input), this.hostFloats(op, o.target), o), o.reduction === 'none');
    return this.readResult(op, o.reduction === 'none', 0, 0, await this.gpu.withUploads((onGpu) => this.gpu.klDivOnGpu(op, onGpu(input), onGpu(o.target), o)));
  }

  /**
   * Fused linear cross-entropy: `crossEntropy(hidden @ weight^T + bias, target)` with hidden [...rows, D] (`shape`),
   * weight [V, D] (a torch.nn.Linear's weight), class-index targets, and crossEntropy's options (class weights as
   * `classWeight`), returning the loss and d loss / d hidden, weight and bias without the rows x V logits ever being
   * in GPU memory at once (chunks of rows; see src/ops/linearCrossEntropy.ts).
   */
  async linearCrossEntropy(hidden: FloatInput, weight: FloatInput, target: IndexInput, options: LinearCrossEntropyOptions): Promise<LinearCrossEntropyResult> {
    const op = 'linearCrossEntropy';
    const o = this.linearCrossEntropyArgs(op, hidden, weight, target, options);
    const none = o.reduction === 'none';
    if (!this.ctx) {
      const r = reference.linearCrossEntropy(this.hostFloats(op, hidden), this.hostFloats(op, weight), o.target as Int32Array, o.rows, o.dim, o.vocab, {
        ...o,
        bias: o.bias ? this.hostFloats(op, o.bias) : undefined,
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
    const result = await this.gpu.withUploads((onGpu) => this.gpu.linearCrossEntropyOnGpu(op, onGpu(hidden), onGpu(weight), onGpu(o.target), o, onGpu));
    const tensors = [result.loss, result.weightSum, result.gradHidden, result.gradWeight, result.gradBias, result.zLoss].filter((t): t is GpuTensor => t !== undefined);
    try {
      const [loss, ws, gradHidden, gradWeight, gradBias, z] = await Promise.all(
        [result.loss, result.weightSum, result.gradHidden, result.gradWeight, result.gradBias, result.zLoss].map((t) => t?.read() as Promise<Float32Array> | undefined),
      );
      if (ws![1]! > 0) throw new XentropyArgumentError(op, 'target', `has ${ws![1]} values outside [0, ${o.vocab}) that are not ignoreIndex (${o.ignoreIndex})`);
      return withoutUndefined({
        loss: none ? loss! : loss![0]!,
        gradHidden,
        gradWeight,
        gradBias,
        weightSum: ws![0]!,
        zLoss: z === undefined ? undefined : none ? z : z[0]!,
      });
    } finally {
      for (const t of tensors) t.release();
    }
  }

  /** The sum of all values (deterministic: the same input gives the same bits on every run). */
  async sum(input: FloatInput): Promise<number> {
    checkFloatInput('sum', 'input', input);
    if (!this.ctx) return Math.fround(reference.sum(this.hostFloats('sum', input)));
    const tensor = input instanceof GpuTensor ? input : this.ctx.upload(input, 'sum');
    try {
      const out = await this.gpu.sum(tensor);
      try {
        return (await out.read())[0]!;
      } finally {
        out.release();
      }
    } finally {
      if (tensor !== input) tensor.release();
    }
  }

  /** Buffers the engine holds (live and pooled), for leak checks and memory accounting. */
  stats(): EngineStats {
    return this.ctx?.stats() ?? { liveBuffers: 0, liveBytes: 0, pooledBuffers: 0, pooledBytes: 0, created: 0, cachedDispatches: 0 };
  }

  /**
   * Run `work` (calls of this engine) with each GPU dispatch timed by GPU timestamps; needs the device feature
   * 'timestamp-query'. For benchmarks and tuning: profiled dispatches each get their own compute pass.
   */
  async profile<T>(work: () => Promise<T>): Promise<{ result: T; timings: DispatchTiming[] }> {
    if (!this.ctx) throw new Error('profile: the CPU backend has no GPU dispatches to time');
    return this.ctx.profile(work);
  }

  /** Destroy the pooled buffers kept for reuse (e.g. after a one-off large call); live results stay valid. */
  trim(): void {
    this.ctx?.pool.trim();
  }

  /** Free every GPU object the engine created (and the device, unless the caller supplied it). */
  destroy(): void {
    this.ctx?.destroy();
    this.keepAlive = null;
  }

  /** @internal Validate crossEntropy's and nllLoss's arguments (shared by the host and GPU-resident forms). */
  crossEntropyArgs(op: string, input: unknown, target: unknown, options: CrossEntropyOptions, nll: boolean) {
    checkOptions(op, options, nll ? NLL_OPTIONS : CROSS_ENTROPY_OPTIONS);
    const inputs = nll ? ('logProbs' as const) : checkChoice(op, 'inputs', options.inputs, ['logits', 'probabilities'] as const, 'logits');
    const inputName = nll ? 'logProbs' : inputs === 'probabilities' ? 'input' : 'logits';
    const length = checkFloatInput(op, inputName, input);
    checkShape(op, options.shape, length, inputName);
    const { rows, cols, inner } = checkClassDim(op, options.classDim, Array.from(options.shape));
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
    if (weight) allWeights = weight.reduce((a, b) => a + b, 0);
    const softTarget = target instanceof Float32Array || (target instanceof GpuTensor && target.dtype === 'f32');
    let checkedTarget: Int32Array | Float32Array | GpuTensor;
    if (softTarget) {
      if (nll) throw new XentropyArgumentError(op, 'target', 'must hold class indices (an Int32Array or an i32 GpuTensor); nll_loss has no probability targets');
      if (options.ignoreIndex !== undefined) throw new XentropyArgumentError(op, 'ignoreIndex', 'applies to class-index targets only; these targets are probabilities (a Float32Array)');
      checkedTarget = checkFloatTensor(op, 'target', target, length, `probability targets need the ${inputName}' element count,`);
    } else {
      checkedTarget = checkClassTargets(op, target, rows, cols, checkInteger(op, 'ignoreIndex', options.ignoreIndex, -100));
    }
    const ignoreIndex = checkInteger(op, 'ignoreIndex', options.ignoreIndex, -100);
    return { rows, cols, inner, reduction, ignoreIndex, grad, target: checkedTarget, softTarget, inputs, weight, allWeights, labelSmoothing, zLoss, softcap };
  }

  /** @internal Validate the binary cross-entropies' arguments. */
  binaryArgs(op: string, input: unknown, target: unknown, options: BinaryCrossEntropyWithLogitsOptions, logits: boolean) {
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
    return { n, cols, reduction, grad, target: checkedTarget, logits, weight, posWeight };
  }

  /** @internal Validate linearCrossEntropy's arguments (host and GPU-resident forms). */
  linearCrossEntropyArgs(op: string, hidden: unknown, weight: unknown, target: unknown, options: LinearCrossEntropyOptions) {
    checkOptions(op, options, LINEAR_CE_OPTIONS);
    const { rows, cols: dim } = checkShape(op, options.shape, checkFloatInput(op, 'hidden', hidden), 'hidden');
    const weightLength = checkFloatInput(op, 'weight', weight);
    if (weightLength === 0 || weightLength % dim !== 0) {
      throw new XentropyArgumentError(op, 'weight', `has ${weightLength} elements, not a positive multiple of hidden's last dimension (${dim}): it must be [V, ${dim}]`);
    }
    const vocab = weightLength / dim;
    const reduction = checkReduction(op, options.reduction);
    const grad = checkBoolean(op, 'grad', options.grad, true);
    const ignoreIndex = checkInteger(op, 'ignoreIndex', options.ignoreIndex, -100);
    const labelSmoothing = checkNumber(op, 'labelSmoothing', options.labelSmoothing, 0, 0, 1);
    const zLoss = checkNumber(op, 'zLoss', options.zLoss, 0, 0, Infinity);
    const softcap = options.softcap === undefined ? undefined : checkNumber(op, 'softcap', options.softcap, 0, 0, Infinity, true);
    const bias = options.bias === undefined ? undefined : checkFloatTensor(op, 'bias', options.bias, vocab, 'the weight has V =');
    const classWeight = options.classWeight === undefined ? undefined : checkWeights(op, 'classWeight', options.classWeight, [vocab], `one per class (V = ${vocab})`);
    const allWeights = classWeight ? classWeight.reduce((a, b) => a + b, 0) : vocab;
    const checkedTarget = checkClassTargets(op, target, rows, vocab, ignoreIndex);
    return { rows, dim, vocab, reduction, grad, ignoreIndex, labelSmoothing, zLoss, softcap, bias, classWeight, allWeights, target: checkedTarget };
  }

  /** @internal */
  entropyArgs(op: string, probs: unknown, options: LossOptions) {
    checkOptions(op, options, ENTROPY_OPTIONS);
    const { rows, cols } = checkShape(op, options.shape, checkFloatInput(op, 'probs', probs), 'probs');
    checkProbabilities(op, 'probs', probs as Float32Array | GpuTensor);
    return { rows, cols, reduction: checkReduction(op, options.reduction), grad: checkBoolean(op, 'grad', options.grad, true) };
  }

  /** @internal */
  klDivArgs(op: string, input: unknown, target: unknown, options: KlDivOptions) {
    checkOptions(op, options, KL_OPTIONS);
    const n = checkFloatInput(op, 'input', input);
    checkShape(op, options.shape, n, 'input');
    const reduction: KlReduction = checkChoice(op, 'reduction', options.reduction, ['mean', 'batchmean', 'sum', 'none'] as const, 'mean');
    const logTarget = checkBoolean(op, 'logTarget', options.logTarget, false);
    const checkedTarget = checkFloatTensor(op, 'target', target, n, 'the input has');
    return { n, batch: options.shape[0]!, reduction, logTarget, grad: checkBoolean(op, 'grad', options.grad, true), target: checkedTarget };
  }

  /** Read a GPU result back to the host and release its tensors; out-of-range GPU-resident targets throw here. */
  private async readResult(op: string, none: boolean, cols: number, ignoreIndex: number, result: CrossEntropyGpuResult): Promise<CrossEntropyResult> {
    const tensors = [result.loss, result.weightSum, ...(result.grad ? [result.grad] : []), ...(result.zLoss ? [result.zLoss] : [])];
    try {
      const [loss, grad, ws, z] = await Promise.all([result.loss.read(), result.grad?.read(), result.weightSum.read(), result.zLoss?.read()]);
      if (ws[1]! > 0) throw new XentropyArgumentError(op, 'target', `has ${ws[1]} values outside [0, ${cols}) that are not ignoreIndex (${ignoreIndex})`);
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
    checkOptions(op, options, SHAPE_OPTIONS);
    const { rows, cols } = checkShape(op, options.shape, checkFloatInput(op, 'input', input));
    if (!this.ctx) {
      const x = this.hostFloats(op, input);
      return Float32Array.from(log ? reference.logSoftmax(x, rows, cols) : reference.softmax(x, rows, cols));
    }
    const tensor = input instanceof GpuTensor ? input : this.ctx.upload(input, op);
    try {
      const out = await (log ? this.gpu.logSoftmax(tensor, options) : this.gpu.softmax(tensor, options));
      try {
        return (await out.read()) as Float32Array;
      } finally {
        out.release();
      }
    } finally {
      if (tensor !== input) tensor.release();
    }
  }

  private hostFloats(op: string, value: FloatInput): Float32Array {
    if (value instanceof GpuTensor) throw new Error(`${op}: GpuTensor inputs need the webgpu backend (this engine runs on the CPU)`);
    return value;
  }
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
