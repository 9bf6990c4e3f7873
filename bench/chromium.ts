/**
 * Headless Chrome for `npm run bench:browser` and the browser tests: which browser (findChromium), with which flags
 * (chromiumArgs: a hardware GPU, SwiftShader, or no WebGPU), launched by puppeteer; and a page server (servePage).
 * Pages must come from http://localhost: navigator.gpu exists only in a secure context.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { createRequire } from 'node:module';
import { extname, join, normalize, resolve } from 'node:path';
import type { PuppeteerNode } from 'puppeteer';
import type { Browser } from 'puppeteer-core';
import type { InlineConfig } from 'vite';
import { BROWSER_ADAPTER, BROWSER_ADAPTERS, parseCli } from './cli.js';

/** puppeteer, loaded when first needed: vitest's config finds the browser without loading it (slow to load). */
const puppeteerNow = (): PuppeteerNode =>
  (createRequire(import.meta.url)('puppeteer') as { default: PuppeteerNode }).default;

/** Debian's chromium (and the name other distributions use). */
const SYSTEM_CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'];

export interface FoundChromium {
  path: string;
  /** Where it came from: the XENTROPY_CHROMIUM variable, the system's chromium, or the Chrome puppeteer manages. */
  source: 'XENTROPY_CHROMIUM' | 'system' | 'puppeteer';
}

/** What to do on a machine with no browser, for messages. */
export const NO_CHROMIUM =
  "no Chrome or Chromium found: set XENTROPY_CHROMIUM to one, or install Debian's chromium (apt-get install " +
  'chromium), or the Chrome puppeteer manages (npx puppeteer browsers install chrome)';

/**
 * The browser to drive: XENTROPY_CHROMIUM, else the system's chromium, else puppeteer's Chrome (when downloaded).
 * `exists` and `managedChrome` are for tests. Throws with what to install when there is none.
 */
export function findChromium(
  env: Record<string, string | undefined> = process.env,
  exists: (path: string) => boolean = existsSync,
  managedChrome: () => string = () => puppeteerNow().executablePath(),
): FoundChromium {
  const chosen = env.XENTROPY_CHROMIUM;
  if (chosen) {
    if (!exists(chosen)) throw new Error(`XENTROPY_CHROMIUM=${chosen}: no such file`);
    return { path: chosen, source: 'XENTROPY_CHROMIUM' };
  }
  const system = SYSTEM_CHROMIUM.find((path) => exists(path));
  if (system) return { path: system, source: 'system' };
  let managed = '';
  try {
    managed = managedChrome(); // the path where puppeteer would keep it, downloaded or not
  } catch {
    // no puppeteer configuration for this platform
  }
  if (managed && exists(managed)) return { path: managed, source: 'puppeteer' };
  throw new Error(NO_CHROMIUM);
}

/** Which WebGPU adapter to ask Chrome for: the machine's GPU ('hardware'), SwiftShader (in every Chrome), or none. */
export type BrowserAdapter = 'hardware' | 'swiftshader' | 'none';

/**
 * Chrome's flags for `adapter` on `platform` (process.platform). Always: no background traffic, no sandbox (root in
 * CI). With WebGPU: --enable-unsafe-webgpu, and --enable-webgpu-developer-features, which turns off the 100 µs
 * rounding of timestamp queries (developer.chrome.com/docs/web-platform/webgpu/developer-features).
 * Hardware: Linux needs Vulkan turned on, and no Vulkan surface in headless mode (the recipe of
 * developer.chrome.com/blog/supercharge-web-ai-testing); macOS (Metal) and Windows (D3D12) use the GPU by default.
 */
export function chromiumArgs(adapter: BrowserAdapter, platform: NodeJS.Platform = process.platform): string[] {
  const quiet = [
    '--no-sandbox',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--no-first-run',
    '--disable-quic',
    '--disable-dev-shm-usage',
  ];
  if (adapter === 'none') return [...quiet, '--disable-gpu', '--disable-webgpu', '--disable-features=WebGPU'];
  const webgpu = [...quiet, '--enable-unsafe-webgpu', '--enable-webgpu-developer-features'];
  const vulkan = platform === 'linux' ? ['--enable-features=Vulkan'] : [];
  if (adapter === 'swiftshader') return [...webgpu, '--use-webgpu-adapter=swiftshader', ...vulkan];
  if (platform === 'linux') return [...webgpu, ...vulkan, '--use-angle=vulkan', '--disable-vulkan-surface'];
  return webgpu;
}

/** Launch headless Chrome (findChromium) with WebGPU on `adapter` (default SwiftShader). Close it when done. */
export async function launchChromium(adapter: BrowserAdapter = 'swiftshader'): Promise<Browser> {
  // puppeteer-core: it reads no configuration files (the bundle in bench/dist cannot load .puppeteerrc.cjs), and
  // the path is always given; a literal import, so the bundler inlines it.
  const { default: puppeteer } = await import('puppeteer-core');
  return puppeteer.launch({ executablePath: findChromium().path, headless: true, args: chromiumArgs(adapter) });
}

/** A page server: its URL, and the server to close. */
export interface PageServer {
  url: string;
  server: { close(): Promise<void> };
}

/** Serve `root` (a folder with an index.html) with Vite on a free localhost port; returns its URL and the server. */
export async function servePage(root: string, config: InlineConfig = {}): Promise<PageServer> {
  const { createServer } = await import('vite'); // not loaded where a built page is served (bench/device.sh)
  const server = await createServer({
    root,
    logLevel: 'warn',
    server: { host: '127.0.0.1', port: 0, strictPort: false },
    ...config,
  });
  await server.listen();
  const address = server.httpServer?.address();
  if (!address || typeof address === 'string') throw new Error('servePage: the server has no port');
  return { url: `http://localhost:${address.port}/`, server };
}

const TYPES: Record<string, string> = {
  '.html': 'text/html',
  '.js': 'text/javascript',
  '.mjs': 'text/javascript',
  '.wasm': 'application/wasm',
  '.json': 'application/json',
  '.css': 'text/css',
};

/** Serve a built page (`vite build` output) as static files on a free localhost port, without Vite. */
export async function serveBuiltPage(folder: string): Promise<PageServer> {
  const root = resolve(folder);
  const server = createHttpServer((request, response) => {
    const path = normalize(decodeURIComponent(new URL(request.url ?? '/', 'http://localhost').pathname)).replace(
      /^(\.\.[/\\])+/,
      '',
    );
    const file = join(root, path.endsWith('/') ? `${path}index.html` : path);
    if (!file.startsWith(root) || !existsSync(file)) {
      response.writeHead(404).end();
      return;
    }
    response
      .writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' })
      .end(readFileSync(file));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('serveBuiltPage: the server has no port');
  const close = () => new Promise<void>((resolve) => server.close(() => resolve()));
  return { url: `http://localhost:${address.port}/`, server: { close } };
}

/** What Chrome says of its adapter (GPUAdapterInfo; `type` and `backend` with --enable-webgpu-developer-features). */
export interface BrowserAdapterInfo {
  vendor: string;
  architecture: string;
  description: string;
  type?: string;
  backend?: string;
  isFallbackAdapter?: boolean;
}

/** A software adapter: SwiftShader (what Chrome falls back to), or a CPU driver (llvmpipe, lavapipe, WARP). */
export function isSoftwareAdapter(info: BrowserAdapterInfo): boolean {
  const text = `${info.vendor} ${info.architecture} ${info.description}`;
  return (
    info.isFallbackAdapter === true ||
    info.type === 'CPU' ||
    /swiftshader|llvmpipe|lavapipe|softpipe|warp|basic render/i.test(text)
  );
}

/** The browser bench's --adapter: 'auto' (the GPU, else SwiftShader), 'hardware' (the GPU or fail), 'swiftshader'. */
export type BrowserAdapterChoice = (typeof BROWSER_ADAPTERS)[number];

/**
 * Take --adapter (=VALUE or VALUE as the next argument) out of `args` with the benches' parser (bench/cli.ts); the
 * rest go to the bench (the main bench or --linear-ce, whose own --adapter is Node's).
 */
export function takeAdapterFlag(args: readonly string[]): { adapter: BrowserAdapterChoice; rest: string[] } {
  const { values, rest } = parseCli({ adapter: BROWSER_ADAPTER }, args, undefined, true);
  return { adapter: values.adapter, rest };
}
