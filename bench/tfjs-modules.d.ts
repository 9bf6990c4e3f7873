/**
 * The TensorFlow.js functions the bench uses, under aliases that bench/vite.config.ts and bench/browser.ts map to the
 * real packages (the same trick as demo/src/bench/tfjs-modules.d.ts): importing '@tensorflow/tfjs-core' directly pulls
 * in its own @webgpu/types 0.1.38, whose GPUFeatureName lacks 'subgroups' and breaks the type-check of the library's
 * sources. These signatures are a subset of tfjs-core / tfjs-backend-webgpu 4.22's.
 */
declare module 'bench-tfjs/core' {
  export interface Tensor {
    data(): Promise<Float32Array | Int32Array | Uint8Array>;
    dispose(): void;
  }
  export function tensor1d(values: Float32Array | Int32Array, dtype?: 'float32' | 'int32'): Tensor;
  export function tensor2d(values: Float32Array, shape: [number, number]): Tensor;
  export function tidy<T extends Tensor[]>(fn: () => T): T;
  export function logSoftmax(logits: Tensor): Tensor;
  export function sum(x: Tensor): Tensor;
  export function oneHot(indices: Tensor, depth: number, onValue?: number, offValue?: number, dtype?: 'float32' | 'int32'): Tensor;
  export function valueAndGrad(f: (x: Tensor) => Tensor): (x: Tensor) => { value: Tensor; grad: Tensor };
  export function dispose(tensors: Tensor | Tensor[]): void;
  export function findBackendFactory(name: string): unknown;
  export function removeBackend(name: string): void;
  export function registerBackend(name: string, factory: () => unknown, priority?: number): boolean;
  export function setBackend(name: string): Promise<boolean>;
  export const losses: { softmaxCrossEntropy(onehotLabels: Tensor, logits: Tensor): Tensor };
  // bench/linearCe.ts (the linear-CE bench)
  export interface Tensor {
    dataToGPU(): { buffer: GPUBuffer; tensorRef: Tensor };
  }
  export function tensor(values: { buffer: GPUBuffer; zeroCopy?: boolean }, shape: number[], dtype: 'float32'): Tensor;
  export function matMul(a: Tensor, b: Tensor, transposeA?: boolean, transposeB?: boolean): Tensor;
  export function valueAndGrads(f: (...xs: Tensor[]) => Tensor): (xs: Tensor[]) => { value: Tensor; grads: Tensor[] };
}
/** Side effects only: registers the gradients of tfjs-core's ops (the umbrella @tensorflow/tfjs package does this). */
declare module 'bench-tfjs/gradients' {}
declare module 'bench-tfjs/webgpu' {
  /** tfjs's WebGPU backend; its constructor takes any GPUDevice (tfjs-backend-webgpu/dist/backend_webgpu.d.ts). */
  export class WebGPUBackend {
    constructor(device: GPUDevice, adapterInfo?: GPUAdapterInfo);
    ensureCommandEncoderReady(): void;
    endComputePassEncoder(): void;
    submitQueue(): void;
    dispose(): void;
  }
}
