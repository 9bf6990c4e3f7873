// GPU errors: validation errors surface as clear errors naming the op, a WGSL compile error names
// the kernel and the line, the results of a failed batch are released, and the engine stays usable. One engine for
// the file (Dawn's OpenGL ES backend does not survive engines destroyed while others run: see deviceLoss.test.ts).
import { describe, expect, it } from 'vitest';
import { createEngine, type Engine } from '../../src/index.js';
import type { GpuContext } from '../../src/gpu/context.js';
import { expectClose } from '../helpers/compare.js';
import { classTargets, normal } from '../helpers/data.js';
import { useGpuEngine } from '../helpers/engine.js';
import { BufferUsage } from '../../src/gpu/flags.js';

const ROWS = 6;
const COLS = 10;
const logits = normal(ROWS * COLS, 2, 1);
const target = classTargets(ROWS, COLS, 2);
const cpu = await createEngine({ backend: 'cpu' });
const expected = await cpu.crossEntropy(logits, target, { shape: [ROWS, COLS] });
const expectedLogSoftmax = await cpu.logSoftmax(logits, { shape: [ROWS, COLS] });

const getEngine = useGpuEngine();
/** The engine's GpuContext (private): for faults no public call can cause. */
const contextOf = (engine: Engine) => (engine as unknown as { ctx: GpuContext }).ctx;

describe('GPU errors', () => {
  it('a WGSL compile error names the kernel and its line; the engine is usable afterwards', async () => {
    const engine = getEngine();
    const ctx = contextOf(engine);
    const original = ctx.sourceOf;
    // A kernel variant not compiled yet (a shape this file uses nowhere else), broken.
    ctx.sourceOf = (kernel, subgroups) => (kernel === 'log_softmax' ? original(kernel, subgroups).replace('fn main', 'fn main_broken(') : original(kernel, subgroups));
    const before = engine.stats().liveBuffers;
    try {
      await expect(engine.logSoftmax(logits, { shape: [ROWS, COLS] })).rejects.toThrow(/logSoftmax: WGSL compile error: kernel log_softmax \(shaders\/log_softmax\.wgsl\) does not compile: \d+:\d+ .*\(in `fn main_broken\(\(/);
      expect(engine.stats().liveBuffers, 'the result of the failed batch was released').toBe(before);
    } finally {
      ctx.sourceOf = original;
    }
    expectClose(await engine.logSoftmax(logits, { shape: [ROWS, COLS] }), expectedLogSoftmax, 'after the fix');
  });

  it("in a caller's encoder, a kernel that does not compile rejects submitted(), naming it, and the results are released", async () => {
    const engine = getEngine();
    const ctx = contextOf(engine);
    const original = ctx.sourceOf;
    // sum.wgsl is not compiled yet at this point of the file (the tests above use log_softmax and no reduction).
    ctx.sourceOf = (kernel, subgroups) => (kernel === 'sum' ? original(kernel, subgroups).replace('fn main', 'fn main_broken(') : original(kernel, subgroups));
    const input = engine.gpu.upload(logits);
    const before = engine.stats().liveBuffers;
    try {
      const encoder = engine.device!.createCommandEncoder();
      const encoding = engine.gpu.encodeInto(encoder);
      const sum = encoding.sum(input);
      engine.device!.pushErrorScope('validation');
      engine.device!.queue.submit([encoder.finish()]);
      expect(await engine.device!.popErrorScope(), "the caller's finish() sees the invalid pipeline too").not.toBeNull();
      await expect(encoding.submitted()).rejects.toThrow(/encode\.sum: WGSL compile error: kernel sum \(shaders\/sum\.wgsl\) does not compile/);
      expect(sum.isReleased).toBe(true);
      expect(engine.stats().liveBuffers).toBe(before);
    } finally {
      ctx.sourceOf = original;
      input.release();
    }
    expectClose(await engine.sum(logits), logits.reduce((a, b) => a + b, 0), 'sum after the fix', { atol: 1e-5, rtol: 1e-5 });
  });

  it('a destroyed caller buffer is a clear validation error, the results of the failed batch are released', async () => {
    const engine = getEngine();
    const buffer = engine.device!.createBuffer({ size: logits.byteLength, usage: BufferUsage.STORAGE | BufferUsage.COPY_DST });
    engine.device!.queue.writeBuffer(buffer, 0, logits);
    const wrapped = engine.gpu.wrap(buffer, { dtype: 'f32', length: logits.length });
    buffer.destroy();
    const before = engine.stats().liveBuffers;
    await expect(engine.gpu.crossEntropy(wrapped, target, { shape: [ROWS, COLS] })).rejects.toThrow(/xentropy gpu\.crossEntropy: WebGPU validation error: .*destroyed/is);
    expect(engine.stats().liveBuffers).toBe(before);
    expectClose((await engine.crossEntropy(logits, target, { shape: [ROWS, COLS] })).grad!, expected.grad!, 'the next call');
  });

  it('results allocated by a recording that throws are released', async () => {
    const engine = getEngine();
    const ctx = contextOf(engine);
    const before = engine.stats().liveBuffers;
    await expect(
      ctx.submit('failing', () => {
        ctx.allocate(100, 'f32', 'doomed');
        throw new Error('recording failed');
      }),
    ).rejects.toThrow('recording failed');
    expect(engine.stats().liveBuffers).toBe(before);
  });

  it('a buffer beyond the device limit is refused before any GPU work, naming the size and the limit', async () => {
    const engine = getEngine();
    const limit = engine.device!.limits.maxBufferSize;
    expect(() => contextOf(engine).allocate(Math.ceil(limit / 4) + 1024, 'f32', 'huge')).toThrow(/more than this device's maxBufferSize/);
    expect(engine.stats().liveBuffers).toBe(0);
  });

  it('a tensor of another engine is refused, naming the argument', async () => {
    const other = await createEngine({ backend: 'webgpu', adapter: getEngine().adapterInfo!.source as 'swiftshader' });
    try {
      const foreign = other.gpu.upload(logits);
      await expect(getEngine().gpu.logSoftmax(foreign, { shape: [ROWS, COLS] })).rejects.toThrow(/gpu\.logSoftmax: input is a GpuTensor from another engine/);
      foreign.release();
    } finally {
      if (getEngine().adapterInfo!.source !== 'llvmpipe') other.destroy(); // see the header
    }
  });
});
