/**
 * The WGSL sources, one kernel per file in ../shaders/, bundled as strings by Vite (`?raw`) so the built package
 * carries them. Kernel names here match the file names.
 */
import binaryCrossEntropy from '../shaders/binary_cross_entropy.wgsl?raw';
import crossEntropy from '../shaders/cross_entropy.wgsl?raw';
import entropy from '../shaders/entropy.wgsl?raw';
import klDiv from '../shaders/kl_div.wgsl?raw';
import logSoftmax from '../shaders/log_softmax.wgsl?raw';
import sum from '../shaders/sum.wgsl?raw';
import targetWeightSum from '../shaders/target_weight_sum.wgsl?raw';

export const shaderSources = {
  binary_cross_entropy: binaryCrossEntropy,
  cross_entropy: crossEntropy,
  entropy,
  kl_div: klDiv,
  log_softmax: logSoftmax,
  sum,
  target_weight_sum: targetWeightSum,
} as const;

export type KernelName = keyof typeof shaderSources;
