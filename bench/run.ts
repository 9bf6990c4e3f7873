// The main job: fused cross-entropy forward+backward on the default WebGPU adapter, validated against the CPU
// reference, then timed (median of repeated runs). Run with `npm run bench` (builds dist/ first).
import { createEngine, reference } from 'xentropy'; // the package itself: dist/ at run time (npm run build), src/ for the type-checker

// dawn.node polls for GPU events with setImmediate on the main thread, taking a core from SwiftShader's workers;
// a 1 ms timer instead keeps the measurement about the kernels (see ../shared/WEBGPU-HERE.md). Benchmark only.
(globalThis as { setImmediate: unknown }).setImmediate = (fn: (...args: unknown[]) => void, ...args: unknown[]) => setTimeout(fn, 1, ...args);

const CASES: [number, number][] = [[4096, 1000], [1024, 32000], [65537, 10]];
const REPEATS = 5;

const engine = await createEngine();
console.log(`adapter: ${engine.backend} ${engine.adapterInfo?.source ?? ''} ${engine.adapterInfo?.description ?? ''}`);
for (const [rows, cols] of CASES) {
  const x = new Float32Array(rows * cols).map(() => (Math.random() - 0.5) * 6);
  const target = Int32Array.from({ length: rows }, () => Math.floor(Math.random() * cols));
  const got = await engine.crossEntropy(x, target, { shape: [rows, cols] });
  const want = reference.crossEntropy(x, target, rows, cols, { reduction: 'mean', ignoreIndex: -100, grad: true });
  const lossError = Math.abs((got.loss as number) - (want.loss as number));
  if (!(lossError <= 1e-6 + 1e-5 * Math.abs(want.loss as number))) throw new Error(`[${rows}, ${cols}]: loss ${got.loss} != ${want.loss}`);
  const times: number[] = [];
  if (engine.backend === 'webgpu') {
    const logits = engine.gpu.upload(x);
    const labels = engine.gpu.upload(target);
    for (let i = 0; i < REPEATS + 1; i++) {
      const start = performance.now();
      const r = await engine.gpu.crossEntropy(logits, labels, { shape: [rows, cols] });
      await engine.device!.queue.onSubmittedWorkDone();
      if (i > 0) times.push(performance.now() - start);
      for (const t of [r.loss, r.grad!, r.weightSum]) t.release();
    }
    logits.release();
    labels.release();
  } else {
    for (let i = 0; i < REPEATS; i++) {
      const start = performance.now();
      await engine.crossEntropy(x, target, { shape: [rows, cols] });
      times.push(performance.now() - start);
    }
  }
  times.sort((a, b) => a - b);
  const ms = times[Math.floor(times.length / 2)]!;
  const gbps = (rows * cols * 4 * 2) / (ms * 1e6);
  console.log(`CE fwd+bwd [${rows}, ${cols}]: ${ms.toFixed(2)} ms, ${gbps.toFixed(2)} GB/s (logits read + gradient written), validated`);
}
engine.destroy();
