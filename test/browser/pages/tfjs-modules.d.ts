/**
 * The TensorFlow.js functions pages/tfjs.ts uses, under aliases that ../interop.test.ts maps to the real packages
 * (as demo/src/bench/tfjs-modules.d.ts does, for the same reason: tfjs-core's declarations pull in an older
 * @webgpu/types whose GPUFeatureName lacks 'subgroups'). These signatures are a subset of tfjs-core 4.22's.
 */
declare module 'interop-tfjs/core' {
  export interface Tensor {
    data(): Promise<Float32Array | Int32Array | Uint8Array>;
    /** Keeps `tensorRef` alive while `buffer` (a copy tfjs already submitted) is used. */
    dataToGPU(): { tensorRef: Tensor; buffer?: GPUBuffer };
    dispose(): void;
  }
  export interface Variable extends Tensor {
    assign(value: Tensor): void;
  }
  export function setBackend(name: string): Promise<boolean>;
  export function ready(): Promise<void>;
  export function getBackend(): string;
  export function backend(): unknown;
  /** With `{ buffer, zeroCopy: true }`, the tensor reads the buffer in place (the caller keeps it alive). */
  export function tensor(values: { buffer: GPUBuffer; zeroCopy?: boolean }, shape: number[], dtype: 'float32'): Tensor;
  export function tensor1d(values: Int32Array, dtype: 'int32'): Tensor;
  export function tensor2d(values: Float32Array, shape: [number, number]): Tensor;
  export function variable(initial: Tensor): Variable;
  export function zeros(shape: number[]): Tensor;
  export function matMul(a: Tensor, b: Tensor, transposeA?: boolean, transposeB?: boolean): Tensor;
  export function oneHot(indices: Tensor, depth: number): Tensor;
  export function grad(f: (x: Tensor) => Tensor): (x: Tensor) => Tensor;
  export function max(x: Tensor): Tensor;
  export function abs(x: Tensor): Tensor;
  export function sub(a: Tensor, b: Tensor): Tensor;
  export function mul(a: number | Tensor, b: Tensor): Tensor;
  export function argMax(x: Tensor, axis: number): Tensor;
  export function dispose(tensors: Tensor[]): void;
  export const losses: { softmaxCrossEntropy(onehotLabels: Tensor, logits: Tensor): Tensor };
}
/** Side effects only: registers the gradients of tfjs-core's ops. */
declare module 'interop-tfjs/gradients' {}
/** Side effects only: registers the 'webgpu' backend. */
declare module 'interop-tfjs/webgpu' {}
