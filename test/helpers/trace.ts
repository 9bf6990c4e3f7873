/**
 * Which kernel variant ran, from the engine's own record (engine.trace): the one place tests read pipeline keys, so a
 * renamed or split kernel changes this file only. A key is `name{WG:64,TPR:1,...}` with the element-I/O variant (or a
 * matmul's operand types) in brackets after it, absent for plain f32: `cross_entropy{WG:64,TPR:1}[f32-vec4]`.
 */
import { expect } from 'vitest';
import { GpuTensor, type Engine } from '../../src/index.js';

export interface TracedDispatch {
  /** The batch (op) that recorded it, e.g. 'gpu.crossEntropy'. */
  op: string;
  /** The kernel's name, e.g. 'cross_entropy'. */
  name: string;
  /** Its pipeline constants as written in the key (values as strings: '64', 'true'). */
  constants: Record<string, string>;
  /** Element-I/O variant of a row kernel ('f32', 'f32-vec4', 'f16-packed-even-in-place', ...) or matmul operands. */
  io: string;
  reduction: 'subgroup' | 'workgroup';
  groups: number;
  /** The full pipeline key, for failure messages. */
  key: string;
}

/** Split a pipeline key into name, constants and I/O variant. */
export function parseKernelKey(key: string): { name: string; constants: Record<string, string>; io: string } {
  const match = /^([a-z0-9_]+)\{([^}]*)\}(?:\[([^\]]*)\])?$/.exec(key);
  if (!match) throw new Error(`trace: unexpected pipeline key ${JSON.stringify(key)}`);
  const constants: Record<string, string> = {};
  for (const pair of match[2]!.split(',').filter(Boolean)) {
    const [name, value] = pair.split(':');
    constants[name!] = value!;
  }
  return { name: match[1]!, constants, io: match[3] ?? 'f32' };
}

/** Run `work` under engine.trace and parse each dispatch. */
export async function traced<T>(
  e: Engine,
  work: () => Promise<T>,
): Promise<{ result: T; dispatches: TracedDispatch[] }> {
  const run = await e.trace(work);
  const dispatches = run.dispatches.map((d) => ({
    ...parseKernelKey(d.kernel),
    op: d.op,
    reduction: d.reduction,
    groups: d.groups,
    key: d.kernel,
  }));
  return { result: run.result, dispatches };
}

/** The kernels doing each op's row work (by name prefix: a kernel split into per-family variants still matches). */
const ROW_KERNEL: Record<'crossEntropy' | 'logSoftmax' | 'linearCrossEntropy' | 'sum', RegExp> = {
  crossEntropy: /^cross_entropy(_|$)/,
  logSoftmax: /^log_softmax(_|$)/, // softmax too
  linearCrossEntropy: /^linear_cross_entropy_matmul/,
  sum: /^sum(_|$)/,
};

export type RowOp = keyof typeof ROW_KERNEL;

/** The dispatches of `op`'s row kernel; fails the test when the call dispatched none. */
export function rowDispatches(dispatches: readonly TracedDispatch[], op: RowOp): TracedDispatch[] {
  const found = dispatches.filter((d) => ROW_KERNEL[op].test(d.name));
  expect(
    found.length,
    `${op}: no row-kernel dispatch among ${dispatches.map((d) => d.key).join(', ') || 'none'}`,
  ).toBeGreaterThan(0);
  return found;
}

/** The distinct element-I/O variants `op`'s row kernel ran with (in order of first use). */
export function ioOf(dispatches: readonly TracedDispatch[], op: RowOp): string[] {
  return [...new Set(rowDispatches(dispatches, op).map((d) => d.io))];
}

/**
 * Run `work` and return the element-I/O variants of `op`'s row kernel, releasing the GpuTensors the work returned
 * (except those in `keep`, e.g. a tensor written in place).
 */
export async function variantsOf(
  e: Engine,
  op: RowOp,
  work: () => Promise<unknown>,
  keep: readonly unknown[] = [],
): Promise<string[]> {
  const run = await traced(e, work);
  releaseAll(run.result, keep);
  return ioOf(run.dispatches, op);
}

/** Release every GpuTensor in a result (a tensor, or an object of them), except those in `keep`. */
export function releaseAll(result: unknown, keep: readonly unknown[] = []): void {
  const values =
    result instanceof GpuTensor ? [result] : result && typeof result === 'object' ? Object.values(result) : [];
  for (const v of values) if (v instanceof GpuTensor && !keep.includes(v)) v.release();
}

/** How many chunks of rows `op`'s row kernel ran in: its dispatches, less the second phase of split rows. */
export function chunksOf(dispatches: readonly TracedDispatch[], op: RowOp): number {
  return rowDispatches(dispatches, op).filter((d) => d.constants.PHASE !== '2').length;
}
