/**
 * The GPU test fixture: one engine per test file on the adapter the vitest project names (XENTROPY_ADAPTER). With
 * CI set, a missing adapter fails the suite instead of quietly testing the CPU against itself. After each file it
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
    engine = await createEngine({ backend: process.env.CI ? 'webgpu' : 'auto', adapter, tuning: options.tuning ?? 'auto', vec4Io: options.vec4Io ?? false });
    if (engine.backend === 'cpu') console.warn(`[xentropy tests] no WebGPU adapter '${adapter}': running on the CPU fallback`);
    else expect(engine.adapterInfo?.source).toBe(adapter === 'auto' ? engine.adapterInfo?.source : adapter);
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
 * alone): undefined without an adapter, a failure with CI set. Destroyed after the file.
 */
export function useRawDevice(): () => GPUDevice | undefined {
  let device: GPUDevice | undefined;
  let keepAlive: unknown;
  beforeAll(async () => {
    const acquired = await acquireDevice((process.env.XENTROPY_ADAPTER ?? 'auto') as NodeAdapter);
    if (!acquired) {
      if (process.env.CI) throw new Error('no WebGPU adapter');
      return;
    }
    device = acquired.device;
    keepAlive = acquired.keepAlive;
  });
  afterAll(() => {
    device?.destroy();
    keepAlive = undefined;
    void keepAlive;
  });
  return () => device;
}
