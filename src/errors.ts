/**
 * The library's one error class for misuse: a bad argument or option, a released tensor, a tensor of another engine,
 * a call after `destroy()`, a GPU-resident op on a CPU engine. It is thrown (or rejects the call) before any GPU work
 * and leaves the engine usable. A program reads `op` and `argument`; `message` says the same in a sentence.
 * Other failures (a lost device, a GPU validation or out-of-memory error) are plain `Error`s.
 */
export class XentropyArgumentError extends Error {
  /** The call, as the engine names it: 'crossEntropy', 'gpu.crossEntropy', 'encode.sum', 'GpuTensor.read', ... */
  readonly op: string;
  /**
   * What was wrong: an argument or option name ('target', 'weight', 'shape'), an element ('target[3]'), 'options',
   * 'engine' (destroyed, or on the CPU backend for a GPU-resident op) or 'tensor' (GpuTensor.read).
   */
  readonly argument: string;
  /** The problem, without the op and argument (the message is `${op}: ${argument} ${problem}`). */
  readonly problem: string;

  constructor(op: string, argument: string, problem: string) {
    super(`${op}: ${argument} ${problem}`);
    this.name = 'XentropyArgumentError';
    this.op = op;
    this.argument = argument;
    this.problem = problem;
  }
}
