/** Public option and result types shared by the engine's ops. */
import type { GpuTensor } from './gpu/tensor.js';

/** How per-element losses are combined, as PyTorch's `reduction`. */
export type Reduction = 'mean' | 'sum' | 'none';

/** Data an op can take: host memory, or a tensor already on the engine's device. */
export type FloatInput = Float32Array | GpuTensor;
export type IndexInput = Int32Array | readonly number[] | GpuTensor;

export interface ShapeOptions {
  /** The input's shape; the op works over the last dimension. Its product must equal the input's length. */
  shape: readonly number[];
}

export interface CrossEntropyOptions extends ShapeOptions {
  /** Default 'mean'. */
  reduction?: Reduction;
  /** Rows with this target contribute loss 0 and gradient 0 and are left out of the mean. Default -100. */
  ignoreIndex?: number;
  /** Also compute d loss / d logits, fused in the same pass. Default true. */
  grad?: boolean;
}

export interface CrossEntropyResult {
  /** A scalar for 'mean' and 'sum'; the per-row losses (shape without the class dimension) for 'none'. */
  loss: number | Float32Array;
  /** The gradient with respect to the logits, same shape as the logits (when `grad` is true). */
  grad?: Float32Array;
  /**
   * The mean's denominator: the number of non-ignored rows. Workers that each compute a 'sum' can add their losses
   * and their weightSums and divide once, which gives the exact global mean over an uneven split.
   */
  weightSum: number;
}

/** The GPU-resident form of CrossEntropyResult: everything stays in GPU buffers until the caller reads it. */
export interface CrossEntropyGpuResult {
  /** 1 element for 'mean' and 'sum', one per row for 'none'. */
  loss: GpuTensor;
  grad?: GpuTensor;
  /** 1 element: the mean's denominator. */
  weightSum: GpuTensor;
}
