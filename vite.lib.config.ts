// Builds the library (dist/index.js) with the WGSL sources inlined as strings; type declarations come from tsc.
import { defineConfig } from 'vite';

export default defineConfig({
  build: {
    lib: { entry: 'src/index.ts', formats: ['es'], fileName: 'index' },
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    minify: false,
    sourcemap: true,
    rollupOptions: { external: ['webgpu', /^node:/] },
  },
});
