// `npm run bench:build-browser`, for a machine without node_modules (the GPU machine, bench/device.sh part `browser`):
// the browser bench's page (bench/browser/, the library source and tfjs inlined) into bench/dist/browser-page/, and
// with --mode driver its Node driver (bench/browser.ts, puppeteer inlined) into bench/dist/browser.mjs, which serves
// that page without Vite when XENTROPY_BENCH_PAGE names it.
import { fileURLToPath } from 'node:url';
import { defineConfig, type UserConfig } from 'vite';
import { TFJS_ALIASES } from './tfjs-aliases.js';

const page: UserConfig = {
  root: fileURLToPath(new URL('./browser/', import.meta.url)),
  base: './',
  logLevel: 'warn',
  resolve: {
    alias: [
      { find: /^xentropy$/, replacement: fileURLToPath(new URL('../src/index.ts', import.meta.url)) },
      ...TFJS_ALIASES,
    ],
  },
  build: {
    outDir: fileURLToPath(new URL('./dist/browser-page/', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    minify: false,
  },
};

const driver: UserConfig = {
  logLevel: 'warn',
  build: {
    ssr: true,
    outDir: 'bench/dist',
    emptyOutDir: false,
    target: 'node20',
    minify: false,
    rollupOptions: {
      input: { browser: 'bench/browser.ts' },
      external: ['vite', /^node:/],
      output: { entryFileNames: '[name].mjs', format: 'es' },
    },
  },
  ssr: { noExternal: true, external: ['vite'] },
};

export default defineConfig(({ mode }) => (mode === 'driver' ? driver : page));
