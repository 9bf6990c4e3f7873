// Out of GPU memory, on Dawn's null backend: it counts the bytes of the buffers it holds and refuses a buffer past its
// budget (about 1.2 GiB) with a real out-of-memory error, which no adapter here does at a size a test can afford. The
// call must say "out of memory" (the cause), not the validation error that follows from the invalid buffer, release
// what it allocated, and leave the engine usable.
import { describe, expect, it } from 'vitest';
import { createEngine } from '../../src/index.js';
import { classTargets, logitsFor } from '../helpers/data.js';
import { BufferUsage } from '../../src/gpu/flags.js';

describe('out of GPU memory (Dawn null backend)', () => {
  it('a call whose gradient does not fit rejects with "out of memory", frees its buffers, and the engine still works', async () => {
    const dawn = (await import('webgpu')) as unknown as { create(options: string[]): GPU };
    const gpu = dawn.create(['backend=null']);
    const device = await (await gpu.requestAdapter())!.requestDevice();
    const e = await createEngine({ device, tuning: 'gpu' });
    const mib = 2 ** 20;
    const [rows, cols] = [100, 262144]; // 100 MiB of logits (no data needed: the null backend runs nothing)
    const logitsBuffer = device.createBuffer({ size: rows * cols * 4, usage: BufferUsage.STORAGE | BufferUsage.COPY_SRC | BufferUsage.COPY_DST });
    const fillers: GPUBuffer[] = [];
    try {
      // Fill the budget with 100 MiB buffers until one is refused: less than a gradient's worth is left.
      for (let i = 0; i < 64; i++) {
        device.pushErrorScope('out-of-memory');
        const filler = device.createBuffer({ size: 100 * mib, usage: BufferUsage.STORAGE });
        const refused = await device.popErrorScope();
        fillers.push(filler);
        if (refused) break;
      }
      expect(fillers.length, 'the null backend refused a buffer within 6.4 GiB').toBeLessThan(64);
      const logits = e.gpu.wrap(logitsBuffer, { dtype: 'f32', length: rows * cols });
      const target = e.gpu.upload(classTargets(rows, cols, 1));
      await expect(e.gpu.crossEntropy(logits, target, { shape: [rows, cols] })).rejects.toThrow(/gpu\.crossEntropy: WebGPU out of memory/);
      expect(e.stats().liveBuffers, 'only the uploaded targets are still handed out').toBe(1);

      for (const filler of fillers) filler.destroy();
      const small = e.gpu.upload(logitsFor('normal', 4, 10, 2));
      const r = await e.gpu.crossEntropy(small, classTargets(4, 10, 3), { shape: [4, 10] });
      expect(r.grad?.length).toBe(40);
      for (const t of [small, target, r.loss, r.grad, r.weightSum]) t?.release();
      expect(e.stats().liveBuffers).toBe(0);
    } finally {
      for (const filler of fillers) filler.destroy();
      logitsBuffer.destroy();
      e.destroy();
      device.destroy();
    }
  });
});
