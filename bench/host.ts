/**
 * Host cost per call: the JavaScript and WebGPU API time one engine call takes on the CPU before the GPU sees it,
 * against the API floor: the WebGPU commands that call recorded (captured from one call: its pipelines, bind groups
 * and grids) replayed bare, in one encoder and compute pass with an error-scope pair and a submit, on the same
 * device, side by side in one run. The ratio is what the engine's JavaScript adds to the API calls it cannot avoid.
 *
 * Why: on the H200 (bench/README.md) small calls are host-bound in Node. 4096x1000 CE forward+backward took 0.168 ms
 * wall-clock per call for 0.066 ms of GPU time, and 65537x10 0.225 ms for 0.140 ms, while PyTorch eager took 0.139
 * and 0.110 ms. Every call records and submits synchronously (its promise only waits for the error scopes), so the
 * time to issue N calls back to back, without awaiting them, is their host cost on any adapter.
 *
 * Default device: Dawn's null backend (it validates and records but runs nothing, so no GPU work competes with the
 * host for the CPU), with the GPU launch plan (`--tuning=cpu` for SwiftShader's). `--adapter=auto|vulkan|swiftshader`
 * measures on a real adapter instead (the host cost there includes the driver's recording).
 *
 * Usage: npm run bench:host -- [options]   (or node bench/dist/host.mjs, once built); flags: bench/cli.ts, `--help`.
 */
import { create, globals } from 'webgpu';
import { createEngine, type Engine, type GpuTensor } from 'xentropy';
import { cases as caseList, choice, commandLine, integer, list, NODE_ADAPTERS } from './cli.js';

const HOST_OPS = ['ce-fwd-bwd', 'ce-fwd', 'log-softmax', 'sum'] as const;
const { values } = commandLine(
  'npm run bench:host -- [options]   (or node bench/dist/host.mjs [options], once built)',
  "Host (CPU) time per engine call against the bare WebGPU calls it records, by default on Dawn's null backend.",
  {
    adapter: choice(
      ['null', ...NODE_ADAPTERS] as const,
      "null: Dawn's null backend (records, runs nothing); else the adapter, its driver's recording included",
      'null',
    ),
    tuning: choice(['gpu', 'cpu'] as const, "the launch plan (cpu: SwiftShader's)", 'gpu'),
    cases: caseList('ROWSxCOLS cases', '4096x1000,1024x32000,256x128256,64x262144,65537x10', true),
    ops: list(HOST_OPS, 'ops', HOST_OPS),
    calls: integer('N', 'calls per contender, op and case', 400, 1),
    'in-flight': integer('N', 'calls in flight at once (at most 128 MiB of gradients)', 16, 1),
  },
);
const calls = values.calls;
const adapterChoice = values.adapter;
const tuning = values.tuning;
const opFilter: readonly string[] = values.ops;
const cases = values.cases.map((c) => ('n' in c ? [1, c.n] : [c.rows, c.cols]) as [number, number]); // rows only
/**
 * Calls in flight at once (their outputs stay allocated until the group is awaited): --in-flight (16), and at most
 * 128 MiB of gradients (Dawn's null backend refuses buffers beyond about 1.2 GiB in all).
 */
const inFlight = (elements: number) => Math.max(1, Math.min(values['in-flight'], Math.floor(2 ** 27 / (4 * elements))));

Object.assign(globalThis, globals);
let engine: Engine;
// Kept for the whole run: Dawn's instance must outlive its devices (a collected instance crashed the process).
const nullGpu = adapterChoice === 'null' ? create(['backend=null']) : null;
if (adapterChoice === 'null') {
  const adapter = await nullGpu!.requestAdapter();
  if (!adapter) throw new Error("Dawn's null backend gave no adapter");
  engine = await createEngine({ device: await adapter.requestDevice(), tuning });
} else {
  engine = await createEngine({ backend: 'webgpu', adapter: adapterChoice, tuning });
}
const device = engine.device!;

// Capture the commands a call records (pipeline, bind group, grid per dispatch): the floor replays exactly these.
interface Captured { pipeline: GPUComputePipeline; bindGroup: GPUBindGroup; grid: [number, number, number] }
let capture: Captured[] | null = null;
const passProto = (globalThis as unknown as { GPUComputePassEncoder: { prototype: GPUComputePassEncoder } }).GPUComputePassEncoder.prototype;
const { setPipeline, setBindGroup, dispatchWorkgroups } = passProto;
const setGroup = setBindGroup as (this: GPUComputePassEncoder, index: number, group: GPUBindGroup | null) => undefined;
const current: Partial<Captured> = {};
passProto.setPipeline = function (this: GPUComputePassEncoder, pipeline: GPUComputePipeline) {
  if (capture) current.pipeline = pipeline;
  return setPipeline.call(this, pipeline);
};
passProto.setBindGroup = function (this: GPUComputePassEncoder, index: number, group: GPUBindGroup | null) {
  if (capture && group) current.bindGroup = group;
  return setGroup.call(this, index, group);
} as GPUComputePassEncoder['setBindGroup'];
passProto.dispatchWorkgroups = function (this: GPUComputePassEncoder, x: number, y = 1, z = 1) {
  if (capture) capture.push({ ...current, grid: [x, y, z] } as Captured);
  return dispatchWorkgroups.call(this, x, y, z);
};

/** The floor: the captured commands recorded bare, in one pass, with an error-scope pair, and submitted. */
function floorCall(commands: readonly Captured[]): Promise<unknown> {
  device.pushErrorScope('out-of-memory');
  device.pushErrorScope('validation');
  const encoder = device.createCommandEncoder();
  const pass = encoder.beginComputePass();
  for (const c of commands) {
    setPipeline.call(pass, c.pipeline);
    setGroup.call(pass, 0, c.bindGroup);
    dispatchWorkgroups.call(pass, ...c.grid);
  }
  pass.end();
  device.queue.submit([encoder.finish()]);
  return Promise.all([device.popErrorScope(), device.popErrorScope()]);
}

/**
 * Host ms per call of each contender: groups of `group` calls issued back to back (timed), then awaited (untimed);
 * the contenders' groups alternate, so a busy moment of this shared machine hits both. The 25th percentile of the
 * samples: noise only ever adds time.
 */
async function hostCosts(group: number, contenders: (() => Promise<() => void>)[]): Promise<number[]> {
  for (const issue of contenders) for (let i = 0; i < 8; i++) (await issue())(); // warm: pipelines, pooled buffers, bind groups
  const samples: number[][] = contenders.map(() => []);
  for (let done = 0; done < calls; done += group) {
    for (const [c, issue] of contenders.entries()) {
      const start = performance.now();
      const pending: Promise<() => void>[] = [];
      for (let i = 0; i < group; i++) pending.push(issue());
      samples[c]!.push((performance.now() - start) / group);
      for (const free of await Promise.all(pending)) free();
      await device.queue.onSubmittedWorkDone();
    }
  }
  return samples.map((s) => s.sort((a, b) => a - b)[Math.floor(s.length / 4)]!);
}

console.log(`host cost per call: ${adapterChoice === 'null' ? "Dawn's null backend" : `${engine.adapterInfo?.source} ${engine.adapterInfo?.description}`}, ${engine.tuning} launch plan, workgroups <= ${engine.workgroupSize}, node ${process.version}`);
console.log('\n| op | shape | dispatches | xentropy us/call | API floor us/call | xentropy / floor |\n| --- | --- | --- | --- | --- | --- |');
for (const [rows, cols] of cases) {
  const n = rows * cols;
  const x = engine.gpu.upload(new Float32Array(n).map((_, i) => Math.sin(i) * 3));
  const t = engine.gpu.upload(Int32Array.from({ length: rows }, (_, r) => (r * 7919) % cols));
  const shape = [rows, cols];
  const release = (...ts: (GpuTensor | undefined)[]) => () => ts.forEach((q) => q?.release());
  const ops: [string, () => Promise<() => void>][] = [
    ['ce-fwd-bwd', async () => { const r = await engine.gpu.crossEntropy(x, t, { shape }); return release(r.loss, r.grad, r.weightSum); }],
    ['ce-fwd', async () => { const r = await engine.gpu.crossEntropy(x, t, { shape, grad: false }); return release(r.loss, r.weightSum); }],
    ['log-softmax', async () => release(await engine.gpu.logSoftmax(x, { shape }))],
    ['sum', async () => release(await engine.gpu.sum(x))],
  ];
  for (const [op, issue] of ops) {
    if (!opFilter.includes(op)) continue;
    capture = [];
    const free = await issue();
    const commands = capture;
    capture = null;
    const group = inFlight(op === 'ce-fwd-bwd' || op === 'log-softmax' ? n : 1);
    // The captured call's buffers stay held while the floor replays its bind groups.
    const [ours, floor] = (await hostCosts(group, [issue, async () => {
      await floorCall(commands);
      return () => {};
    }])) as [number, number];
    free();
    console.log(`| ${op} | ${rows}x${cols} | ${commands.length} | ${(ours * 1000).toFixed(1)} | ${(floor * 1000).toFixed(1)} | ${(ours / floor).toFixed(2)} |`);
  }
  x.release();
  t.release();
  engine.trim(); // Dawn's null backend refused 128 MiB buffers after the previous case's were pooled
}
const leaked = engine.stats().liveBuffers;
if (leaked !== 0) console.log(`\nengine reports ${leaked} buffers still handed out (a leak)`);
engine.destroy();
process.exit(0);
