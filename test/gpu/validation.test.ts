// Bad input gets a clear error naming the argument and the problem, before any GPU work (no buffer is created),
// and the engine stays usable afterwards.
import { describe, expect, it } from 'vitest';
import { createEngine, XentropyArgumentError } from '../../src/index.js';
import { useGpuEngine } from '../helpers/engine.js';

const engine = useGpuEngine();
const x = new Float32Array(12);
const t = Int32Array.from([0, 1, 2, 3]);

const BAD_CALLS: [string, () => Promise<unknown>, RegExp][] = [
  ['shape/length mismatch', () => engine().crossEntropy(x, t, { shape: [4, 4] }), /crossEntropy: logits has 12 elements but shape \[4, 4\] needs 16/],
  ['target length mismatch', () => engine().crossEntropy(x, Int32Array.from([0, 1]), { shape: [4, 3] }), /^crossEntropy: target has 2 elements but shape \[4, 3\] has 4 rows/],
  ['target out of range', () => engine().crossEntropy(x, Int32Array.from([0, 1, 3, 0]), { shape: [4, 3] }), /target\[2\] is 3, outside \[0, 3\) and not ignoreIndex \(-100\)/],
  ['negative target', () => engine().crossEntropy(x, Int32Array.from([0, -1, 2, 0]), { shape: [4, 3] }), /target\[1\] is -1/],
  ['non-integer target', () => engine().crossEntropy(x, [0, 1.5, 2, 0], { shape: [4, 3] }), /target\[1\] must be an integer class index \(got 1.5\)/],
  // (a Float32Array target now means probability targets: see lossValidation.test.ts for their length check)
  ['wrong-typed target', () => engine().crossEntropy(x, new Float64Array(4) as never, { shape: [4, 3] }), /target must be an Int32Array of class indices \(got Float64Array\)/],
  ['wrong-typed logits', () => engine().crossEntropy(new Float64Array(12) as never, t, { shape: [4, 3] }), /logits must be a Float32Array, an array of numbers or an f32 or f16 GpuTensor \(got Float64Array\)/],
  ['empty shape', () => engine().logSoftmax(x, { shape: [] }), /logSoftmax: shape is empty/],
  ['zero dimension', () => engine().softmax(x, { shape: [0, 12] }), /shape\[0\] must be a positive integer \(got 0\)/],
  ['missing options', () => engine().logSoftmax(x, undefined as never), /options must be an object/],
  ['unknown option', () => engine().crossEntropy(x, t, { shape: [4, 3], reducton: 'sum' } as never), /option 'reducton' is not known; the options are: shape, reduction, ignoreIndex, grad/],
  ['bad reduction', () => engine().crossEntropy(x, t, { shape: [4, 3], reduction: 'avg' as never }), /reduction must be 'mean', 'sum' or 'none' \(got "avg"\)/],
  ['bad ignoreIndex', () => engine().crossEntropy(x, t, { shape: [4, 3], ignoreIndex: 0.5 }), /ignoreIndex must be a 32-bit integer/],
  ['bad grad flag', () => engine().crossEntropy(x, t, { shape: [4, 3], grad: 1 as never }), /grad must be true or false/],
  ['sum of an array with a string', () => engine().sum([1, 'two'] as never), /sum: input\[1\] must be a number \(got string\)/],
];

describe('argument errors', () => {
  for (const [name, call, message] of BAD_CALLS) {
    it(name, async () => {
      const before = engine().stats().created;
      await expect(call()).rejects.toThrow(message);
      expect(engine().stats().created, 'no GPU buffer was created').toBe(before);
    });
  }

  it('the engine still works after the errors', async () => {
    const r = await engine().crossEntropy(new Float32Array(6), Int32Array.from([0, 1]), { shape: [2, 3] });
    expect(r.loss).toBeCloseTo(Math.log(3), 6);
  });

  it('unknown engine options and backends are rejected', async () => {
    await expect(createEngine({ backnd: 'cpu' } as never)).rejects.toThrow(/createEngine: option 'backnd' is not known/);
    await expect(createEngine({ backend: 'metal' as never })).rejects.toThrow(/backend must be 'auto', 'webgpu' or 'cpu'/);
  });

  it('a released GpuTensor is refused', async () => {
    const e = engine();
    const tensor = e.gpu.upload(new Float32Array(6));
    tensor.release();
    await expect(e.gpu.logSoftmax(tensor, { shape: [2, 3] })).rejects.toThrow(/input is a GpuTensor that was already released/);
  });
});

/** The XentropyArgumentError `call` throws or rejects with. */
async function argumentError(call: () => unknown): Promise<XentropyArgumentError> {
  let error: unknown = null;
  try {
    await call();
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(XentropyArgumentError);
  return error as XentropyArgumentError;
}

describe('misuse is an XentropyArgumentError with op and argument', () => {
  it(
    "arrays for upload; a released tensor's read, a tensor of another engine (same device), any use after destroy()",
    async () => {
      const e = engine();
      const floats = e.gpu.upload([1.5, -2]);
      const ints = e.gpu.upload([3, -4], { dtype: 'i32' });
      expect([floats.dtype, ints.dtype]).toEqual(['f32', 'i32']);
      expect([Array.from(await floats.read()), Array.from(await ints.read())]).toEqual([[1.5, -2], [3, -4]]);
      floats.release();
      ints.release();
      const fraction = await argumentError(() => e.gpu.upload([1, 2.5], { dtype: 'i32' }));
      expect([fraction.op, fraction.argument]).toEqual(['gpu.upload', 'data[1]']);
      const released = e.gpu.upload(new Float32Array(6));
      released.release();
      const read = await argumentError(() => released.read());
      expect([read.op, read.argument]).toEqual(['GpuTensor.read', 'tensor']);

      const other = await createEngine({ device: e.device! });
      const foreign = other.gpu.upload(new Float32Array(6));
      const home = await argumentError(() => e.gpu.logSoftmax(foreign, { shape: [2, 3] }));
      expect([home.op, home.argument]).toEqual(['gpu.logSoftmax', 'input']);
      const logits = e.gpu.upload(new Float32Array(6));
      const weightHome = await argumentError(() => e.gpu.crossEntropy(logits, Int32Array.of(0, 1), { shape: [2, 3], weight: other.gpu.upload(new Float32Array(3)) }));
      expect([weightHome.op, weightHome.argument]).toEqual(['gpu.crossEntropy', 'weight']);
      logits.release();
      const kept = other.gpu.upload(new Float32Array(6));
      other.destroy();
      for (const [op, call] of [
        ['crossEntropy', () => other.crossEntropy(new Float32Array(6), Int32Array.of(0, 1), { shape: [2, 3] })],
        ['gpu.sum', () => other.gpu.sum(kept)],
        ['gpu.upload', () => other.gpu.upload(new Float32Array(2))],
        ['gpu.encodeInto', () => other.gpu.encodeInto(e.device!.createCommandEncoder())],
        ['GpuTensor.read', () => kept.read()],
      ] as const) {
        const error = await argumentError(call);
        expect([error.op, error.argument], op).toEqual([op, 'engine']);
      }
    },
  );
});
