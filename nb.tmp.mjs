import { create, globals } from 'webgpu';
Object.assign(globalThis, globals);
const gpu = create(['backend=null']);
const adapter = await gpu.requestAdapter();
const device = await adapter.requestDevice();
console.log(device.limits.maxBufferSize, device.limits.maxStorageBufferBindingSize, adapter.limits.maxBufferSize);
for (const mb of [64, 100, 128, 200]) {
  device.pushErrorScope('out-of-memory'); device.pushErrorScope('validation');
  const b = device.createBuffer({ size: mb * 2 ** 20, usage: GPUBufferUsage.STORAGE });
  const v = await device.popErrorScope(); const m = await device.popErrorScope();
  console.log(mb, v?.message, m?.message);
}
process.exit(0);
