import { createEngine } from './dist/index.js';
import { classTargets, logitsFor } from './test/helpers/data.js';
const dawn = (await import('webgpu')) as any;
Object.assign(globalThis, dawn.globals);
const backend = process.argv[2] ?? 'null';
const gpu = dawn.create(backend === 'null' ? ['backend=null'] : []);
const adapter = await gpu.requestAdapter();
const device = await adapter!.requestDevice();
const e = await createEngine({ device, tuning: 'gpu' });
const [rows, cols] = [64, 1000];
const x = e.gpu.upload(logitsFor('normal', rows, cols, 1));
const t = e.gpu.upload(classTargets(rows, cols, 2));
const one = async () => {
  const r = await e.gpu.crossEntropy(x, t, { shape: [rows, cols] });
  return () => [r.loss, r.grad, r.weightSum].forEach((q) => q?.release());
};
for (let i = 0; i < 20; i++) (await one())();
for (const inner of [1, 16, 64]) {
  const times: number[] = [];
  for (let s = 0; s < 15; s++) {
    const t0 = performance.now();
    const frees = await Promise.all(Array.from({ length: inner }, one));
    await device.queue.onSubmittedWorkDone();
    times.push((performance.now() - t0) / inner);
    frees.forEach((f) => f());
  }
  times.sort((a, b) => a - b);
  console.log(backend, 'inner', inner, 'ms/call median', times[7].toFixed(4), 'min', times[0].toFixed(4));
}
// bare dispatch cost: pure sync part
const t0 = performance.now();
const ps: Promise<any>[] = [];
for (let i = 0; i < 200; i++) ps.push(one());
const t1 = performance.now();
(await Promise.all(ps)).forEach((f) => f());
console.log('sync part ms/call', ((t1 - t0) / 200).toFixed(4), 'to resolve', ((performance.now() - t0) / 200).toFixed(4));
e.destroy();
process.exit(0);
