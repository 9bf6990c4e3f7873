// The demo app: `npm run demo` serves it, `npm run build:demo` writes demo/dist. It uses the library only through its
// public entry point, under the package's own name (the alias points at the sources, so no library build is needed).
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import { wgslMinify } from '../vite.wgsl.js';

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: './',
  plugins: [wgslMinify()],
  resolve: {
    alias: {
      xentropy: fileURLToPath(new URL('../src/index.ts', import.meta.url)),
      // The optional TensorFlow.js comparison (src/bench/tfjs.ts); aliased so that tsc sees only the small typed
      // subset in src/bench/tfjs-modules.d.ts, not tfjs's clashing WebGPU typings.
      'demo-tfjs/core': '@tensorflow/tfjs-core',
      'demo-tfjs/gradients': '@tensorflow/tfjs-core/dist/register_all_gradients',
      'demo-tfjs/webgpu': '@tensorflow/tfjs-backend-webgpu',
    },
  },
  build: { outDir: 'dist', emptyOutDir: true, target: 'es2022', chunkSizeWarningLimit: 1000 },
  server: { host: '127.0.0.1' },
});
