// Bundles the Node bench (bench/node.ts, with the library source, tfjs and the WGSL inlined) into bench/dist/node.mjs.
// Only `webgpu` (dawn.node) stays external: the GPU machine runs the bundle with the Node binary and dawn.node that
// ../shared/device/pack.sh carries, and no other node_modules.
import { defineConfig } from 'vite';

export default defineConfig({
  logLevel: 'warn',
  build: {
    ssr: 'bench/node.ts',
    outDir: 'bench/dist',
    emptyOutDir: true,
    target: 'node20',
    minify: false,
    sourcemap: false,
    rollupOptions: { external: ['webgpu', /^node:/], output: { entryFileNames: 'node.mjs', format: 'es' } },
  },
  ssr: { noExternal: true, external: ['webgpu'] },
});
