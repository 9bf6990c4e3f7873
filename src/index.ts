/**
 * xentropy: WebGPU kernels for classifier losses (stable log-softmax, cross-entropy forward and backward fused in one
 * pass, deterministic parallel sum) with an f64 CPU reference as fallback and oracle.
 */
export { createEngine, DeviceLostEvent, Engine, GpuEncoding, GpuOps, type EngineOptions, type GradientOutput, type InPlaceGradient, type RowwiseGpuOptions, type SumGpuOptions } from './engine.js';
export { deviceDescriptor, type AdapterInfo, type NodeAdapter } from './gpu/adapter.js';
export type { DispatchInfo, DispatchTiming, EngineStats } from './gpu/context.js';
export type { PoolStats } from './gpu/pool.js';
export { GpuTensor, type DType } from './gpu/tensor.js';
export { fromFloat16Bits, roundToFloat16, toFloat16Bits } from './float16.js';
export { sumErrorBound, sumPlan, type SumPlan } from './ops/sum.js';
export * as reference from './reference/index.js';
export type * from './types.js';
export { XentropyArgumentError } from './errors.js';
