// Bundles bench/linearCrossEntropy.ts (the fused linear cross-entropy bench) into bench/dist/linear-ce.mjs, as
// bench/vite.config.ts bundles the main bench: the built package (dist/) imported by name, tfjs under its aliases,
// only `webgpu` (dawn.node) left outside.
import { defineConfig, mergeConfig } from 'vite';
import base from './vite.config.js';

export default mergeConfig(base, defineConfig({
  build: { ssr: 'bench/linearCrossEntropy.ts', emptyOutDir: false, rollupOptions: { output: { entryFileNames: 'linear-ce.mjs' } } },
}));
