/**
 * The training run on the GPU. Per step: our forward kernels (mlp.wgsl), then the library's fused cross-entropy
 * forward+backward on the same device (engine.gpu.crossEntropy on a wrapped logits buffer: no readback, no copy of the
 * logits), then our backward, Adam and accuracy kernels. The loss and accuracy of each step are written to a small
 * GPU ring of metrics that is read back once per block of steps, so the GPU is not stalled every step.
 *
 * Every buffer is created once in the constructor and destroyed in destroy(); a step allocates no GPU memory (the
 * engine's result tensors come from, and go back to, its pool).
 */
import type { Engine, GpuTensor } from 'xentropy';
import type { Dataset } from './data.js';
import mlpSource from './mlp.wgsl?raw';
import { ADAM, initialParameters, parameterLayout, type ModelShape, type StepMetrics, type Trainer } from './model.js';

/** Steps per metrics readback (the size of the metrics ring). */
export const METRICS_BLOCK = 25;
/** Most points predict() takes at once (the decision-boundary grid). */
export const MAX_PREDICT_POINTS = 64 * 64;

const WORKGROUP = 64;
const KERNELS = ['forward_hidden', 'forward_logits', 'backward_hidden', 'parameter_gradients', 'adam', 'count_correct'] as const;
type Kernel = (typeof KERNELS)[number];

const STORAGE = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST | GPUBufferUsage.COPY_SRC;
const UNIFORM = GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST;

/** The buffers of one batch of points: the training set, or the grid predict() evaluates. */
interface BatchBuffers {
  count: number;
  uniform: GPUBuffer;
  points: GPUBuffer;
  hidden: GPUBuffer;
  logits: GPUBuffer;
  bindGroup: GPUBindGroup;
}

export class GpuTrainer implements Trainer {
  readonly label = 'GPU';
  private readonly device: GPUDevice;
  private readonly layout;
  private readonly buffers: GPUBuffer[] = [];
  private readonly pipelines = new Map<Kernel, GPUComputePipeline>();
  private readonly state: GPUBuffer;
  private readonly modelUniform: GPUBuffer;
  /** Host copy of the model uniform (16 words), rewritten each step: slot and Adam's bias corrections. */
  private readonly modelWords = new ArrayBuffer(64);
  private readonly labels: GPUBuffer;
  private readonly dlogits: GPUBuffer;
  private readonly metrics: GPUBuffer;
  private readonly metricsStaging: GPUBuffer;
  private readonly modelBindGroup: GPUBindGroup;
  private readonly train: BatchBuffers;
  private readonly grid: BatchBuffers;
  /** The training logits and labels as library tensors (wrapped once: the engine never frees caller buffers). */
  private readonly logitsTensor: GpuTensor;
  private readonly labelsTensor: GpuTensor;
  private step = 0;

  constructor(private readonly engine: Engine, private readonly data: Dataset, private readonly shape: ModelShape) {
    if (!engine.device) throw new Error('GpuTrainer: needs an engine on the webgpu backend');
    const device = (this.device = engine.device);
    this.layout = parameterLayout(shape);
    const { hidden: H, classes: C } = shape;
    const total = this.layout.total;

    const modelLayout = device.createBindGroupLayout({
      label: 'demo:mlp model',
      entries: [
        { binding: 0, visibility: GPUShaderStage.COMPUTE, buffer: { type: 'uniform' } },
        { binding: 1, visibility: GPUShaderStage.COMPUTE, buffer: { type: 'storage' } },
      ],
    });
    const batchLayout = device.createBindGroupLayout({
      label: 'demo:mlp batch',
      entries: [
        { binding: 0, visibility: GPUShaderStage.COMPUTE, buffer: { type: 'uniform' } },
        ...[1, 2, 3, 4, 5, 6].map((binding) => ({ binding, visibility: GPUShaderStage.COMPUTE, buffer: { type: 'storage' as const } })),
      ],
    });
    const pipelineLayout = device.createPipelineLayout({ label: 'demo:mlp', bindGroupLayouts: [modelLayout, batchLayout] });
    const module = device.createShaderModule({ label: 'demo:mlp.wgsl', code: mlpSource });
    for (const kernel of KERNELS) {
      this.pipelines.set(kernel, device.createComputePipeline({ label: `demo:${kernel}`, layout: pipelineLayout, compute: { module, entryPoint: kernel } }));
    }

    this.state = this.buffer('state', 4 * total * 4, STORAGE);
    this.modelUniform = this.buffer('model', 64, UNIFORM);
    this.labels = this.buffer('labels', data.count * 4, STORAGE);
    device.queue.writeBuffer(this.labels, 0, data.labels);
    this.dlogits = this.buffer('dlogits', data.count * C * 4, STORAGE);
    this.metrics = this.buffer('metrics', METRICS_BLOCK * 2 * 4, STORAGE);
    this.metricsStaging = this.buffer('metrics readback', METRICS_BLOCK * 2 * 4, GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST);
    this.modelBindGroup = device.createBindGroup({
      label: 'demo:mlp model',
      layout: modelLayout,
      entries: [
        { binding: 0, resource: { buffer: this.modelUniform } },
        { binding: 1, resource: { buffer: this.state } },
      ],
    });
    const batch = (name: string, capacity: number): BatchBuffers => {
      const uniform = this.buffer(`${name} batch`, 16, UNIFORM);
      const points = this.buffer(`${name} points`, capacity * 2 * 4, STORAGE);
      const hidden = this.buffer(`${name} hidden`, capacity * H * 2 * 4, STORAGE);
      const logits = this.buffer(`${name} logits`, capacity * C * 4, STORAGE);
      const resources = [uniform, points, this.labels, hidden, logits, this.dlogits, this.metrics];
      const bindGroup = device.createBindGroup({
        label: `demo:mlp ${name}`,
        layout: batchLayout,
        entries: resources.map((buffer, binding) => ({ binding, resource: { buffer } })),
      });
      return { count: capacity, uniform, points, hidden, logits, bindGroup };
    };
    this.train = batch('train', data.count);
    this.grid = batch('grid', MAX_PREDICT_POINTS);
    device.queue.writeBuffer(this.train.points, 0, data.points);
    device.queue.writeBuffer(this.train.uniform, 0, new Uint32Array([data.count, 0, 0, 0]));
    this.logitsTensor = engine.gpu.wrap(this.train.logits, { dtype: 'f32', length: data.count * C });
    this.labelsTensor = engine.gpu.wrap(this.labels, { dtype: 'i32', length: data.count });
    this.reset();
  }

  reset(): void {
    const total = this.layout.total;
    const initial = new Float32Array(4 * total); // parameters, then zero gradients and moments
    initial.set(initialParameters(this.shape));
    this.device.queue.writeBuffer(this.state, 0, initial);
    this.step = 0;
    this.writeModelUniform(0); // predict() before the first step needs the shape and offsets
  }

  async run(count: number): Promise<StepMetrics[]> {
    const out: StepMetrics[] = [];
    while (out.length < count) {
      const block = Math.min(METRICS_BLOCK, count - out.length);
      const encoder = this.device.createCommandEncoder({ label: 'demo:clear metrics' });
      encoder.clearBuffer(this.metrics);
      this.device.queue.submit([encoder.finish()]);
      for (let slot = 0; slot < block; slot++) await this.trainStep(slot);
      out.push(...(await this.readMetrics(block)));
    }
    return out;
  }

  async predict(points: Float32Array<ArrayBuffer>): Promise<Float32Array> {
    const count = points.length / 2;
    if (count > MAX_PREDICT_POINTS) throw new Error(`GpuTrainer.predict: at most ${MAX_PREDICT_POINTS} points (got ${count})`);
    const C = this.shape.classes;
    this.device.queue.writeBuffer(this.grid.points, 0, points);
    this.device.queue.writeBuffer(this.grid.uniform, 0, new Uint32Array([count, 0, 0, 0]));
    const encoder = this.device.createCommandEncoder({ label: 'demo:predict' });
    const pass = encoder.beginComputePass();
    this.dispatch(pass, 'forward_hidden', this.grid, count * this.shape.hidden);
    this.dispatch(pass, 'forward_logits', this.grid, count * C);
    pass.end();
    this.device.queue.submit([encoder.finish()]);
    // Probabilities with the library's softmax, reading the grid's logits in place.
    const logits = this.engine.gpu.wrap(this.grid.logits, { dtype: 'f32', length: count * C });
    return this.engine.softmax(logits, { shape: [count, C] });
  }

  /** GPU buffers this trainer made (all in the constructor). */
  get bufferCount(): number {
    return this.buffers.length;
  }

  destroy(): void {
    for (const buffer of this.buffers) buffer.destroy();
    this.buffers.length = 0;
  }

  private buffer(label: string, size: number, usage: number): GPUBuffer {
    const buffer = this.device.createBuffer({ label: `demo:${label}`, size: Math.max(16, Math.ceil(size / 4) * 4), usage });
    this.buffers.push(buffer);
    return buffer;
  }

  private dispatch(pass: GPUComputePassEncoder, kernel: Kernel, batch: BatchBuffers, threads: number): void {
    pass.setPipeline(this.pipelines.get(kernel)!);
    pass.setBindGroup(0, this.modelBindGroup);
    pass.setBindGroup(1, batch.bindGroup);
    const groups = Math.ceil(threads / WORKGROUP);
    const x = Math.min(groups, this.device.limits.maxComputeWorkgroupsPerDimension);
    pass.dispatchWorkgroups(x, Math.ceil(groups / x));
  }

  private writeModelUniform(slot: number): void {
    const words = new Uint32Array(this.modelWords);
    const floats = new Float32Array(this.modelWords);
    const { w1, b1, w2, b2, total } = this.layout;
    words.set([this.shape.hidden, this.shape.classes, total, slot, w1, b1, w2, b2]);
    const t = this.step + 1;
    floats.set([ADAM.learningRate, ADAM.beta1, ADAM.beta2, ADAM.epsilon, 1 - ADAM.beta1 ** t, 1 - ADAM.beta2 ** t], 8);
    this.device.queue.writeBuffer(this.modelUniform, 0, this.modelWords);
  }

  private async trainStep(slot: number): Promise<void> {
    const { hidden: H, classes: C } = this.shape;
    const N = this.data.count;
    const total = this.layout.total;
    this.writeModelUniform(slot);

    const forward = this.device.createCommandEncoder({ label: 'demo:forward' });
    const forwardPass = forward.beginComputePass();
    this.dispatch(forwardPass, 'forward_hidden', this.train, N * H);
    this.dispatch(forwardPass, 'forward_logits', this.train, N * C);
    forwardPass.end();
    this.device.queue.submit([forward.finish()]);

    // The library's fused kernel: mean loss and d loss / d logits in one pass over the logits.
    const { loss, grad, weightSum } = await this.engine.gpu.crossEntropy(this.logitsTensor, this.labelsTensor, { shape: [N, C] });
    try {
      const backward = this.device.createCommandEncoder({ label: 'demo:backward' });
      // The gradient comes in an engine-pooled buffer that may differ from step to step; copying its few KB into our
      // own buffer keeps one fixed bind group instead of a new one per step.
      backward.copyBufferToBuffer(grad!.buffer, grad!.byteOffset, this.dlogits, 0, N * C * 4);
      backward.copyBufferToBuffer(loss.buffer, loss.byteOffset, this.metrics, slot * 8, 4);
      const pass = backward.beginComputePass();
      this.dispatch(pass, 'count_correct', this.train, N);
      this.dispatch(pass, 'backward_hidden', this.train, N * H);
      this.dispatch(pass, 'parameter_gradients', this.train, total);
      this.dispatch(pass, 'adam', this.train, total);
      pass.end();
      this.device.queue.submit([backward.finish()]);
    } finally {
      // Safe right after submit: any reuse by the engine is a later queue operation.
      for (const tensor of [loss, grad!, weightSum]) tensor.release();
    }
    this.step++;
  }

  private async readMetrics(block: number): Promise<StepMetrics[]> {
    const bytes = block * 8;
    const encoder = this.device.createCommandEncoder({ label: 'demo:read metrics' });
    encoder.copyBufferToBuffer(this.metrics, 0, this.metricsStaging, 0, bytes);
    this.device.queue.submit([encoder.finish()]);
    await this.metricsStaging.mapAsync(GPUMapMode.READ, 0, bytes);
    const raw = this.metricsStaging.getMappedRange(0, bytes).slice(0);
    this.metricsStaging.unmap();
    const floats = new Float32Array(raw);
    const words = new Uint32Array(raw);
    const first = this.step - block + 1;
    return Array.from({ length: block }, (_, i) => ({ step: first + i, loss: floats[2 * i]!, accuracy: words[2 * i + 1]! / this.data.count }));
  }
}
