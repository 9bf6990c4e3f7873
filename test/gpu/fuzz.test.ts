// Fuzzing: fast-check runs over shapes, options and special values (NaN, ±Inf, -0, subnormals,
// huge and tiny logits), GPU against the CPU reference; and malformed inputs (wrong types, lengths, detached
// ArrayBuffers, destroyed buffers, unmappable usages, released or foreign tensors) that must throw an error naming the
// op and the argument, and leave the engine usable.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createEngine, sumErrorBound, sumPlan, XentropyArgumentError, type Engine } from '../../src/index.js';
import { expectClose } from '../helpers/compare.js';
import { useGpuEngine } from '../helpers/engine.js';
import { BufferUsage } from '../../src/gpu/flags.js';

const getEngine = useGpuEngine();
const cpu = await createEngine({ backend: 'cpu' });
const RUNS = { seed: 611, numRuns: 80 };
/**
 * Special values as an f32 holds them; every case generated is checked against the reference, by the rules of README
 * "Special values: NaN and ±Inf" (a row of only -Inf is NaN in softmax, infinite BCE logits give the loss's limits,
 * a reduction over a loss beyond f32's range is infinite). +Infinity logits, ties of huge positive logits and rows of
 * only -Infinity are fuzzed more densely by 'row kernels: +Infinity, huge ties, all-masked rows' below.
 */
const SPECIAL = [NaN, -Infinity, -0, 0, 1.401298464324817e-45, -1.1754942106924411e-38, 1e-30, -1e30, -3.4028234663852886e38, 88.7, -103.9, 1e4, -1e4];
const REDUCTIONS = fc.constantFrom('mean' as const, 'sum' as const, 'none' as const);
const TOL = { atol: 1e-5, rtol: 1e-4 };

const valueFrom = (special: number[]) =>
  fc.oneof({ weight: 5, arbitrary: fc.double({ min: -20, max: 20, noNaN: true }) }, { weight: 2, arbitrary: fc.constantFrom(...special) }, { weight: 1, arbitrary: fc.float({ min: -1e4, max: 1e4, noNaN: true }) });
const matrixOf = (special: number[]) => fc
  .record({ rows: fc.integer({ min: 1, max: 6 }), cols: fc.integer({ min: 1, max: 40 }) })
  .chain(({ rows, cols }) => fc.record({ rows: fc.constant(rows), cols: fc.constant(cols), values: fc.array(valueFrom(special), { minLength: rows * cols, maxLength: rows * cols }), targets: fc.array(fc.integer({ min: -1, max: cols - 1 }), { minLength: rows, maxLength: rows }) }));
const matrix = matrixOf(SPECIAL);

function expectSameResult(gpu: Record<string, unknown>, ref: Record<string, unknown>, label: string): void {
  expect(Object.keys(gpu).sort(), label).toEqual(Object.keys(ref).sort());
  for (const key of Object.keys(ref)) expectClose(gpu[key] as number | Float32Array, ref[key] as number | Float32Array, `${label}: ${key}`, TOL);
}

/** Values for the row kernels' edge cases: +Inf (the row becomes NaN), ties of huge logits, and -Inf masks. */
const ROW_EDGES = [Infinity, -Infinity, 1e30, 3.4e38, -3.4e38, NaN, 0];

describe('row kernels: +Infinity, huge ties, all-masked rows', () => {
  it('logSoftmax, softmax and crossEntropy (hard labels) agree with the reference', async () => {
    const engine = getEngine();
    const edgeMatrix = fc
      .record({ rows: fc.integer({ min: 1, max: 5 }), cols: fc.integer({ min: 1, max: 24 }) })
      .chain(({ rows, cols }) => fc.record({
        rows: fc.constant(rows),
        cols: fc.constant(cols),
        values: fc.array(fc.oneof({ weight: 3, arbitrary: fc.double({ min: -20, max: 20, noNaN: true }) }, { weight: 2, arbitrary: fc.constantFrom(...ROW_EDGES) }), { minLength: rows * cols, maxLength: rows * cols }),
        targets: fc.array(fc.integer({ min: -1, max: cols - 1 }), { minLength: rows, maxLength: rows }),
      }));
    await fc.assert(
      fc.asyncProperty(edgeMatrix, fc.constantFrom('mean' as const, 'sum' as const, 'none' as const), async ({ rows, cols, values, targets }, reduction) => {
        const x = Float32Array.from(values);
        const shape = [rows, cols];
        expectClose(await engine.logSoftmax(x, { shape }), await cpu.logSoftmax(x, { shape }), `logSoftmax ${values}`, TOL);
        expectClose(await engine.softmax(x, { shape }), await cpu.softmax(x, { shape }), `softmax ${values}`, TOL);
        const target = Int32Array.from(targets.map((t) => (t < 0 ? -100 : t)));
        const opts = { shape, reduction };
        expectSameResult((await engine.crossEntropy(x, target, opts)) as never, (await cpu.crossEntropy(x, target, opts)) as never, `crossEntropy ${reduction} ${values}`);
      }),
      RUNS,
    );
  });

  it('two tied logits of 1e30 give log 2 below zero on both paths', async () => {
    const x = Float32Array.from([1e30, 1e30]);
    for (const e of [getEngine(), cpu]) expectClose(await e.logSoftmax(x, { shape: [1, 2] }), [-Math.LN2, -Math.LN2], `ties on ${e.backend}`);
  });
});

describe('special values: GPU against the CPU reference', () => {
  it('crossEntropy over shapes, options and special logits', async () => {
    const engine = getEngine();
    await fc.assert(
      fc.asyncProperty(
        matrix,
        fc.record({ reduction: fc.constantFrom('mean' as const, 'sum' as const, 'none' as const), labelSmoothing: fc.constantFrom(0, 0.1), grad: fc.boolean(), zLoss: fc.constantFrom(0, 1e-4) }),
        async ({ rows, cols, values, targets }, options) => {
          const logits = Float32Array.from(values);
          const target = Int32Array.from(targets.map((t) => (t < 0 ? -100 : t))); // -1 picks an ignored row
          const opts = { shape: [rows, cols], ...options };
          expectSameResult((await engine.crossEntropy(logits, target, opts)) as never, (await cpu.crossEntropy(logits, target, opts)) as never, `crossEntropy ${JSON.stringify(opts)}`);
        },
      ),
      RUNS,
    );
  });

  it('logSoftmax, softmax and sum over special values', async () => {
    const engine = getEngine();
    await fc.assert(
      fc.asyncProperty(matrix, async ({ rows, cols, values }) => {
        const x = Float32Array.from(values);
        const shape = [rows, cols];
        expectClose(await engine.logSoftmax(x, { shape }), await cpu.logSoftmax(x, { shape }), `logSoftmax [${shape}]`, TOL);
        expectClose(await engine.softmax(x, { shape }), await cpu.softmax(x, { shape }), `softmax [${shape}]`, TOL);
        // The sum's own error bound (f32 partial sums of 1e4 and -1e4 lose small terms in any order), plus the
        // subnormals WGSL lets a device flush to 0 (SwiftShader does), at most 2^-126 each.
        const sumAbs = x.reduce((a, v) => a + Math.abs(v), 0);
        const plan = sumPlan(engine.tuning!, engine.workgroupSize, x.length);
        const bound = sumErrorBound(x.length, sumAbs, plan) + x.length * 2 ** -126;
        expectClose(await engine.sum(x), await cpu.sum(x), `sum of ${x.length}`, { atol: bound, rtol: 1e-6 });
      }),
      RUNS,
    );
  });

  it('binaryCrossEntropyWithLogits over special logits', async () => {
    const engine = getEngine();
    await fc.assert(
      fc.asyncProperty(matrixOf([...SPECIAL, Infinity]), REDUCTIONS, async ({ rows, cols, values }, reduction) => {
        const x = Float32Array.from(values);
        const y = x.map((_, i) => (i % 3) / 2);
        const opts = { shape: [rows, cols], reduction };
        expectSameResult((await engine.binaryCrossEntropyWithLogits(x, y, opts)) as never, (await cpu.binaryCrossEntropyWithLogits(x, y, opts)) as never, `bceWithLogits [${rows}, ${cols}]`);
      }),
      RUNS,
    );
  });
});

/** A call must throw an Error whose message matches `pattern` (which names the op and the argument). */
async function expectClearError(call: () => Promise<unknown> | unknown, pattern: RegExp): Promise<void> {
  let error: unknown;
  try {
    await call();
  } catch (e) {
    error = e;
  }
  expect(error, `expected an error matching ${pattern}`).toBeInstanceOf(Error);
  expect((error as Error).message).toMatch(pattern);
}

async function stillUsable(engine: Engine): Promise<void> {
  const x = new Float32Array([1, 2, 3, 4, 5, 6]);
  expectClose((await engine.crossEntropy(x, new Int32Array([2, 0]), { shape: [2, 3] })).grad!, (await cpu.crossEntropy(x, new Int32Array([2, 0]), { shape: [2, 3] })).grad!, 'a valid call after the bad ones');
}

describe('malformed inputs', () => {
  it('arbitrary values for every argument throw XentropyArgumentErrors naming the op, and the engine stays usable', async () => {
    const engine = getEngine();
    const before = engine.stats().liveBuffers;
    const anything = fc.oneof(fc.anything(), fc.constantFrom(new Float64Array(6), new Int32Array(6), new Float32Array(5), [1, 2, 3, 4, 5, 6], 'logits', null, undefined, { shape: [2, 3] }));
    await fc.assert(
      fc.asyncProperty(anything, anything, anything, async (a, b, c) => {
        for (const [name, call] of [
          ['crossEntropy', () => engine.crossEntropy(a as Float32Array, b as Int32Array, c as { shape: number[] })],
          ['crossEntropy', () => engine.crossEntropy(new Float32Array(6), new Int32Array(2), { shape: [2, 3], [String(a)]: b } as never)],
          ['logSoftmax', () => engine.logSoftmax(a as Float32Array, { shape: b as number[] })],
          ['binaryCrossEntropy', () => engine.binaryCrossEntropy(new Float32Array(6).fill(0.5), b as Float32Array, { shape: [2, 3], weight: c as number[] })],
          ['sum', () => engine.sum(c as Float32Array)],
        ] as const) {
          let error: unknown;
          try {
            await call();
          } catch (e) {
            error = e;
          }
          if (error === undefined) continue; // fast-check found valid arguments: fine
          expect(error, String(error)).toBeInstanceOf(XentropyArgumentError);
          expect((error as Error).message.startsWith(`${name}: `), (error as Error).message).toBe(true);
        }
      }),
      { seed: 612, numRuns: 60 },
    );
    expect(engine.stats().liveBuffers).toBe(before);
    await stillUsable(engine);
  });

  it('detached ArrayBuffers are named as such', async () => {
    const engine = getEngine();
    const detach = <T extends Float32Array | Int32Array>(view: T): T => {
      structuredClone(view.buffer, { transfer: [view.buffer as ArrayBuffer] });
      return view;
    };
    await expectClearError(() => engine.crossEntropy(detach(new Float32Array(6)), new Int32Array(2), { shape: [2, 3] }), /^crossEntropy: logits is a Float32Array whose ArrayBuffer was detached/);
    await expectClearError(() => engine.crossEntropy(new Float32Array(6), detach(new Int32Array(2)), { shape: [2, 3] }), /^crossEntropy: target is a Int32Array whose ArrayBuffer was detached/);
    await expectClearError(() => engine.crossEntropy(new Float32Array(6), new Int32Array(2), { shape: [2, 3], weight: detach(new Float32Array(3)) }), /^crossEntropy: weight is a Float32Array whose ArrayBuffer was detached/);
    await expectClearError(() => engine.gpu.upload(detach(new Float32Array(4))), /^gpu\.upload: data is a Float32Array whose ArrayBuffer was detached/);
    await stillUsable(engine);
  });

  it('unmappable usages, mapped, destroyed and too-small buffers, released and wrong-dtype tensors', async () => {
    const engine = getEngine();
    const device = engine.device!;
    const readback = device.createBuffer({ size: 64, usage: BufferUsage.MAP_READ | BufferUsage.COPY_DST });
    expect(() => engine.gpu.wrap(readback, { dtype: 'f32', length: 4 })).toThrow(/^gpu\.wrap: buffer needs GPUBufferUsage\.STORAGE/);
    const mapped = device.createBuffer({ size: 64, usage: BufferUsage.STORAGE, mappedAtCreation: true });
    expect(() => engine.gpu.wrap(mapped, { dtype: 'f32', length: 4 })).toThrow(/^gpu\.wrap: buffer is mapped: unmap it/);
    mapped.unmap();
    expect(() => engine.gpu.wrap(mapped, { dtype: 'f32', length: 17 })).toThrow(/^gpu\.wrap: buffer is too small: 64 bytes, but 17 f32 elements/);
    expect(() => engine.gpu.wrap(mapped, { dtype: 'f64' as 'f32', length: 4 })).toThrow(/^gpu\.wrap: dtype must be 'f32', 'i32'/);
    expect(() => engine.gpu.wrap(mapped, { dtype: 'f32', length: 4, byteOffset: 2 })).toThrow(/^gpu\.wrap: byteOffset must be a multiple of 4/);
    expect(() => engine.gpu.wrap(new ArrayBuffer(8) as unknown as GPUBuffer, { dtype: 'f32', length: 1 })).toThrow(/^gpu\.wrap: buffer must be a GPUBuffer \(got ArrayBuffer\)/);
    const ints = engine.gpu.wrap(mapped, { dtype: 'i32', length: 6 });
    await expectClearError(() => engine.gpu.logSoftmax(ints, { shape: [2, 3] }), /^gpu\.logSoftmax: input must hold f32 or f16 values \(got a i32 GpuTensor\)/);
    const released = engine.gpu.upload(new Float32Array(6));
    released.release();
    await expectClearError(() => engine.gpu.softmax(released, { shape: [2, 3] }), /^gpu\.softmax: input is a GpuTensor that was already released/);
    await expectClearError(() => released.read(), /released/);
    const floats = engine.gpu.wrap(mapped, { dtype: 'f32', length: 6 });
    mapped.destroy();
    await expectClearError(() => engine.gpu.sum(floats), /^xentropy gpu\.sum: WebGPU validation error: .*destroyed/is);
    readback.destroy();
    expect(engine.stats().liveBuffers).toBe(0);
    await stillUsable(engine);
  });
});
