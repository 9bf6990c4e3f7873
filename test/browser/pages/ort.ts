// ONNX Runtime Web interop: xentropy on the device of ORT's WebGPU execution provider
// (ort.env.webgpu.device), taking a model output that stays on the GPU (preferredOutputLocation 'gpu-buffer') as its
// logits, in place; checked against the CPU reference on the same logits read back.
import * as ort from 'onnxruntime-web/webgpu';
import { createEngine } from '../../../src/index.js';
import { matMulModel } from './onnxModel.js';

const N = 16;
const D = 5;
const C = 7;

export async function run() {
  ort.env.wasm.wasmPaths = new URLSearchParams(location.search).get('ortDist')!; // where Vite serves ORT's wasm
  ort.env.wasm.numThreads = 1;
  const weights = Float32Array.from({ length: D * C }, (_, i) => Math.sin(i * 1.7) * 2);
  const session = await ort.InferenceSession.create(matMulModel(N, D, C, weights), { executionProviders: ['webgpu'], preferredOutputLocation: 'gpu-buffer' });
  const device = (await ort.env.webgpu.device) as GPUDevice;
  const engine = await createEngine({ device });
  const x = Float32Array.from({ length: N * D }, (_, i) => Math.cos(i * 0.9));
  const outputs = await session.run({ x: new ort.Tensor('float32', x, [N, D]) });
  const y = outputs.y!;
  const outputLocation = y.location;
  const labels = Int32Array.from({ length: N }, (_, i) => (i * 3) % C);

  const logits = engine.gpu.wrap(y.gpuBuffer as GPUBuffer, { dtype: 'f32', length: N * C });
  const { loss, grad, weightSum } = await engine.gpu.crossEntropy(logits, labels, { shape: [N, C] });
  const gpuLoss = (await loss.read())[0]!;
  const gpuGrad = Array.from(await grad!.read());
  for (const t of [loss, grad!, weightSum]) t.release();

  const yHost = (await y.getData()) as Float32Array; // the same logits, read back by ORT
  const cpu = await createEngine({ backend: 'cpu' });
  const expected = await cpu.crossEntropy(Float32Array.from(yHost), labels, { shape: [N, C] });
  // The model really ran: its logits are x @ w.
  let maxLogitError = 0;
  for (let r = 0; r < N; r++) {
    for (let c = 0; c < C; c++) {
      let dot = 0;
      for (let k = 0; k < D; k++) dot += x[r * D + k]! * weights[k * C + c]!;
      maxLogitError = Math.max(maxLogitError, Math.abs(dot - yHost[r * C + c]!));
    }
  }
  const maxGradError = Math.max(...gpuGrad.map((g, i) => Math.abs(g - expected.grad![i]!)));
  const stats = engine.stats();
  engine.destroy();
  y.dispose();
  await session.release();
  return { location: outputLocation, sharedDevice: engine.backend === 'webgpu' && device !== null, loss: gpuLoss, expectedLoss: expected.loss as number, maxGradError, maxLogitError, liveBuffers: stats.liveBuffers };
}
