// Builds the library with the WGSL sources inlined as minified strings (vite.wgsl.ts); type declarations come from
// tsc. Two entries: dist/index.js (the package) and dist/tfjs.js (the `xentropy/tfjs` subpath, which imports
// @tensorflow/tfjs-core, an optional peer dependency); what they share, and what loads on first use, go into chunks.
import { defineConfig } from 'vite';
import { wgslMinify } from './vite.wgsl.js';

export default defineConfig({
  plugins: [wgslMinify()],
  build: {
    lib: {
      entry: { index: 'src/index.ts', tfjs: 'src/tfjs.ts' },
      formats: ['es'],
      fileName: (_format, name) => `${name}.js`,
    },
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    minify: false,
    sourcemap: true,
    rollupOptions: {
      external: ['webgpu', /^@tensorflow\//, /^node:/],
      // The CPU reference in a chunk of its own: the engine loads it only on the CPU backend (src/engine.ts
      // cpuReference), so an application that does not import `reference` itself does not load it on WebGPU.
      output: { advancedChunks: { groups: [{ name: 'reference', test: /src[\\/]reference[\\/]/ }] } },
    },
  },
});
