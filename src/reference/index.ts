/** The CPU reference implementations (f64), one file per kernel, named after the kernel. */
export { crossEntropy, type CrossEntropyReferenceResult } from './crossEntropy.js';
export { logSoftmax, rowLogSumExp, softmax } from './logSoftmax.js';
export { sum } from './sum.js';
