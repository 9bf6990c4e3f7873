// Zero-copy embedding, in Node: results written into the caller's tensors (`out`, `gradOut`), and
// ops recorded into the caller's command encoder (`encodeInto`) so that they join the caller's own submission.
import { describe, expect, it } from 'vitest';
import { createEngine, GpuTensor, XentropyArgumentError } from '../../src/index.js';
import { expectClose } from '../helpers/compare.js';
import { classTargets, normal } from '../helpers/data.js';
import { useGpuEngine } from '../helpers/engine.js';
import { BufferUsage } from '../../src/gpu/flags.js';

const getEngine = useGpuEngine();
const cpu = await createEngine({ backend: 'cpu' });
const ROWS = 5;
const COLS = 12;
const shape = [ROWS, COLS];
const logits = normal(ROWS * COLS, 2, 11);
const target = classTargets(ROWS, COLS, 12, 4);
const expected = await cpu.crossEntropy(logits, target, { shape });
const expectedLogSoftmax = await cpu.logSoftmax(logits, { shape });

/** A caller-owned buffer holding `data` at `byteOffset`, as host applications have them. */
function callerBuffer(device: GPUDevice, data: Float32Array<ArrayBuffer>, byteOffset = 0, extra = 0): GPUBuffer {
  const buffer = device.createBuffer({ size: byteOffset + data.byteLength + extra, usage: BufferUsage.STORAGE | BufferUsage.COPY_SRC | BufferUsage.COPY_DST });
  device.queue.writeBuffer(buffer, byteOffset, data);
  return buffer;
}

describe('output tensors', () => {
  it('logSoftmax writes into a wrapped caller buffer at an offset, and returns that tensor', async () => {
    const engine = getEngine();
    const device = engine.device!;
    const input = engine.gpu.wrap(callerBuffer(device, logits, 256), { dtype: 'f32', length: logits.length, byteOffset: 256 });
    const outBuffer = callerBuffer(device, new Float32Array(logits.length + 3).fill(7), 0);
    const out = engine.gpu.wrap(outBuffer, { dtype: 'f32', length: logits.length, byteOffset: 12 });
    const result = await engine.gpu.logSoftmax(input, { shape, out });
    expect(result).toBe(out);
    expectClose(await out.read(), expectedLogSoftmax, 'logSoftmax into the caller buffer');
    const whole = await engine.gpu.wrap(outBuffer, { dtype: 'f32', length: logits.length + 3 }).read();
    expect(Array.from(whole.subarray(0, 3)), 'bytes before the offset untouched').toEqual([7, 7, 7]);
    input.buffer.destroy();
    outBuffer.destroy();
  });

  it('crossEntropy puts the gradient into gradOut; an overlapping or short output is refused, naming it', async () => {
    const engine = getEngine();
    const input = engine.gpu.upload(logits);
    const gradOut = engine.gpu.upload(new Float32Array(logits.length));
    const before = engine.stats().liveBuffers;
    const { loss, grad, weightSum } = await engine.gpu.crossEntropy(input, target, { shape, gradOut });
    expect(grad).toBe(gradOut);
    expectClose(await gradOut.read(), expected.grad!, 'gradient in gradOut');
    expectClose((await loss.read())[0]!, expected.loss, 'loss');
    expect(engine.stats().liveBuffers, 'no engine-owned gradient left behind').toBe(before + 2);
    loss.release();
    weightSum.release();
    await expect(engine.gpu.logSoftmax(input, { shape, out: input })).rejects.toThrow(/gpu\.logSoftmax: out overlaps the input/);
    const short = engine.gpu.upload(new Float32Array(3));
    await expect(engine.gpu.crossEntropy(input, target, { shape, gradOut: short })).rejects.toThrow(/gpu\.crossEntropy: gradOut has 3 elements but the result needs 60/);
    short.release();
    await expect(engine.gpu.crossEntropy(input, target, { shape, grad: false, gradOut })).rejects.toThrow(/gradOut needs grad: true/);
    input.release();
    gradOut.release();
  });
});

describe('encodeInto: recording into the caller encoder', () => {
  it("joins the caller's submission: the caller's copy before and after the loss see its inputs and its results", async () => {
    const engine = getEngine();
    const device = engine.device!;
    // The caller's pipeline: logits arrive in `staging`, are copied into `work` in the same encoder as the loss.
    const staging = callerBuffer(device, logits);
    const work = device.createBuffer({ size: logits.byteLength, usage: BufferUsage.STORAGE | BufferUsage.COPY_SRC | BufferUsage.COPY_DST });
    const labels = engine.gpu.upload(target);
    const gradCopy = device.createBuffer({ size: logits.byteLength, usage: BufferUsage.STORAGE | BufferUsage.COPY_SRC | BufferUsage.COPY_DST });
    const before = engine.stats();

    const encoder = device.createCommandEncoder({ label: 'caller' });
    encoder.copyBufferToBuffer(staging, 0, work, 0, logits.byteLength);
    const encoding = engine.gpu.encodeInto(encoder);
    const input = engine.gpu.wrap(work, { dtype: 'f32', length: logits.length });
    const { loss, grad, weightSum } = encoding.crossEntropy(input, labels, { shape, weight: new Float32Array(COLS).fill(1) });
    const logProbs = encoding.logSoftmax(input, { shape });
    encoder.copyBufferToBuffer(grad!.buffer, grad!.byteOffset, gradCopy, 0, logits.byteLength);
    expect(engine.stats().liveBuffers, 'temporaries are held until submitted()').toBeGreaterThan(before.liveBuffers + 4);
    device.queue.submit([encoder.finish()]);
    await encoding.submitted();

    expectClose(await engine.gpu.wrap(gradCopy, { dtype: 'f32', length: logits.length }).read(), expected.grad!, 'gradient copied by the caller');
    expectClose((await loss.read())[0]!, expected.loss, 'loss');
    expectClose(await logProbs.read(), expectedLogSoftmax, 'logSoftmax');
    for (const t of [loss, grad!, weightSum, logProbs, labels]) t.release();
    expect(engine.stats().liveBuffers, 'everything back after submitted() and release()').toBe(before.liveBuffers - 1);
    for (const b of [staging, work, gradCopy]) b.destroy();
    expect(() => encoding.sum(input)).toThrow(/already reported submitted/);
  });

  it("argument errors throw at once; a destroyed buffer in the recorded commands is the caller's finish() to report", async () => {
    const engine = getEngine();
    const device = engine.device!;
    const buffer = callerBuffer(device, logits);
    const input = engine.gpu.wrap(buffer, { dtype: 'f32', length: logits.length });
    const encoder = device.createCommandEncoder();
    const encoding = engine.gpu.encodeInto(encoder);
    expect(() => encoding.crossEntropy(input, target, { shape: [ROWS, COLS + 1] })).toThrow(/encode\.crossEntropy: logits has 60 elements but shape \[5, 13\] needs 65/);
    buffer.destroy();
    const before = engine.stats().liveBuffers;
    const sum = encoding.sum(input);
    expect(sum.isReleased).toBe(false);
    device.pushErrorScope('validation');
    device.queue.submit([encoder.finish()]);
    expect((await device.popErrorScope())?.message, "the caller's finish() reports the destroyed buffer").toMatch(/destroyed/i);
    await encoding.submitted(); // object creation was valid: the bad command was the caller's to see
    sum.release();
    expect(engine.stats().liveBuffers).toBe(before);
    expect(() => engine.gpu.encodeInto({} as GPUCommandEncoder)).toThrow(/gpu\.encodeInto: encoder must be a GPUCommandEncoder/);
  });

  it('every tensor an encoding returns rejects read() until submitted() (never a number computed before the work ran)', async () => {
    const engine = getEngine();
    const device = engine.device!;
    const x = engine.gpu.upload(logits);
    const labels = engine.gpu.upload(target);
    const probs = engine.gpu.upload(Float32Array.from(logits, (v) => 1 / (1 + Math.exp(-v))));
    const soft = engine.gpu.upload(new Float32Array(logits.length).fill(1 / COLS));
    const out = engine.gpu.upload(new Float32Array(logits.length));
    const encoder = device.createCommandEncoder();
    const encoding = engine.gpu.encodeInto(encoder);
    const results: Record<string, GpuTensor | object> = {
      logSoftmax: encoding.logSoftmax(x, { shape }),
      softmaxOut: encoding.softmax(x, { shape, out }),
      crossEntropy: encoding.crossEntropy(x, labels, { shape, zLoss: 1e-3 }),
      nllLoss: encoding.nllLoss(x, labels, { shape }),
      bceLogits: encoding.binaryCrossEntropyWithLogits(x, soft, { shape }),
      bce: encoding.binaryCrossEntropy(probs, soft, { shape }),
      entropy: encoding.entropy(probs, { shape }),
      klDiv: encoding.klDiv(x, soft, { shape }),
      sum: encoding.sum(x),
    };
    const returned = Object.entries(results).flatMap(([op, r]) =>
      r instanceof GpuTensor ? [[op, r] as const] : Object.entries(r as Record<string, unknown>).filter((e): e is [string, GpuTensor] => e[1] instanceof GpuTensor).map(([k, t]) => [`${op}.${k}`, t] as const),
    );
    expect(returned.length).toBe(2 + 4 + 3 * 5 + 1);
    for (const [name, tensor] of returned) {
      const early = await tensor.read().then(() => null, (error: unknown) => error);
      expect(early, `${name}: read before submitted()`).toBeInstanceOf(XentropyArgumentError);
      expect((early as XentropyArgumentError).op).toBe('GpuTensor.read');
      expect((early as XentropyArgumentError).message).toMatch(/not computed yet: submit the encoder, call encoding\.submitted\(\), then read/);
    }
    // The engine's own queue would run before the caller's submission: such a use is refused as well.
    await expect(engine.gpu.sum(results.sum as GpuTensor)).rejects.toThrow(/gpu\.sum: input is a result of encode\.sum not yet reported submitted/);
    // Within the same encoding the order is the encoder's: allowed.
    const chained = encoding.sum(results.logSoftmax as GpuTensor);
    device.queue.submit([encoder.finish()]);
    await encoding.submitted();
    const [total] = await chained.read();
    expectClose(total!, expectedLogSoftmax.reduce((a, b) => a + b, 0), 'a result chained in the same encoding', { atol: 1e-4, rtol: 1e-5 });
    expectClose(await (results.logSoftmax as GpuTensor).read(), expectedLogSoftmax, 'logSoftmax, read after submitted()');
    for (const [, tensor] of returned) await tensor.read(); // every one reads now
    for (const t of new Set([...returned.map(([, t]) => t), x, labels, probs, soft, out, chained])) t.release();
  });
});
