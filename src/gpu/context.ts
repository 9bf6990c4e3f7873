/**
 * GpuContext: the one owner of everything the engine creates on a device: shader modules and pipelines (created once
 * per kernel variant and cached), buffers (pooled), uniform parameters, command submission and readback.
 * Ops (src/ops/*.ts) describe their work as dispatches on a `Batch`; they never create GPU objects themselves.
 */
import { kernelSource, type KernelName } from '../shaders.js';
import { BufferPool, type PoolStats } from './pool.js';
import { GpuTensor, type DType } from './tensor.js';

/** Usage of every storage buffer the engine makes (GPUBufferUsage is a global only once WebGPU is loaded). */
function storageUsage(): number {
  return GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;
}

/** What the engine holds on the device. */
export interface EngineStats extends PoolStats {
  /** Dispatch recipes cached (a bind group and a small uniform buffer each; bounded). */
  cachedDispatches: number;
}

/** One dispatch's time on the GPU's clock, from `engine.profile`. */
export interface DispatchTiming {
  /** The batch (op) that recorded it, e.g. 'crossEntropy'. */
  op: string;
  /** The kernel and its pipeline constants, e.g. 'cross_entropy{"WG":64,"TPR":1,...}'. */
  kernel: string;
  /** Workgroups dispatched. */
  groups: number;
  /** Milliseconds between the compute pass's beginning and end timestamps. */
  ms: number;
}

/** Most dispatches one batch records while profiling (two timestamps each). */
const PROFILE_QUERIES_PER_BATCH = 512;

/** Dispatch recipes kept (each holds a bind group and a small uniform buffer). */
const DISPATCH_CACHE_SIZE = 512;

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
  profiling: { timings: DispatchTiming[]; pending: Promise<void>[] } | null = null;
  /** Row reductions use subgroup shuffles (set by `enableSubgroups` after the device passed the probe). */
  private subgroupReductions = false;
  private readonly pipelines = new Map<string, GPUComputePipeline>();
  private lostMessage: string | null = null;
  private destroyed = false;

  /**
   * @param tuning launch shapes for a CPU-emulated adapter (SwiftShader, llvmpipe: workgroup barriers are costly
   *   there, so one thread walks a whole row) or for a real GPU (many threads share a row).
   */
  constructor(readonly device: GPUDevice, private readonly ownsDevice: boolean, readonly tuning: Tuning = 'gpu', maxWorkgroupSize = 256) {
    this.pool = new BufferPool(device);
    const limits = device.limits;
    this.workgroupSize = Math.min(maxWorkgroupSize, limits.maxComputeInvocationsPerWorkgroup, limits.maxComputeWorkgroupSizeX);
    void device.lost.then((info) => {
      if (!this.destroyed) this.lostMessage = `${info.reason}: ${info.message}`;
    });
  }

  get limits(): GPUSupportedLimits {
    return this.device.limits;
  }

  /** Throws if the device can no longer be used. */
  assertUsable(op: string): void {
    if (this.destroyed) throw new Error(`${op}: the engine was destroyed`);
    if (this.lostMessage !== null) throw new Error(`${op}: the WebGPU device was lost (${this.lostMessage})`);
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

  /**
   * Run `work` with every dispatch in its own compute pass between two GPU timestamps (needs the device feature
   * `timestamp-query`), and return its result with the dispatch timings. For benchmarks and tuning: passes are split,
   * so the total can exceed an unprofiled run's.
   */
  async profile<T>(work: () => Promise<T>): Promise<{ result: T; timings: DispatchTiming[] }> {
    if (!this.device.features.has('timestamp-query')) throw new Error("profile: this device has no 'timestamp-query' feature");
    if (this.profiling) throw new Error('profile: already profiling');
    const profiling: NonNullable<GpuContext['profiling']> = { timings: [], pending: [] };
    this.profiling = profiling;
    try {
      const result = await work();
      await Promise.all(profiling.pending);
      return { result, timings: profiling.timings };
    } finally {
      this.profiling = null;
    }
  }

  /** The cache key of one variant of a kernel. */
  pipelineKey(kernel: KernelName, constants: Constants): string {
    return `${kernel}${JSON.stringify({ WG: this.workgroupSize, ...constants })}`;
  }

  /** The pipeline for one variant of a kernel, created on first use. */
  pipeline(kernel: KernelName, constants: Constants): GPUComputePipeline {
    const full: Constants = { WG: this.workgroupSize, ...constants };
    const cacheKey = this.pipelineKey(kernel, constants);
    let pipeline = this.pipelines.get(cacheKey);
    if (!pipeline) {
      const moduleKey = `${kernel}:${this.subgroupReductions ? 'subgroup' : 'workgroup'}`;
      let module = this.modules.get(moduleKey);
      if (!module) {
        module = this.device.createShaderModule({ code: kernelSource(kernel, this.subgroupReductions), label: `xentropy:${kernel}.wgsl` });
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
   * The bind group for one dispatch: binding 0 the uniform `params` (u32 words; omitted when null), then `bindings`.
   * Cached by recipe (see dispatchCache), so steady-state calls create nothing.
   */
  bindGroup(pipelineKey: string, pipeline: GPUComputePipeline, params: Uint32Array<ArrayBuffer> | null, bindings: readonly GPUBufferBinding[]): GPUBindGroup {
    const ranges = bindings.map((b) => `${this.bufferId(b.buffer)}@${b.offset ?? 0}+${b.size ?? ''}`).join(',');
    const key = `${pipelineKey}|${params ? params.join(',') : '-'}|${ranges}`;
    const hit = this.dispatchCache.get(key);
    if (hit) {
      this.dispatchCache.delete(key); // re-insert: Map order is the LRU order
      this.dispatchCache.set(key, hit);
      return hit.bindGroup;
    }
    const entries: GPUBindGroupEntry[] = [];
    let uniform: GPUBuffer | null = null;
    if (params) {
      uniform = this.device.createBuffer({ size: params.byteLength, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST, label: 'xentropy:params' });
      this.device.queue.writeBuffer(uniform, 0, params);
      entries.push({ binding: 0, resource: { buffer: uniform } });
    }
    const first = params ? 1 : 0;
    bindings.forEach((resource, i) => entries.push({ binding: first + i, resource }));
    const bindGroup = this.device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries, label: `xentropy:${pipelineKey}` });
    this.dispatchCache.set(key, { bindGroup, uniform });
    if (this.dispatchCache.size > DISPATCH_CACHE_SIZE) {
      const [oldestKey, oldest] = this.dispatchCache.entries().next().value!;
      this.dispatchCache.delete(oldestKey);
      oldest.uniform?.destroy(); // work already submitted with it still completes
    }
    return bindGroup;
  }

  private bufferId(buffer: GPUBuffer): number {
    let id = this.bufferIds.get(buffer);
    if (id === undefined) this.bufferIds.set(buffer, (id = this.nextBufferId++));
    return id;
  }

  /** An engine-owned tensor of `length` elements; release it (or hand it to the caller) when done. */
  allocate(length: number, dtype: DType, label: string): GpuTensor {
    const buffer = this.pool.acquire(Math.max(4, length * 4), storageUsage(), label);
    return this.own(buffer, dtype, length, 0);
  }

  /** Wrap a buffer as a tensor; `owned` ones go back to the pool on release. */
  own(buffer: GPUBuffer, dtype: DType, length: number, byteOffset: number, owned = true): GpuTensor {
    return new GpuTensor(
      buffer,
      dtype,
      length,
      byteOffset,
      owned ? (b) => this.pool.release(b) : undefined,
      (t) => this.read(t),
    );
  }

  /** Copy host data into a new engine-owned tensor. */
  upload(data: Float32Array | Int32Array, label: string): GpuTensor {
    const tensor = this.allocate(data.length, data instanceof Int32Array ? 'i32' : 'f32', label);
    if (data.byteLength > 0) this.device.queue.writeBuffer(tensor.buffer, 0, data.buffer, data.byteOffset, data.byteLength);
    return tensor;
  }

  /** Copy a tensor back to the CPU. */
  async read(tensor: GpuTensor): Promise<Float32Array | Int32Array> {
    this.assertUsable('read');
    const bytes = tensor.byteLength;
    const Type = tensor.dtype === 'i32' ? Int32Array : Float32Array;
    if (bytes === 0) return new Type(0);
    const staging = this.pool.acquire(bytes, GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST, 'readback');
    try {
      const encoder = this.device.createCommandEncoder({ label: 'xentropy:readback' });
      encoder.copyBufferToBuffer(tensor.buffer, tensor.byteOffset, staging, 0, bytes);
      this.device.queue.submit([encoder.finish()]);
      await staging.mapAsync(GPUMapMode.READ, 0, bytes);
      const out = new Type(staging.getMappedRange(0, bytes).slice(0));
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
    const alignment = this.limits.minStorageBufferOffsetAlignment;
    const byteStart = tensor.byteOffset + start * 4;
    const offset = Math.floor(byteStart / alignment) * alignment;
    const size = Math.max(4, byteStart - offset + count * 4);
    return { binding: { buffer: tensor.buffer, offset, size }, shift: (byteStart - offset) / 4 };
  }

  /** The largest number of f32 elements one binding can cover, leaving room for the alignment shift. */
  get maxBindingElements(): number {
    return Math.floor((this.limits.maxStorageBufferBindingSize - this.limits.minStorageBufferOffsetAlignment) / 4);
  }

  /**
   * Record work with `record` (synchronously: no await inside) and submit it. Resolves to what `record` returned once
   * the GPU accepted the work; rejects with a clear error on a validation or out-of-memory error.
   */
  async submit<T>(label: string, record: (batch: Batch) => T): Promise<T> {
    this.assertUsable(label);
    const batch = new Batch(this, label);
    let result: T;
    try {
      result = record(batch);
    } catch (error) {
      batch.abort();
      throw error;
    }
    await batch.submit();
    return result;
  }

  stats(): EngineStats {
    return { ...this.pool.stats(), cachedDispatches: this.dispatchCache.size };
  }

  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.pool.destroy();
    for (const entry of this.dispatchCache.values()) entry.uniform?.destroy();
    this.dispatchCache.clear();
    this.pipelines.clear();
    this.modules.clear();
    if (this.ownsDevice) this.device.destroy();
  }
}

/**
 * One command encoder's worth of dispatches. Scratch storage lives until `submit()`, then goes back
 * to the pool: any later use of them is a later queue operation, so reuse cannot race the submitted work.
 * Validation and out-of-memory errors raised while recording are caught by error scopes pushed and popped
 * synchronously around the recording, so concurrent calls never see each other's scopes.
 */
export class Batch {
  readonly encoder: GPUCommandEncoder;
  private pass: GPUComputePassEncoder | null = null;
  private readonly scratch: GPUBuffer[] = [];
  /** Timestamps of profiled dispatches (see GpuContext.profile). */
  private queries: { set: GPUQuerySet; labels: Omit<DispatchTiming, 'ms'>[] } | null = null;

  constructor(private readonly ctx: GpuContext, private readonly label: string) {
    ctx.device.pushErrorScope('out-of-memory');
    ctx.device.pushErrorScope('validation');
    this.encoder = ctx.device.createCommandEncoder({ label: `xentropy:${label}` });
  }

  /** Temporary storage that lives until this batch is submitted. */
  scratchTensor(length: number, dtype: DType, label: string): GpuTensor {
    const buffer = this.ctx.pool.acquire(Math.max(4, length * 4), storageUsage(), label);
    this.scratch.push(buffer);
    return this.ctx.own(buffer, dtype, length, 0, false);
  }

  /**
   * Record one dispatch of `kernel`. `params` fills the kernel's uniform Params struct at binding 0 (u32 fields; i32
   * fields are passed as their two's-complement bits; `hasParams` false for kernels without one), `bindings` are the
   * storage bindings in order after it, `groups` the workgroup count,
   * folded into a 2-D grid beyond maxComputeWorkgroupsPerDimension (kernels index rows as wid.y * nwg.x + wid.x).
   */
  dispatch(kernel: KernelName, constants: Constants, params: readonly number[], bindings: readonly GPUBufferBinding[], groups: number, hasParams = true): void {
    const pipeline = this.ctx.pipeline(kernel, constants);
    let words: Uint32Array<ArrayBuffer> | null = null;
    if (hasParams) {
      words = new Uint32Array(Math.ceil(params.length / 4) * 4);
      params.forEach((value, i) => (words![i] = value >>> 0));
    }
    const bindGroup = this.ctx.bindGroup(this.ctx.pipelineKey(kernel, constants), pipeline, words, bindings);
    if (this.ctx.profiling) {
      this.endPass();
      this.queries ??= { set: this.ctx.device.createQuerySet({ type: 'timestamp', count: 2 * PROFILE_QUERIES_PER_BATCH }), labels: [] };
      const index = this.queries.labels.length;
      if (index >= PROFILE_QUERIES_PER_BATCH) throw new Error(`${this.label}: too many dispatches to profile in one batch`);
      this.queries.labels.push({ op: this.label, kernel: this.ctx.pipelineKey(kernel, constants), groups });
      this.pass = this.encoder.beginComputePass({
        label: `xentropy:${this.label}`,
        timestampWrites: { querySet: this.queries.set, beginningOfPassWriteIndex: 2 * index, endOfPassWriteIndex: 2 * index + 1 },
      });
    }
    this.pass ??= this.encoder.beginComputePass({ label: `xentropy:${this.label}` });
    this.pass.setPipeline(pipeline);
    this.pass.setBindGroup(0, bindGroup);
    const maxPerDim = this.ctx.limits.maxComputeWorkgroupsPerDimension;
    const x = Math.min(groups, maxPerDim);
    const y = Math.ceil(groups / x);
    if (y > maxPerDim) throw new Error(`${this.label}: ${groups} workgroups exceed the device's dispatch limit`);
    this.pass.dispatchWorkgroups(x, y);
    if (this.ctx.profiling) this.endPass();
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

  /** Submit the work; resolves when the GPU has accepted it without validation or out-of-memory errors. */
  async submit(): Promise<void> {
    const device = this.ctx.device;
    this.endPass();
    const readTimings = this.resolveTimings();
    device.queue.submit([this.encoder.finish()]);
    if (readTimings) this.ctx.profiling?.pending.push(readTimings());
    for (const buffer of this.scratch) this.ctx.pool.release(buffer);
    this.scratch.length = 0;
    const validation = device.popErrorScope();
    const memory = device.popErrorScope();
    const [v, m] = await Promise.all([validation, memory]);
    const error = v ?? m;
    if (error) throw new Error(`xentropy ${this.label}: WebGPU ${error instanceof GPUOutOfMemoryError ? 'out of memory' : 'validation error'}: ${error.message}`);
  }

  /** Record copying the timestamps out; returns the read to run once submitted (null when not profiling). */
  private resolveTimings(): (() => Promise<void>) | null {
    const queries = this.queries;
    const profiling = this.ctx.profiling;
    if (!queries || !profiling) return null;
    const count = 2 * queries.labels.length;
    const device = this.ctx.device;
    const resolved = device.createBuffer({ size: count * 8, usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC });
    const staging = device.createBuffer({ size: count * 8, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    this.encoder.resolveQuerySet(queries.set, 0, count, resolved, 0);
    this.encoder.copyBufferToBuffer(resolved, 0, staging, 0, count * 8);
    return async () => {
      try {
        await staging.mapAsync(GPUMapMode.READ);
        const ticks = new BigInt64Array(staging.getMappedRange().slice(0));
        queries.labels.forEach((label, i) => profiling.timings.push({ ...label, ms: Number(ticks[2 * i + 1]! - ticks[2 * i]!) / 1e6 }));
      } finally {
        staging.destroy();
        resolved.destroy();
        queries.set.destroy();
      }
    };
  }

  /** Drop the recording after an exception (balances the error scopes; releases scratch). */
  abort(): void {
    this.endPass();
    for (const buffer of this.scratch) this.ctx.pool.release(buffer);
    this.scratch.length = 0;
    void this.ctx.device.popErrorScope();
    void this.ctx.device.popErrorScope();
  }

  private endPass(): void {
    this.pass?.end();
    this.pass = null;
  }
}
