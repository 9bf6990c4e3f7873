/**
 * The bandwidth rooflines the bench compares our kernels with, on the same device in the same run:
 * `copy` reads n floats and writes n floats (shaders/roofline_copy.wgsl, vec4), `read` only reads them and writes one
 * float per thread (shaders/roofline_read.wgsl). Bench-only code: every buffer it creates is destroyed by
 * `destroy()`. When the device has 'timestamp-query', `gpuMilliseconds` also times a pass on the GPU's own clock.
 */
import copySource from './shaders/roofline_copy.wgsl?raw';
import readSource from './shaders/roofline_read.wgsl?raw';

export type RooflineKind = 'copy' | 'read';

/** A roofline kernel bound to one input buffer, ready to dispatch. */
export interface PreparedRoofline {
  readonly kind: RooflineKind;
  /** Floats covered (floor(n / 4) * 4: the kernels move whole vec4s). */
  readonly coveredFloats: number;
  /** 'read': the most f32 additions any value goes through on the GPU (per-thread loop, then the vec4 lanes). */
  readonly maxAdditions: number;
  /** Record and submit one dispatch (no wait). */
  submit(): void;
  /** Copy the output back: the copied floats ('copy') or the per-thread partial sums ('read'). */
  readOutput(): Promise<Float32Array>;
  /** GPU time of `dispatches` back-to-back dispatches in one timestamped pass, per dispatch; null without timestamps. */
  gpuMilliseconds(dispatches: number): Promise<number | null>;
  destroy(): void;
}

/** vec4s each thread of the read kernel adds (at least), so the per-workgroup combine stays negligible. */
const READ_VEC4_PER_THREAD = 16;

export class Rooflines {
  private readonly workgroupSize: number;
  private readonly pipelines: Record<RooflineKind, GPUComputePipeline>;
  readonly hasTimestamps: boolean;

  constructor(private readonly device: GPUDevice) {
    const limits = device.limits;
    this.workgroupSize = Math.min(256, limits.maxComputeInvocationsPerWorkgroup, limits.maxComputeWorkgroupSizeX);
    const make = (kind: RooflineKind, code: string) =>
      device.createComputePipeline({
        label: `bench:roofline_${kind}`,
        layout: 'auto',
        compute: { module: device.createShaderModule({ code, label: `bench:roofline_${kind}.wgsl` }), entryPoint: 'main', constants: { WG: this.workgroupSize } },
      });
    this.pipelines = { copy: make('copy', copySource), read: make('read', readSource) };
    this.hasTimestamps = device.features.has('timestamp-query');
  }

  /** Bind `kind` to the first `n` floats of `input` (a STORAGE buffer of at least 4n bytes, not owned here). */
  prepare(kind: RooflineKind, input: GPUBuffer, n: number): PreparedRoofline {
    const device = this.device;
    const wg = this.workgroupSize;
    const n4 = Math.floor(n / 4);
    if (n4 === 0) throw new Error(`roofline: ${n} floats is less than one vec4`);
    const maxGroups = device.limits.maxComputeWorkgroupsPerDimension;
    const groups = Math.max(1, Math.min(maxGroups, Math.ceil(n4 / (kind === 'copy' ? wg : wg * READ_VEC4_PER_THREAD))));
    const outputFloats = kind === 'copy' ? n4 * 4 : groups * wg;
    const owned: { destroy(): void }[] = [];
    const buffer = (size: number, usage: number, label: string) => {
      const b = device.createBuffer({ size, usage, label: `bench:roofline_${kind}:${label}` });
      owned.push(b);
      return b;
    };
    const params = buffer(16, GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST, 'params');
    device.queue.writeBuffer(params, 0, new Uint32Array([n4, groups * wg, 0, 0]));
    const output = buffer(outputFloats * 4, GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC, 'output');
    const pipeline = this.pipelines[kind];
    const bindGroup = device.createBindGroup({
      label: `bench:roofline_${kind}`,
      layout: pipeline.getBindGroupLayout(0),
      entries: [
        { binding: 0, resource: { buffer: params } },
        { binding: 1, resource: { buffer: input, offset: 0, size: n4 * 16 } },
        { binding: 2, resource: { buffer: output } },
      ],
    });
    const record = (pass: GPUComputePassEncoder, dispatches: number) => {
      pass.setPipeline(pipeline);
      pass.setBindGroup(0, bindGroup);
      for (let i = 0; i < dispatches; i++) pass.dispatchWorkgroups(groups);
      pass.end();
    };
    let querySet: GPUQuerySet | null = null;
    let resolve: GPUBuffer | null = null;
    let readTimes: GPUBuffer | null = null;
    if (this.hasTimestamps) {
      querySet = device.createQuerySet({ type: 'timestamp', count: 2, label: `bench:roofline_${kind}:timestamps` });
      owned.push(querySet);
      resolve = buffer(16, GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC, 'timestamps');
      readTimes = buffer(16, GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST, 'timestamps-read');
    }
    return {
      kind,
      coveredFloats: n4 * 4,
      maxAdditions: Math.ceil(n4 / (groups * wg)) + 2,
      submit() {
        const encoder = device.createCommandEncoder({ label: `bench:roofline_${kind}` });
        record(encoder.beginComputePass(), 1);
        device.queue.submit([encoder.finish()]);
      },
      async readOutput() {
        const staging = device.createBuffer({ size: outputFloats * 4, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST, label: `bench:roofline_${kind}:read` });
        try {
          const encoder = device.createCommandEncoder();
          encoder.copyBufferToBuffer(output, 0, staging, 0, outputFloats * 4);
          device.queue.submit([encoder.finish()]);
          await staging.mapAsync(GPUMapMode.READ);
          return new Float32Array(staging.getMappedRange().slice(0));
        } finally {
          staging.destroy();
        }
      },
      async gpuMilliseconds(dispatches: number) {
        if (!querySet || !resolve || !readTimes) return null;
        const encoder = device.createCommandEncoder({ label: `bench:roofline_${kind}:timed` });
        record(encoder.beginComputePass({ timestampWrites: { querySet, beginningOfPassWriteIndex: 0, endOfPassWriteIndex: 1 } }), dispatches);
        encoder.resolveQuerySet(querySet, 0, 2, resolve, 0);
        encoder.copyBufferToBuffer(resolve, 0, readTimes, 0, 16);
        device.queue.submit([encoder.finish()]);
        await readTimes.mapAsync(GPUMapMode.READ);
        const [begin, end] = new BigUint64Array(readTimes.getMappedRange().slice(0));
        readTimes.unmap();
        // Timestamps are in nanoseconds (WebGPU spec, "timestamp" queries); a reversed or zero pair means the
        // implementation could not time the pass.
        const ns = Number(end! - begin!);
        return ns > 0 ? ns / 1e6 / dispatches : null;
      },
      destroy() {
        for (const o of owned) o.destroy();
        owned.length = 0;
      },
    };
  }
}
