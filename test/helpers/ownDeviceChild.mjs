// Run by test/gpu/ownDevice.test.ts in a fresh `node` (plain JavaScript, as a caller writes it): the library built
// into XENTROPY_LIBRARY is used with no WebGPU globals installed by anyone. argv[2]: 'own' (the caller makes the
// device, as README "Your own device in Node" shows) or 'engine' (createEngine requests one); argv[3]: the adapter.
// Prints one JSON line: the results, and whether GPUBufferUsage existed on globalThis before and after.
import { create } from 'webgpu';

const { createEngine, deviceDescriptor } = await import(process.env.XENTROPY_LIBRARY);
const [mode, adapterName] = process.argv.slice(2);
const hadGlobals = typeof globalThis.GPUBufferUsage !== 'undefined';
const envBefore = JSON.stringify(process.env);

const logits = new Float32Array([2, 1, 0.1, -1, 0.5, 2.5, -1, 0, 3, -2, 0.25, 1]);
const target = new Int32Array([0, 1, 3]);
const shape = [3, 4];

// Keep the object create() returns alive while its device is used (dawn.node aborts when it is collected).
let gpu;
let engine;
let device = null;
if (mode === 'own') {
  if (adapterName === 'llvmpipe') {
    process.env.EGL_PLATFORM ??= 'surfaceless';
    gpu = create(['backend=opengles']);
  } else {
    gpu = create([]);
  }
  const adapter = await gpu.requestAdapter(adapterName === 'llvmpipe' ? { featureLevel: 'compatibility' } : {});
  if (!adapter) {
    console.log(JSON.stringify({ adapter: null }));
    process.exit(0);
  }
  device = await adapter.requestDevice(deviceDescriptor(adapter));
  engine = await createEngine({ device });
} else {
  engine = await createEngine({ backend: 'auto', adapter: adapterName });
  if (engine.backend !== 'webgpu') {
    console.log(JSON.stringify({ adapter: null }));
    process.exit(0);
  }
}

const host = await engine.crossEntropy(logits, target, { shape });
// The GPU-resident form and the encoder form too: they create buffers and read them back (usage and map flags).
const x = engine.gpu.upload(logits);
const t = engine.gpu.upload(target);
const resident = await engine.gpu.crossEntropy(x, t, { shape });
const residentLoss = (await resident.loss.read())[0];
const encoder = engine.device.createCommandEncoder();
const encoding = engine.gpu.encodeInto(encoder);
const encoded = encoding.crossEntropy(x, t, { shape, grad: false });
engine.device.queue.submit([encoder.finish()]);
await encoding.submitted();
const encodedLoss = (await encoded.loss.read())[0];
const results = [resident.loss, resident.grad, resident.weightSum, encoded.loss, encoded.weightSum];
for (const tensor of [x, t, ...results]) tensor.release();

console.log(
  JSON.stringify({
    adapter: engine.adapterInfo.source,
    hadGlobals,
    hasGlobalsAfter: typeof globalThis.GPUBufferUsage !== 'undefined' || typeof globalThis.GPUMapMode !== 'undefined',
    envChanged: mode === 'engine' && JSON.stringify(process.env) !== envBefore,
    loss: host.loss,
    grad: Array.from(host.grad),
    residentLoss,
    encodedLoss,
  }),
);
engine.destroy();
device?.destroy();
void gpu; // referenced until here
