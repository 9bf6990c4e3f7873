/**
 * The GPU test fixture: one engine per test file on the adapter the vitest project names (XENTROPY_ADAPTER). A
 * missing adapter fails the file, never tests the CPU against itself (vitest.config.ts runs a project's tests only
 * where its adapter was found, so this is a last guard). After each file it
 * checks that no buffer was leaked and destroys the engine. `tuning` forces a launch plan ('gpu' on SwiftShader runs
 * the many-threads-per-row kernels a real GPU gets), so both plans are tested on every adapter; `vec4Io` the
 * engine option of that name.
 */
import { afterAll, beforeAll, expect } from 'vitest';
import { acquireDevice } from '../../src/gpu/adapter.js';
import { createEngine, type Engine, type NodeAdapter } from '../../src/index.js';

export function useGpuEngine(options: { tuning?: 'auto' | 'cpu' | 'gpu'; vec4Io?: boolean } = {}): () => Engine {
  let engine: Engine | undefined;
  beforeAll(async () => {
    const adapter = (process.env.XENTROPY_ADAPTER ?? 'auto') as NodeAdapter;
    const tuning = options.tuning ?? 'auto';
    engine = await createEngine({ backend: 'webgpu', adapter, tuning, vec4Io: options.vec4Io ?? false });
    expect(engine.adapterInfo?.source).toBe(adapter === 'auto' ? engine.adapterInfo?.source : adapter);
  });
  afterAll(() => {
    if (!engine) return;
    const stats = engine.stats();
    engine.destroy();
    expect(stats.liveBuffers, 'buffers still handed out after the tests: a leak').toBe(0);
  });
  return () => {
    if (!engine) throw new Error('engine not ready');
    return engine;
  };
}

/**
 * Both launch plans on the project's adapter, labelled: the adapter's own, and the many-threads-per-row plan of a real
 * GPU (tuning 'gpu'); `options` go to both engines.
 */
export function useBothPlans(options: { vec4Io?: boolean } = {}): [string, () => Engine][] {
  return [
    ['adapter plan', useGpuEngine(options)],
    ['many threads per row', useGpuEngine({ ...options, tuning: 'gpu' })],
  ];
}

/**
 * A bare device on the vitest project's adapter, for tests that drive a GpuContext directly (the matmul kernels
 * alone); the file fails without one. Destroyed after the file.
 */
export function useRawDevice(): () => GPUDevice {
  let device: GPUDevice | undefined;
  let keepAlive: unknown;
  beforeAll(async () => {
    const adapter = (process.env.XENTROPY_ADAPTER ?? 'auto') as NodeAdapter;
    const acquired = await acquireDevice(adapter);
    if (!acquired) throw new Error(`no WebGPU adapter '${adapter}'`);
    device = acquired.device;
    keepAlive = acquired.keepAlive;
  });
  afterAll(() => {
    device?.destroy();
    keepAlive = undefined;
    void keepAlive;
  });
  return () => {
    if (!device) throw new Error('device not ready');
    return device;
  };
}
