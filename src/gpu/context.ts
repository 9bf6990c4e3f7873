/**
 * GpuContext: the one owner of everything the engine creates on a device: shader modules and pipelines (created once
 * per kernel variant and cached), buffers (pooled), uniform parameters, command submission and readback.
 * Ops (src/ops/*.ts) describe their work as dispatches on a `Batch`; they never create GPU objects themselves.
 */
import { XentropyArgumentError } from '../errors.js';
import { fromFloat16Bits, toFloat16Bits } from '../float16.js';
import { kernelSource, type ElementIo, type KernelIo, type KernelName, type OperandIo } from '../shaders.js';
import { BufferUsage, MapMode } from './flags.js';
import { BufferPool, type PoolStats } from './pool.js';
import type { BatchTimer, Profiling } from './profiler.js';
import { GpuTensor, byteLengthOf, elementBytes, type DType } from './tensor.js';

/** Usage of every storage buffer the engine makes. */
const STORAGE_USAGE = BufferUsage.STORAGE | BufferUsage.COPY_SRC | BufferUsage.COPY_DST;

/** What the engine holds on the device. */
export interface EngineStats extends PoolStats {
  /** Dispatch recipes cached (a bind group and a small uniform buffer each; bounded). */
  cachedDispatches: number;
}

/** One dispatch the engine recorded, from `engine.trace`. */
export interface DispatchInfo {
  /** The batch (op) that recorded it, e.g. 'crossEntropy'. */
  op: string;
  /** The kernel, its pipeline constants and its element-I/O variant, e.g. 'cross_entropy{WG:64,TPR:1,...}[f32_vec4]'. */
  kernel: string;
  /** Workgroups dispatched. */
  groups: number;
  /** How the kernel reduces across a row's threads: subgroup operations or the workgroup-memory tree. */
  reduction: 'subgroup' | 'workgroup';
}

/** One dispatch's time on the GPU's clock, from `engine.profile`. */
export interface DispatchTiming {
  /** The batch (op) that recorded it, e.g. 'crossEntropy'. */
  op: string;
  /** The kernel and its pipeline constants, e.g. 'cross_entropy{WG:64,TPR:1,...}'. */
  kernel: string;
  /** Workgroups dispatched. */
  groups: number;
  /** Milliseconds between the compute pass's beginning and end timestamps. */
  ms: number;
}

/**
 * Dispatch recipes kept (each holds a bind group and a small uniform buffer). Calls in flight at once hold different
 * pooled buffers, so each needs its own recipes: 400 concurrent cross-entropy calls use about 1200; 512 thrashed.
 */
export const DISPATCH_CACHE_SIZE = 8192;

/** Which launch shapes suit the adapter: see GpuContext's constructor. */
export type Tuning = 'cpu' | 'gpu';

/** Pipeline-overridable constants of a kernel variant. */
export type Constants = Record<string, number | boolean>;

/** A range of a tensor bound to a shader: the binding starts at an aligned offset, `shift` elements before the data. */
export interface BoundRange {
  binding: GPUBufferBinding;
  shift: number;
}

export class GpuContext {
  readonly pool: BufferPool;
  /** The largest workgroup the kernels use (256, or less where the device allows less); WG unless a launch sets it. */
  readonly workgroupSize: number;
  private readonly modules = new Map<string, GPUShaderModule>();
  /**
   * Bind groups (with their uniform buffer) by dispatch recipe: kernel variant, parameters and bound ranges. A call
   * repeated with the same shapes on the same (pooled) buffers records without creating any GPU object. Least
   * recently used entries beyond DISPATCH_CACHE_SIZE are dropped.
   */
  private readonly dispatchCache = new Map<string, { bindGroup: GPUBindGroup; uniform: GPUBuffer | null }>();
  private readonly bufferIds = new WeakMap<GPUBuffer, number>();
  private nextBufferId = 1;
  /** While `profile` runs: where batches put their dispatch timings, and the reads still pending. */
  profiling: Profiling | null = null;
  /** While `trace` runs: every dispatch recorded, in order. */
  tracing: DispatchInfo[] | null = null;
  /** Row reductions use subgroup shuffles (set by `enableSubgroups` after the device passed the probe). */
  private subgroupReductions = false;
  private readonly pipelines = new Map<string, GPUComputePipeline>();
  /** Buffers of bindings a variant never touches, by role (see `unused`); destroyed with the engine. */
  private readonly placeholders = new Map<string, GpuTensor>();
  private lostMessage: string | null = null;
  /** How the device was lost (null while it is not). */
  lostInfo: { reason: string; message: string } | null = null;
  private destroyed = false;
  /** The batch being recorded (recording is synchronous, so at most one): results allocated meanwhile belong to it. */
  private recording: Batch | null = null;
  /** Tensors made on this device (results, uploads, wraps): a tensor from another engine or a lost device is refused. */
  private readonly tensors = new WeakSet<GpuTensor>();
  /** Encodings into callers' encoders not yet reported submitted: uniforms evicted meanwhile are destroyed later. */
  private pendingEncodings = 0;
  private deferredDestroy: GPUBuffer[] = [];
  /** The WGSL source of a kernel (replaceable by tests that need a kernel that does not compile). @internal */
  sourceOf: (kernel: KernelName, subgroups: boolean, io?: KernelIo) => string = kernelSource;
  /** f16 elements are array<f16> (the device has shader-f16 and the engine may use it), else packed u32 pairs. */
  readonly nativeF16: boolean;

  /**
   * @param tuning launch shapes for a CPU-emulated adapter (SwiftShader, llvmpipe: workgroup barriers are costly
   *   there, so one thread walks a whole row) or for a real GPU (many threads share a row).
   */
  constructor(readonly device: GPUDevice, private readonly ownsDevice: boolean, readonly tuning: Tuning = 'gpu', maxWorkgroupSize = 256, shaderF16 = true, readonly vec4Io = false) {
    this.pool = new BufferPool(device);
    this.nativeF16 = shaderF16 && device.features.has('shader-f16');
    const limits = device.limits;
    this.workgroupSize = Math.min(maxWorkgroupSize, limits.maxComputeInvocationsPerWorkgroup, limits.maxComputeWorkgroupSizeX);
    this.maxWorkgroupsPerDimension = limits.maxComputeWorkgroupsPerDimension;
    this.storageOffsetAlignment = limits.minStorageBufferOffsetAlignment;
    this.bindingElements = Math.floor((limits.maxStorageBufferBindingSize - limits.minStorageBufferOffsetAlignment) / 4);
    void device.lost.then((info) => {
      if (this.destroyed) return;
      this.lostMessage = `${info.reason}: ${info.message}`;
      this.lostInfo = { reason: info.reason, message: info.message };
    });
  }

  /** limits.maxComputeWorkgroupsPerDimension, read once (device.limits is a native getter; every dispatch needs it). */
  readonly maxWorkgroupsPerDimension: number;
  /** limits.minStorageBufferOffsetAlignment, read once (every binding needs it). */
  private readonly storageOffsetAlignment: number;
  private readonly bindingElements: number;

  get limits(): GPUSupportedLimits {
    return this.device.limits;
  }

  /** Throws if the device can no longer be used. */
  assertUsable(op: string): void {
    if (this.lostMessage !== null) throw new Error(`${op}: the WebGPU device was lost (${this.lostMessage})`);
    if (this.destroyed) throw new XentropyArgumentError(op, 'engine', 'was destroyed: create a new engine');
  }

  /** True once the device was lost (not by this context's own destroy()). */
  get lost(): boolean {
    return this.lostMessage !== null;
  }

  /**
   * Whether the device was lost, waiting briefly for the `lost` promise: after an error, Dawn may report the loss a
   * moment later than the failed call.
   */
  async lostAfterError(): Promise<boolean> {
    if (this.lostMessage !== null) return true;
    if (this.destroyed) return false;
    const lost = await Promise.race([this.device.lost.then(() => true), new Promise<false>((resolve) => setTimeout(() => resolve(false), 50))]);
    return lost && !this.destroyed;
  }

  /** True when `tensor` was made by this context (and so lives on its device). */
  made(tensor: GpuTensor): boolean {
    return this.tensors.has(tensor);
  }

  /** True when row reductions use subgroup operations. */
  get subgroups(): boolean {
    return this.subgroupReductions;
  }

  /**
   * Use subgroup reductions if the device has the `subgroups` feature and behaves as row_reduce_subgroup.wgsl
   * assumes (checked once with subgroup_probe.wgsl). Returns whether they are on.
   */
  async enableSubgroups(): Promise<boolean> {
    if (!this.device.features.has('subgroups')) return false;
    (await import('./subgroupProbe.js')).registerSubgroupProbe();
    const wg = this.workgroupSize;
    const result = this.allocate(wg, 'i32', 'subgroup-probe');
    try {
      await this.submit('subgroup probe', (batch) => batch.dispatch('subgroup_probe', {}, [], [this.bind(result, 0, wg).binding], 1, false));
      const flags = await this.read(result);
      this.subgroupReductions = flags.every((flag) => flag === 1);
    } catch {
      this.subgroupReductions = false;
    } finally {
      result.release();
    }
    return this.subgroupReductions;
  }

  /** Run `work` and return, with its result, every dispatch it recorded (any adapter; nothing is timed). */
  async trace<T>(work: () => Promise<T>): Promise<{ result: T; dispatches: DispatchInfo[] }> {
    if (this.tracing) throw new Error('trace: already tracing');
    const dispatches: DispatchInfo[] = [];
    this.tracing = dispatches;
    try {
      return { result: await work(), dispatches };
    } finally {
      this.tracing = null;
    }
  }

  /**
   * Run `work` with every dispatch in its own compute pass between two GPU timestamps (needs the device feature
   * `timestamp-query`), and return its result with the dispatch timings. For benchmarks and tuning: passes are split,
   * so the total can exceed an unprofiled run's.
   */
  async profile<T>(work: () => Promise<T>, options: { perPass?: boolean } = {}): Promise<{ result: T; timings: DispatchTiming[] }> {
    if (!this.device.features.has('timestamp-query')) throw new Error("profile: this device has no 'timestamp-query' feature");
    if (this.profiling) throw new Error('profile: already profiling');
    // Loaded now: applications that never profile do not load the timestamp code.
    const { Profiling } = await import('./profiler.js');
    if (this.profiling) throw new Error('profile: already profiling');
    const profiling = new Profiling(options.perPass === true);
    this.profiling = profiling;
    try {
      const result = await work();
      await Promise.all(profiling.pending);
      return { result, timings: profiling.timings };
    } finally {
      this.profiling = null;
    }
  }

  /**
   * The element-I/O variant of a row kernel for elements of `dtype` (f32 or f16), written over the input or not.
   * With vec4Io, f32 rows go as vec4s when every row starts on a 16-byte boundary of the kernel's element bindings:
   * `rowLength` (contiguous rows; 0 for another layout) a multiple of 4, and each of `ranges` shifted by a multiple
   * of 4 elements. Packed f16 pairs take plain word stores when every row starts on a word (the same test with 2) and
   * `wordOwned`: the kernel's variant stores only through row_stats.wgsl's blocks (store_block, store_tail), whose
   * words each belong to one lane, or runs one thread per row; its per-element loops (lane, lane + TPR, ...) would
   * have neighbouring lanes rewrite one word.
   */
  elementIo(dtype: DType, inPlace: boolean, rowLength: number, ranges: readonly BoundRange[], wordOwned: boolean): ElementIo {
    const alignedTo = (k: number) => rowLength > 0 && rowLength % k === 0 && ranges.every((r) => r.shift % k === 0);
    let base: ElementIo;
    if (dtype === 'f16') base = this.nativeF16 ? 'f16' : wordOwned && alignedTo(2) ? 'f16-packed-even' : 'f16-packed';
    else base = this.vec4Io && alignedTo(4) ? 'f32-vec4' : 'f32';
    return inPlace ? `${base}-in-place` as ElementIo : base;
  }

  /** How a matmul operand of `dtype` is read (src/shaders.ts OperandIo): f16 as array<f16> where the engine uses it. */
  operandIo(dtype: DType): OperandIo {
    return dtype === 'f16' ? (this.nativeF16 ? 'f16' : 'f16-packed') : 'f32';
  }

  /**
   * The cache key of one variant of a kernel, e.g. 'cross_entropy{WG:256,TPR:1,DENSE:false}', with the element I/O
   * (or a matmul's operand types) after it unless 'f32' ('cross_entropy{...}[f16-packed]',
   * 'linear_cross_entropy_matmul128{...}[f16-packed:f32:f32]'). Built by hand: it is
   * computed for every dispatch, and JSON.stringify of the constants was about 40% of a small call's host time in
   * Node. Constants listed in another order give another key (a duplicate pipeline, never a wrong one).
   */
  pipelineKey(kernel: KernelName, constants: Constants, io: KernelIo = 'f32'): string {
    let key = `${kernel}{WG:${constants.WG ?? this.workgroupSize}`;
    for (const name in constants) if (name !== 'WG') key += `,${name}:${constants[name]}`;
    return io === 'f32' ? `${key}}` : `${key}}[${io}]`;
  }

  /** The pipeline for one variant of a kernel, created on first use (cacheKey: its pipelineKey). */
  pipeline(kernel: KernelName, constants: Constants, io: KernelIo = 'f32', cacheKey = this.pipelineKey(kernel, constants, io)): GPUComputePipeline {
    let pipeline = this.pipelines.get(cacheKey);
    if (!pipeline) {
      const full: Constants = { WG: this.workgroupSize, ...constants };
      const moduleKey = `${kernel}:${this.subgroupReductions ? 'subgroup' : 'workgroup'}:${io}`;
      let module = this.modules.get(moduleKey);
      if (!module) {
        module = this.device.createShaderModule({ code: this.sourceOf(kernel, this.subgroupReductions, io), label: `xentropy:${kernel}.wgsl${io === 'f32' ? '' : `[${io}]`}` });
        this.modules.set(moduleKey, module);
      }
      const numeric: Record<string, number> = {};
      for (const [name, value] of Object.entries(full)) numeric[name] = Number(value);
      pipeline = this.device.createComputePipeline({
        layout: 'auto',
        compute: { module, entryPoint: 'main', constants: numeric },
        label: `xentropy:${cacheKey}`,
      });
      this.pipelines.set(cacheKey, pipeline);
    }
    return pipeline;
  }

  /**
   * The bind group for one dispatch: binding 0 the uniform `params` (u32 words; omitted when null), then `bindings`
   * (a null one leaves its binding number out).
   * Cached by recipe (see dispatchCache), so steady-state calls create nothing.
   */
  bindGroup(pipelineKey: string, pipeline: GPUComputePipeline, params: readonly number[] | null, bindings: readonly (GPUBufferBinding | null)[]): GPUBindGroup {
    // Built with plain concatenation: this runs for every dispatch (map/join and template strings cost more).
    let key = pipelineKey + (params ? '|' + params.join(',') + '|' : '|-|');
    for (const b of bindings) key += b ? this.bufferId(b.buffer) + '@' + (b.offset ?? 0) + '+' + (b.size ?? '') + ',' : '-,';
    const hit = this.dispatchCache.get(key);
    if (hit) {
      this.dispatchCache.delete(key); // re-insert: Map order is the LRU order
      this.dispatchCache.set(key, hit);
      return hit.bindGroup;
    }
    const entries: GPUBindGroupEntry[] = [];
    let uniform: GPUBuffer | null = null;
    if (params) {
      // u32 words (i32 values as their two's-complement bits), padded to whole 16-byte rows.
      const words = new Uint32Array(Math.ceil(params.length / 4) * 4);
      for (let i = 0; i < params.length; i++) words[i] = params[i]! >>> 0;
      const usage = BufferUsage.UNIFORM | BufferUsage.COPY_DST;
      uniform = this.device.createBuffer({ size: words.byteLength, usage, label: 'xentropy:params' });
      this.device.queue.writeBuffer(uniform, 0, words);
      entries.push({ binding: 0, resource: { buffer: uniform } });
    }
    const first = params ? 1 : 0;
    bindings.forEach((resource, i) => {
      if (resource) entries.push({ binding: first + i, resource }); // null: a binding the variant does not have
    });
    const bindGroup = this.device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries, label: `xentropy:${pipelineKey}` });
    this.dispatchCache.set(key, { bindGroup, uniform });
    if (this.dispatchCache.size > DISPATCH_CACHE_SIZE) {
      const [oldestKey, oldest] = this.dispatchCache.entries().next().value!;
      this.dispatchCache.delete(oldestKey);
      // Work already submitted with it still completes; work recorded into a caller's encoder and not yet submitted
      // would fail validation, so while such encodings are pending the uniform is destroyed later.
      if (oldest.uniform && this.pendingEncodings > 0) this.deferredDestroy.push(oldest.uniform);
      else oldest.uniform?.destroy();
    }
    return bindGroup;
  }

  private bufferId(buffer: GPUBuffer): number {
    let id = this.bufferIds.get(buffer);
    if (id === undefined) this.bufferIds.set(buffer, (id = this.nextBufferId++));
    return id;
  }

  /**
   * A buffer for a binding the dispatched variant declares but never touches (no class weights, no z-loss, no
   * gradient, one segment per row): 4 f32 elements (a vec4 binding's minimum), one buffer per `role` for the engine's
   * lifetime instead of a pooled one acquired and released by every call. Distinct roles keep two placeholders of one
   * dispatch in distinct buffers (WebGPU refuses a buffer bound read-only and writable in one dispatch).
   */
  unused(role: string): GpuTensor {
    let tensor = this.placeholders.get(role);
    if (!tensor) {
      const buffer = this.device.createBuffer({ size: 16, usage: STORAGE_USAGE, label: `xentropy:unused-${role}` });
      tensor = this.own(buffer, 'f32', 4, 0, false);
      this.placeholders.set(role, tensor);
    }
    return tensor;
  }

  /** An engine-owned tensor of `length` elements; release it (or hand it to the caller) when done. */
  allocate(length: number, dtype: DType, label: string): GpuTensor {
    const buffer = this.pool.acquire(Math.max(4, byteLengthOf(dtype, length)), STORAGE_USAGE, label);
    const tensor = this.own(buffer, dtype, length, 0);
    this.recording?.results.push(tensor); // released if the batch fails
    return tensor;
  }

  /** Wrap a buffer as a tensor; `owned` ones go back to the pool on release. */
  own(buffer: GPUBuffer, dtype: DType, length: number, byteOffset: number, owned = true): GpuTensor {
    const tensor = new GpuTensor(
      buffer,
      dtype,
      length,
      byteOffset,
      owned ? (b) => this.pool.release(b) : undefined,
      (t) => this.read(t),
    );
    this.tensors.add(tensor);
    return tensor;
  }

  /**
   * Copy host data into a new engine-owned tensor. `f16`: Float32Array values are rounded to the nearest f16 (ties to
   * even), a Uint16Array holds f16 bits already.
   */
  upload(data: Float32Array | Int32Array | Uint16Array, label: string, dtype: DType = data instanceof Int32Array ? 'i32' : data instanceof Uint16Array ? 'f16' : 'f32'): GpuTensor {
    let bytes: ArrayBufferView = data;
    if (dtype === 'f16') {
      const bits = data instanceof Uint16Array ? data : toFloat16Bits(data as Float32Array);
      // writeBuffer takes whole words: an odd count gets a zero half-word of padding.
      if (bits.length % 2 === 0) bytes = bits;
      else (bytes = new Uint16Array(bits.length + 1)).set(bits);
    }
    const tensor = this.allocate(data.length, dtype, label);
    if (bytes.byteLength > 0) this.device.queue.writeBuffer(tensor.buffer, 0, bytes.buffer, bytes.byteOffset, bytes.byteLength);
    return tensor;
  }

  /** Copy a tensor back to the CPU. */
  async read(tensor: GpuTensor): Promise<Float32Array | Int32Array> {
    this.assertUsable('GpuTensor.read');
    const bytes = tensor.byteLength;
    const Type = tensor.dtype === 'i32' ? Int32Array : Float32Array;
    if (bytes === 0) return new Type(0);
    if (tensor.dtype === 'f16') return fromFloat16Bits(new Uint16Array(await this.readBytes(tensor, bytes), 0, tensor.length));
    return new Type(await this.readBytes(tensor, bytes));
  }

  /** The first `bytes` bytes of a tensor (a multiple of 4), copied back to the CPU. */
  private async readBytes(tensor: GpuTensor, bytes: number): Promise<ArrayBuffer> {
    const staging = this.pool.acquire(bytes, BufferUsage.MAP_READ | BufferUsage.COPY_DST, 'readback');
    try {
      const encoder = this.device.createCommandEncoder({ label: 'xentropy:readback' });
      encoder.copyBufferToBuffer(tensor.buffer, tensor.byteOffset, staging, 0, bytes);
      this.device.queue.submit([encoder.finish()]);
      await staging.mapAsync(MapMode.READ, 0, bytes);
      const out = staging.getMappedRange(0, bytes).slice(0);
      staging.unmap();
      return out;
    } finally {
      this.pool.release(staging);
    }
  }

  /**
   * Bind `count` elements of `tensor` starting at element `start`. WebGPU wants binding offsets aligned to
   * minStorageBufferOffsetAlignment, so the binding starts at the aligned offset at or below the data and the kernel
   * adds `shift` elements; every kernel takes such an element offset for each array it reads or writes.
   */
  bind(tensor: GpuTensor, start: number, count: number): BoundRange {
    const alignment = this.storageOffsetAlignment;
    const bytesPer = elementBytes(tensor.dtype);
    const byteStart = tensor.byteOffset + start * bytesPer;
    const offset = Math.floor(byteStart / alignment) * alignment;
    // Whole words (f16 pairs share one): a binding's size is a multiple of 4.
    const size = Math.max(4, Math.ceil((byteStart - offset + count * bytesPer) / 4) * 4);
    return { binding: { buffer: tensor.buffer, offset, size }, shift: (byteStart - offset) / bytesPer };
  }

  /** The largest number of f32 elements (or more f16 ones) one binding can cover, leaving room for the alignment shift. */
  get maxBindingElements(): number {
    return this.bindingElements;
  }

  /**
   * Record work with `record` (synchronously: no await inside) and submit it. Resolves to what `record` returned once
   * the GPU accepted the work; rejects with a clear error on a validation or out-of-memory error.
   */
  async submit<T>(label: string, record: (batch: Batch) => T): Promise<T> {
    const batch = this.record(label, null, record);
    await batch.batch.submit();
    return batch.result;
  }

  /**
   * Record `record` into a new Batch: on the caller's `encoder` when given (the caller submits), else on the
   * engine's own. Results that `record` allocates are released if it throws. The batch's error scopes are pushed
   * here and popped by Batch.submit / Batch.close.
   */
  record<T>(label: string, encoder: GPUCommandEncoder | null, record: (batch: Batch) => T): { batch: Batch; result: T } {
    this.assertUsable(label);
    if (this.recording) throw new Error(`xentropy ${label}: recording inside another recording (${this.recording.label})`);
    const batch = new Batch(this, label, encoder);
    this.recording = batch;
    try {
      return { batch, result: record(batch) };
    } catch (error) {
      batch.abort();
      throw error;
    } finally {
      this.recording = null;
    }
  }

  /** An encoding into a caller's encoder started: evicted uniforms wait for `encodingDone`. */
  encodingStarted(): void {
    this.pendingEncodings++;
  }

  /** An encoding into a caller's encoder was submitted (or dropped) by the caller. */
  encodingDone(): void {
    this.pendingEncodings = Math.max(0, this.pendingEncodings - 1);
    if (this.pendingEncodings > 0) return;
    for (const buffer of this.deferredDestroy) buffer.destroy();
    this.deferredDestroy = [];
  }

  /** Compile errors of the shader modules of `kernels`, as "kernel (file): line:col message" lines; empty when none. */
  async compileErrors(kernels: ReadonlySet<KernelName>): Promise<string[]> {
    const lines: string[] = [];
    for (const [key, module] of this.modules) {
      const kernel = key.slice(0, key.indexOf(':')) as KernelName;
      if (!kernels.has(kernel)) continue;
      const info = await module.getCompilationInfo();
      const errors = info.messages.filter((m) => m.type === 'error');
      if (errors.length === 0) continue;
      // Each error with its line's text: the module is the kernel with its snippets prepended (src/shaders.ts), so a
      // line number alone does not say which file; the text finds it (shaders/*.wgsl keep their lines when minified).
      const [, reduction, io] = key.split(':') as [string, string, KernelIo];
      const code = this.sourceOf(kernel, reduction === 'subgroup', io).split('\n');
      const located = errors.map((m) => {
        const line = code[m.lineNum - 1]?.trim();
        return `${m.lineNum}:${m.linePos} ${m.message}${line ? ` (in \`${line}\`)` : ''}`;
      });
      lines.push(`kernel ${kernel} (shaders/${kernel}.wgsl) does not compile: ${located.join('; ')}`);
      // Forget the broken module and its pipelines so that nothing keeps serving them.
      this.modules.delete(key);
      for (const pipelineKey of [...this.pipelines.keys()]) if (pipelineKey.startsWith(`${kernel}{`)) this.pipelines.delete(pipelineKey);
      for (const [dispatchKey, entry] of [...this.dispatchCache]) {
        if (!dispatchKey.startsWith(`${kernel}{`)) continue;
        this.dispatchCache.delete(dispatchKey);
        entry.uniform?.destroy();
      }
    }
    return lines;
  }

  stats(): EngineStats {
    return { ...this.pool.stats(), cachedDispatches: this.dispatchCache.size };
  }

  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.pool.destroy();
    for (const placeholder of this.placeholders.values()) placeholder.buffer.destroy();
    this.placeholders.clear();
    for (const entry of this.dispatchCache.values()) entry.uniform?.destroy();
    this.dispatchCache.clear();
    for (const buffer of this.deferredDestroy) buffer.destroy();
    this.deferredDestroy = [];
    this.pipelines.clear();
    this.modules.clear();
    if (this.ownsDevice) this.device.destroy();
  }
}

/**
 * One command encoder's worth of dispatches, on the engine's own encoder (submitted by `submit()`) or on a caller's
 * (`GpuContext.record` with an encoder: the caller submits, then calls `close()`).
 *
 * Lifetimes: scratch storage lives until the work is submitted, then goes back to the pool: any later use of it is a
 * later queue operation, so reuse cannot race the submitted work. On a caller's encoder the engine cannot see the
 * submission, so scratch is held until `close()`. Results allocated while recording are released if the batch fails.
 *
 * Errors: validation and out-of-memory errors raised while recording are caught by error scopes pushed and popped
 * synchronously around the recording, so concurrent calls never see each other's scopes. Commands recorded into a
 * caller's encoder are validated when the caller calls `encoder.finish()`, in the caller's error scopes.
 */
export class Batch {
  readonly encoder: GPUCommandEncoder;
  /** Engine-owned results allocated while recording (released if the batch fails). */
  readonly results: GpuTensor[] = [];
  /** Kernels dispatched, to name the one that does not compile. */
  readonly kernels = new Set<KernelName>();
  private pass: GPUComputePassEncoder | null = null;
  private readonly scratch: GPUBuffer[] = [];
  private readonly retired: GpuTensor[] = [];
  private scopes: Promise<[GPUError | null, GPUError | null]> | null = null;
  /** Times the batch's passes while a profile runs (see GpuContext.profile). */
  private readonly timer: BatchTimer | null;
  /** Caller's encoder while profiling: the timestamp read, run once the caller reports the submission. */
  private readTimings: (() => Promise<void>) | null = null;

  constructor(private readonly ctx: GpuContext, readonly label: string, encoder: GPUCommandEncoder | null = null) {
    ctx.device.pushErrorScope('out-of-memory');
    ctx.device.pushErrorScope('validation');
    this.encoder = encoder ?? ctx.device.createCommandEncoder({ label: `xentropy:${label}` });
    this.timer = ctx.profiling?.timer(ctx.device, label) ?? null;
  }

  /** Temporary storage that lives until this batch is submitted. */
  scratchTensor(length: number, dtype: DType, label: string): GpuTensor {
    const buffer = this.ctx.pool.acquire(Math.max(4, byteLengthOf(dtype, length)), STORAGE_USAGE, label);
    this.scratch.push(buffer);
    return this.ctx.own(buffer, dtype, length, 0, false);
  }

  /**
   * Record one dispatch of `kernel`. `params` fills the kernel's uniform Params struct at binding 0 (u32 fields; i32
   * fields are passed as their two's-complement bits; `hasParams` false for kernels without one), `bindings` are the
   * storage bindings in order after it (null for a binding number the variant does not declare, e.g. the output of
   * an in-place variant), `groups` the workgroup count,
   * folded into a 2-D grid beyond maxComputeWorkgroupsPerDimension (kernels index rows as wid.y * nwg.x + wid.x).
   * `io`: the element-I/O variant of a row kernel, or the operand types of a matmul (see src/shaders.ts).
   */
  dispatch(kernel: KernelName, constants: Constants, params: readonly number[], bindings: readonly (GPUBufferBinding | null)[], groups: number, hasParams = true, io: KernelIo = 'f32'): void {
    this.kernels.add(kernel);
    const key = this.ctx.pipelineKey(kernel, constants, io);
    const pipeline = this.ctx.pipeline(kernel, constants, io, key);
    const bindGroup = this.ctx.bindGroup(key, pipeline, hasParams ? params : null, bindings);
    this.ctx.tracing?.push({
      op: this.label,
      kernel: key,
      groups,
      reduction: this.ctx.subgroups ? 'subgroup' : 'workgroup',
    });
    if (this.timer) this.pass = this.timer.pass(this.encoder, this.pass, () => this.endPass(), key, groups);
    this.pass ??= this.encoder.beginComputePass({ label: `xentropy:${this.label}` });
    this.pass.setPipeline(pipeline);
    this.pass.setBindGroup(0, bindGroup);
    const maxPerDim = this.ctx.maxWorkgroupsPerDimension;
    const x = Math.min(groups, maxPerDim);
    const y = Math.ceil(groups / x);
    if (y > maxPerDim) throw new Error(`${this.label}: ${groups} workgroups exceed the device's dispatch limit`);
    this.pass.dispatchWorkgroups(x, y);
    if (this.timer?.passPerDispatch) this.endPass();
  }

  /** Record zeroing the first `length` elements of a tensor (ends the current compute pass). */
  clear(tensor: GpuTensor, length: number): void {
    this.endPass();
    this.encoder.clearBuffer(tensor.buffer, tensor.byteOffset, length * 4);
  }

  /** Record a buffer copy (ends the current compute pass). */
  copy(source: GpuTensor, target: GpuTensor): void {
    this.endPass();
    this.encoder.copyBufferToBuffer(source.buffer, source.byteOffset, target.buffer, target.byteOffset, source.byteLength);
  }

  /** Treat an engine-owned result as scratch: it goes back to the pool with the scratch (see `copy` into outputs). */
  retire(tensor: GpuTensor): void {
    const i = this.results.indexOf(tensor);
    if (i >= 0) this.results.splice(i, 1);
    this.retired.push(tensor);
  }

  /**
   * Submit the work on the engine's queue; resolves when the GPU has accepted it without validation or out-of-memory
   * errors, rejects with a clear error (naming a kernel that does not compile) and releases the results otherwise.
   */
  async submit(): Promise<void> {
    this.endPass();
    const readTimings = this.timer?.resolve(this.encoder) ?? null;
    this.ctx.device.queue.submit([this.encoder.finish()]);
    if (readTimings) this.ctx.profiling?.pending.push(readTimings());
    this.releaseScratch();
    await this.popScopes();
  }

  /**
   * Caller's encoder, after recording: end the pass and pop the error scopes (the commands are the caller's now).
   * Scratch stays held until `close()`.
   */
  endRecording(): void {
    if (this.scopes) return;
    this.endPass();
    this.readTimings = this.timer?.resolve(this.encoder) ?? null;
    this.scopes = this.popScopePair();
  }

  /**
   * Caller's encoder, once the caller submitted it (or dropped it): scratch goes back to the pool. Resolves when the
   * recording raised no validation or out-of-memory error, rejects with a clear one (results released) otherwise.
   */
  async close(): Promise<void> {
    this.endRecording();
    if (this.readTimings) this.ctx.profiling?.pending.push(this.readTimings());
    this.readTimings = null;
    this.releaseScratch();
    await this.popScopes();
  }

  /** Drop the recording after an exception (balances the error scopes; releases scratch and results). */
  abort(): void {
    this.endPass();
    this.timer?.destroy();
    this.releaseScratch();
    for (const tensor of this.results) tensor.release();
    this.scopes ??= this.popScopePair();
    void this.scopes.catch(() => undefined);
  }

  private popScopePair(): Promise<[GPUError | null, GPUError | null]> {
    const device = this.ctx.device;
    const validation = device.popErrorScope();
    const memory = device.popErrorScope();
    return Promise.all([validation, memory]);
  }

  private async popScopes(): Promise<void> {
    this.scopes ??= this.popScopePair();
    let error: GPUError | null;
    let outOfMemory: boolean;
    try {
      const [v, m] = await this.scopes;
      // Out of memory first: a buffer that could not be made is invalid, so the validation error that follows (a bind
      // group naming an invalid buffer) is a consequence, not the cause. (Told apart by scope, not by instanceof
      // GPUOutOfMemoryError: that class is a global in browsers only, not in Node.)
      outOfMemory = m !== null;
      error = m ?? v;
    } catch (lost) {
      for (const tensor of this.results) tensor.release();
      throw new Error(
        `xentropy ${this.label}: the WebGPU device was lost while the work was submitted (${lost instanceof Error ? lost.message : String(lost)})`,
        { cause: lost },
      );
    }
    if (!error) return;
    for (const tensor of this.results) tensor.release();
    const compile = await this.ctx.compileErrors(this.kernels);
    if (compile.length > 0) throw new Error(`xentropy ${this.label}: WGSL compile error: ${compile.join('\n')}`);
    const kind = outOfMemory ? 'out of memory' : 'validation error';
    throw new Error(`xentropy ${this.label}: WebGPU ${kind}: ${error.message}`);
  }

  private releaseScratch(): void {
    for (const buffer of this.scratch) this.ctx.pool.release(buffer);
    this.scratch.length = 0;
    for (const tensor of this.retired) tensor.release();
    this.retired.length = 0;
  }

  private endPass(): void {
    this.pass?.end();
    this.pass = null;
  }
}
