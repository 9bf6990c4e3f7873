// Errors a program can act on, on the CPU backend: every misuse is an XentropyArgumentError with `op` and
// `argument` fields; the GPU forms on a CPU engine, any call after destroy(). And the one rule for host data: a
// typed array or a plain array of numbers, for every argument.
import { describe, expect, it } from 'vitest';
import { createEngine, XentropyArgumentError } from '../../src/index.js';
import { expectClose } from '../helpers/compare.js';

/** The error `call` throws or rejects with. */
async function errorOf(call: () => unknown): Promise<XentropyArgumentError> {
  let error: unknown = null;
  try {
    await call();
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(XentropyArgumentError);
  return error as XentropyArgumentError;
}

const logits = [2, 1, 0.1, -1, 0.5, 2.5, -1, 0, 3, -2, 0.25, 1];
const target = [0, 1, 3];
const shape = [3, 4];

describe('a CPU engine', () => {
  it('engine.gpu.* throws XentropyArgumentError with op and argument (check engine.backend first)', async () => {
    const engine = await createEngine({ backend: 'cpu' });
    expect(engine.backend).toBe('cpu');
    const calls: [string, () => unknown][] = [
      ['gpu.upload', () => engine.gpu.upload(new Float32Array(4))],
      ['gpu.crossEntropy', () => engine.gpu.crossEntropy(null as never, null as never, { shape })],
      ['gpu.sum', () => engine.gpu.sum(null as never)],
      ['gpu.encodeInto', () => engine.gpu.encodeInto(null as never)],
      ['profile', () => engine.profile(async () => 0)],
    ];
    for (const [op, call] of calls) {
      const error = await errorOf(call);
      expect([error.op, error.argument], op).toEqual([op, 'engine']);
      expect(error.message).toMatch(/runs on the CPU backend \(engine\.backend is 'cpu'\)/);
    }
  });

  it('refuses every call after destroy(), naming the op', async () => {
    const engine = await createEngine({ backend: 'cpu' });
    engine.destroy();
    for (const [op, call] of [
      ['crossEntropy', () => engine.crossEntropy(logits, target, { shape })],
      ['logSoftmax', () => engine.logSoftmax(logits, { shape })],
      ['sum', () => engine.sum(logits)],
      ['linearCrossEntropy', () => engine.linearCrossEntropy(logits, logits, target, { shape })],
      ['gpu.upload', () => engine.gpu.upload(new Float32Array(4))],
    ] as const) {
      const error = await errorOf(call);
      const fields = [error.op, error.argument, error.problem];
      expect(fields, op).toEqual([op, 'engine', 'was destroyed: create a new engine']);
    }
  });

  it('a transposed shape names shape as what the target disagrees with', async () => {
    const engine = await createEngine({ backend: 'cpu' });
    const error = await errorOf(() => engine.crossEntropy(logits, [0, 1, 3], { shape: [4, 3] }));
    expect([error.op, error.argument]).toEqual(['crossEntropy', 'target']);
    expect(error.message).toBe('crossEntropy: target has 3 elements but shape [4, 3] has 4 rows');
  });

  it('takes plain arrays of numbers wherever it takes a Float32Array (same result), naming a bad element', async () => {
    const engine = await createEngine({ backend: 'cpu' });
    const weight = Float32Array.of(1, 2, 3, 4);
    const typed = await engine.crossEntropy(Float32Array.from(logits), Int32Array.from(target), { shape, weight });
    const plain = await engine.crossEntropy(logits, target, { shape, weight: [1, 2, 3, 4] });
    expect(plain).toEqual(typed);
    const logProbs = await engine.logSoftmax(Float32Array.from(logits), { shape });
    expectClose(await engine.logSoftmax(logits, { shape }), logProbs, 'logSoftmax');
    expect(await engine.sum([1, 2, 3.5])).toBe(6.5);
    const labels = logits.map((v) => (v > 0 ? 1 : 0));
    const bce = await engine.binaryCrossEntropyWithLogits(logits, labels, { shape, posWeight: [1, 2, 1, 2] });
    expect(typeof bce.loss).toBe('number');
    const error = await errorOf(() => engine.entropy([0.5, '0.5'] as never, { shape: [1, 2] }));
    expect([error.op, error.argument]).toEqual(['entropy', 'probs[1]']);
  });
});
