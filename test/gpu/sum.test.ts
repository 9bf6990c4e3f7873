// GPU sum (shaders/sum.wgsl): within the summation's derived error bound of the exact sum, bitwise reproducible.
import { describe, expect, it } from 'vitest';
import { reference, sumErrorBound, sumPlan } from '../../src/index.js';
import { normal } from '../helpers/data.js';
import { useGpuEngine } from '../helpers/engine.js';
import { BufferUsage } from '../../src/gpu/flags.js';

const engine = useGpuEngine();
const gpuTuned = useGpuEngine({ tuning: 'gpu' });

describe('sum', () => {
  for (const n of [1, 255, 256, 257, 1_000_003, 16_000_000]) {
    it(`${n} values: within the error bound, identical bits over 3 runs`, async () => {
      const x = normal(n, 1, n, 0.25);
      const exact = reference.sum(x);
      let sumAbs = 0;
      for (let i = 0; i < n; i++) sumAbs += Math.abs(x[i]!);
      for (const e of [engine(), gpuTuned()]) {
        const bound = sumErrorBound(n, sumAbs, sumPlan(e.tuning!, e.workgroupSize, n));
        const first = await e.sum(x);
        // + one rounding of the exact value to f32, the format of the result
        expect(Math.abs(first - exact), `|gpu - exact| for n=${n}, tuning ${e.tuning}, bound ${bound}`).toBeLessThanOrEqual(bound + 2 ** -24 * Math.abs(exact));
        for (let run = 0; run < 2; run++) expect(Object.is(await e.sum(x), first), `run ${run + 2} differs`).toBe(true);
      }
    });
  }

  it('propagates NaN and Inf like IEEE addition', async () => {
    expect(await engine().sum(Float32Array.from([1, NaN, 2]))).toBeNaN();
    expect(await engine().sum(Float32Array.from([1, Infinity, 2]))).toBe(Infinity);
  });

  it('sums an empty array to 0', async () => {
    expect(await engine().sum(new Float32Array(0))).toBe(0);
  });

  it('GPU-resident: sums a GpuTensor at a byte offset inside a larger caller buffer', async () => {
    const e = engine();
    const values = normal(1000, 1, 3);
    const buffer = e.device!.createBuffer({ size: 4 * 1100, usage: BufferUsage.STORAGE | BufferUsage.COPY_DST | BufferUsage.COPY_SRC });
    e.device!.queue.writeBuffer(buffer, 4 * 37, values);
    const view = e.gpu.wrap(buffer, { dtype: 'f32', length: 1000, byteOffset: 4 * 37 });
    const total = await e.gpu.sum(view);
    const exact = reference.sum(values);
    expect(Math.abs((await total.read())[0]! - exact)).toBeLessThan(1e-3);
    total.release();
    view.release();
    buffer.destroy();
  });
});
