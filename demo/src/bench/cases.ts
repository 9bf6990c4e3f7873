/**
 * The benchmark in the browser: the fused cross-entropy forward+backward (the library's GPU-resident form, as
 * bench/run.ts times it), a vec4 read+write roofline kernel over the same bytes, and the CPU reference. Each case is
 * validated (GPU loss against the f64 reference) before it is timed; times are medians of repeated runs, measured to
 * queue.onSubmittedWorkDone(). Bytes moved = rows * classes * 4 * 2 (logits read + gradient written).
 */
import type { Engine } from 'xentropy';
import { seededRandom } from '../train/data.js';
import rooflineSource from './roofline.wgsl?raw';
import type { TfjsRunner } from './tfjs.js';

export interface BenchCase {
  name: string;
  rows: number;
  classes: number;
}

export const SMALL_CASE: BenchCase = { name: 'small [256, 1000]', rows: 256, classes: 1000 };
export const ALL_CASES: BenchCase[] = [SMALL_CASE, { name: 'batch [4096, 1000]', rows: 4096, classes: 1000 }, { name: 'vocab [512, 32000]', rows: 512, classes: 32000 }];

export type Implementation = 'xentropy (fused CE fwd+bwd)' | 'roofline (vec4 read+write)' | 'tfjs-webgpu (softmaxCrossEntropy + grad)' | 'CPU reference';
export const IMPLEMENTATIONS: Implementation[] = ['xentropy (fused CE fwd+bwd)', 'roofline (vec4 read+write)', 'tfjs-webgpu (softmaxCrossEntropy + grad)', 'CPU reference'];

export interface Measurement {
  benchCase: BenchCase;
  implementation: Implementation;
  milliseconds: number;
  gigabytesPerSecond: number;
  note: string;
}

const GPU_REPEATS = 7;
const CPU_REPEATS = 3;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

function bytesMoved(c: BenchCase): number {
  return c.rows * c.classes * 4 * 2;
}

/** Stop repeating once this much time went into one measurement (at least MIN_REPEATS runs): slow adapters stay usable. */
const TIME_BUDGET_MS = 4000;
const MIN_REPEATS = 3;

/**
 * Time `run` (after one warm-up call) up to `repeats` times; `onTick` after each call drives the progress bar (the
 * runs skipped by the time budget tick at the end, so the bar still fills).
 */
async function timeIt(repeats: number, run: () => Promise<void>, onTick: () => void): Promise<number> {
  const begin = performance.now();
  await run();
  onTick();
  const times: number[] = [];
  for (let i = 0; i < repeats; i++) {
    if (i >= MIN_REPEATS && performance.now() - begin > TIME_BUDGET_MS) {
      onTick();
      continue;
    }
    const start = performance.now();
    await run();
    times.push(performance.now() - start);
    onTick();
  }
  return median(times);
}

/** Progress ticks one case takes (for the progress bar). */
export function ticksFor(gpu: boolean, tfjs: boolean): number {
  return (gpu ? 2 * (GPU_REPEATS + 1) : 0) + (tfjs ? GPU_REPEATS + 1 : 0) + CPU_REPEATS + 1;
}

export async function runCase(engine: Engine, cpu: Engine, c: BenchCase, onTick: () => void, tfjs: TfjsRunner | null = null): Promise<Measurement[]> {
  const random = seededRandom(c.rows * 31 + c.classes);
  const logits = Float32Array.from({ length: c.rows * c.classes }, () => (random() - 0.5) * 6);
  const target = Int32Array.from({ length: c.rows }, () => Math.floor(random() * c.classes));
  const shape = [c.rows, c.classes];
  const bytes = bytesMoved(c);
  const result = (implementation: Implementation, milliseconds: number, note: string): Measurement => ({
    benchCase: c,
    implementation,
    milliseconds,
    gigabytesPerSecond: bytes / (milliseconds * 1e6),
    note,
  });
  const out: Measurement[] = [];
  const reference = await cpu.crossEntropy(logits, target, { shape });
  const referenceLoss = reference.loss as number;

  const device = engine.device;
  if (device) {
    // Validate before timing: a fast wrong kernel is not a result.
    const checked = await engine.crossEntropy(logits, target, { shape });
    const error = Math.abs((checked.loss as number) - referenceLoss);
    if (!(error <= 1e-6 + 1e-5 * Math.abs(referenceLoss))) throw new Error(`${c.name}: GPU loss ${String(checked.loss)} differs from the reference ${referenceLoss}`);
    const logitsTensor = engine.gpu.upload(logits);
    const labels = engine.gpu.upload(target);
    try {
      const ms = await timeIt(GPU_REPEATS, async () => {
        const r = await engine.gpu.crossEntropy(logitsTensor, labels, { shape });
        await device.queue.onSubmittedWorkDone();
        for (const t of [r.loss, r.grad!, r.weightSum]) t.release();
      }, onTick);
      out.push(result('xentropy (fused CE fwd+bwd)', ms, `validated: |loss − reference| = ${error.toExponential(1)}`));
    } finally {
      logitsTensor.release();
      labels.release();
    }
    out.push(result('roofline (vec4 read+write)', await timeRoofline(device, logits, onTick), 'same bytes, no arithmetic'));
  }
  if (tfjs) {
    const prepared = tfjs.prepare(c, logits, target);
    try {
      const error = Math.abs((await prepared.run()) - referenceLoss);
      if (!(error <= 1e-5 + 1e-4 * Math.abs(referenceLoss))) throw new Error(`${c.name}: TensorFlow.js loss differs from the reference by ${error}`);
      const ms = await timeIt(GPU_REPEATS, async () => void (await prepared.run()), onTick);
      out.push(result('tfjs-webgpu (softmaxCrossEntropy + grad)', ms, `TensorFlow.js ${tfjs.version}, its own device; validated: |loss − reference| = ${error.toExponential(1)}; timed to a 1-element readback`));
    } finally {
      prepared.dispose();
    }
  }
  const cpuMs = await timeIt(CPU_REPEATS, async () => void (await cpu.crossEntropy(logits, target, { shape })), onTick);
  out.push(result('CPU reference', cpuMs, 'f64 reference in JavaScript, one thread'));
  return out;
}

/** Our own kernel on the engine's device: its buffers are created for the case and destroyed after it. */
async function timeRoofline(device: GPUDevice, data: Float32Array<ArrayBuffer>, onTick: () => void): Promise<number> {
  const size = Math.ceil(data.byteLength / 16) * 16;
  const usage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST;
  const source = device.createBuffer({ label: 'demo:roofline source', size, usage });
  const destination = device.createBuffer({ label: 'demo:roofline destination', size, usage });
  try {
    device.queue.writeBuffer(source, 0, data);
    const module = device.createShaderModule({ label: 'demo:roofline.wgsl', code: rooflineSource });
    const pipeline = device.createComputePipeline({ label: 'demo:roofline', layout: 'auto', compute: { module, entryPoint: 'main' } });
    const bindGroup = device.createBindGroup({
      layout: pipeline.getBindGroupLayout(0),
      entries: [
        { binding: 0, resource: { buffer: source } },
        { binding: 1, resource: { buffer: destination } },
      ],
    });
    const groups = Math.ceil(size / 16 / 256);
    const x = Math.min(groups, device.limits.maxComputeWorkgroupsPerDimension);
    return await timeIt(GPU_REPEATS, async () => {
      const encoder = device.createCommandEncoder({ label: 'demo:roofline' });
      const pass = encoder.beginComputePass();
      pass.setPipeline(pipeline);
      pass.setBindGroup(0, bindGroup);
      pass.dispatchWorkgroups(x, Math.ceil(groups / x));
      pass.end();
      device.queue.submit([encoder.finish()]);
      await device.queue.onSubmittedWorkDone();
    }, onTick);
  } finally {
    source.destroy();
    destination.destroy();
  }
}
