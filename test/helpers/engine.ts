/**
 * The GPU test fixture: one engine per test file on the adapter the vitest project names (XENTROPY_ADAPTER). A
 * missing adapter fails the file, never tests the CPU against itself (vitest.config.ts runs a project's tests only
 * where its adapter was found, so this is a last guard). Each test runs inside a validation and an out-of-memory
 * error scope of the engine's device, and fails on any error they caught (the engine's calls catch their own errors
 * in their own scopes and throw them; these catch the rest: uploads, reads, wraps, a caller's encoder). After each
 * file it checks that no buffer was leaked and destroys the engine. `tuning` forces a launch plan ('gpu' on SwiftShader
 * runs the many-threads-per-row kernels a real GPU gets), so both plans are tested on every adapter; the other
 * options go to createEngine as they are.
 */
import { afterAll, afterEach, beforeAll, beforeEach, expect } from 'vitest';
import { acquireDevice } from '../../src/gpu/adapter.js';
import { createEngine, type Engine, type EngineOptions, type NodeAdapter } from '../../src/index.js';

/** The engine options a fixture may set (the device and adapter are the fixture's). */
export type FixtureOptions = Omit<EngineOptions, 'backend' | 'device' | 'adapter'>;

/** Push a validation and an out-of-memory error scope on `device` (popGpuErrorScopes pops both). */
export function pushGpuErrorScopes(device: GPUDevice): void {
  device.pushErrorScope('validation');
  device.pushErrorScope('out-of-memory');
}

/**
 * Pop the two scopes pushGpuErrorScopes pushed and return the messages of the errors they caught. A device lost since
 * (deliberately, or replaced by the engine) reports none: its scopes may be gone with it.
 */
export async function popGpuErrorScopes(device: GPUDevice, lost: () => boolean = () => false): Promise<string[]> {
  const [memory, validation] = await Promise.allSettled([device.popErrorScope(), device.popErrorScope()]);
  const errors: string[] = [];
  for (const [kind, result] of [['out of memory', memory], ['validation error', validation]] as const) {
    if (result.status === 'rejected') {
      if (!lost()) errors.push(`popErrorScope failed on a live device: ${String(result.reason)}`);
    } else if (result.value) {
      errors.push(`${kind}: ${result.value.message}`);
    }
  }
  return errors;
}

/**
 * Run each test of the file inside pushGpuErrorScopes on the device `device()` gives at its start; fail the test
 * naming every error caught. Hooks registered here run after the fixture's beforeAll (which makes the device).
 */
export function catchGpuErrors(device: () => GPUDevice | null | undefined): void {
  let scoped: GPUDevice | null = null;
  const lost = new WeakSet<GPUDevice>();
  const watched = new WeakSet<GPUDevice>();
  beforeEach(() => {
    scoped = device() ?? null;
    if (scoped === null) throw new Error('catchGpuErrors: no device to watch');
    if (!watched.has(scoped)) {
      watched.add(scoped);
      const d = scoped;
      void d.lost.then(() => lost.add(d));
    }
    pushGpuErrorScopes(scoped);
  });
  afterEach(async () => {
    const d = scoped;
    scoped = null;
    if (d === null) throw new Error('catchGpuErrors: afterEach without its beforeEach');
    const errors = await popGpuErrorScopes(d, () => lost.has(d));
    expect(errors, `GPU errors during the test (outside the engine's own scopes):\n${errors.join('\n')}`).toEqual([]);
  });
}

export function useGpuEngine(options: FixtureOptions = {}): () => Engine {
  let engine: Engine | undefined;
  beforeAll(async () => {
    const adapter = (process.env.XENTROPY_ADAPTER ?? 'auto') as NodeAdapter;
    engine = await createEngine({ ...options, backend: 'webgpu', adapter });
    expect(engine.adapterInfo?.source).toBe(adapter === 'auto' ? engine.adapterInfo?.source : adapter);
  });
  catchGpuErrors(() => engine?.device);
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
export function useBothPlans(options: FixtureOptions = {}): [string, () => Engine][] {
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
  catchGpuErrors(() => device);
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

/** The Node GPU projects whose adapter this machine has (vitest.config.ts sets XENTROPY_FOUND). */
const FOUND = (process.env.XENTROPY_FOUND ?? '').split(',').filter(Boolean);

/**
 * For a case whose kernels and launch plan are the same on both software adapters (no subgroup or other
 * feature-dependent code) and that one of them runs far faster: skip the test, saying where it runs and `why`, unless
 * this project's adapter is `adapter`, or `adapter` is missing on this machine (then every project runs it), or this
 * project is not a software adapter (a hardware GPU runs everything).
 */
export function runOnlyOn(
  ctx: { skip: (note?: string) => never },
  adapter: 'swiftshader' | 'llvmpipe',
  why: string,
): void {
  const here = process.env.XENTROPY_ADAPTER ?? 'auto';
  const software = here === 'swiftshader' || here === 'llvmpipe';
  if (software && here !== adapter && FOUND.includes(adapter)) ctx.skip(`runs on the ${adapter} project only: ${why}`);
}
