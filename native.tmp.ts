const dawn = (await import('webgpu')) as any;
Object.assign(globalThis, dawn.globals);
const gpu = dawn.create(['backend=null']);
const adapter = await gpu.requestAdapter();
const device: GPUDevice = await adapter!.requestDevice();
const module = device.createShaderModule({ code: `@group(0) @binding(0) var<storage, read_write> a: array<f32>; @compute @workgroup_size(64) fn main(@builtin(global_invocation_id) g: vec3u) { a[g.x] = 1.0; }` });
const pipeline = device.createComputePipeline({ layout: 'auto', compute: { module, entryPoint: 'main' } });
const buf = device.createBuffer({ size: 1 << 20, usage: GPUBufferUsage.STORAGE });
const bg = device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries: [{ binding: 0, resource: { buffer: buf } }] });
async function call(dispatches: number, scopes: boolean) {
  if (scopes) { device.pushErrorScope('out-of-memory'); device.pushErrorScope('validation'); }
  const enc = device.createCommandEncoder();
  const pass = enc.beginComputePass();
  for (let i = 0; i < dispatches; i++) { pass.setPipeline(pipeline); pass.setBindGroup(0, bg); pass.dispatchWorkgroups(16, 1); }
  pass.end();
  device.queue.submit([enc.finish()]);
  if (scopes) await Promise.all([device.popErrorScope(), device.popErrorScope()]);
}
for (const [d, s] of [[1, false], [1, true], [4, true], [4, false]] as const) {
  for (let w = 0; w < 3; w++) {
    const t0 = performance.now();
    await Promise.all(Array.from({ length: 400 }, () => call(d, s)));
    await device.queue.onSubmittedWorkDone();
    if (w === 2) console.log('dispatches', d, 'scopes', s, 'ms/call', ((performance.now() - t0) / 400).toFixed(4));
  }
}
process.exit(0);
