/**
 * The fused linear cross-entropy bench, shared by Node (bench/linearCrossEntropy.ts, Dawn) and headless
 * Chromium (bench/browser.ts --linear-ce, the page in bench/browser/): the fused op against the unfused path and
 * against tfjs, on one device, the timing of bench/core.ts: each contender runs once and is validated, then samples are
 * taken round-robin, one sample = launch a call, submit, await device.queue.onSubmittedWorkDone(); median per call.
 *
 *   xentropy-fused  engine.gpu.linearCrossEntropy(hidden, weight, target): loss, gradHidden, gradWeight
 *   unfused         tfjs matMul -> logits [N, V] on the GPU -> engine.gpu.crossEntropy (the fused CE kernel, on the
 *                   logits' buffer, zero copy) -> tfjs matMuls of its dlogits (gradHidden = G W, gradWeight = G^T H)
 *   tfjs            tf.valueAndGrads of losses.softmaxCrossEntropy(oneHot(target), matMul(hidden, weight^T))
 *
 * Peak GPU memory beyond the inputs and the results: xentropy's from engine.stats() (live + pooled bytes after a
 * call with the pool trimmed before it: the pool keeps every buffer released during the call, so this bounds what the
 * call held at once), tfjs's from its backend's numBytesAllocatedInGPU read before the call's tensors are freed.
 * Default size: N=256, D=128, V=8192 (a minute or two on SwiftShader); `--full`: the N=4096, D=768, V=50257
 * (a real GPU; the unfused path and tfjs need 2-3 buffers of N x V x 4 = 823 MB there). `--shape N,D,V` for any other.
 * Validation: the fused result against the f64 reference when N*V*D <= 2e9 (else against the unfused path), with the
 * tests' tolerances (their linearCrossEntropy helper); the unfused path and tfjs against the fused result with the
 * same loss tolerance and gradients at 1e-3 * max|expected| (they are contenders, checked so a broken one cannot pass).
 *
 * `--matmul`: the matmuls alone instead (runMatmulBench below): GFLOP/s of the fused call's matmul kernels, per use
 * (logits, gradHidden, gradWeight), from GPU timestamps (engine.profile), beside tfjs matMul on the same three
 * products over all N rows, timed by the wall clock; plus the fused call's other kernels. About 20 s at --full on a GPU.
 *
 * `--dtype=f16`: hidden and weight rounded to f16 on the host; the fused op gets them as f16 GpuTensors (read as f32
 * by the matmuls, f32 results), the unfused path and tfjs the same rounded values in f32, and the reference too, so
 * the validation is unchanged. Printed in the first line.
 */
import * as tf from 'bench-tfjs/core';
import 'bench-tfjs/gradients';
import { reference, roundToFloat16, type Engine, type GpuTensor } from 'xentropy';
import { classTargets, normal } from './data.js';
import { tfjsOn } from './core.js';

/** The bench's options, from the command line (bench/cli.ts, LINEAR_CE_OPTIONS). */
export interface LinearCeOptions {
  N: number;
  D: number;
  V: number;
  repeats: number;
  adapter: 'auto' | 'swiftshader' | 'llvmpipe' | 'vulkan';
  contenders: string[];
  /** --matmul: time the matmuls alone (runMatmulBench) instead of the contenders. */
  matmul: boolean;
  /** --tuning and --max-workgroup-size: createEngine's options, to time one launch plan on any adapter. */
  tuning: 'auto' | 'cpu' | 'gpu';
  maxWorkgroupSize: number;
  /** --dtype: the fused op's hidden and weight as f32 (default) or f16 GpuTensors. */
  dtype: 'f32' | 'f16';
}

/**
 * The bench's inputs: hidden ~ N(0, 1), weight ~ N(0, 4 / D), class targets; with dtype f16 hidden and weight are
 * rounded to f16 (what every contender and the reference then use) and uploaded as f16 GpuTensors.
 */
function inputs(engine: Engine, N: number, D: number, V: number, dtype: 'f32' | 'f16') {
  const round = (x: Float32Array) => (dtype === 'f16' ? roundToFloat16(x) : x);
  const hidden = round(normal(N * D, 1, 1));
  const weight = round(normal(V * D, 2 / Math.sqrt(D), 2));
  const target = classTargets(N, V, 3);
  const [hGpu, wGpu, tGpu] = [engine.gpu.upload(hidden, { dtype }), engine.gpu.upload(weight, { dtype }), engine.gpu.upload(target)];
  return { hidden, weight, target, hGpu, wGpu, tGpu };
}

interface Output { loss: number; gradHidden: Float32Array; gradWeight: Float32Array }
interface Call { read(): Promise<Output>; free(): void; tfBytes: number }
interface Contender { name: string; launch(): Promise<Call> }

function worst(got: ArrayLike<number>, want: ArrayLike<number>, atolScale: number, rtol: number): { ratio: number; text: string } {
  let max = 0;
  for (let i = 0; i < want.length; i++) max = Math.max(max, Math.abs(want[i]!));
  let ratio = 0;
  let err = 0;
  for (let i = 0; i < want.length; i++) {
    const e = Math.abs(got[i]! - want[i]!);
    err = Math.max(err, e);
    ratio = Math.max(ratio, Number.isNaN(e) ? Infinity : e / (atolScale * max + rtol * Math.abs(want[i]!)));
  }
  return { ratio, text: `max |err| ${err.toExponential(2)} (${(ratio * 100).toFixed(1)}% of the tolerance)` };
}

function check(name: string, got: Output, want: { loss: number; gradHidden: ArrayLike<number>; gradWeight: ArrayLike<number> }, gradScale: number): string {
  const lossErr = Math.abs(got.loss - want.loss);
  const parts = [`loss err ${lossErr.toExponential(2)}`];
  let ok = lossErr <= 1e-4 + 1e-5 * Math.abs(want.loss);
  for (const [label, g, w] of [['gradHidden', got.gradHidden, want.gradHidden], ['gradWeight', got.gradWeight, want.gradWeight]] as const) {
    const r = worst(g, w, gradScale, 1e-4);
    ok &&= r.ratio <= 1;
    parts.push(`${label} ${r.text}`);
  }
  const text = parts.join('; ');
  if (!ok) throw new Error(`VALIDATION FAILED ${name}: ${text}`);
  return text;
}

/**
 * Validate, time and print (through `log`, a line at a time) the contenders on `engine`'s device; tfjs is registered
 * on that device. Throws on a validation failure. Frees what it allocated; the engine stays the caller's.
 */
/** tfjs-backend-webgpu on the engine's device, and a function that submits what it has recorded. */
async function tfjsWithFlush(device: GPUDevice): Promise<{ backend: Awaited<ReturnType<typeof tfjsOn>>; flushTf: () => void }> {
  const backend = await tfjsOn(device);
  const flushTf = () => {
    backend.endComputePassEncoder();
    backend.ensureCommandEncoderReady();
    backend.submitQueue();
  };
  return { backend, flushTf };
}

export async function runLinearCeBench(engine: Engine, options: LinearCeOptions, log: (line: string) => void): Promise<void> {
  if (options.matmul) return runMatmulBench(engine, options, log);
  const { N, D, V, repeats, contenders } = options;
  const device = engine.device!;
  const info = engine.adapterInfo!;
  const { backend, flushTf } = await tfjsWithFlush(device);

  log(`linear cross-entropy bench: N=${N} D=${D} V=${V} ${options.dtype} hidden and weight on ${info.source} ${info.vendor}/${info.architecture} ${info.description}; logits would be ${((N * V * 4) / 2 ** 20).toFixed(1)} MiB`);
  const { hidden, weight, target, hGpu, wGpu, tGpu } = inputs(engine, N, D, V, options.dtype);
  const hTf = tf.tensor2d(hidden, [N, D]);
  const wTf = tf.tensor2d(weight, [V, D]);
  const tTf = tf.tensor1d(target, 'int32');

  const tfBytes = () => (backend as unknown as { memory(): { numBytesAllocatedInGPU: number } }).memory().numBytesAllocatedInGPU;
  const readTf = async (t: tf.Tensor) => (await t.data()) as Float32Array;

  const all: Contender[] = [
    {
      name: 'xentropy-fused',
      launch: async () => {
        const r = await engine.gpu.linearCrossEntropy(hGpu, wGpu, tGpu, { shape: [N, D] });
        const tensors = [r.loss, r.gradHidden!, r.gradWeight!, r.weightSum];
        return {
          tfBytes: 0,
          read: async () => ({ loss: (await r.loss.read())[0]!, gradHidden: (await r.gradHidden!.read()) as Float32Array, gradWeight: (await r.gradWeight!.read()) as Float32Array }),
          free: () => tensors.forEach((t) => t.release()),
        };
      },
    },
    {
      name: 'unfused',
      launch: async () => {
        const logits = tf.matMul(hTf, wTf, false, true);
        const data = logits.dataToGPU();
        flushTf();
        const wrapped = engine.gpu.wrap(data.buffer, { dtype: 'f32', length: N * V });
        const ce = await engine.gpu.crossEntropy(wrapped, tGpu, { shape: [N, V] });
        const g = tf.tensor({ buffer: ce.grad!.buffer, zeroCopy: true }, [N, V], 'float32');
        const gradHidden = tf.matMul(g, wTf);
        const gradWeight = tf.matMul(g, hTf, true, false);
        flushTf();
        const bytes = tfBytes();
        return {
          tfBytes: bytes,
          read: async () => ({ loss: (await ce.loss.read())[0]!, gradHidden: await readTf(gradHidden), gradWeight: await readTf(gradWeight) }),
          free: () => {
            tf.dispose([logits, g, gradHidden, gradWeight]);
            data.tensorRef.dispose();
            for (const t of [wrapped, ce.loss, ce.grad!, ce.weightSum] as GpuTensor[]) t.release();
          },
        };
      },
    },
    {
      name: 'tfjs',
      launch: async () => {
        const f = (h: tf.Tensor, w: tf.Tensor) => tf.losses.softmaxCrossEntropy(tf.oneHot(tTf, V, 1, 0, 'float32'), tf.matMul(h, w, false, true));
        const { value, grads } = tf.valueAndGrads(f)([hTf, wTf]);
        flushTf();
        const bytes = tfBytes();
        return {
          tfBytes: bytes,
          read: async () => ({ loss: (await readTf(value))[0]!, gradHidden: await readTf(grads[0]!), gradWeight: await readTf(grads[1]!) }),
          free: () => tf.dispose([value, ...grads]),
        };
      },
    },
  ];
  const runners = all.filter((c) => contenders.includes(c.name));

  try {
    // Validate: the fused result first (against the f64 reference where affordable), then the others against it.
    const fusedCall = await runners.find((r) => r.name === 'xentropy-fused')!.launch();
    const fused = await fusedCall.read();
    fusedCall.free();
    if (N * V * D <= 2e9) {
      const t0 = performance.now();
      const ref = reference.linearCrossEntropy(hidden, weight, target, N, D, V, { reduction: 'mean', ignoreIndex: -100, grad: true });
      log(`xentropy-fused vs f64 reference (${((performance.now() - t0) / 1000).toFixed(1)} s): ${check('xentropy-fused', fused, { loss: ref.loss as number, gradHidden: ref.gradHidden!, gradWeight: ref.gradWeight! }, 1e-4)}`);
    }
    for (const r of runners) {
      if (r.name === 'xentropy-fused') continue;
      const call = await r.launch();
      try {
        log(`${r.name} vs xentropy-fused: ${check(r.name, await call.read(), fused, 1e-3)}`);
      } finally {
        call.free();
      }
    }
    // Time round-robin; memory from the first timed call of each.
    const times = new Map<string, number[]>(runners.map((r) => [r.name, []]));
    const memory = new Map<string, number>();
    const tfMemory = new Map<string, number>();
    for (let round = 0; round < repeats; round++) {
      for (const r of runners) {
        engine.trim();
        const before = engine.stats();
        const start = performance.now();
        const call = await r.launch();
        await device.queue.onSubmittedWorkDone();
        times.get(r.name)!.push(performance.now() - start);
        const after = engine.stats();
        // The fused call's results (gradHidden, gradWeight, loss, weightSum) are engine buffers; the others' are tfjs's.
        const results = r.name === 'xentropy-fused' ? 4 * (N * D + V * D) + 12 : 0;
        const engineBytes = after.liveBytes + after.pooledBytes - before.liveBytes - before.pooledBytes - results;
        if (round === 0) memory.set(r.name, engineBytes);
        if (round === 0 && r.name !== 'xentropy-fused') tfMemory.set(r.name, call.tfBytes - 4 * (2 * N * D + 2 * V * D + N));
        call.free();
      }
    }
    const median = (v: number[]) => [...v].sort((a, b) => a - b)[v.length >> 1]!;
    const base = median(times.get('xentropy-fused') ?? [NaN]);
    log(`\n| contender | ms per call (median of ${repeats}) | vs xentropy-fused | xentropy engine extra (MiB) | tfjs allocated (MiB) |\n| --- | --- | --- | --- | --- |`);
    for (const r of runners) {
      const ms = median(times.get(r.name)!);
      const tfm = tfMemory.get(r.name);
      log(`| ${r.name} | ${ms.toFixed(1)} | ${(ms / base).toFixed(2)}x | ${(memory.get(r.name)! / 2 ** 20).toFixed(1)} | ${tfm === undefined ? '-' : (tfm / 2 ** 20).toFixed(1)} |`);
    }
    log(
      `\nxentropy engine extra: engine buffers (live + pooled) added by one call, beyond the inputs and the fused call's results: its peak.` +
        `\ntfjs allocated: tfjs's buffer manager after the call (its pool included, so a high-water mark shared by 'unfused' and 'tfjs'),` +
        ` less the inputs (uploaded to both) and the two gradients. Logits alone are ${((N * V * 4) / 2 ** 20).toFixed(1)} MiB.`,
    );
  } finally {
    for (const t of [hGpu, wGpu, tGpu]) t.release();
    tf.dispose([hTf, wTf, tTf]);
    backend.dispose();
  }
}

/** The use of one of the fused call's matmul dispatches, from its pipeline constants. */
function matmulUse(kernel: string): 'logits' | 'gradHidden' | 'gradWeight' | null {
  if (!kernel.startsWith('linear_cross_entropy_matmul')) return null;
  // The pipeline key: name{WG:256,TRANS_A:false,TRANS_B:true,...} (GpuContext.pipelineKey).
  const on = (name: string) => new RegExp(`[{,]"?${name}"?:(true|1)[,}]`).test(kernel);
  return on('TRANS_B') ? 'logits' : on('TRANS_A') ? 'gradWeight' : 'gradHidden';
}

/**
 * `--matmul`: the fused call's matmuls against tfjs matMul on the same products, on `engine`'s device.
 * Ours: `repeats` profiled calls of engine.gpu.linearCrossEntropy (after one unprofiled warm-up), each dispatch
 * between two GPU timestamps (needs 'timestamp-query'); per use, the median over calls of the summed dispatch times,
 * and 2 N V D flops per use (logits [N, V] = H W^T, gradHidden [N, D] = G W, gradWeight [V, D] = G^T H, over all
 * chunks). tfjs: matMul(h, w, false, true), matMul(g, w), matMul(g, h, true, false) with g the first product's
 * [N, V] result, each timed by the wall clock from the call to device.queue.onSubmittedWorkDone() (one warm-up, then
 * the median of `repeats`); a few ms of GPU work each at --full, so the submission's overhead is small beside it.
 */
export async function runMatmulBench(engine: Engine, options: LinearCeOptions, log: (line: string) => void): Promise<void> {
  const { N, D, V, repeats } = options;
  const device = engine.device!;
  const info = engine.adapterInfo!;
  const { backend, flushTf } = await tfjsWithFlush(device);
  const flop = 2 * N * V * D;
  const rate = (ms: number) => (ms > 0 ? (flop / (ms * 1e6)).toPrecision(3) : '-');
  const median = (v: number[]) => [...v].sort((a, b) => a - b)[v.length >> 1]!;
  log(`linear cross-entropy matmul bench: N=${N} D=${D} V=${V} ${options.dtype} hidden and weight on ${info.source} ${info.vendor}/${info.architecture} ${info.description}; ${(flop / 1e9).toPrecision(3)} GFLOP per product`);

  const { hidden, weight, hGpu, wGpu, tGpu } = inputs(engine, N, D, V, options.dtype);
  const hTf = tf.tensor2d(hidden, [N, D]);
  const wTf = tf.tensor2d(weight, [V, D]);
  try {
    const fused = async () => {
      const r = await engine.gpu.linearCrossEntropy(hGpu, wGpu, tGpu, { shape: [N, D] });
      await device.queue.onSubmittedWorkDone();
      for (const t of [r.loss, r.gradHidden!, r.gradWeight!, r.weightSum]) t.release();
    };
    const t0 = performance.now();
    await fused(); // pipelines compiled, pool filled
    log(`xentropy fused call (warm-up, wall clock): ${(performance.now() - t0).toFixed(1)} ms`);
    const ours = new Map<string, number[]>();
    const kernels = new Map<string, number[]>();
    if (device.features.has('timestamp-query')) {
      for (let i = 0; i < repeats; i++) {
        const { timings } = await engine.profile(fused);
        const perUse = new Map<string, number>();
        const perKernel = new Map<string, number>();
        for (const t of timings) {
          const use = matmulUse(t.kernel);
          if (use) perUse.set(use, (perUse.get(use) ?? 0) + t.ms);
          const name = t.kernel.slice(0, t.kernel.indexOf('{'));
          perKernel.set(name, (perKernel.get(name) ?? 0) + t.ms);
        }
        for (const [k, ms] of perUse) ours.set(k, [...(ours.get(k) ?? []), ms]);
        for (const [k, ms] of perKernel) kernels.set(k, [...(kernels.get(k) ?? []), ms]);
      }
    } else {
      log('no timestamp-query on this device: per-kernel GPU times of the fused call are not available');
    }

    // tfjs matMul on the same products, over all N rows at once.
    const logitsTf = tf.matMul(hTf, wTf, false, true);
    flushTf();
    await device.queue.onSubmittedWorkDone();
    const products: [string, () => tf.Tensor][] = [
      ['logits', () => tf.matMul(hTf, wTf, false, true)],
      ['gradHidden', () => tf.matMul(logitsTf, wTf)],
      ['gradWeight', () => tf.matMul(logitsTf, hTf, true, false)],
    ];
    const theirs = new Map<string, number>();
    try {
      for (const [use, product] of products) {
        const times: number[] = [];
        for (let i = 0; i <= repeats; i++) {
          const start = performance.now();
          const out = product();
          flushTf();
          await device.queue.onSubmittedWorkDone();
          if (i > 0) times.push(performance.now() - start); // the first compiles
          out.dispose();
        }
        theirs.set(use, median(times));
      }
    } finally {
      logitsTf.dispose();
    }

    log(`\n| product | shape (M x N x K) | xentropy matmul ms (GPU timestamps, all chunks) | xentropy GFLOP/s | tfjs matMul ms (wall clock) | tfjs GFLOP/s |\n| --- | --- | --- | --- | --- | --- |`);
    const shapes: Record<string, string> = { logits: `${N} x ${V} x ${D}`, gradHidden: `${N} x ${D} x ${V}`, gradWeight: `${V} x ${D} x ${N}` };
    let oursTotal = 0;
    let theirsTotal = 0;
    for (const [use] of products) {
      const mine = ours.has(use) ? median(ours.get(use)!) : NaN;
      const tfMs = theirs.get(use)!;
      oursTotal += mine;
      theirsTotal += tfMs;
      log(`| ${use} | ${shapes[use]} | ${Number.isNaN(mine) ? '-' : mine.toFixed(1)} | ${Number.isNaN(mine) ? '-' : rate(mine)} | ${tfMs.toFixed(1)} | ${rate(tfMs)} |`);
    }
    log(`| all three | | ${Number.isNaN(oursTotal) ? '-' : oursTotal.toFixed(1)} | ${Number.isNaN(oursTotal) ? '-' : rate(oursTotal / 3)} | ${theirsTotal.toFixed(1)} | ${rate(theirsTotal / 3)} |`);
    if (kernels.size > 0) {
      log(`\nxentropy fused call, GPU ms per kernel (median of ${repeats} profiled calls; each dispatch in its own pass):`);
      for (const [name, ms] of [...kernels].sort((a, b) => median(b[1]) - median(a[1]))) log(`  ${name}: ${median(ms).toFixed(2)} ms`);
    }
  } finally {
    for (const t of [hGpu, wGpu, tGpu]) t.release();
    tf.dispose([hTf, wTf]);
    backend.dispose();
  }
}
