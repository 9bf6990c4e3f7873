// f16 tensors: upload (rounded on the host, ties to even), read (exact widening), wrap, and cross-entropy
// and log-softmax over f16 logits: f32 math and sums, an f16 gradient / output, each value rounded once.
//
// The reference is the f64 one computed on the f16-rounded logits (what the GPU holds). Tolerances:
// - losses: the f32 tolerance of every other test (atol 1e-6, rtol 1e-5): the inputs are exact, the math is f32;
// - f16 gradients and log-softmax outputs: the f32 tolerance plus one f16 rounding of the result, half an f16 ulp:
//   2^-11 relative (2^-25 absolute below 2^-14, f16's subnormals): atol 1.1e-6, rtol 5e-4 (2^-11 + 1e-5 = 4.98e-4).
//
// Which f16 path runs is reported (console) and checked: array<f16> where the device has shader-f16, else pairs packed
// in u32 words, with plain word stores where every row starts on a word and atomic stores of each half elsewhere. SwiftShader and llvmpipe have no shader-f16, so here the packed path
// is what runs; bench/core.ts' ce-fwd-bwd-f16 op shows the native path on a GPU that has it.
import { describe, expect, it } from 'vitest';
import { createEngine, fromFloat16Bits, reference, roundToFloat16, toFloat16Bits, XentropyArgumentError, type CrossEntropyOptions, type Engine } from '../../src/index.js';
import { expectClose, type Tolerance } from '../helpers/compare.js';
import { classTargets, logitsFor, normal, rng, rowsPastOneBindingOrSkip, softTargets } from '../helpers/data.js';
import { useBothPlans } from '../helpers/engine.js';
import { BufferUsage } from '../../src/gpu/flags.js';
import { chunksOf, ioOf, traced, variantsOf } from '../helpers/trace.js';

const F16_RESULT: Tolerance = { atol: 1.1e-6, rtol: 5e-4 };

const engines = useBothPlans();

interface Case {
  label: string;
  x: Float32Array;
  target: Int32Array | Float32Array;
  shape: number[];
  options?: Omit<CrossEntropyOptions, 'shape'>;
}

/** f16 logits (x rounded on upload) against the reference on the rounded values; in place or with a new gradient. */
async function checkF16(e: Engine, c: Case, inPlace = false, chunked = false): Promise<void> {
  const options = c.options ?? {};
  const dims = c.shape;
  const classDim = options.classDim === undefined ? dims.length - 1 : (options.classDim + dims.length) % dims.length;
  const cols = dims[classDim]!;
  const inner = dims.slice(classDim + 1).reduce((a, b) => a * b, 1);
  const rows = c.x.length / cols;
  const rounded = roundToFloat16(c.x);
  const want = reference.crossEntropy(rounded, c.target, rows, cols, {
    reduction: options.reduction ?? 'mean',
    ignoreIndex: options.ignoreIndex ?? -100,
    grad: true,
    softTarget: c.target instanceof Float32Array,
    weight: options.weight as Float32Array | undefined,
    labelSmoothing: options.labelSmoothing,
    inner,
    zLoss: options.zLoss,
    softcap: options.softcap,
  });
  const logits = e.gpu.upload(c.x, { dtype: 'f16' });
  const labels = e.gpu.upload(c.target);
  const run = await traced(e, () => e.gpu.crossEntropy(logits, labels, { shape: dims, ...options, inPlace }));
  const r = run.result;
  const label = `${c.label}${inPlace ? ' in place' : ''}`;
  try {
    // The f16 element I/O ran (array<f16> where the device has shader-f16, else packed pairs), in place when asked.
    for (const io of ioOf(run.dispatches, 'crossEntropy')) {
      const f16Io = e.shaderF16 ? /^f16(-in-place)?$/ : /^f16-packed(-even)?(-in-place)?$/;
      expect(io, `${label}: element I/O`).toMatch(f16Io);
      expect(io.endsWith('-in-place'), `${label}: ${io} in place`).toBe(inPlace);
    }
    if (chunked) expect(chunksOf(run.dispatches, 'crossEntropy'), `${label}: chunks of rows`).toBeGreaterThan(1);
    expect(r.grad!.dtype, `${label}: gradient dtype`).toBe('f16');
    if (inPlace) expect(r.grad).toBe(logits);
    const loss = await r.loss.read();
    expectClose(options.reduction === 'none' ? loss : loss[0]!, want.loss, `${label}: loss`);
    expectClose(await r.grad!.read(), want.grad!, `${label}: f16 gradient`, F16_RESULT);
  } finally {
    for (const t of new Set([logits, labels, r.loss, r.grad!, r.weightSum, r.zLoss])) t?.release();
  }
}

const hard = (rows: number, cols: number, seed: number, ignoredEvery = 3) => ({ x: logitsFor('normal', rows, cols, seed), target: classTargets(rows, cols, seed + 1, ignoredEvery) });

// Odd row lengths and odd totals: rows start in the middle of a u32 word, neighbouring threads share words.
const CASES: Case[] = [
  { label: '[1, 1]', ...hard(1, 1, 1, 0), shape: [1, 1] },
  { label: '[7, 3] (21 values)', ...hard(7, 3, 2), shape: [7, 3] },
  { label: '[5, 257] sum', ...hard(5, 257, 3), shape: [5, 257], options: { reduction: 'sum' } },
  { label: '[65, 1001] none', ...hard(65, 1001, 4), shape: [65, 1001], options: { reduction: 'none' } },
  { label: '[64, 1000] masked', x: logitsFor('masked', 64, 1000, 5, classTargets(64, 1000, 6)), target: classTargets(64, 1000, 6), shape: [64, 1000] },
  { label: '[5, 301] NaN row', x: logitsFor('nan-row', 5, 301, 7), target: classTargets(5, 301, 8), shape: [5, 301], options: { reduction: 'none' } },
  { label: 'soft targets [9, 41]', x: logitsFor('normal', 9, 41, 9), target: softTargets(9, 41, 10), shape: [9, 41] },
  { label: 'smoothing 0.1, weights [33, 99]', ...hard(33, 99, 11), shape: [33, 99], options: { labelSmoothing: 0.1, weight: normal(99, 1, 12).map(Math.abs) } },
  { label: 'z-loss and softcap [17, 333] none', ...hard(17, 333, 13), shape: [17, 333], options: { zLoss: 1e-3, softcap: 4, reduction: 'none' } },
  { label: 'classDim 1 [3, 5, 7]', x: logitsFor('normal', 21, 5, 14), target: classTargets(21, 5, 15, 4), shape: [3, 5, 7], options: { classDim: 1 } },
  { label: 'split rows [3, 20001]', ...hard(3, 20001, 16, 0), shape: [3, 20001], options: { reduction: 'sum' } },
];

// Even row lengths: every row starts on a word, so the packed path takes plain word stores (element_io_f16_packed_even).
const EVEN_CASES: Case[] = [
  { label: '[7, 2]', ...hard(7, 2, 31), shape: [7, 2] },
  { label: '[5, 258] sum', ...hard(5, 258, 32), shape: [5, 258], options: { reduction: 'sum' } },
  { label: '[65, 1002] none', ...hard(65, 1002, 33), shape: [65, 1002], options: { reduction: 'none' } },
  { label: 'soft targets [9, 42]', x: logitsFor('normal', 9, 42, 34), target: softTargets(9, 42, 35), shape: [9, 42] },
  { label: 'smoothing 0.1, weights [33, 98]', ...hard(33, 98, 36), shape: [33, 98], options: { labelSmoothing: 0.1, weight: normal(98, 1, 37).map(Math.abs) } },
  { label: 'z-loss and softcap [17, 334] none', ...hard(17, 334, 38), shape: [17, 334], options: { zLoss: 1e-3, softcap: 4, reduction: 'none' } },
  { label: 'split rows [3, 20002]', ...hard(3, 20002, 39, 0), shape: [3, 20002], options: { reduction: 'sum' } },
];

for (const [plan, engine] of engines) {
  describe(`f16 cross-entropy (${plan})`, () => {
    for (const c of CASES) it(c.label, () => checkF16(engine(), c));
    for (const c of [CASES[3]!, CASES[6]!, CASES[8]!, CASES[9]!, CASES[10]!]) it(`${c.label} in place`, () => checkF16(engine(), c, true));
    for (const c of EVEN_CASES) {
      it(`even: ${c.label}`, () => checkF16(engine(), c));
      it(`even: ${c.label} in place`, () => checkF16(engine(), c, true));
    }

    it('packed pairs: plain word stores exactly where every row starts on a word (engine trace)', async (ctx) => {
      const e = engine();
      if (e.shaderF16) ctx.skip('this device has shader-f16 (array<f16>): no packed pairs to check');
      const variants = async (cols: number, inPlace: boolean) => {
        const x = e.gpu.upload(logitsFor('normal', 8, cols, cols), { dtype: 'f16' });
        const t = e.gpu.upload(classTargets(8, cols, 1));
        try {
          const call = () => e.gpu.crossEntropy(x, t, { shape: [8, cols], inPlace });
          return await variantsOf(e, 'crossEntropy', call, [x]);
        } finally {
          x.release();
          t.release();
        }
      };
      const seen = [await variants(64, false), await variants(63, false), await variants(64, true), await variants(63, true)];
      expect(seen).toEqual([['f16-packed-even'], ['f16-packed'], ['f16-packed-even-in-place'], ['f16-packed-in-place']]);
      const softmax = async (cols: number) => {
        const x = e.gpu.upload(logitsFor('normal', 8, cols, cols), { dtype: 'f16' });
        try {
          return await variantsOf(e, 'logSoftmax', () => e.gpu.softmax(x, { shape: [8, cols] }));
        } finally {
          x.release();
        }
      };
      expect([await softmax(64), await softmax(63)], 'softmax').toEqual([['f16-packed-even'], ['f16-packed']]);
    });

    it('the target class gradient is formed in f32, then rounded once (p_t near 1)', async () => {
      const e = engine();
      const [rows, cols] = [16, 3];
      const x = new Float32Array(rows * cols);
      const target = new Int32Array(rows);
      for (let r = 0; r < rows; r++) x[r * cols] = 8; // p_0 = e^8 / (e^8 + 2) = 1 - 6.7e-4: f16 steps near 1 are 4.9e-4
      const want = reference.crossEntropy(x, target, rows, cols, { reduction: 'sum', ignoreIndex: -100, grad: true });
      const logits = e.gpu.upload(x, { dtype: 'f16' });
      const r = await e.gpu.crossEntropy(logits, target, { shape: [rows, cols], reduction: 'sum' });
      const grad = await r.grad!.read();
      for (let i = 0; i < rows; i++) {
        const got = grad[i * cols]!;
        const exact = want.grad![i * cols]!; // -6.7e-4; from an f16-rounded p_t it would be -4.9e-4 or -9.8e-4
        expect(Math.abs(got - exact) / Math.abs(exact), `row ${i}: ${got} vs ${exact}`).toBeLessThanOrEqual(2 ** -11);
      }
      for (const t of [logits, r.loss, r.grad!, r.weightSum]) t.release();
    });

    it('log_softmax and softmax of f16 give f16 (odd row lengths, and even ones: plain word stores)', async () => {
      const e = engine();
      for (const [rows, cols] of [[7, 3], [33, 1001], [2, 20001], [8, 2], [33, 1000], [2, 20000]] as const) {
        const x = logitsFor('normal', rows, cols, rows + cols);
        const input = e.gpu.upload(x, { dtype: 'f16' });
        const rounded = roundToFloat16(x);
        for (const log of [true, false]) {
          const out = log ? await e.gpu.logSoftmax(input, { shape: [rows, cols] }) : await e.gpu.softmax(input, { shape: [rows, cols] });
          expect(out.dtype).toBe('f16');
          const want = log ? reference.logSoftmax(rounded, rows, cols) : reference.softmax(rounded, rows, cols);
          expectClose(await out.read(), want, `[${rows}, ${cols}] ${log ? 'log_softmax' : 'softmax'} of f16`, F16_RESULT);
          out.release();
        }
        input.release();
      }
    });
  });
}

describe('f16 tensors', () => {
  const engine = engines[0]![1];

  it('reports which f16 path runs (shader-f16 or packed pairs; SwiftShader and llvmpipe have no shader-f16)', () => {
    const e = engine();
    const info = e.adapterInfo!;
    const has = info.features.includes('shader-f16');
    expect(e.shaderF16).toBe(has);
    if (info.source === 'swiftshader' || info.source === 'llvmpipe') expect(has, `${info.source} has no shader-f16`).toBe(false);
    console.info(`[f16] ${info.source}: ${has ? 'shader-f16 available: the native array<f16> path ran' : 'no shader-f16: the native path is not available here; the packed-pair path (u32 words, atomic half stores) ran'}`);
  });

  it('the kernels decode every f16 bit pattern exactly and round to the f16 nearest, ties to even, as the host does', async () => {
    const e = engine();
    // Decode: nll_loss of one class per row gives -x exactly (f32), here for all 65536 patterns.
    const patterns = Uint16Array.from({ length: 65536 }, (_, i) => i);
    const logProbs = e.gpu.upload(patterns);
    const r = await e.gpu.nllLoss(logProbs, new Int32Array(65536), { shape: [65536, 1], reduction: 'none', grad: false });
    const loss = await r.loss.read();
    const values = fromFloat16Bits(patterns);
    for (let i = 0; i < 65536; i++) {
      const v = values[i]!;
      if (Number.isNaN(v)) expect(loss[i], `pattern 0x${i.toString(16)}`).toBeNaN();
      else if (Number.isFinite(v) || v === -Infinity) expect(loss[i], `pattern 0x${i.toString(16)}`).toBe(-v);
    }
    for (const t of [logProbs, r.loss, r.weightSum]) t.release();
    // Encode: with class weights and 'sum', nll_loss's gradient at row r's target is exactly -w (f32), stored as f16.
    const next = rng(43);
    const w: number[] = [0, 65504, 65519.99, 65520, 1e6, 2 ** -24, 2 ** -25, 2 ** -25 * 1.5, 3 * 2 ** -25, 2 ** -14, 1 + 2 ** -11, 1 + 3 * 2 ** -11];
    const halves = fromFloat16Bits(Uint16Array.from({ length: 0x7bff }, (_, i) => i));
    for (let k = 0; k < 200; k++) {
      const i = Math.floor(next() * 0x7bfe);
      w.push((halves[i]! + halves[i + 1]!) / 2); // an exact tie
    }
    while (w.length < 512) w.push(Math.fround(2 ** (next() * 46 - 28)));
    const n = w.length;
    const weight = Float32Array.from(w);
    const x = e.gpu.upload(new Float32Array(n * n), { dtype: 'f16' });
    const target = Int32Array.from({ length: n }, (_, i) => i);
    const g = await e.gpu.nllLoss(x, target, { shape: [n, n], weight, reduction: 'sum', inPlace: true });
    const grad = await g.grad!.read();
    const want = roundToFloat16(weight.map((v) => -v));
    const diagonal = Float32Array.from({ length: n }, (_, i) => grad[i * n + i]!);
    expect([...diagonal]).toEqual([...want]);
    for (const t of [x, g.loss, g.weightSum]) t.release();
  });

  it('upload rounds to nearest even, read widens exactly; odd lengths; Uint16Array bits', async () => {
    const e = engine();
    const values = Float32Array.from([1, -2.5, 0.1, 65504, 65519, 65520, 1e9, -1e9, 1e-7, 2 ** -24, -0, 3.14159, 1e-30, NaN, -Infinity]);
    for (const n of [1, 2, 3, 7, values.length, 1001]) {
      const x = n <= values.length ? values.subarray(0, n) : logitsFor('normal', 1, n, n);
      const t = e.gpu.upload(x, { dtype: 'f16' });
      expect(t.dtype).toBe('f16');
      expect(t.byteLength).toBe(Math.ceil(n / 2) * 4);
      expect([...(await t.read())]).toEqual([...roundToFloat16(x)]);
      t.release();
    }
    const bits = e.gpu.upload(toFloat16Bits(values));
    expect(bits.dtype).toBe('f16');
    expect([...(await bits.read())]).toEqual([...roundToFloat16(values)]);
    bits.release();
  });

  it("wraps a caller's buffer of f16 values", async () => {
    const e = engine();
    const device = e.device!;
    const x = Float32Array.from([0.5, -1, 2, 1000, -0.001]);
    const halves = new Uint16Array(8).fill(0x7777);
    halves.set(toFloat16Bits(x), 2); // 2 halves (one word) before
    const buffer = device.createBuffer({ size: 16, usage: BufferUsage.STORAGE | BufferUsage.COPY_SRC | BufferUsage.COPY_DST });
    try {
      device.queue.writeBuffer(buffer, 0, halves);
      const t = e.gpu.wrap(buffer, { dtype: 'f16', length: 5, byteOffset: 4 });
      expect(t.byteLength).toBe(12);
      expect([...(await t.read())]).toEqual([...roundToFloat16(x)]);
      expect(() => e.gpu.wrap(buffer, { dtype: 'f16', length: 5, byteOffset: 8 })).toThrow(/buffer is too small: 16 bytes, but 5 f16 elements at byte 8 need 20 \(an odd number of f16 values covers a whole last word\)/);
      // In place over the wrapped halves: the word before and the half after (the last word's padding) are untouched.
      const r = await e.gpu.crossEntropy(t, Int32Array.from([3]), { shape: [1, 5], inPlace: true });
      const want = reference.crossEntropy(roundToFloat16(x), [3], 1, 5, { reduction: 'mean', ignoreIndex: -100, grad: true });
      expectClose(await t.read(), want.grad!, 'wrapped f16 in place', F16_RESULT);
      const words = (await e.gpu.wrap(buffer, { dtype: 'i32', length: 4 }).read()) as Int32Array;
      const all = new Uint16Array(words.buffer);
      expect([all[0], all[1], all[7]], 'the halves before and after the tensor').toEqual([0x7777, 0x7777, 0x7777]);
      for (const u of [r.loss, r.weightSum]) u.release();
    } finally {
      buffer.destroy();
    }
  });

  it('an f16 gradOut receives the copy; grad: false; the packed path forced where shader-f16 exists', async () => {
    const e = engine();
    const [rows, cols] = [9, 77];
    const x = logitsFor('normal', rows, cols, 40);
    const target = classTargets(rows, cols, 41, 4);
    const want = reference.crossEntropy(roundToFloat16(x), target, rows, cols, { reduction: 'mean', ignoreIndex: -100, grad: true });
    const logits = e.gpu.upload(x, { dtype: 'f16' });
    const out = e.gpu.upload(new Float32Array(rows * cols), { dtype: 'f16' });
    const r = await e.gpu.crossEntropy(logits, target, { shape: [rows, cols], gradOut: out });
    expect(r.grad).toBe(out);
    expectClose(await out.read(), want.grad!, 'f16 gradOut', F16_RESULT);
    const noGrad = await e.gpu.crossEntropy(logits, target, { shape: [rows, cols], grad: false });
    expect(noGrad.grad).toBeUndefined();
    expectClose((await noGrad.loss.read())[0]!, want.loss as number, 'f16 grad: false');
    // The host-returning forms read f16 results back as f32.
    const host = await e.crossEntropy(logits, target, { shape: [rows, cols] });
    expectClose(host.grad!, want.grad!, 'host form over f16 logits', F16_RESULT);
    expectClose(host.loss as number, want.loss as number, 'host form loss');
    expectClose(await e.logSoftmax(logits, { shape: [rows, cols] }), reference.logSoftmax(roundToFloat16(x), rows, cols), 'host logSoftmax of f16', F16_RESULT);
    for (const t of [logits, out, r.loss, r.weightSum, noGrad.loss, noGrad.weightSum]) t.release();

    const packed = await createEngine({ adapter: (process.env.XENTROPY_ADAPTER ?? 'auto') as 'auto', shaderF16: false });
    try {
      expect(packed.shaderF16).toBe(false);
      const l = packed.gpu.upload(x, { dtype: 'f16' });
      const p = await packed.gpu.crossEntropy(l, target, { shape: [rows, cols] });
      expectClose(await p.grad!.read(), want.grad!, 'shaderF16: false', F16_RESULT);
      for (const t of [l, p.loss, p.grad!, p.weightSum]) t.release();
    } finally {
      packed.destroy();
    }
  });

  it('f16 logits past one storage binding, odd and even row lengths (chunks start on odd elements, or on words)', async (ctx) => {
    const e = engine();
    for (const cols of [128257, 128256]) {
      const rows = rowsPastOneBindingOrSkip(ctx, e.device, cols);
      const label = `[${rows}, ${cols}] f16 in chunks`;
      const c = { label, ...hard(rows, cols, 42, 9), shape: [rows, cols], options: { reduction: 'sum' as const } };
      await checkF16(e, c, false, true);
    }
  });

  it('clear errors naming the argument', async () => {
    const e = engine();
    const logits = e.gpu.upload(new Float32Array(6), { dtype: 'f16' });
    const f32 = e.gpu.upload(new Float32Array(6));
    const soft16 = e.gpu.upload(new Float32Array(6), { dtype: 'f16' });
    const shape = [2, 3];
    const fails = async (call: () => Promise<unknown>, pattern: RegExp) => {
      await expect(call()).rejects.toThrow(XentropyArgumentError);
      await expect(call()).rejects.toThrow(pattern);
    };
    await fails(() => e.gpu.crossEntropy(logits, Int32Array.from([0, 1]), { shape, gradOut: f32 }), /gradOut must hold f16 values \(got a f32 GpuTensor\)/);
    await fails(() => e.gpu.crossEntropy(f32, Int32Array.from([0, 1]), { shape, gradOut: soft16 }), /gradOut must hold f32 values \(got a f16 GpuTensor\)/);
    await fails(() => e.gpu.crossEntropy(logits, soft16, { shape }), /target must hold f32 values \(got a f16 GpuTensor\)/);
    await fails(() => e.gpu.binaryCrossEntropyWithLogits(logits, f32, { shape }), /input must hold f32 values \(got a f16 GpuTensor\)/);
    await fails(() => e.gpu.logSoftmax(logits, { shape, out: f32 }), /out must hold f16 values/);
    expect(() => e.gpu.upload(new Int32Array(2), { dtype: 'f16' })).toThrow(/data must be a Float32Array \(rounded to f16\) or a Uint16Array of f16 bits for dtype 'f16' \(got Int32Array\)/);
    expect(() => e.gpu.upload(new Uint16Array(2), { dtype: 'f32' })).toThrow(/data must be a Float32Array for dtype 'f32'/);
    for (const t of [logits, f32, soft16]) t.release();
  });
});
