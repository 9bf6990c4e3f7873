/** Public option and result types shared by the engine's ops. */
import type { GpuTensor } from './gpu/tensor.js';

/** How per-element losses are combined, as PyTorch's `reduction`. */
export type Reduction = 'mean' | 'sum' | 'none';

/**
 * Data an op can take: host memory (a typed array, or a plain array of numbers, which is converted: f32 for float
 * data, i32 for class indices), or a tensor already on the engine's device.
 */
export type FloatInput = Float32Array | readonly number[] | GpuTensor;
export type IndexInput = Int32Array | readonly number[] | GpuTensor;
/**
 * Weights: host data (checked on the host) or an f32 GpuTensor (checked on the GPU: invalid values give NaN and count
 * in weightSum[1]).
 */
export type WeightInput = Float32Array | readonly number[] | GpuTensor;

export interface ShapeOptions {
  /** The input's shape; the op works over the last dimension. Its product must equal the input's length. */
  shape: readonly number[];
}

/** A loss's options shared by every op: `grad` (default true) also computes d loss / d input in the same pass. */
export interface LossOptions extends ShapeOptions {
  /** Default 'mean'. */
  reduction?: Reduction;
  /** Also compute d loss / d input, fused in the same pass. Default true. */
  grad?: boolean;
}

/** Options of `nllLoss` (PyTorch's F.nll_loss). */
export interface NllLossOptions extends LossOptions {
  /** Rows with this target contribute loss 0 and gradient 0 and are left out of the mean. Default -100. */
  ignoreIndex?: number;
  /** Per-class weights (length classes, finite, >= 0). The mean divides by the sum of the targets' weights. */
  weight?: WeightInput;
  /**
   * Which dimension of `shape` holds the classes. Default: the last. PyTorch's layout [N, C, d1, ..., dk] is
   * classDim 1, with targets [N, d1, ..., dk]; it is read in place (no transpose copy). Negative counts from the end.
   */
  classDim?: number;
}

/** Options of `crossEntropy` (PyTorch's F.cross_entropy, plus zLoss and softcap). */
export interface CrossEntropyOptions extends NllLossOptions {
  /** In [0, 1]: PyTorch's label smoothing (with weights, ignoreIndex and soft targets as PyTorch defines it). Default 0. */
  labelSmoothing?: number;
  /** Coefficient z >= 0 of the z-loss z * logsumexp(x)^2 per row (PaLM, Liger-Kernel); added to `loss`, also returned alone. */
  zLoss?: number;
  /** Cap c > 0: the logits become c * tanh(x / c) before the loss (Gemma 2); the gradient goes through it. */
  softcap?: number;
  /**
   * What the first argument holds: 'logits' (default) or 'probabilities' (Keras' from_logits = false): the loss is
   * -sum_c a_c max(log p_c, -100), the log clamped as PyTorch's BCE does, so p = 0 gives a large finite loss.
   */
  inputs?: 'logits' | 'probabilities';
}

/** Options of `binaryCrossEntropyWithLogits` and `binaryCrossEntropy`. */
export interface BinaryCrossEntropyOptions extends LossOptions {
  /** Weights broadcast from the trailing dimensions: length = the product of the last k dimensions (k >= 1). */
  weight?: WeightInput;
}

export interface BinaryCrossEntropyWithLogitsOptions extends BinaryCrossEntropyOptions {
  /** Weight of the positive term per entry of the last dimension (broadcast along it), finite and >= 0. */
  posWeight?: WeightInput;
}

/** Options of `klDiv` (PyTorch's F.kl_div; the input holds log-probabilities). */
export interface KlDivOptions extends ShapeOptions {
  /** 'mean' (default, as PyTorch: over every element), 'batchmean' (over the first dimension: the true KL), 'sum', 'none'. */
  reduction?: Reduction | 'batchmean';
  /** The target holds log-probabilities. Default false. */
  logTarget?: boolean;
  grad?: boolean;
}

/** A loss's result on the host. */
export interface LossResult {
  /** A scalar for 'mean' and 'sum' (and 'batchmean'); per item for 'none' (see each op). */
  loss: number | Float32Array;
  /** The gradient with respect to the (first) input, same shape (when `grad` is true). */
  grad?: Float32Array;
  /** The mean's denominator (add 'sum' losses and weightSums across workers, divide once). */
  weightSum: number;
}

/** The GPU-resident form of LossResult: everything stays in GPU buffers until the caller reads it. */
export interface LossGpuResult {
  /** 1 element for a reduced loss, one per item for 'none'. */
  loss: GpuTensor;
  grad?: GpuTensor;
  /** The mean's denominator in element 0. */
  weightSum: GpuTensor;
}

export interface CrossEntropyResult extends LossResult {
  /**
   * 'none': the per-row losses (shape without the class dimension, z-loss included), a scalar otherwise.
   * Probability targets: the mean divides by the number of rows; class-index targets: by weightSum.
   */
  loss: number | Float32Array;
  /**
   * The mean's denominator: the sum of the targets' class weights over non-ignored rows (their count without
   * weights), or the number of rows for probability targets. Workers that each compute a 'sum' can add their losses
   * and their weightSums and divide once, which gives the exact global mean over an uneven split.
   */
  weightSum: number;
  /** With zLoss: the z-loss part of `loss`, reduced the same way. */
  zLoss?: number | Float32Array;
}

export interface CrossEntropyGpuResult extends LossGpuResult {
  zLoss?: GpuTensor;
}

/**
 * Options of `linearCrossEntropy`: crossEntropy's options for the logits `hidden @ weight^T + bias`, with the class
 * weights named `classWeight` (the `weight` argument is the classifier's matrix).
 */
export interface LinearCrossEntropyOptions {
  /** hidden's shape [...rows, D]; the weight is [V, D] (V = weight length / D), the target has one index per row. */
  shape: readonly number[];
  /** [V], added to every row's logits (torch.nn.Linear's bias). */
  bias?: Float32Array | GpuTensor;
  /** Default 'mean' (over non-ignored rows, weighted by classWeight as F.cross_entropy). */
  reduction?: Reduction;
  /** Default -100. */
  ignoreIndex?: number;
  /** Also compute gradHidden, gradWeight (and gradBias with a bias). Default true. */
  grad?: boolean;
  /** Per-class weights [V] (F.cross_entropy's `weight`), finite and >= 0. */
  classWeight?: WeightInput;
  labelSmoothing?: number;
  zLoss?: number;
  softcap?: number;
}

export interface LinearCrossEntropyResult {
  /** A scalar for 'mean' and 'sum', one per row for 'none' (z-loss included). */
  loss: number | Float32Array;
  /** d loss / d hidden, [...rows, D]. */
  gradHidden?: Float32Array;
  /** d loss / d weight, [V, D]. */
  gradWeight?: Float32Array;
  /** d loss / d bias, [V] (with a bias). */
  gradBias?: Float32Array;
  weightSum: number;
  /** With zLoss: its part of `loss`, reduced the same way. */
  zLoss?: number | Float32Array;
}

export interface LinearCrossEntropyGpuResult {
  loss: GpuTensor;
  gradHidden?: GpuTensor;
  gradWeight?: GpuTensor;
  gradBias?: GpuTensor;
  /** The mean's denominator in element 0 (element 1: the count of out-of-range targets found on the GPU). */
  weightSum: GpuTensor;
  zLoss?: GpuTensor;
}
