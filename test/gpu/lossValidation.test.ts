// Bad input to the loss family gets a clear error naming the op, the argument and the problem, before any GPU work
// (no buffer is created): the cases the loss family's design lists, and the option combinations that make no sense.
import { describe, expect, it } from 'vitest';
import { useGpuEngine } from '../helpers/engine.js';

const engine = useGpuEngine();
const x = new Float32Array(12); // shape [4, 3]
const t = Int32Array.from([0, 1, 2, 1]);
const probs = new Float32Array(12).fill(0.5);

const BAD_CALLS: [string, () => Promise<unknown>, RegExp][] = [
  ['weight of the wrong length', () => engine().crossEntropy(x, t, { shape: [4, 3], weight: [1, 2] }), /crossEntropy: weight has 2 elements but must have one per class \(3\)/],
  ['negative weight', () => engine().crossEntropy(x, t, { shape: [4, 3], weight: [1, -2, 1] }), /crossEntropy: weight\[1\] is -2: weights must be finite and >= 0/],
  ['NaN weight', () => engine().nllLoss(x, t, { shape: [4, 3], weight: [1, NaN, 1] }), /nllLoss: weight\[1\] is NaN/],
  ['weight of the wrong type', () => engine().crossEntropy(x, t, { shape: [4, 3], weight: 'heavy' as never }), /weight must be a Float32Array, an array of numbers or an f32 GpuTensor \(got string\)/],
  ['labelSmoothing above 1', () => engine().crossEntropy(x, t, { shape: [4, 3], labelSmoothing: 1.5 }), /crossEntropy: labelSmoothing must be a finite number in \[0, 1\] \(got 1.5\)/],
  ['labelSmoothing below 0', () => engine().crossEntropy(x, t, { shape: [4, 3], labelSmoothing: -0.1 }), /labelSmoothing must be a finite number in \[0, 1\] \(got -0.1\)/],
  ['soft targets of the wrong length', () => engine().crossEntropy(x, new Float32Array(4), { shape: [4, 3] }), /crossEntropy: target has 4 elements but probability targets need the logits' element count, 12/],
  ['ignoreIndex with soft targets', () => engine().crossEntropy(x, new Float32Array(12), { shape: [4, 3], ignoreIndex: 0 }), /ignoreIndex applies to class-index targets only/],
  ['classDim that does not exist', () => engine().crossEntropy(x, t, { shape: [4, 3], classDim: 2 }), /crossEntropy: classDim must be an integer dimension of the shape \[4, 3\], in \[-2, 1\] \(got 2\)/],
  ['classDim below -ndim', () => engine().nllLoss(x, t, { shape: [4, 3], classDim: -3 }), /nllLoss: classDim must be an integer dimension/],
  ['classDim targets of the wrong length', () => engine().crossEntropy(new Float32Array(24), t, { shape: [2, 3, 4], classDim: 1 }), /target has 4 elements but shape \[2, 3, 4\] \(classes in dimension 1\) has 8 rows/],
  ['negative zLoss', () => engine().crossEntropy(x, t, { shape: [4, 3], zLoss: -1 }), /zLoss must be a finite number in \[0, Infinity\)/],
  ['softcap 0', () => engine().crossEntropy(x, t, { shape: [4, 3], softcap: 0 }), /softcap must be a finite number in \(0, Infinity\) \(got 0\)/],
  ['unknown inputs', () => engine().crossEntropy(x, t, { shape: [4, 3], inputs: 'logprobs' as never }), /inputs must be 'logits', 'probabilities'/],
  ['probabilities outside [0, 1] for CE', () => engine().crossEntropy(Float32Array.from(probs, (p, i) => (i === 5 ? 1.2 : p)), t, { shape: [4, 3], inputs: 'probabilities' }), /crossEntropy: input\[5\] is 1.2000000476837158: probabilities must be in \[0, 1\]/],
  ['zLoss with probabilities', () => engine().crossEntropy(probs, t, { shape: [4, 3], inputs: 'probabilities', zLoss: 1e-4 }), /zLoss applies to logits only/],
  ['nllLoss with soft targets', () => engine().nllLoss(x, new Float32Array(12) as never, { shape: [4, 3] }), /nllLoss: target must hold class indices/],
  ['nllLoss labelSmoothing', () => engine().nllLoss(x, t, { shape: [4, 3], labelSmoothing: 0.1 } as never), /nllLoss: option 'labelSmoothing' is not known/],
  ['BCE probabilities above 1', () => engine().binaryCrossEntropy(Float32Array.from(probs, (p, i) => (i === 3 ? 2 : p)), probs, { shape: [4, 3] }), /binaryCrossEntropy: probs\[3\] is 2: probabilities must be in \[0, 1\]/],
  ['BCE negative probabilities', () => engine().binaryCrossEntropy(Float32Array.from(probs, (p, i) => (i === 0 ? -0.5 : p)), probs, { shape: [4, 3] }), /probs\[0\] is -0.5: probabilities must be in \[0, 1\]/],
  ['BCE NaN probability', () => engine().binaryCrossEntropy(Float32Array.from(probs, (p, i) => (i === 7 ? NaN : p)), probs, { shape: [4, 3] }), /probs\[7\] is NaN/],
  ['BCE target of the wrong length', () => engine().binaryCrossEntropyWithLogits(x, new Float32Array(5), { shape: [4, 3] }), /binaryCrossEntropyWithLogits: target has 5 elements but the input has 12/],
  ['BCE posWeight of the wrong length', () => engine().binaryCrossEntropyWithLogits(x, probs, { shape: [4, 3], posWeight: [1, 2] }), /posWeight has 2 elements but must have one per entry of the last dimension \(3\)/],
  ['BCE weight not a trailing shape', () => engine().binaryCrossEntropyWithLogits(x, probs, { shape: [4, 3], weight: [1, 2, 3, 4] }), /weight has 4 elements but must have the size of trailing dimensions of the shape: one of 3, 12/],
  ['BCE posWeight on the probability form', () => engine().binaryCrossEntropy(probs, probs, { shape: [4, 3], posWeight: [1, 1, 1] } as never), /binaryCrossEntropy: option 'posWeight' is not known/],
  ['entropy of a negative probability', () => engine().entropy(Float32Array.from(probs, (p, i) => (i === 2 ? -0.1 : p)), { shape: [4, 3] }), /entropy: probs\[2\] is -0.10000000149011612: probabilities must be in \[0, 1\]/],
  ['klDiv unknown reduction', () => engine().klDiv(x, probs, { shape: [4, 3], reduction: 'avg' as never }), /klDiv: reduction must be 'mean', 'batchmean', 'sum', 'none' \(got "avg"\)/],
  ['klDiv target of the wrong length', () => engine().klDiv(x, new Float32Array(3), { shape: [4, 3] }), /klDiv: target has 3 elements but the input has 12/],
  ['klDiv logTarget not boolean', () => engine().klDiv(x, probs, { shape: [4, 3], logTarget: 'yes' as never }), /logTarget must be true or false/],
];

describe('loss-family argument errors', () => {
  for (const [name, call, message] of BAD_CALLS) {
    it(name, async () => {
      const before = engine().stats().created;
      await expect(call()).rejects.toThrow(message);
      expect(engine().stats().created, 'no GPU buffer was created').toBe(before);
    });
  }

  it('the GPU-resident forms validate the same way', async () => {
    const e = engine();
    const logits = e.gpu.upload(x);
    const before = e.stats().created;
    await expect(e.gpu.crossEntropy(logits, t, { shape: [4, 3], weight: [1] })).rejects.toThrow(/gpu.crossEntropy: weight has 1 elements/);
    await expect(e.gpu.klDiv(logits, new Float32Array(2), { shape: [4, 3] })).rejects.toThrow(/gpu.klDiv: target has 2 elements/);
    expect(e.stats().created).toBe(before);
    logits.release();
  });
});
