// Builds the library (dist/index.js) with the WGSL sources inlined as minified strings (vite.wgsl.ts); type
// declarations come from tsc.
import { defineConfig } from 'vite';
import { wgslMinify } from './vite.wgsl.js';

export default defineConfig({
  plugins: [wgslMinify()],
  build: {
    lib: { entry: 'src/index.ts', formats: ['es'], fileName: 'index' },
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    minify: false,
    sourcemap: true,
    rollupOptions: {
      external: ['webgpu', /^node:/],
      // The CPU reference in a chunk of its own: the engine loads it only on the CPU backend (src/engine.ts
      // cpuReference), so an application that does not import `reference` itself does not load it on WebGPU.
      output: { advancedChunks: { groups: [{ name: 'reference', test: /src[\\/]reference[\\/]/ }] } },
    },
  },
});
