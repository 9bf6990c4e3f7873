/**
 * TensorFlow.js in Node on the test project's Dawn adapter, for test/gpu/tfjs*.test.ts: tfjs-backend-webgpu registered
 * as tfjs's 'webgpu' backend on a device of its own (as an application would), and a tiny classification problem.
 * tfjs-backend-webgpu refuses to start without navigator.gpu and uses WebGPU's globals (GPUBuffer, GPUBufferUsage,
 * GPUMapMode); Node has neither, so the test process installs Dawn's itself (a caller's job, never the library's).
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import '@tensorflow/tfjs-backend-cpu';
import { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import { create, globals } from 'webgpu';
import { afterAll, beforeAll } from 'vitest';
import { acquireDevice } from '../../src/gpu/adapter.js';
import type { NodeAdapter } from '../../src/index.js';
import { catchGpuErrors } from './engine.js';

/**
 * Make tfjs's 'webgpu' backend one on a Dawn device of the project's adapter (a missing adapter fails the file, as in
 * useGpuEngine), each test inside that device's error scopes (catchGpuErrors).
 */
export function useTfjsWebGpu(): () => WebGPUBackend {
  let backend: WebGPUBackend | undefined;
  let keepAlive: unknown;
  beforeAll(async () => {
    const adapter = (process.env.XENTROPY_ADAPTER ?? 'auto') as NodeAdapter;
    const acquired = await acquireDevice(adapter);
    if (!acquired) throw new Error(`no WebGPU adapter '${adapter}'`);
    Object.assign(globalThis, globals);
    // dawn.node waits for GPU promises by polling with setImmediate, which takes a core from SwiftShader's workers;
    // tfjs training loops await often, so poll on a 1 ms timer instead (as the bench does; this process only).
    if (acquired.info.cpuBased) {
      const timer = (fn: (...args: unknown[]) => void, ...args: unknown[]) => setTimeout(fn, 1, ...args);
      (globalThis as { setImmediate: unknown }).setImmediate = timer;
    }
    const gpu = create([]); // only for tfjs's "is WebGPU supported" check: tfjs runs on `acquired.device`
    keepAlive = [acquired.keepAlive, gpu];
    const nav = ((globalThis as { navigator?: object }).navigator ??= {}) as { gpu?: GPU };
    Object.defineProperty(nav, 'gpu', { value: gpu, configurable: true, writable: true });
    if (tf.findBackendFactory('webgpu')) tf.removeBackend('webgpu');
    const made = new WebGPUBackend(acquired.device as never);
    tf.registerBackend('webgpu', () => made);
    if (!(await tf.setBackend('webgpu'))) throw new Error('tfjs: could not set the webgpu backend');
    backend = made;
  });
  catchGpuErrors(() => backend?.device as GPUDevice | undefined);
  afterAll(() => {
    const device = backend?.device as GPUDevice | undefined;
    if (tf.findBackend('webgpu')) tf.removeBackend('webgpu');
    device?.destroy();
    keepAlive = undefined;
    void keepAlive;
  });
  return () => {
    if (!backend) throw new Error('tfjs webgpu backend not ready');
    return backend;
  };
}

/** `rows` points in `features` dimensions from `classes` blobs, deterministic: x, class indices, one-hot rows. */
export function blobs(rows: number, features: number, classes: number) {
  const x = new Float32Array(rows * features);
  const labels = new Int32Array(rows);
  const onehot = new Float32Array(rows * classes);
  for (let i = 0; i < rows; i++) {
    const c = (i * 7) % classes;
    labels[i] = c;
    onehot[i * classes + c] = 1;
    for (let k = 0; k < features; k++) {
      const center = Math.sin((c + 1) * (k + 1) * 1.7);
      x[i * features + k] = center + 0.4 * Math.sin(i * 12.9898 + k * 78.233);
    }
  }
  return { x, labels, onehot };
}
