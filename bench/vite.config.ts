// Bundles the Node benches (the built package dist/index.js, tfjs and the bench's WGSL inlined) into bench/dist/:
// node.mjs (bench/node.ts, the main bench), profile.mjs (bench/profile.ts, per-dispatch GPU times), huge.mjs
// (bench/huge.ts, the 8192 x 128256 case), linear-ce.mjs (bench/linearCrossEntropy.ts, the fused linear
// cross-entropy) and tfjs.mjs (bench/tfjs.ts, a tfjs training step with xentropy/tfjs); `npm run bench` builds dist/
// first. The benches import the package by name, 'xentropy' and 'xentropy/tfjs', as an application would
// (tsconfig.json maps the names to src/ for the type-checker).
// Only `webgpu` (dawn.node) stays external: the GPU machine runs the bundle with the Node binary and dawn.node that
// the device carry (.devcarry/) brings, and no other node_modules.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import { TFJS_ALIASES } from './tfjs-aliases.js';

export default defineConfig({
  logLevel: 'warn',
  resolve: {
    alias: [
      { find: /^xentropy$/, replacement: fileURLToPath(new URL('../dist/index.js', import.meta.url)) },
      { find: /^xentropy\/tfjs$/, replacement: fileURLToPath(new URL('../dist/tfjs.js', import.meta.url)) },
      ...TFJS_ALIASES,
    ],
  },
  build: {
    ssr: true,
    outDir: 'bench/dist',
    emptyOutDir: true,
    target: 'node20',
    minify: false,
    sourcemap: false,
    rollupOptions: {
      input: {
        node: 'bench/node.ts',
        profile: 'bench/profile.ts',
        huge: 'bench/huge.ts',
        'linear-ce': 'bench/linearCrossEntropy.ts',
        host: 'bench/host.ts',
        tfjs: 'bench/tfjs.ts',
      },
      external: ['webgpu', /^node:/],
      output: { entryFileNames: '[name].mjs', format: 'es' },
    },
  },
  ssr: { noExternal: true, external: ['webgpu'] },
});
