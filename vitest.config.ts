// Test projects: the CPU reference and argument checks; the GPU ops on each Node adapter these machines have
// (SwiftShader: core WebGPU; Mesa llvmpipe: compatibility mode); headless Chromium end-to-end tests; the packed package.
import { defineConfig } from 'vitest/config';
import { wgslMinify } from './vite.wgsl.js';

const gpu = (adapter: string, extra: string[] = []) => ({
  extends: true as const,
  test: {
    name: adapter,
    include: ['test/gpu/**/*.test.ts', ...extra],
    env: { XENTROPY_ADAPTER: adapter },
  },
});

export default defineConfig({
  plugins: [wgslMinify()], // the tests run the minified WGSL that ships
  test: {
    pool: 'forks',
    testTimeout: 120_000,
    hookTimeout: 120_000,
    projects: [
      { extends: true, test: { name: 'cpu', include: ['test/cpu/**/*.test.ts'] } },
      // test/dawn-null: shader variants validated on Dawn's null backend (features no adapter here has), run once.
      gpu('swiftshader', ['test/dawn-null/**/*.test.ts']),
      gpu('llvmpipe'),
      { extends: true, test: { name: 'browser', include: ['test/browser/**/*.test.ts'], testTimeout: 300_000 } },
      // npm pack, then the tarball installed into empty Node, TypeScript and Vite projects.
      { extends: true, test: { name: 'package', include: ['test/package/**/*.test.ts'] } },
    ],
  },
});
