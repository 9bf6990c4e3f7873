/** The CPU reference implementations (f64), one file per kernel, named after the kernel. */
export { binaryCrossEntropy, binaryCrossEntropyWithLogits, sigmoid, type BinaryCrossEntropyReferenceOptions, type ElementwiseLossReferenceResult } from './binaryCrossEntropy.js';
export { clampedLog, crossEntropy, nllLoss, type CrossEntropyInputs, type CrossEntropyReferenceOptions, type CrossEntropyReferenceResult } from './crossEntropy.js';
export { entr, entropy } from './entropy.js';
export { klDiv, xlogy, type KlDivReferenceOptions, type KlReduction } from './klDiv.js';
export { logSoftmax, rowLogSumExp, softmax } from './logSoftmax.js';
export { sum } from './sum.js';
export { linearCrossEntropy, type LinearCrossEntropyReferenceOptions, type LinearCrossEntropyReferenceResult } from './linearCrossEntropy.js';
