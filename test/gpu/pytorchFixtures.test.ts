// PyTorch parity on the GPU: every case of test/fixtures/pytorch.json (see test/cpu/pytorchFixtures.test.ts for the
// reference's own parity). The GPU result must match both the f64 reference (the oracle) and torch's float64 answer to
// the atol 1e-6 + rtol 1e-5.
import { describe, it } from 'vitest';
import { DEFAULT_TOLERANCE } from '../helpers/compare.js';
import { useGpuEngine } from '../helpers/engine.js';
import { FIXTURES, expectMatchesResult, expectMatchesTorch, runOnEngine, runOnReference } from '../helpers/fixtures.js';

const engine = useGpuEngine();

describe('PyTorch fixtures on the GPU', () => {
  for (const c of FIXTURES) {
    it(c.name, async () => {
      const got = await runOnEngine(engine(), c);
      expectMatchesResult(got, runOnReference(c), `${c.name} (gpu vs f64 reference)`, DEFAULT_TOLERANCE);
      expectMatchesTorch(got, c, `${c.name} (gpu vs torch)`, DEFAULT_TOLERANCE);
    });
  }
});
