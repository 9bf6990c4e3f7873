// Device loss: a lost device (destroyed between calls, and while calls run) moves the engine to a
// new device or to the CPU with a 'devicelost' event, and never gives a wrong number.
//
// On llvmpipe, Dawn's OpenGL ES backend (webgpu 0.6.2) brings the process down when a device is used after another
// was destroyed, so there the engine falls back to the CPU, and this file checks only that (one engine per process).
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createEngine, DeviceLostEvent, type Engine, type NodeAdapter } from '../../src/index.js';
import { acquireDevice } from '../../src/gpu/adapter.js';
import { expectClose } from '../helpers/compare.js';
import { classTargets, normal } from '../helpers/data.js';

const adapter = (process.env.XENTROPY_ADAPTER ?? 'auto') as NodeAdapter;
const ROWS = 6;
const COLS = 10;
const logits = normal(ROWS * COLS, 2, 1);
const target = classTargets(ROWS, COLS, 2);
const cpu = await createEngine({ backend: 'cpu' });
const expected = await cpu.crossEntropy(logits, target, { shape: [ROWS, COLS] });

const engines: Engine[] = [];
async function gpuEngine(options: Parameters<typeof createEngine>[0] = {}): Promise<Engine> {
  const engine = await createEngine({ backend: 'webgpu', adapter, ...options });
  engines.push(engine);
  return engine;
}

function lostEvents(engine: Engine): DeviceLostEvent[] {
  const events: DeviceLostEvent[] = [];
  engine.addEventListener('devicelost', (event) => events.push(event as DeviceLostEvent));
  return events;
}

afterEach(() => {
  for (const engine of engines.splice(0)) engine.destroy();
  vi.restoreAllMocks();
});

const onLlvmpipe = adapter === 'llvmpipe';

// Either branch's tests are defined, never skipped: see the header.
if (onLlvmpipe) describe('a lost device on llvmpipe', () => {
  it('moves the engine to the CPU, says so, and computes the same numbers', async () => {
    vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const engine = await gpuEngine();
    const events = lostEvents(engine);
    engine.device!.destroy();
    const result = await engine.crossEntropy(logits, target, { shape: [ROWS, COLS] });
    expectClose(result.grad!, expected.grad!, 'grad on the CPU fallback');
    expect(engine.backend).toBe('cpu');
    expect(events.map((e) => e.backend)).toEqual(['cpu']);
  });
});
else describe('a lost device', () => {
  it('between calls: an engine that owns its device moves to a new one, says so, and computes the same numbers', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const engine = await gpuEngine();
    const events = lostEvents(engine);
    const first = engine.device!;
    expectClose((await engine.crossEntropy(logits, target, { shape: [ROWS, COLS] })).grad!, expected.grad!, 'before');
    first.destroy();
    await engine.settled(); // not needed for correctness (the next call waits for the recovery), only to look at the event
    await new Promise((resolve) => setTimeout(resolve, 0));
    await engine.settled();
    expect(events.map((e) => [e.reason, e.backend])).toEqual([['destroyed', 'webgpu']]);
    expect(warn.mock.calls.some(([text]) => /device was lost/.test(String(text)))).toBe(true);
    expect(engine.backend).toBe('webgpu');
    expect(engine.device).not.toBe(first);
    const after = await engine.crossEntropy(logits, target, { shape: [ROWS, COLS] });
    expectClose(after.loss, expected.loss, 'loss after the loss of the device');
    expectClose(after.grad!, expected.grad!, 'grad after the loss of the device');
    expect(engine.stats().liveBuffers).toBe(0);
  });

  it('while 24 calls run: every call returns the right numbers, and one event is sent', async () => {
    vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const engine = await gpuEngine();
    const events = lostEvents(engine);
    const device = engine.device!;
    const calls = Array.from({ length: 24 }, (_, i) =>
      i % 2 === 0 ? engine.crossEntropy(logits, target, { shape: [ROWS, COLS] }) : engine.logSoftmax(logits, { shape: [ROWS, COLS] }),
    );
    await Promise.resolve();
    device.destroy();
    const results = await Promise.all(calls);
    const logSoftmax = await cpu.logSoftmax(logits, { shape: [ROWS, COLS] });
    results.forEach((result, i) => {
      if (result instanceof Float32Array) expectClose(result, logSoftmax, `call ${i}`);
      else {
        expectClose(result.loss, expected.loss, `call ${i} loss`);
        expectClose(result.grad!, expected.grad!, `call ${i} grad`);
      }
    });
    await engine.settled();
    expect(events).toHaveLength(1);
    expect(engine.backend).toBe('webgpu');
  });

  it("of the caller's device: the engine falls back to the CPU (it cannot replace a device it does not own)", async () => {
    vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const acquired = (await acquireDevice(adapter))!;
    const engine = await gpuEngine({ device: acquired.device, backend: 'auto', adapter: undefined });
    const events = lostEvents(engine);
    const wrapped = engine.gpu.upload(logits);
    acquired.device.destroy();
    const result = await engine.crossEntropy(logits, target, { shape: [ROWS, COLS] });
    expectClose(result.grad!, expected.grad!, 'grad on the CPU fallback');
    expect(engine.backend).toBe('cpu');
    expect(events.map((e) => e.backend)).toEqual(['cpu']);
    // Tensors that lived on the lost device cannot follow: a clear error, not a number.
    await expect(engine.crossEntropy(wrapped, target, { shape: [ROWS, COLS] })).rejects.toThrow(/crossEntropy: logits is a GpuTensor, but this engine runs on the CPU backend/);
    expect(() => engine.gpu.upload(logits)).toThrow(/need the webgpu backend/);
    void acquired.keepAlive;
  });

  it('GpuTensors from the lost device are refused by the new one, naming the argument', async () => {
    vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const engine = await gpuEngine();
    const old = engine.gpu.upload(logits);
    engine.device!.destroy();
    await new Promise((resolve) => setTimeout(resolve, 0));
    await engine.settled();
    await expect(engine.gpu.logSoftmax(old, { shape: [ROWS, COLS] })).rejects.toThrow(/gpu\.logSoftmax: input is a GpuTensor from another engine or from a device that was lost/);
    const fresh = engine.gpu.upload(logits);
    const out = await engine.gpu.logSoftmax(fresh, { shape: [ROWS, COLS] });
    expectClose(await out.read(), await cpu.logSoftmax(logits, { shape: [ROWS, COLS] }), 'logSoftmax on the new device');
    out.release();
    fresh.release();
  });
});

