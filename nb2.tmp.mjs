import { create, globals } from 'webgpu';
Object.assign(globalThis, globals);
const gpu = create(['backend=null']);
const adapter = await gpu.requestAdapter();
const device = await adapter.requestDevice();
const keep = [];
for (let i = 0; i < 12; i++) {
  device.pushErrorScope('out-of-memory'); device.pushErrorScope('validation'); device.pushErrorScope('internal');
  keep.push(device.createBuffer({ size: 131072000, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST }));
  const ie = await device.popErrorScope(); const v = await device.popErrorScope(); const m = await device.popErrorScope();
  console.log(i, ie?.message, v?.message, m?.message);
}
process.exit(0);
