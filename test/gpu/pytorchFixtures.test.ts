// PyTorch parity on the GPU: every case of test/fixtures/pytorch.json (see test/cpu/pytorchFixtures.test.ts for the
// reference's own parity). The GPU result must match both the f64 reference (the oracle) and torch's float64 answer to
// the atol 1e-6 + rtol 1e-5, under both launch plans (the adapter's own, and the many-threads-per-row plan a
// real GPU gets, so the kernels' cross-thread reductions are exercised here too).
import { describe, it } from 'vitest';
import { DEFAULT_TOLERANCE } from '../helpers/compare.js';
import { useGpuEngine } from '../helpers/engine.js';
import { FIXTURES, expectMatchesResult, expectMatchesTorch, runOnEngine, runOnReference } from '../helpers/fixtures.js';

const engine = useGpuEngine();
const gpuTuned = useGpuEngine({ tuning: 'gpu' });

describe('PyTorch fixtures on the GPU', () => {
  for (const c of FIXTURES) {
    it(c.name, async () => {
      const want = runOnReference(c);
      for (const e of [engine(), gpuTuned()]) {
        const got = await runOnEngine(e, c);
        expectMatchesResult(got, want, `${c.name} (gpu, tuning ${e.tuning}, vs f64 reference)`, DEFAULT_TOLERANCE);
        expectMatchesTorch(got, c, `${c.name} (gpu, tuning ${e.tuning}, vs torch)`, DEFAULT_TOLERANCE);
      }
    });
  }
});
