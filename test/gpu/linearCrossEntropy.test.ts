// Fused linear cross-entropy on the GPU (src/ops/linearCrossEntropy.ts) against the f64 reference, the unfused path
// (host logits -> engine.crossEntropy -> host matmuls of its dlogits) and PyTorch; every option, ignored rows, the
// GPU-resident form, determinism, the memory bound, logits larger than the device's buffer limits, and bad input.
// Tolerances: test/helpers/linearCrossEntropy.ts (loss atol 1e-4 + rtol 1e-5; gradients 1e-4 * max|expected| + rtol 1e-4).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createEngine, XentropyArgumentError, type Engine, type Reduction } from '../../src/index.js';
import { SWIFTSHADER_ICD } from '../../src/gpu/nodeAdapter.js';
import { logitsChunkBytes } from '../../src/ops/linearCrossEntropy.js';
import { expectClose } from '../helpers/compare.js';
import { runOnlyOn, useGpuEngine } from '../helpers/engine.js';
import { expectResult, gradTolerance, LOSS_TOLERANCE, makeProblem, referenceFor, unfused, type ProblemSpec } from '../helpers/linearCrossEntropy.js';

const engine = useGpuEngine();
const REDUCTIONS: Reduction[] = ['mean', 'sum', 'none'];

// Every N in {1, 7, 300}, D in {1, 64, 257}, V in {2, 1000, 50257} at least once (the full product is too slow for
// the f64 reference and SwiftShader), plus D > 4096 (the logits matmul splits its K into accumulating dispatches).
const SHAPES: [number, number, number][] = [
  [1, 1, 2], [7, 64, 1000], [300, 257, 1000], [300, 1, 50257], [7, 64, 50257], [1, 257, 50257], [3, 4100, 9],
];

async function checkBoth(n: number, d: number, v: number, seed: number, spec: ProblemSpec, label: string): Promise<void> {
  const p = makeProblem(n, d, v, seed, spec);
  const got = await engine().linearCrossEntropy(p.hidden, p.weight, p.target, p.options);
  expectResult(got, referenceFor(p), p, `${label} vs f64 reference`);
  expectResult(got, await unfused(engine(), p), p, `${label} vs unfused crossEntropy(matmul)`);
}

describe('linearCrossEntropy: shapes (bias, mean, every 3rd row ignored)', () => {
  for (const [n, d, v] of SHAPES) {
    it(`N=${n} D=${d} V=${v}`, () => checkBoth(n, d, v, n * 31 + d * 7 + v, { bias: true, ignoredEvery: 3 }, `[${n}, ${d}] x [${v}, ${d}]`));
  }
});

describe('linearCrossEntropy: options', () => {
  const OPTIONS: [string, ProblemSpec][] = [
    ['plain', {}],
    ['bias', { bias: true }],
    ['classWeight', { classWeight: true, ignoredEvery: 4 }],
    ['labelSmoothing 0.1', { labelSmoothing: 0.1, ignoredEvery: 4 }],
    ['zLoss 1e-3', { zLoss: 1e-3, ignoredEvery: 4 }],
    ['softcap 3', { softcap: 3, bias: true }],
    ['ignoreIndex 5 (a class index)', { ignoreIndex: 5, ignoredEvery: 3 }],
    ['grad false', { grad: false, bias: true }],
    ['every option', { bias: true, classWeight: true, labelSmoothing: 0.2, zLoss: 2e-3, softcap: 4, ignoreIndex: 1, ignoredEvery: 3 }],
  ];
  for (const [name, spec] of OPTIONS) {
    it(`${name}: mean, sum, none`, async () => {
      for (const reduction of REDUCTIONS) await checkBoth(45, 40, 70, 11, { ...spec, reduction }, `${name} ${reduction}`);
    });
  }
  it('every option on [7, 64] x [1000, 64]', () =>
    checkBoth(7, 64, 1000, 5, { bias: true, classWeight: true, labelSmoothing: 0.05, zLoss: 1e-4, softcap: 6, ignoredEvery: 2 }, 'every option 7x64x1000'));

  it('all rows ignored: mean is NaN with zero gradients, sum is 0, weightSum 0 (as crossEntropy)', async () => {
    const p = makeProblem(9, 8, 17, 3, { bias: true, ignoredEvery: 1 });
    const mean = await engine().linearCrossEntropy(p.hidden, p.weight, p.target, p.options);
    expect(mean.loss).toBeNaN();
    expect(mean.weightSum).toBe(0);
    for (const g of [mean.gradHidden!, mean.gradWeight!, mean.gradBias!]) expect(g.every((x) => x === 0)).toBe(true);
    const sum = await engine().linearCrossEntropy(p.hidden, p.weight, p.target, { ...p.options, reduction: 'sum' });
    expect(sum.loss).toBe(0);
  });
});

describe('linearCrossEntropy: PyTorch fixture (test/fixtures/linear_cross_entropy.json)', () => {
  interface Case {
    name: string; rows: number; dim: number; vocab: number; hidden: number[]; weight: number[]; target: number[];
    options: { reduction: Reduction; bias?: number[]; classWeight?: number[]; labelSmoothing?: number; zLoss?: number; softcap?: number; ignoreIndex?: number };
    loss: number[]; weightSum: number; gradHidden: number[]; gradWeight: number[]; gradBias?: number[];
  }
  const cases: Case[] = JSON.parse(readFileSync(new URL('../fixtures/linear_cross_entropy.json', import.meta.url), 'utf8')).cases;
  it(`${cases.length} cases: every option and reduction, ignored rows`, async () => {
    expect(cases.length).toBeGreaterThanOrEqual(15);
    for (const c of cases) {
      const { bias, classWeight, ...rest } = c.options;
      const options = { ...rest, shape: [c.rows, c.dim], ...(bias ? { bias: Float32Array.from(bias) } : {}), ...(classWeight ? { classWeight: Float32Array.from(classWeight) } : {}) };
      const got = await engine().linearCrossEntropy(Float32Array.from(c.hidden), Float32Array.from(c.weight), Int32Array.from(c.target), options);
      const loss = c.options.reduction === 'none' ? c.loss : c.loss[0]!;
      expectResult(got, { loss, weightSum: c.weightSum, gradHidden: c.gradHidden, gradWeight: c.gradWeight, gradBias: c.gradBias }, { options }, `torch: ${c.name}`);
    }
  });
});

describe('linearCrossEntropy: GPU-resident form, determinism, memory', () => {
  it('engine.gpu.linearCrossEntropy gives the host form bit for bit, twice (deterministic), and releases cleanly', async () => {
    const e = engine();
    const p = makeProblem(70, 33, 300, 17, { bias: true, zLoss: 1e-3, ignoredEvery: 5 });
    const host = await e.linearCrossEntropy(p.hidden, p.weight, p.target, p.options);
    const again = await e.linearCrossEntropy(p.hidden, p.weight, p.target, p.options);
    const [h, w, t, b] = [e.gpu.upload(p.hidden), e.gpu.upload(p.weight), e.gpu.upload(p.target), e.gpu.upload(p.options.bias!)];
    const r = await e.gpu.linearCrossEntropy(h, w, t, { ...p.options, bias: b });
    const [loss, gh, gw, gb, ws, z] = await Promise.all([r.loss, r.gradHidden!, r.gradWeight!, r.gradBias!, r.weightSum, r.zLoss!].map((x) => x.read()));
    for (const x of [h, w, t, b, r.loss, r.gradHidden!, r.gradWeight!, r.gradBias!, r.weightSum, r.zLoss!]) x.release();
    for (const other of [again, { loss: loss![0]!, gradHidden: gh, gradWeight: gw, gradBias: gb, weightSum: ws![0]!, zLoss: z![0]! }]) {
      expect(other.loss).toBe(host.loss);
      expect(other.zLoss).toBe(host.zLoss);
      expect(other.weightSum).toBe(host.weightSum);
      expect(Array.from(other.gradHidden!)).toEqual(Array.from(host.gradHidden!));
      expect(Array.from(other.gradWeight!)).toEqual(Array.from(host.gradWeight!));
      expect(Array.from(other.gradBias!)).toEqual(Array.from(host.gradBias!));
    }
  });

  it('extra GPU memory is O(N + V): 2 chunks of logits at most, far below N x V x 4 bytes', async () => {
    const e = engine();
    const [n, d, v] = [300, 8, 50257];
    const p = makeProblem(n, d, v, 23, { bias: true, ignoredEvery: 7 });
    const inputs = [e.gpu.upload(p.hidden), e.gpu.upload(p.weight), e.gpu.upload(p.target), e.gpu.upload(p.options.bias!)];
    e.trim();
    const before = e.stats();
    const r = await e.gpu.linearCrossEntropy(inputs[0]!, inputs[1]!, inputs[2]!, { ...p.options, bias: inputs[3]! });
    await e.device!.queue.onSubmittedWorkDone();
    const after = e.stats();
    // The pool keeps every buffer released during the call, so live + pooled after it bounds what the call held at once.
    const results = [r.loss, r.gradHidden!, r.gradWeight!, r.gradBias!, r.weightSum];
    const resultBytes = results.reduce((s, t) => s + t.byteLength, 0);
    const extra = after.liveBytes + after.pooledBytes - (before.liveBytes + before.pooledBytes) - resultBytes;
    const logitsBytes = n * v * 4;
    const bound = 2 * Math.max(logitsChunkBytes(e.tuning!), 4 * v) * 1.25 + 64 * (n + v) + (1 << 20); // pool rounding, O(N + V), small
    console.log(`[linearCrossEntropy memory] N=${n} D=${d} V=${v}: extra ${(extra / 2 ** 20).toFixed(2)} MiB (bound ${(bound / 2 ** 20).toFixed(2)} MiB), logits would be ${(logitsBytes / 2 ** 20).toFixed(1)} MiB`);
    expect(extra).toBeLessThanOrEqual(bound);
    expect(extra).toBeLessThan(logitsBytes / 2);
    // Correctness is checked elsewhere; here only that the call did its work (weightSum: the non-ignored row count).
    const [[loss], [weightSum]] = await Promise.all([r.loss.read(), r.weightSum.read()]);
    expect(Number.isFinite(loss)).toBe(true);
    expect(weightSum).toBe(p.target.filter((t) => t !== -100).length);
    for (const t of [...results, ...inputs]) t.release();
    e.trim();
  });
});

describe('linearCrossEntropy: logits beyond the device buffer limits', () => {
  it('a device with WebGPU default limits: N x V x 4 > maxBufferSize and maxStorageBufferBindingSize, right loss and gradients', async (ctx) => {
    // Its own device with default limits and no features (so no subgroups): the same kernels and chunks on both
    // software adapters.
    runOnlyOn(ctx, 'llvmpipe', 'a default-limits device without features runs the same kernels there, 2.5x faster');
    // A second device from the same adapter kind, requested with the default limits a browser hands out (256 MiB
    // buffers, 128 MiB bindings), so the shape stays affordable on a CPU adapter. D = 2 keeps N x D and V x D small.
    // The caller picks the driver as README "Your own device in Node" shows (the engine leaves process.env as it was).
    const dawn = (await import('webgpu')) as unknown as { create(o: string[]): GPU };
    const llvmpipe = process.env.XENTROPY_ADAPTER === 'llvmpipe';
    const saved = { VK_ICD_FILENAMES: process.env.VK_ICD_FILENAMES, EGL_PLATFORM: process.env.EGL_PLATFORM };
    if (llvmpipe) process.env.EGL_PLATFORM ??= 'surfaceless';
    else process.env.VK_ICD_FILENAMES ??= process.env.XENTROPY_SWIFTSHADER_ICD ?? SWIFTSHADER_ICD;
    const gpu = dawn.create(llvmpipe ? ['backend=opengles'] : []);
    const adapter = await gpu.requestAdapter(
      llvmpipe ? ({ featureLevel: 'compatibility' } as GPURequestAdapterOptions) : undefined,
    );
    expect(adapter, 'an adapter for the default-limits device').not.toBeNull();
    const device = await adapter!.requestDevice();
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
    let small: Engine | undefined;
    try {
      small = await createEngine({ device });
      const limits = device.limits;
      const [d, v] = [2, 32768];
      const n = Math.ceil(Math.max(limits.maxBufferSize, limits.maxStorageBufferBindingSize) / (4 * v)) + 51;
      expect(n * v * 4).toBeGreaterThan(limits.maxBufferSize);
      expect(n * v * 4).toBeGreaterThan(limits.maxStorageBufferBindingSize);
      const p = makeProblem(n, d, v, 29, { bias: true, ignoredEvery: 9, zLoss: 1e-4 });
      const got = await small.linearCrossEntropy(p.hidden, p.weight, p.target, p.options);
      expectResult(got, referenceFor(p), p, `N=${n} D=${d} V=${v} (logits ${((n * v * 4) / 2 ** 20).toFixed(0)} MiB > maxBufferSize ${(limits.maxBufferSize / 2 ** 20).toFixed(0)} MiB)`);
      // The unfused path cannot even hold the logits here.
      await expect(small.crossEntropy(new Float32Array(n * v), p.target, { shape: [n, v] })).rejects.toThrow(/maxBufferSize/);
      expect(small.stats().liveBuffers).toBe(0);
    } finally {
      small?.destroy();
      device.destroy();
    }
  });
});

describe('linearCrossEntropy: bad input is refused before any GPU work', () => {
  it('names the argument and creates no buffer', async () => {
    const e = engine();
    const p = makeProblem(4, 3, 5, 1, { bias: true });
    const created = e.stats().created;
    const call = (hidden: Float32Array, weight: Float32Array, target: Int32Array, options: object) =>
      e.linearCrossEntropy(hidden, weight, target, options as never);
    const o = p.options;
    await expect(call(p.hidden, p.weight.subarray(1), p.target, o)).rejects.toThrow(/weight has 14 elements, not a positive multiple of hidden's last dimension \(3\)/);
    await expect(call(p.hidden, p.weight, p.target, { ...o, shape: [4, 4] })).rejects.toThrow(/hidden has 12 elements but shape \[4, 4\]/);
    // One target per row of hidden: the message names hidden, not the logits crossEntropy's own check speaks of.
    await expect(call(p.hidden, p.weight, p.target.subarray(1), o)).rejects.toThrow(/target has 3 elements but hidden has 4 rows$/);
    await expect(call(p.hidden, p.weight, Int32Array.from([0, 1, 5, 2]), o)).rejects.toThrow(/target\[2\] is 5, outside \[0, 5\)/);
    await expect(call(p.hidden, p.weight, p.target, { ...o, bias: new Float32Array(4) })).rejects.toThrow(/bias has 4 elements/);
    await expect(call(p.hidden, p.weight, p.target, { ...o, classWeight: [1, 1, 1] })).rejects.toThrow(/classWeight has 3 elements/);
    await expect(call(p.hidden, p.weight, p.target, { ...o, classWeight: [1, 1, -1, 1, 1] })).rejects.toThrow(/classWeight\[2\] is -1/);
    await expect(call(p.hidden, p.weight, p.target, { ...o, weight: [1, 1, 1, 1, 1] })).rejects.toThrow(/option 'weight' is not known.*classWeight/);
    await expect(call(p.hidden, p.weight, p.target, { ...o, labelSmoothing: 1.5 })).rejects.toThrow(/labelSmoothing must be/);
    await expect(call(p.hidden, p.weight, p.target, { ...o, softcap: 0 })).rejects.toThrow(/softcap must be/);
    await expect(call(p.hidden, p.weight, p.target, { ...o, zLoss: -1 })).rejects.toThrow(/zLoss must be/);
    await expect(call(p.hidden, p.weight, p.target, { ...o, reduction: 'batchmean' })).rejects.toThrow(XentropyArgumentError);
    expect(e.stats().created).toBe(created);
  });

  it('a GPU-resident target of the wrong length names hidden, in both forms', async () => {
    const e = engine();
    const p = makeProblem(4, 3, 5, 1, {});
    const [h, w, t] = [e.gpu.upload(p.hidden), e.gpu.upload(p.weight), e.gpu.upload(p.target.subarray(1))];
    try {
      await expect(e.linearCrossEntropy(p.hidden, p.weight, t, p.options)).rejects.toThrow(/target has 3 elements but hidden has 4 rows$/);
      await expect(e.gpu.linearCrossEntropy(h, w, t, p.options)).rejects.toThrow(/target has 3 elements but hidden has 4 rows$/);
    } finally {
      for (const x of [h, w, t]) x.release();
    }
  });
});

describe('linearCrossEntropy: GPU-resident targets are checked on the GPU', () => {
  it('an out-of-range target makes its row NaN (gpu form) and the host form throws, releasing everything', async () => {
    const e = engine();
    const p = makeProblem(6, 3, 5, 2, { reduction: 'none' });
    const bad = Int32Array.from(p.target);
    bad[2] = 99;
    const t = e.gpu.upload(bad);
    try {
      await expect(e.linearCrossEntropy(p.hidden, p.weight, t, p.options)).rejects.toThrow(/^linearCrossEntropy: target\[2\] is 99, outside \[0, 5\)/);
      const [h, w] = [e.gpu.upload(p.hidden), e.gpu.upload(p.weight)];
      const r = await e.gpu.linearCrossEntropy(h, w, t, p.options);
      const [loss, ws] = await Promise.all([r.loss.read(), r.weightSum.read()]);
      for (const x of [h, w, r.loss, r.gradHidden!, r.gradWeight!, r.weightSum]) x.release();
      expect(Array.from(loss, (x) => Number.isNaN(x))).toEqual([false, false, true, false, false, false]);
      expect(ws[1]).toBe(1);
    } finally {
      t.release();
    }
  });
});

describe('linearCrossEntropy: the result does not depend on the chunking', () => {
  it('rows spanning several chunks equal the reference row by row (reduction none)', async () => {
    // V = 50257 gives chunks of 41 rows: 100 rows are three chunks, the last one partial.
    const p = makeProblem(100, 4, 50257, 41, { reduction: 'none', bias: true, ignoredEvery: 6, softcap: 5 });
    const got = await engine().linearCrossEntropy(p.hidden, p.weight, p.target, p.options);
    const want = referenceFor(p);
    expectClose(got.loss as Float32Array, want.loss as Float64Array, 'row losses across chunks', LOSS_TOLERANCE);
    expectClose(got.gradHidden!, want.gradHidden!, 'gradHidden across chunks', gradTolerance(want.gradHidden!));
    expectClose(got.gradWeight!, want.gradWeight!, 'gradWeight across chunks', gradTolerance(want.gradWeight!));
  });
});
