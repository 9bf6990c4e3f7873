// Load: 1000 concurrent calls of mixed ops and shapes are each right; 10,000 sequential calls
// leave the engine's GPU memory (pool, live buffers, cached dispatches: engine.stats()) flat after warm-up; destroy()
// frees everything. Small shapes, so that this stays quick on CPU-emulated adapters.
import { describe, expect, it } from 'vitest';
import { DISPATCH_CACHE_SIZE } from '../../src/gpu/context.js';
import { createEngine, type Engine, type EngineStats } from '../../src/index.js';
import { expectClose } from '../helpers/compare.js';
import { classTargets, normal, rng } from '../helpers/data.js';
import { useGpuEngine } from '../helpers/engine.js';
import { BufferUsage } from '../../src/gpu/flags.js';

const getEngine = useGpuEngine();
const cpu = await createEngine({ backend: 'cpu' });

const SHAPES: [number, number][] = [[1, 3], [4, 7], [9, 16], [3, 33], [17, 5], [2, 129]];
const OPS = ['crossEntropy', 'logSoftmax', 'softmax', 'sum', 'bceWithLogits', 'entropy', 'klDiv', 'nllLoss', 'softTargets'] as const;

/** Call number `i`: an op and a shape picked from the lists, data from the seed. */
function call(engine: Engine, i: number): Promise<unknown> {
  const op = OPS[i % OPS.length]!;
  const [rows, cols] = SHAPES[Math.floor(i / OPS.length) % SHAPES.length]!;
  const x = normal(rows * cols, 3, i);
  const shape = [rows, cols];
  const probs = (() => {
    const p = new Float32Array(rows * cols).map((_, k) => 0.05 + ((k * 7919 + i) % 13) / 13);
    for (let r = 0; r < rows; r++) {
      const row = p.subarray(r * cols, (r + 1) * cols);
      const total = row.reduce((a, b) => a + b, 0);
      row.forEach((v, k) => (row[k] = v / total));
    }
    return p;
  })();
  switch (op) {
    case 'crossEntropy':
      return engine.crossEntropy(x, classTargets(rows, cols, i, 3), { shape, labelSmoothing: (i % 3) / 10 });
    case 'softTargets':
      return engine.crossEntropy(x, probs, { shape, reduction: 'sum' });
    case 'nllLoss':
      return engine.nllLoss(x, classTargets(rows, cols, i), { shape, reduction: 'none' });
    case 'logSoftmax':
      return engine.logSoftmax(x, { shape });
    case 'softmax':
      return engine.softmax(x, { shape });
    case 'sum':
      return engine.sum(x);
    case 'bceWithLogits':
      return engine.binaryCrossEntropyWithLogits(x, probs, { shape });
    case 'entropy':
      return engine.entropy(probs, { shape, reduction: 'none' });
    case 'klDiv':
      return engine.klDiv(new Float32Array(probs.map(Math.log)), probs.reverse(), { shape, reduction: 'batchmean' });
  }
}

function expectSame(actual: unknown, expected: unknown, label: string): void {
  if (typeof expected === 'number' || expected instanceof Float32Array) {
    expectClose(actual as number | Float32Array, expected, label, { atol: 1e-5, rtol: 1e-4 });
    return;
  }
  const a = actual as Record<string, number | Float32Array>;
  const e = expected as Record<string, number | Float32Array>;
  expect(Object.keys(a).sort(), label).toEqual(Object.keys(e).sort());
  for (const key of Object.keys(e)) expectClose(a[key]!, e[key]!, `${label} ${key}`, { atol: 1e-5, rtol: 1e-4 });
}

describe('load', () => {
  it('1000 concurrent calls of mixed ops and shapes each give the CPU reference result', async () => {
    const engine = getEngine();
    const count = 1000;
    const results = await Promise.all(Array.from({ length: count }, (_, i) => call(engine, i)));
    const expected = await Promise.all(Array.from({ length: count }, (_, i) => call(cpu, i)));
    results.forEach((result, i) => expectSame(result, expected[i], `call ${i} (${OPS[i % OPS.length]})`));
    expect(engine.stats().liveBuffers).toBe(0);
  });

  it('10,000 sequential calls leave the pool, the live buffers and the cached dispatches flat after warm-up', async () => {
    const engine = getEngine();
    const logits = normal(4 * 8, 2, 5);
    const target = classTargets(4, 8, 6);
    const onGpu = engine.gpu.upload(logits);
    const random = rng(7);
    const snapshot = (): EngineStats => engine.stats();
    let afterWarmUp: EngineStats | undefined;
    const warmUp = 200;
    for (let i = 0; i < 10_000; i++) {
      if (i === warmUp) afterWarmUp = snapshot();
      const pick = Math.floor(random() * 4);
      if (pick === 0) {
        const { loss, grad, weightSum } = await engine.gpu.crossEntropy(onGpu, target, { shape: [4, 8] });
        for (const t of [loss, grad!, weightSum]) t.release();
      } else if (pick === 1) {
        (await engine.gpu.logSoftmax(onGpu, { shape: [4, 8] })).release();
      } else if (pick === 2) {
        (await engine.gpu.sum(onGpu)).release();
      } else if (i % 50 === 3) {
        await engine.crossEntropy(logits, target, { shape: [4, 8] }); // host data, with a readback
      } else {
        (await engine.gpu.softmax(onGpu, { shape: [2, 16] })).release();
      }
    }
    const end = snapshot();
    onGpu.release();
    expect(end.liveBuffers, 'only the uploaded input is live').toBe(1);
    expect(end, 'the same buffers and cached dispatches as after warm-up').toEqual(afterWarmUp);
    expect(end.cachedDispatches, 'the dispatch cache stays within its bound').toBeLessThanOrEqual(DISPATCH_CACHE_SIZE);
  });

  it('destroy() frees everything: stats go to zero and the buffers of live results are destroyed', async () => {
    const engine = await createEngine({ backend: 'webgpu', adapter: getEngine().adapterInfo!.source as 'swiftshader', device: getEngine().device! });
    const x = normal(6 * 5, 1, 3);
    const kept = await engine.gpu.logSoftmax(engine.gpu.upload(x), { shape: [6, 5] }); // a result never released
    await engine.crossEntropy(x, classTargets(6, 5, 4), { shape: [6, 5] });
    expect(engine.stats().liveBuffers).toBeGreaterThan(0);
    expect(engine.stats().pooledBuffers).toBeGreaterThan(0);
    engine.destroy();
    expect(engine.stats()).toEqual({ liveBuffers: 0, liveBytes: 0, pooledBuffers: 0, pooledBytes: 0, created: expect.any(Number), cachedDispatches: 0 });
    // The result's buffer is gone: copying from it is a validation error on the (shared, still usable) device.
    const device = getEngine().device!;
    device.pushErrorScope('validation');
    const encoder = device.createCommandEncoder();
    const target = device.createBuffer({ size: 16, usage: BufferUsage.COPY_DST });
    encoder.copyBufferToBuffer(kept.buffer, 0, target, 0, 16);
    device.queue.submit([encoder.finish()]);
    expect((await device.popErrorScope())?.message).toMatch(/destroyed/i);
    target.destroy();
    await expect(engine.logSoftmax(x, { shape: [6, 5] })).rejects.toThrow(/^logSoftmax: engine was destroyed/);
  });
});
