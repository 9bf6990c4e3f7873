/**
 * Targets and weights given as GpuTensors never pass the host's checks: the kernels check them where they live and
 * count what is invalid in a result's weightSum[1] (shaders/target_weight_sum.wgsl, shaders/weight_check.wgsl). The
 * host-returning forms then read the offending tensors back and run the host check, which names the first bad element.
 */
import { XentropyArgumentError } from './errors.js';
import { GpuTensor } from './gpu/tensor.js';

/**
 * Arguments the GPU checks (GpuTensor targets and weights, never seen by the host check), each with the host check
 * that names its first bad element: run on values read back once the GPU reported invalid ones (weightSum[1]).
 */
export type Recheck = { tensor: GpuTensor; check: (values: Float32Array | Int32Array) => void }[];

export function gpuRechecks(...entries: [unknown, (values: Float32Array | Int32Array) => void][]): Recheck {
  return entries
    .filter(([value]) => value instanceof GpuTensor)
    .map(([tensor, check]) => ({ tensor: tensor as GpuTensor, check }));
}

/** Throw the host check's error for what the GPU found invalid (weightSum[1] = count > 0), naming the first element. */
export async function explainInvalid(op: string, count: number, recheck: Recheck): Promise<never> {
  for (const { tensor, check } of recheck) check(await tensor.read());
  const found = `the GPU found ${count} invalid values`;
  const problem = `or a weight: ${found} (targets outside the classes, or weights not finite and >= 0)`;
  throw new XentropyArgumentError(op, 'target', problem);
}
