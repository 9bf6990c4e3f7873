/**
 * The engine: one WebGPU device (or the CPU), the public ops, and the choice between the GPU kernels and the CPU
 * reference. Every op validates its arguments first (src/validate.ts), then runs either the reference
 * (src/reference/) or records its kernels (src/ops/) through the GpuContext that owns all GPU objects.
 */
import { acquireDevice, describe, type AdapterInfo, type NodeAdapter } from './gpu/adapter.js';
import { GpuContext, type EngineStats, type Tuning } from './gpu/context.js';
import { GpuTensor, type DType } from './gpu/tensor.js';
import { encodeCrossEntropy } from './ops/crossEntropy.js';
import { encodeLogSoftmax } from './ops/logSoftmax.js';
import { encodeSum } from './ops/sum.js';
import * as reference from './reference/index.js';
import type { CrossEntropyGpuResult, CrossEntropyOptions, CrossEntropyResult, FloatInput, IndexInput, ShapeOptions } from './types.js';
import {
  XentropyArgumentError,
  checkBoolean,
  checkClassTargets,
  checkFloatInput,
  checkInteger,
  checkOptions,
  checkReduction,
  checkShape,
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
}

const ENGINE_OPTIONS = ['backend', 'device', 'adapter', 'tuning', 'subgroups'];
const SHAPE_OPTIONS = ['shape'];
const CROSS_ENTROPY_OPTIONS = ['shape', 'reduction', 'ignoreIndex', 'grad'];

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
  const contextFor = async (device: GPUDevice, owned: boolean, info: AdapterInfo): Promise<GpuContext> => {
    const ctx = new GpuContext(device, owned, tuningFor(info));
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

  async crossEntropy(logits: GpuTensor, target: GpuTensor | Int32Array, options: CrossEntropyOptions): Promise<CrossEntropyGpuResult> {
    const op = 'gpu.crossEntropy';
    const o = this.engine.crossEntropyArgs(op, logits, target, options);
    const targetTensor = o.target instanceof GpuTensor ? o.target : this.upload(o.target);
    try {
      return await this.crossEntropyOnGpu(op, logits, targetTensor, o);
    } finally {
      // Safe once recorded: any reuse of the buffer is a later queue operation.
      if (targetTensor !== o.target) targetTensor.release();
    }
  }

  async sum(input: GpuTensor): Promise<GpuTensor> {
    const n = checkFloatInput('gpu.sum', 'input', input);
    const ctx = this.context();
    const out = ctx.allocate(1, 'f32', 'sum');
    await ctx.submit('sum', (batch) => encodeSum(ctx, batch, input as GpuTensor, n, out));
    return out;
  }

  /** @internal */
  async crossEntropyOnGpu(op: string, logits: GpuTensor, target: GpuTensor, o: ReturnType<Engine['crossEntropyArgs']>): Promise<CrossEntropyGpuResult & { weightSum: GpuTensor }> {
    const ctx = this.context();
    const result = await ctx.submit(op, (batch) => encodeCrossEntropy(ctx, batch, logits, target, o));
    return result;
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
   * Cross-entropy of logits (shape [...rows, classes]) against class-index targets (one per row), as PyTorch's
   * F.cross_entropy; the gradient is fused into the same pass over the logits.
   */
  async crossEntropy(logits: FloatInput, target: IndexInput, options: CrossEntropyOptions): Promise<CrossEntropyResult> {
    const op = 'crossEntropy';
    const o = this.crossEntropyArgs(op, logits, target, options);
    if (!this.ctx) {
      const r = reference.crossEntropy(this.hostFloats(op, logits), o.target as Int32Array, o.rows, o.cols, o);
      return withoutUndefined({
        loss: typeof r.loss === 'number' ? Math.fround(r.loss) : Float32Array.from(r.loss),
        grad: r.grad ? Float32Array.from(r.grad) : undefined,
        weightSum: r.weightSum,
      });
    }
    const ctx = this.ctx;
    const temporaries: GpuTensor[] = [];
    const onGpu = (value: FloatInput | Int32Array | GpuTensor): GpuTensor => {
      if (value instanceof GpuTensor) return value;
      const tensor = ctx.upload(value, op);
      temporaries.push(tensor);
      return tensor;
    };
    try {
      const result = await this.gpu.crossEntropyOnGpu(op, onGpu(logits), onGpu(o.target), o);
      temporaries.push(result.loss, result.weightSum, ...(result.grad ? [result.grad] : []));
      const [loss, grad, ws] = await Promise.all([result.loss.read(), result.grad?.read(), result.weightSum.read()]);
      if (ws[1]! > 0) throw new XentropyArgumentError(op, 'target', `has ${ws[1]} values outside [0, ${o.cols}) that are not ignoreIndex (${o.ignoreIndex})`);
      return withoutUndefined({
        loss: o.reduction === 'none' ? (loss as Float32Array) : loss[0]!,
        grad: grad as Float32Array | undefined,
        weightSum: ws[0]!,
      });
    } finally {
      for (const t of temporaries) t.release();
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

  /** Destroy the pooled buffers kept for reuse (e.g. after a one-off large call); live results stay valid. */
  trim(): void {
    this.ctx?.pool.trim();
  }

  /** Free every GPU object the engine created (and the device, unless the caller supplied it). */
  destroy(): void {
    this.ctx?.destroy();
    this.keepAlive = null;
  }

  /** @internal Validate crossEntropy's arguments (shared by the host and GPU-resident forms). */
  crossEntropyArgs(op: string, logits: unknown, target: unknown, options: CrossEntropyOptions) {
    checkOptions(op, options, CROSS_ENTROPY_OPTIONS);
    const { rows, cols } = checkShape(op, options.shape, checkFloatInput(op, 'logits', logits), 'logits');
    const reduction = checkReduction(op, options.reduction);
    const ignoreIndex = checkInteger(op, 'ignoreIndex', options.ignoreIndex, -100);
    const grad = checkBoolean(op, 'grad', options.grad, true);
    const checkedTarget = checkClassTargets(op, target, rows, cols, ignoreIndex);
    return { rows, cols, reduction, ignoreIndex, grad, target: checkedTarget };
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
