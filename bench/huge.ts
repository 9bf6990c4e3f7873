// The largest bench shape: cross-entropy forward+backward over 8192 x 128256 f32 logits (4.2 GB, and a 4.2 GB
// gradient), "where the adapter's memory allows, with a clear error where it does not". Too large for the main bench's
// full f64 reference, so it is checked here by streaming: the mean loss against an f64 pass over every row
// (regenerated from the same formula), and the gradient of sampled rows (first, last, middle, and around 2^k row
// boundaries) read back and compared element by element, tolerance 1e-6 + 1e-5 |ref| as everywhere.
// Usage: npm run build && npm run bench:build && node bench/dist/huge.mjs [options] (flags: bench/cli.ts, `--help`).
// On a CPU adapter the default shape exceeds maxBufferSize and the library's error is printed.
import { globals } from 'webgpu';
import { createEngine, type Engine } from 'xentropy';
import { COMMON, commandLine, dims } from './cli.js';

const { values } = commandLine(
  'npm run build && npm run bench:build && node bench/dist/huge.mjs [options]',
  'Cross-entropy forward+backward over 8192 x 128256 f32 logits (4.2 GB), validated by streaming, then in place.',
  {
    adapter: COMMON.adapter,
    shape: { ...dims('ROWSxCOLS', 'the logits', 'x', 2), shown: '8192x128256' },
    repeats: { ...COMMON.repeats, help: 'timed calls (after one untimed)' },
  },
);
const adapter = values.adapter;
const [rows, cols] = (values.shape ?? [8192, 128256]) as [number, number];
const repeats = values.repeats;

/** Logit i, uniform in [-4, 4), rounded to f32: a hash of the index, so any row can be regenerated on the host. */
function logit(i: number): number {
  return Math.fround(((Math.imul(i, 2654435761) >>> 0) / 2 ** 32) * 8 - 4);
}
const targetOf = (r: number): number => (r * 7919) % cols;

// WebGPU's globals (GPUBufferUsage, GPUMapMode, ...), which Node lacks: tfjs' WebGPU backend and this bench's own
// buffers use them. The library neither needs nor installs them; the bench process asks for them here.
Object.assign(globalThis, globals);
process.env.XENTROPY_DAWN_OPTIONS ??= 'disable-dawn-features=timestamp_quantization';
const engine: Engine = await createEngine({ backend: 'webgpu', adapter });
const info = engine.adapterInfo!;
const device = engine.device!;
const bytes = rows * cols * 4;
console.log(`huge CE bench: ${info.source} ${info.description}; [${rows}, ${cols}] f32 = ${(bytes / 1e9).toFixed(2)} GB of logits; ` +
  `maxBufferSize ${device.limits.maxBufferSize}, maxStorageBufferBindingSize ${device.limits.maxStorageBufferBindingSize}`);

let status = 0;
let logits: GPUBuffer | undefined;
try {
  if (bytes > device.limits.maxBufferSize) {
    // The logits cannot exist in one buffer of this device; the library refuses such host data with a clear error
    // before any GPU work (the engine GPU tests' 'memory limits').
    console.log(`[${rows}, ${cols}] f32 logits exceed this device's maxBufferSize (${device.limits.maxBufferSize} bytes): not run here`);
  } else {
    // Upload in 64 MiB pieces straight into one caller-owned buffer, wrapped as a tensor (no host copy of it all).
    const t0 = performance.now();
    logits = device.createBuffer({ size: bytes, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST | GPUBufferUsage.COPY_SRC });
    const piece = new Float32Array(16 << 20);
    for (let start = 0; start < rows * cols; start += piece.length) {
      const n = Math.min(piece.length, rows * cols - start);
      for (let k = 0; k < n; k++) piece[k] = logit(start + k);
      device.queue.writeBuffer(logits, start * 4, piece, 0, n);
      if ((start / piece.length) % 8 === 0) await device.queue.onSubmittedWorkDone();
    }
    await device.queue.onSubmittedWorkDone();
    console.log(`uploaded in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    const x = engine.gpu.wrap(logits, { dtype: 'f32', length: rows * cols });
    const target = engine.gpu.upload(Int32Array.from({ length: rows }, (_, r) => targetOf(r)));

    // Timing: wall-clock per call (launch, then wait for the queue), and one call's GPU time by timestamps.
    const times: number[] = [];
    let last: Awaited<ReturnType<Engine['gpu']['crossEntropy']>> | undefined;
    for (let i = 0; i <= repeats; i++) {
      const t = performance.now();
      const r = await engine.gpu.crossEntropy(x, target, { shape: [rows, cols] });
      await device.queue.onSubmittedWorkDone();
      if (i > 0) times.push(performance.now() - t); // the first call compiles and allocates
      if (last) { last.loss.release(); last.grad!.release(); last.weightSum.release(); }
      last = r;
    }
    times.sort((a, b) => a - b);
    const wall = times[times.length >> 1]!;
    let gpuMs = NaN;
    if (device.features.has('timestamp-query')) {
      const run = await engine.profile(() => engine.gpu.crossEntropy(x, target, { shape: [rows, cols] }));
      gpuMs = run.timings.reduce((a, d) => a + d.ms, 0);
      const r = run.result;
      r.loss.release(); r.grad!.release(); r.weightSum.release();
      console.log(`dispatches: ${run.timings.map((d) => `${d.kernel.replace(/\{.*\}/, '')}[${d.groups}] ${(d.ms * 1000).toFixed(0)}us`).join(' + ')}`);
    }
    const moved = 2 * bytes; // logits read once + gradient written once (the ideal kernel's bytes)
    console.log(`ce fwd+bwd [${rows}, ${cols}]: ${wall.toFixed(2)} ms wall (median of ${times.length}), ${gpuMs.toFixed(2)} ms GPU; ` +
      `${(moved / wall / 1e6).toPrecision(3)} GB/s wall, ${(moved / gpuMs / 1e6).toPrecision(3)} GB/s GPU`);

    // Validation: the mean loss against an f64 streaming pass over every row, and sampled rows' gradients.
    const t1 = performance.now();
    const loss = (await last!.loss.read())[0]!;
    let total = 0;
    const row = new Float64Array(cols);
    const lseOf = (r: number): number => {
      let m = -Infinity;
      for (let c = 0; c < cols; c++) { row[c] = logit(r * cols + c); if (row[c]! > m) m = row[c]!; }
      let s = 0;
      for (let c = 0; c < cols; c++) s += Math.exp(row[c]! - m);
      return m + Math.log(s);
    };
    for (let r = 0; r < rows; r++) total += lseOf(r) - row[targetOf(r)]!;
    const want = total / rows;
    const lossErr = Math.abs(loss - want);
    const lossOk = lossErr <= 1e-6 + 1e-5 * Math.abs(want);
    console.log(`loss ${loss} vs f64 ${want}: error ${lossErr.toExponential(2)} ${lossOk ? 'ok' : 'OUT OF TOLERANCE'}`);
    const samples = [...new Set([0, 1, rows >> 1, rows - 1, ...[1024, 2048, 4096].flatMap((k) => [k - 1, k]).filter((r) => r < rows)])];
    let worst = 0;
    let bad = 0;
    const rowCopy = device.createBuffer({ size: cols * 4, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST | GPUBufferUsage.COPY_SRC });
    for (const r of samples) {
      const lse = lseOf(r);
      // Copied out first: a row's byte offset can pass 2^32, more than a tensor view's byteOffset takes.
      const encoder = device.createCommandEncoder();
      encoder.copyBufferToBuffer(last!.grad!.buffer, last!.grad!.byteOffset + r * cols * 4, rowCopy, 0, cols * 4);
      device.queue.submit([encoder.finish()]);
      const g = (await engine.gpu.wrap(rowCopy, { dtype: 'f32', length: cols }).read()) as Float32Array;
      for (let c = 0; c < cols; c++) {
        const ref = (Math.exp(row[c]! - lse) - (c === targetOf(r) ? 1 : 0)) / rows;
        const err = Math.abs(g[c]! - ref);
        worst = Math.max(worst, err / (1e-6 + 1e-5 * Math.abs(ref)));
        if (err > 1e-6 + 1e-5 * Math.abs(ref)) bad++;
      }
    }
    console.log(`gradient of ${samples.length} sampled rows: ${bad} elements out of tolerance, worst error ${(worst * 100).toFixed(1)}% of the tolerance ` +
      `(validation ${((performance.now() - t1) / 1000).toFixed(1)} s)`);
    rowCopy.destroy();
    if (!lossOk || bad > 0) status = 1;
    last!.loss.release(); last!.grad!.release(); last!.weightSum.release();
    // The gradient over the logits (inPlace): no second 4.2 GB buffer. One call (it consumes the logits).
    engine.trim();
    const before = engine.stats();
    const t2 = performance.now();
    const inPlace = await engine.gpu.crossEntropy(x, target, { shape: [rows, cols], inPlace: true });
    await device.queue.onSubmittedWorkDone();
    const inPlaceMs = performance.now() - t2;
    const inPlaceLoss = (await inPlace.loss.read())[0]!;
    const after = engine.stats();
    console.log(`in place: ${inPlaceMs.toFixed(2)} ms wall (one call, its pipeline compile included), loss ${inPlaceLoss} (${inPlaceLoss === loss ? 'bitwise equal to' : 'DIFFERENT from'} the separate-gradient call), ` +
      `engine buffers ${(((after.liveBytes + after.pooledBytes) - (before.liveBytes + before.pooledBytes)) / 2 ** 20).toFixed(2)} MiB more`);
    if (inPlaceLoss !== loss || inPlace.grad!.buffer !== logits) status = 1;
    inPlace.loss.release(); inPlace.weightSum.release();
    target.release();
    const stats = engine.stats();
    console.log(`engine buffers after the run: ${((stats.liveBytes + stats.pooledBytes) / 2 ** 30).toFixed(2)} GiB live + pooled (the gradient's; the logits are the caller's)`);
  }
} catch (error) {
  console.error(error instanceof Error ? (error.stack ?? error.message) : error);
  status = 1;
} finally {
  logits?.destroy();
  engine.destroy();
}
process.exit(status);
