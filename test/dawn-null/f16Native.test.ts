// The shader-f16 variants (array<f16>, element_io_f16*.wgsl) where they can be checked on this machine: neither
// SwiftShader nor llvmpipe has shader-f16, but Dawn's null backend advertises it and runs Tint's full WGSL validation
// and pipeline creation (it executes nothing, so no result is compared here: the numbers of the native path come from
// a GPU that has the feature, e.g. the bench's ce-fwd-bwd-f16 op, which validates against the reference). This catches
// a native variant that does not compile before it reaches such a GPU. The vitest config runs this folder in the
// swiftshader project only (a second Dawn instance beside llvmpipe's OpenGL ES one is not worth the risk there).
import { describe, expect, it } from 'vitest';
import { createEngine } from '../../src/index.js';
import { classTargets, logitsFor } from '../helpers/data.js';

describe('shader-f16 variants on Dawn\'s null backend (compile and validate only)', () => {
  it('cross-entropy (separate gradient and in place, every kernel path) and log-softmax over array<f16> pass validation', async () => {
    // Dawn's bindings are a dev dependency, so they are here wherever the tests run.
    const dawn = (await import('webgpu')) as unknown as { create(options: string[]): GPU };
    const gpu = dawn.create(['backend=null']);
    const adapter = await gpu.requestAdapter();
    expect(adapter?.features.has('shader-f16'), "Dawn's null adapter advertises shader-f16").toBe(true);
    const device = await adapter!.requestDevice({ requiredFeatures: ['shader-f16'] });
    const e = await createEngine({ device, tuning: 'gpu' });
    try {
      expect(e.shaderF16).toBe(true);
      const run = async (rows: number, cols: number, options: Record<string, unknown>, shape = [rows, cols]) => {
        const logits = e.gpu.upload(logitsFor('normal', rows, cols, rows + cols), { dtype: 'f16' });
        const r = await e.gpu.crossEntropy(logits, classTargets(rows, cols, cols), { shape, ...options });
        expect(r.grad?.dtype ?? 'f16').toBe('f16');
        for (const t of new Set([logits, r.grad, r.loss, r.weightSum, r.zLoss])) t?.release();
      };
      for (const inPlace of [false, true]) {
        await run(7, 1001, { inPlace }); // hard labels, the 4-wide fast path
        await run(7, 1001, { inPlace, labelSmoothing: 0.1 }); // the per-class (dense) path
        await run(7, 1001, { inPlace, zLoss: 1e-3, softcap: 3, reduction: 'none' });
        await run(3, 20001, { inPlace }); // split rows (PHASE 1 and 2)
        await run(6, 7, { inPlace, classDim: 1 }, [2, 7, 3]); // strided classes
      }
      const x = e.gpu.upload(logitsFor('normal', 3, 20001, 1), { dtype: 'f16' });
      for (const out of [await e.gpu.logSoftmax(x, { shape: [3, 20001] }), await e.gpu.softmax(x, { shape: [9, 6667] })]) {
        expect(out.dtype).toBe('f16');
        out.release();
      }
      x.release();
      // The fused linear cross-entropy's matmuls with array<f16> operands (matmul_operand_f16.wgsl): hidden, weight
      // and bias in f16, on both matmul kernels (tuning 'gpu' here: 128 x 128 tiles).
      const [hidden, weight, bias] = [logitsFor('normal', 7, 33, 2), logitsFor('normal', 50, 33, 3), logitsFor('normal', 1, 50, 4)].map((v) => e.gpu.upload(v, { dtype: 'f16' }));
      const lce = await e.gpu.linearCrossEntropy(hidden!, weight!, classTargets(7, 50, 5), { shape: [7, 33], bias: bias! });
      expect(lce.gradWeight?.dtype).toBe('f32');
      for (const t of [hidden, weight, bias, lce.loss, lce.weightSum, lce.gradHidden, lce.gradWeight, lce.gradBias]) t?.release();
      expect(e.stats().liveBuffers).toBe(0);
    } finally {
      e.destroy();
      device.destroy();
    }
  });
});
