// Builds the library with the WGSL sources inlined as strings; type declarations come from tsc. Two entries:
// dist/index.js (the package) and dist/tfjs.js (the `xentropy/tfjs` subpath, which imports @tensorflow/tfjs-core, an
// optional peer dependency); the code they share goes into one chunk.
import { defineConfig } from 'vite';

export default defineConfig({
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
    rollupOptions: { external: ['webgpu', /^@tensorflow\//, /^node:/] },
  },
});
