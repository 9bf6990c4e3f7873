import { createEngine } from './dist/index.js';
import { create, globals } from 'webgpu';
Object.assign(globalThis, globals);
const gpu = create(['backend=null']);
const adapter = await gpu.requestAdapter();
const device = await adapter.requestDevice();
const e = await createEngine({ device, tuning: 'gpu' });
const [rows, cols] = [Number(process.argv[3] ?? 64), Number(process.argv[4] ?? 1000)];
const xs = new Float32Array(rows * cols).map(() => Math.random());
const ts = new Int32Array(rows).map(() => Math.floor(Math.random() * cols));
const x = e.gpu.upload(xs);
const t = e.gpu.upload(ts);
const one = async () => {
  const r = await e.gpu.crossEntropy(x, t, { shape: [rows, cols] });
  return () => [r.loss, r.grad, r.weightSum].forEach((q) => q?.release());
};
for (let i = 0; i < 50; i++) (await one())();
const N = Number(process.argv[2] ?? 200);
const times = [];
for (let s = 0; s < N; s++) {
  const t0 = performance.now();
  const frees = await Promise.all(Array.from({ length: 16 }, one));
  await device.queue.onSubmittedWorkDone();
  times.push((performance.now() - t0) / 16);
  frees.forEach((f) => f());
}
times.sort((a, b) => a - b);
console.log('ms/call median', times[times.length >> 1].toFixed(4), 'p10', times[Math.floor(times.length / 10)].toFixed(4));
e.destroy();
process.exit(0);
