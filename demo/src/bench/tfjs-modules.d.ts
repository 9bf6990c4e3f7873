/**
 * The few TensorFlow.js functions the optional comparison uses, under aliases that demo/vite.config.ts maps to the real
 * packages. Why not import '@tensorflow/tfjs-core' directly: its declarations pull in its own, older @webgpu/types
 * (0.1.38), whose GPUFeatureName lacks 'subgroups' and clashes with the project's @webgpu/types in the library's
 * sources. These signatures are a subset of tfjs-core 4.22's.
 */
declare module 'demo-tfjs/core' {
  export interface Tensor {
    data(): Promise<Float32Array | Int32Array | Uint8Array>;
    dispose(): void;
  }
  export const version_core: string;
  export function setBackend(name: string): Promise<boolean>;
  export function ready(): Promise<void>;
  export function tensor2d(values: Float32Array, shape: [number, number]): Tensor;
  export function tensor1d(values: Int32Array, dtype: 'int32'): Tensor;
  export function oneHot(indices: Tensor, depth: number): Tensor;
  export function slice(x: Tensor, begin: number[], size: number[]): Tensor;
  export function valueAndGrad(f: (x: Tensor) => Tensor): (x: Tensor) => { value: Tensor; grad: Tensor };
  export function dispose(tensors: Tensor[]): void;
  export const losses: { softmaxCrossEntropy(onehotLabels: Tensor, logits: Tensor): Tensor };
}
/** Side effects only: registers the gradients of tfjs-core's ops. */
declare module 'demo-tfjs/gradients' {}
/** Side effects only: registers the 'webgpu' backend. */
declare module 'demo-tfjs/webgpu' {}
