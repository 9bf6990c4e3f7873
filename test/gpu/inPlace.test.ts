// Cross-entropy with the gradient written over the logits (engine.gpu.crossEntropy(..., { inPlace: true })):
// loss and gradient against the f64 reference for every feature of the kernel, on both launch plans (one thread per
// row, and many threads per row as a real GPU gets), split rows, chunks past one storage binding, caller-wrapped
// buffers, the encoder form, and the memory it saves.
import { describe, expect, it } from 'vitest';
import { createEngine, reference, XentropyArgumentError, type CrossEntropyOptions, type Engine, type Reduction } from '../../src/index.js';
import { expectClose } from '../helpers/compare.js';
import { classTargets, logitsFor, normal, rowsPastOneBindingOrSkip, softTargets } from '../helpers/data.js';
import { useBothPlans } from '../helpers/engine.js';
import { BufferUsage } from '../../src/gpu/flags.js';
import { chunksOf, ioOf, traced } from '../helpers/trace.js';

const engines = useBothPlans();

interface Case {
  label: string;
  x: Float32Array;
  target: Int32Array | Float32Array;
  shape: number[];
  options?: Omit<CrossEntropyOptions, 'shape'>;
}

/** Run `c` in place and compare loss, gradient and weightSum with the reference; the gradient is the logits tensor. */
async function checkInPlace(
  e: Engine,
  c: Case,
  spelling: 'inPlace' | 'gradOut' = 'inPlace',
  chunked = false,
): Promise<void> {
  const options = c.options ?? {};
  const dims = c.shape;
  const classDim = options.classDim === undefined ? dims.length - 1 : (options.classDim + dims.length) % dims.length;
  const cols = dims[classDim]!;
  const inner = dims.slice(classDim + 1).reduce((a, b) => a * b, 1);
  const rows = c.x.length / cols;
  const soft = c.target instanceof Float32Array;
  const want = reference.crossEntropy(c.x, c.target, rows, cols, {
    reduction: options.reduction ?? 'mean',
    ignoreIndex: options.ignoreIndex ?? -100,
    grad: true,
    softTarget: soft,
    weight: options.weight as Float32Array | undefined,
    labelSmoothing: options.labelSmoothing,
    inner,
    zLoss: options.zLoss,
    softcap: options.softcap,
    inputs: options.inputs,
  });
  const logits = e.gpu.upload(c.x);
  const labels = e.gpu.upload(c.target);
  const how = spelling === 'inPlace' ? { inPlace: true } : { gradOut: logits };
  const run = await traced(e, () => e.gpu.crossEntropy(logits, labels, { shape: dims, ...options, ...how }));
  const r = run.result;
  try {
    expect(ioOf(run.dispatches, 'crossEntropy'), `${c.label}: the in-place variant ran`).toEqual(['f32-in-place']);
    if (chunked) expect(chunksOf(run.dispatches, 'crossEntropy'), `${c.label}: chunks of rows`).toBeGreaterThan(1);
    expect(r.grad, `${c.label}: the gradient is the logits tensor`).toBe(logits);
    const loss = await r.loss.read();
    expectClose(options.reduction === 'none' ? loss : loss[0]!, want.loss, `${c.label}: loss`);
    expectClose(await logits.read(), want.grad!, `${c.label}: gradient over the logits`);
    expectClose((await r.weightSum.read())[0]!, want.weightSum, `${c.label}: weightSum`); // an f32 sum of weights
    if (options.zLoss) expectClose(options.reduction === 'none' ? await r.zLoss!.read() : (await r.zLoss!.read())[0]!, want.zLoss, `${c.label}: zLoss`);
  } finally {
    for (const t of [logits, labels, r.loss, r.weightSum, r.zLoss]) t?.release();
  }
}

const hard = (rows: number, cols: number, seed: number, ignoredEvery = 3) => ({ x: logitsFor('normal', rows, cols, seed), target: classTargets(rows, cols, seed + 1, ignoredEvery) });

const CASES: Case[] = [
  { label: 'hard labels [65, 1000], every 3rd row ignored', ...hard(65, 1000, 1), shape: [65, 1000] },
  ...(['sum', 'none'] as Reduction[]).map((reduction) => ({ label: `hard labels [7, 257] ${reduction}`, ...hard(7, 257, 2), shape: [7, 257], options: { reduction } })),
  { label: 'masked logits [33, 300]', x: logitsFor('masked', 33, 300, 3, classTargets(33, 300, 4)), target: classTargets(33, 300, 4), shape: [33, 300] },
  { label: 'a NaN row [5, 300] none', x: logitsFor('nan-row', 5, 300, 5), target: classTargets(5, 300, 6), shape: [5, 300], options: { reduction: 'none' } },
  { label: 'soft targets [33, 257]', x: logitsFor('normal', 33, 257, 7), target: softTargets(33, 257, 8), shape: [33, 257] },
  { label: 'soft targets, smoothing, weights [9, 40]', x: logitsFor('normal', 9, 40, 9), target: softTargets(9, 40, 10), shape: [9, 40], options: { labelSmoothing: 0.2, weight: normal(40, 1, 11).map(Math.abs) } },
  { label: 'label smoothing 0.1 with weights [65, 513]', ...hard(65, 513, 12), shape: [65, 513], options: { labelSmoothing: 0.1, weight: normal(513, 1, 13).map(Math.abs) } },
  { label: 'z-loss and softcap [31, 1001] sum', ...hard(31, 1001, 14), shape: [31, 1001], options: { zLoss: 1e-3, softcap: 5, reduction: 'sum' } },
  { label: 'z-loss and softcap, none [6, 99]', ...hard(6, 99, 15), shape: [6, 99], options: { zLoss: 1e-2, softcap: 3, reduction: 'none' } },
  { label: 'probabilities as input [17, 30]', x: softTargets(17, 30, 16), target: classTargets(17, 30, 17, 4), shape: [17, 30], options: { inputs: 'probabilities' } },
  { label: 'classDim 1 [4, 7, 9] (strided, few classes)', x: logitsFor('normal', 36, 7, 18), target: classTargets(36, 7, 19, 5), shape: [4, 7, 9], options: { classDim: 1 } },
  { label: 'classDim 1 [2, 300, 8] (strided, threads share a row)', x: logitsFor('normal', 16, 300, 20), target: classTargets(16, 300, 21, 5), shape: [2, 300, 8], options: { classDim: 1, zLoss: 1e-3 } },
  { label: 'classDim 1, soft targets and smoothing [3, 11, 5]', x: logitsFor('normal', 15, 11, 22), target: softTargets(15, 11, 23), shape: [3, 11, 5], options: { classDim: 1, labelSmoothing: 0.05 } },
];

/** Few long rows: split into segments (PHASE 1 and 2), where the loss needs the target's logit after PHASE 2 wrote it. */
const SPLIT: Case[] = [
  { label: 'split rows [3, 20000], ignored row', ...hard(3, 20000, 24, 2), shape: [3, 20000], options: { reduction: 'none' } },
  { label: 'split rows [2, 65537] with z-loss and softcap', ...hard(2, 65537, 25, 0), shape: [2, 65537], options: { zLoss: 1e-4, softcap: 20 } },
  { label: 'split rows [3, 20000] shift+1e4', x: logitsFor('shift+1e4', 3, 20000, 26), target: classTargets(3, 20000, 27), shape: [3, 20000], options: { reduction: 'sum' } },
];

for (const [plan, engine] of engines) {
  describe(`crossEntropy in place (${plan})`, () => {
    for (const c of [...CASES, ...SPLIT]) it(c.label, () => checkInPlace(engine(), c));

    it('gradOut: the logits tensor itself is the same as inPlace: true', () => checkInPlace(engine(), CASES[0]!, 'gradOut'));

    it('nllLoss in place (log-probabilities)', async () => {
      const e = engine();
      const [rows, cols] = [20, 33];
      const logProbs = Float32Array.from(reference.logSoftmax(logitsFor('normal', rows, cols, 28), rows, cols));
      const target = classTargets(rows, cols, 29, 4);
      const want = reference.nllLoss(logProbs, target, rows, cols, { reduction: 'sum', ignoreIndex: -100, grad: true });
      const x = e.gpu.upload(logProbs);
      const r = await e.gpu.nllLoss(x, target, { shape: [rows, cols], reduction: 'sum', inPlace: true });
      expect(r.grad).toBe(x);
      expectClose((await r.loss.read())[0]!, want.loss as number, 'nll loss');
      expectClose(await x.read(), want.grad!, 'nll gradient over the log-probabilities');
      for (const t of [x, r.loss, r.weightSum]) t.release();
    });
  });
}

describe('crossEntropy in place: where the logits live', () => {
  const engine = engines[0]![1];

  it('logits past one storage binding (chunks of rows, each chunk written in place)', async (ctx) => {
    const e = engine();
    const cols = 128256;
    const rows = rowsPastOneBindingOrSkip(ctx, e.device, cols);
    const label = `[${rows}, ${cols}] in chunks`;
    const c = { label, ...hard(rows, cols, 30, 9), shape: [rows, cols], options: { reduction: 'sum' as const } };
    await checkInPlace(e, c, 'inPlace', true);
  });

  it("a caller's buffer (engine.gpu.wrap) at an odd offset: the gradient lands there, the bytes around it are untouched", async () => {
    const e = engine();
    const device = e.device!;
    const [rows, cols] = [13, 77];
    const n = rows * cols;
    const x = logitsFor('normal', rows, cols, 31);
    const target = classTargets(rows, cols, 32, 4);
    const before = 65; // f32 elements before the logits: byte offset 260, not a multiple of the binding alignment
    const host = new Float32Array(before + n + 3).fill(1234.5);
    host.set(x, before);
    const buffer = device.createBuffer({ size: host.byteLength, usage: BufferUsage.STORAGE | BufferUsage.COPY_SRC | BufferUsage.COPY_DST });
    try {
      device.queue.writeBuffer(buffer, 0, host);
      const logits = e.gpu.wrap(buffer, { dtype: 'f32', length: n, byteOffset: before * 4 });
      const labels = e.gpu.upload(target);
      const r = await e.gpu.crossEntropy(logits, labels, { shape: [rows, cols], inPlace: true });
      expect(r.grad).toBe(logits);
      const want = reference.crossEntropy(x, target, rows, cols, { reduction: 'mean', ignoreIndex: -100, grad: true });
      expectClose((await r.loss.read())[0]!, want.loss as number, 'wrapped: loss');
      const all = (await e.gpu.wrap(buffer, { dtype: 'f32', length: host.length }).read()) as Float32Array;
      expectClose(all.subarray(before, before + n), want.grad!, 'wrapped: gradient in the caller buffer');
      expect([...all.subarray(0, before), ...all.subarray(before + n)].every((v) => v === 1234.5), 'bytes around the logits').toBe(true);
      for (const t of [logits, labels, r.loss, r.weightSum]) t.release();
    } finally {
      buffer.destroy();
    }
  });

  it('the encoder form: in place inside the caller submission', async () => {
    const e = engine();
    const [rows, cols] = [10, 50];
    const x = logitsFor('normal', rows, cols, 33);
    const target = classTargets(rows, cols, 34);
    const logits = e.gpu.upload(x);
    const encoder = e.device!.createCommandEncoder();
    const encoding = e.gpu.encodeInto(encoder);
    const r = encoding.crossEntropy(logits, target, { shape: [rows, cols], inPlace: true });
    e.device!.queue.submit([encoder.finish()]);
    await encoding.submitted();
    expect(r.grad).toBe(logits);
    const want = reference.crossEntropy(x, target, rows, cols, { reduction: 'mean', ignoreIndex: -100, grad: true });
    expectClose(await logits.read(), want.grad!, 'encoded in place');
    for (const t of [logits, r.loss, r.weightSum]) t.release();
  });

  it('clear errors before any GPU work', async () => {
    const e = engine();
    const x = logitsFor('normal', 4, 5, 35);
    const logits = e.gpu.upload(x);
    const labels = e.gpu.upload(Int32Array.from([0, 1, 2, 3]));
    const shape = [4, 5];
    const created = e.stats().created;
    const fails = async (call: () => Promise<unknown>, pattern: RegExp) => {
      await expect(call()).rejects.toThrow(XentropyArgumentError);
      await expect(call()).rejects.toThrow(pattern);
    };
    await fails(() => e.gpu.crossEntropy(logits, labels, { shape, inPlace: true, grad: false }), /gpu\.crossEntropy: inPlace needs grad: true/);
    await fails(() => e.gpu.crossEntropy(x as never, labels, { shape, inPlace: true }), /inPlace needs the logits in a GpuTensor/);
    await fails(() => e.gpu.crossEntropy(logits, labels, { shape, inPlace: 1 as never }), /inPlace must be true or false/);
    const other = e.gpu.upload(new Float32Array(20));
    await fails(() => e.gpu.crossEntropy(logits, labels, { shape, inPlace: true, gradOut: other }), /gradOut and inPlace: true both say where the gradient goes/);
    const shifted = e.gpu.wrap(logits.buffer, { dtype: 'f32', length: 20, byteOffset: 4 });
    await fails(() => e.gpu.crossEntropy(logits, labels, { shape, gradOut: shifted }), /gradOut overlaps the input in the same buffer \(in place: inPlace: true, or gradOut the input tensor itself\)/);
    // Targets in the logits' buffer: WebGPU would refuse the dispatch (read-only and writable bindings of one buffer).
    const device = e.device!;
    const shared = device.createBuffer({ size: 256 + 16, usage: BufferUsage.STORAGE | BufferUsage.COPY_DST | BufferUsage.COPY_SRC });
    try {
      const sharedLogits = e.gpu.wrap(shared, { dtype: 'f32', length: 20 });
      const sharedLabels = e.gpu.wrap(shared, { dtype: 'i32', length: 4, byteOffset: 256 });
      await fails(() => e.gpu.crossEntropy(sharedLogits, sharedLabels, { shape, inPlace: true }), /target is in the same GPUBuffer as the logits/);
    } finally {
      shared.destroy();
    }
    // The host-data form has nothing to write over.
    await fails(() => e.crossEntropy(x, Int32Array.from([0, 1, 2, 3]), { shape, inPlace: true } as CrossEntropyOptions), /option 'inPlace' is not known/);
    expect(e.stats().created, 'no GPU buffer was created').toBe(created);
    for (const t of [logits, labels, other]) t.release();
  });
});

describe('crossEntropy in place: memory', () => {
  it('allocates no buffer of the logits size (pool high-water of a fresh engine: live + pooled bytes)', async () => {
    const adapter = (process.env.XENTROPY_ADAPTER ?? 'auto') as 'auto';
    const e = await createEngine({ adapter });
    try {
      const [rows, cols] = [64, 4096]; // 1 MiB of logits
      const bytes = rows * cols * 4;
      const x = logitsFor('normal', rows, cols, 36);
      const target = classTargets(rows, cols, 37);
      const footprint = () => e.stats().liveBytes + e.stats().pooledBytes; // nothing is destroyed without trim()
      const held = async (inPlace: boolean): Promise<number> => {
        const logits = e.gpu.upload(x);
        const start = footprint();
        const r = await e.gpu.crossEntropy(logits, target, { shape: [rows, cols], inPlace });
        const grew = footprint() - start;
        for (const t of new Set([logits, r.grad!, r.loss, r.weightSum])) t.release();
        return grew;
      };
      const inPlace = await held(true);
      expect(inPlace, `in place the call added ${inPlace} bytes`).toBeLessThan(bytes / 8);
      e.trim();
      const copy = await held(false);
      expect(copy, `with a separate gradient the call added ${copy} bytes`).toBeGreaterThanOrEqual(bytes);
      console.info(`[in place] [${rows}, ${cols}] f32 (${bytes} bytes of logits): the call's buffers ${inPlace} bytes in place, ${copy} bytes with a separate gradient`);
      expect(e.stats().liveBuffers).toBe(0);
    } finally {
      e.destroy();
    }
  });
});
