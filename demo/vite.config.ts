// The demo app: `npm run demo` serves it, `npm run build:demo` writes demo/dist. It uses the library only through its
// public entry point, under the package's own name (the alias points at the sources, so no library build is needed).
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: './',
  resolve: { alias: { xentropy: fileURLToPath(new URL('../src/index.ts', import.meta.url)) } },
  build: { outDir: 'dist', emptyOutDir: true, target: 'es2022', chunkSizeWarningLimit: 1000 },
  server: { host: '127.0.0.1' },
});
