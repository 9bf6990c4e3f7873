// Engine lifecycle: a caller's own device is used and never destroyed; pipelines and buffers are reused, not
// recreated; destroy() frees everything; asking for an adapter that does not exist fails clearly or falls back.
import { describe, expect, it } from 'vitest';
import { createEngine, reference, type GpuTensor } from '../../src/index.js';
import { expectClose } from '../helpers/compare.js';
import { classTargets, normal } from '../helpers/data.js';
import { popGpuErrorScopes, pushGpuErrorScopes, useGpuEngine } from '../helpers/engine.js';
import { BufferUsage } from '../../src/gpu/flags.js';

const engine = useGpuEngine();

describe('engine', () => {
  it('reports what it chose', () => {
    const e = engine();
    expect(e.backend).toBe('webgpu');
    expect(['swiftshader', 'llvmpipe', 'vulkan']).toContain(e.adapterInfo!.source);
    expect(e.adapterInfo!.featureLevel).toBe(e.adapterInfo!.source === 'llvmpipe' ? 'compatibility' : 'core');
    expect(e.workgroupSize).toBeGreaterThanOrEqual(64);
  });

  it('uses subgroup reductions exactly when the device has subgroups (and can be told not to)', async () => {
    const e = engine();
    expect(e.subgroups).toBe(e.device!.features.has('subgroups'));
    const without = await createEngine({ device: e.device!, subgroups: false });
    expect(without.subgroups).toBe(false);
    without.destroy();
  });

  it("embeds in a caller's device, and destroy() leaves that device alive", async () => {
    const host = engine();
    const embedded = await createEngine({ device: host.device! });
    expect(embedded.backend).toBe('webgpu');
    expect(embedded.adapterInfo!.source).toBe('external');
    const x = normal(50, 3, 1);
    const t = classTargets(10, 5, 2);
    const r = await embedded.crossEntropy(x, t, { shape: [10, 5] });
    expectClose(r.loss as number, reference.crossEntropy(x, t, 10, 5, { reduction: 'mean', ignoreIndex: -100, grad: false }).loss as number, 'embedded');
    embedded.destroy();
    await expect(embedded.sum(x)).rejects.toThrow(/engine was destroyed/);
    // The host engine (same device) still works.
    expectClose(await host.sum(x), reference.sum(x), 'host after embedded destroy', { atol: 1e-5, rtol: 1e-6 });
  });

  it('steady state: repeated calls create no new buffers or bind groups, and release everything', async () => {
    const e = engine();
    const x = normal(64 * 100, 3, 4);
    const t = classTargets(64, 100, 5);
    await e.crossEntropy(x, t, { shape: [64, 100] });
    const warm = e.stats();
    for (let i = 0; i < 20; i++) await e.crossEntropy(x, t, { shape: [64, 100] });
    const after = e.stats();
    expect(after.created).toBe(warm.created);
    expect(after.cachedDispatches, 'no new bind groups or uniform buffers').toBe(warm.cachedDispatches);
    expect(after.liveBuffers).toBe(0);
  });

  it('trim() frees pooled buffers and later calls still work (no stale cached bind group)', async () => {
    const e = engine();
    const x = normal(64 * 100, 3, 6);
    const t = classTargets(64, 100, 7);
    const first = await e.crossEntropy(x, t, { shape: [64, 100] });
    e.trim();
    expect(e.stats().pooledBuffers).toBe(0);
    const again = await e.crossEntropy(x, t, { shape: [64, 100] });
    expect(again.loss).toBe(first.loss);
    expect(again.grad).toEqual(first.grad);
  });

  it('destroy() frees every buffer and refuses later calls', async () => {
    const e = await createEngine({ adapter: (process.env.XENTROPY_ADAPTER ?? 'auto') as never });
    await e.logSoftmax(normal(30, 1, 1), { shape: [3, 10] });
    e.destroy();
    expect(e.stats().pooledBuffers + e.stats().liveBuffers).toBe(0);
    expect(e.backend).toBe('webgpu');
    await expect(e.logSoftmax(normal(30, 1, 1), { shape: [3, 10] })).rejects.toThrow(/destroyed/);
  });

  it("backend 'webgpu' without such an adapter fails clearly; 'auto' falls back to the CPU", async () => {
    // No real Vulkan GPU on CI machines: 'vulkan' finds none there (on a GPU machine it finds the GPU).
    const auto = await createEngine({ adapter: 'vulkan' });
    if (auto.backend === 'cpu') {
      await expect(createEngine({ backend: 'webgpu', adapter: 'vulkan' })).rejects.toThrow(/no WebGPU adapter was found/);
    } else {
      expect(auto.adapterInfo!.source).toBe('vulkan');
    }
    auto.destroy();
  });
});

describe('memory limits', () => {
  it('logits larger than maxBufferSize are refused with a clear error, and the engine stays usable', async () => {
    const e = engine();
    const limit = e.device!.limits.maxBufferSize;
    const cols = 128256;
    const rows = Math.floor(limit / 4 / cols) + 1;
    expect(rows * cols * 4, 'host memory this test needs (must stay modest)').toBeLessThan(2.5 * 2 ** 30);
    const logits = new Float32Array(rows * cols); // one more row than fits
    const target = new Int32Array(rows);
    const before = e.stats().liveBuffers;
    await expect(e.crossEntropy(logits, target, { shape: [rows, cols] })).rejects.toThrow(/needs one buffer of [\d.]+ GiB, more than this device's maxBufferSize/);
    expect(e.stats().liveBuffers).toBe(before);
    const ok = await e.crossEntropy(new Float32Array(6), Int32Array.from([0, 1]), { shape: [2, 3] });
    expect(ok.loss).toBeCloseTo(Math.log(3), 6);
  });
});

describe('trace', () => {
  it('lists every dispatch a call recorded, in order, with its variant, on any adapter', async () => {
    const e = engine();
    const [rows, cols] = [64, 300];
    const [logits, targets] = [normal(rows * cols, 3, 5), classTargets(rows, cols, 6)];
    const x = e.gpu.upload(logits);
    const t = e.gpu.upload(targets);
    try {
      const plain = await e.crossEntropy(logits, targets, { shape: [rows, cols] });
      const run = await e.trace(() => e.gpu.crossEntropy(x, t, { shape: [rows, cols] }));
      expect((await run.result.loss.read())[0]).toBeCloseTo(plain.loss as number, 6);
      const kernels = run.dispatches.map((d) => d.kernel.replace(/\{.*$/, ''));
      expect(kernels).toEqual(['target_weight_sum', 'cross_entropy', 'sum']);
      for (const d of run.dispatches) {
        expect(d.op).toBe('gpu.crossEntropy');
        expect(d.groups).toBeGreaterThan(0);
        expect(d.reduction).toBe(e.subgroups ? 'subgroup' : 'workgroup');
      }
      [run.result.loss, run.result.grad, run.result.weightSum].forEach((tensor) => tensor?.release());
      // Nothing is recorded outside a trace.
      const after = await e.trace(async () => 1);
      expect(after.dispatches).toEqual([]);
    } finally {
      x.release();
      t.release();
    }
  });

  it('refuses the CPU backend clearly', async () => {
    const cpu = await createEngine({ backend: 'cpu' });
    await expect(cpu.trace(async () => 1)).rejects.toThrow(/CPU backend/);
  });
});

describe('profile', () => {
  it('times each dispatch, or each pass with { perPass: true }, without changing results', async (ctx) => {
    const e = engine();
    if (!e.device!.features.has('timestamp-query')) ctx.skip(`${e.adapterInfo!.source} has no timestamp-query`);
    const [rows, cols] = [64, 300];
    const x = e.gpu.upload(normal(rows * cols, 3, 5));
    const t = e.gpu.upload(classTargets(rows, cols, 6));
    const call = () => e.gpu.crossEntropy(x, t, { shape: [rows, cols] });
    const free = (r: Awaited<ReturnType<typeof call>>) => [r.loss, r.grad, r.weightSum].forEach((tensor) => tensor?.release());
    try {
      await checkProfiles(call, free);
    } finally {
      x.release();
      t.release();
    }
  });

  it('says clearly that a device without timestamp-query cannot profile', async (ctx) => {
    const e = engine();
    const source = e.adapterInfo!.source;
    if (e.device!.features.has('timestamp-query')) ctx.skip(`${source} has timestamp-query (profiled above)`);
    await expect(e.profile(async () => 1)).rejects.toThrow(/timestamp-query/);
  });
});

async function checkProfiles<R extends { loss: GpuTensor; grad?: GpuTensor; weightSum: GpuTensor }>(call: () => Promise<R>, free: (r: R) => void): Promise<void> {
  const e = engine();
  const first = await call();
  const want = (await first.loss.read())[0]!;
  free(first);
  const perDispatch = await e.profile(call);
  const perPass = await e.profile(call, { perPass: true });
  for (const run of [perDispatch, perPass]) {
    expect((await run.result.loss.read())[0]).toBe(want);
    for (const timing of run.timings) expect(timing.ms).toBeGreaterThanOrEqual(0);
  }
  const kernels = perDispatch.timings.map((d) => d.kernel.replace(/\{.*$/, ''));
  expect(kernels).toEqual(expect.arrayContaining(['target_weight_sum', 'cross_entropy', 'sum']));
  expect(perPass.timings.length, 'one pass: the call has no copy between its dispatches').toBe(1);
  expect(perPass.timings[0]!.kernel).toMatch(/^target_weight_sum\{.*\+ cross_entropy\{.*\+ sum\{/);
  expect(perPass.timings[0]!.groups).toBe(perDispatch.timings.reduce((a, d) => a + d.groups, 0));
  free(perDispatch.result);
  free(perPass.result);
}

describe('the GPU test fixture (test/helpers/engine.ts)', () => {
  it('its error scopes catch a GPU error made outside the engine and name it', async () => {
    const device = engine().device!;
    pushGpuErrorScopes(device);
    // MAP_READ goes with COPY_DST only: a validation error, made outside any engine call.
    device.createBuffer({ size: 4, usage: BufferUsage.MAP_READ | BufferUsage.STORAGE }).destroy();
    const errors = await popGpuErrorScopes(device);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^validation error: .*usage/is);
  });
});
