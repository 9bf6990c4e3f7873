/**
 * Headless Chromium with WebGPU on SwiftShader, for the browser tests and `npm run bench:browser`: Debian's chromium
 * driven by puppeteer (see ../shared/WEBGPU-HERE.md). Pages must come from http://localhost (navigator.gpu exists only
 * in a secure context); `servePage` serves a folder with Vite.
 */
import puppeteer, { type Browser } from 'puppeteer';
import { createServer, type InlineConfig, type ViteDevServer } from 'vite';

export const CHROMIUM_PATH = process.env.XENTROPY_CHROMIUM ?? '/usr/bin/chromium';

/** Flags: WebGPU on SwiftShader, and no background traffic (this machine has no network beyond the registries). */
export function chromiumArgs(webgpu: boolean): string[] {
  const quiet = ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic', '--disable-dev-shm-usage'];
  return webgpu
    ? [...quiet, '--enable-unsafe-webgpu', '--use-webgpu-adapter=swiftshader', '--enable-features=Vulkan']
    : [...quiet, '--disable-gpu', '--disable-webgpu', '--disable-features=WebGPU'];
}

/** Launch headless Chromium, with WebGPU (SwiftShader) or with WebGPU turned off. Close it when done. */
export function launchChromium(options: { webgpu?: boolean } = {}): Promise<Browser> {
  return puppeteer.launch({ executablePath: CHROMIUM_PATH, headless: true, args: chromiumArgs(options.webgpu ?? true) });
}

/** Serve `root` (a folder with an index.html) with Vite on a free localhost port; returns its URL and the server. */
export async function servePage(root: string, config: InlineConfig = {}): Promise<{ url: string; server: ViteDevServer }> {
  const server = await createServer({ root, logLevel: 'warn', server: { host: '127.0.0.1', port: 0, strictPort: false }, ...config });
  await server.listen();
  const address = server.httpServer?.address();
  if (!address || typeof address === 'string') throw new Error('servePage: the server has no port');
  return { url: `http://localhost:${address.port}/`, server };
}
