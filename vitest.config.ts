// Test projects: the CPU reference and argument checks; the GPU ops on each Node adapter (SwiftShader: core WebGPU on
// the CPU; Mesa llvmpipe: compatibility mode; 'hardware': a real GPU, where there is one); headless Chrome end-to-end
// tests; the packed package. Which adapters this machine has is probed once here (test/setup/adapters.ts): a project
// whose adapter is missing fails saying what to install, or is skipped saying why; it never runs on the CPU.
import { defineConfig } from 'vitest/config';
import { wgslMinify } from './vite.wgsl.js';
import { machineAdapters, type ProjectAdapter } from './test/setup/adapters.js';
import { AdapterSummary } from './test/setup/summary.js';

const plan = machineAdapters();
const nodeGpu = plan.filter((p) => p.project !== 'browser');
/** Where test/dawn-null runs: SwiftShader, else a hardware GPU (not beside llvmpipe's OpenGL ES instance). */
const DAWN_NULL = 'test/dawn-null/**/*.test.ts';
const nullHost = nodeGpu.find((p) => p.project !== 'llvmpipe' && p.found);
/** The Node GPU projects that run here (test/helpers/engine.ts runOnlyOn: cases one software adapter takes alone). */
const FOUND = nodeGpu.filter((p) => p.found).map((p) => p.project).join(',');

/**
 * A project on `p`'s adapter running `include`. Where the adapter is missing: skipped, one test naming the reason
 * (test/setup/missing.test.ts), when another adapter took the tests; else each file fails with what to install
 * (test/setup/missing.ts).
 */
function onAdapter(p: ProjectAdapter, include: string[], test: { testTimeout?: number } = {}) {
  return {
    extends: true as const,
    test: {
      ...test,
      name: p.project,
      include: p.skip ? ['test/setup/missing.test.ts'] : include,
      env: {
        XENTROPY_ADAPTER: p.adapter,
        XENTROPY_FOUND: FOUND,
        ...(p.missing ? { XENTROPY_MISSING: p.missing } : {}),
      },
      setupFiles: p.missing && !p.skip ? ['test/setup/missing.ts'] : [],
    },
  };
}

export default defineConfig({
  plugins: [wgslMinify()], // the tests run the minified WGSL that ships
  test: {
    pool: 'forks',
    testTimeout: 120_000,
    hookTimeout: 120_000,
    reporters: ['default', new AdapterSummary(plan)],
    projects: [
      { extends: true, test: { name: 'cpu', include: ['test/cpu/**/*.test.ts'] } },
      // test/dawn-null: shader variants validated on Dawn's null backend (features no adapter here has), run once.
      ...nodeGpu.map((p) => onAdapter(p, ['test/gpu/**/*.test.ts', ...(p === nullHost ? [DAWN_NULL] : [])])),
      onAdapter(plan.find((p) => p.project === 'browser')!, ['test/browser/**/*.test.ts'], { testTimeout: 300_000 }),
      // npm pack, then the tarball installed into empty Node, TypeScript and Vite projects.
      { extends: true, test: { name: 'package', include: ['test/package/**/*.test.ts'] } },
    ],
  },
});
