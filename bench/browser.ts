/**
 * `npm run bench:browser`: the same bench (bench/core.ts) in headless Chrome (bench/chromium.ts finds it and builds
 * its flags). --adapter auto (the default) asks Chrome for the machine's GPU (Vulkan on Linux, Metal on macOS, D3D12
 * on Windows) and falls back to SwiftShader when there is none, saying so in the header and the file name
 * (browser-<adapter>-fallback-<date>); --adapter hardware fails instead; --adapter swiftshader forces SwiftShader.
 * The other flags are those of `npm run bench` (but --poll: Node's); writes <out>/browser-<adapter>-<date>.json and
 * .md, replacing the older files of that adapter. `--linear-ce`: the linear cross-entropy bench (bench/linearCe.ts)
 * instead, with the flags of `npm run bench:linear-ce`; its lines and table go to stdout, nothing is written.
 * Flags: bench/cli.ts, `--help`.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'puppeteer';
import {
  isSoftwareAdapter,
  launchChromium,
  serveBuiltPage,
  servePage,
  takeAdapterFlag,
  type BrowserAdapterChoice,
  type BrowserAdapterInfo,
} from './chromium.js';
import {
  BENCH_OPTIONS,
  BROWSER_ADAPTER,
  benchOptions,
  commandLine,
  flag,
  LINEAR_CE_OPTIONS,
  linearCeOptions,
} from './cli.js';
import type { BenchReport, BrowserRun } from './core.js';
import type { LinearCeOptions } from './linearCe.js';
import type { BenchOptions } from './options.js';
import { progressPrinter } from './progress.js';
import { browserAdapterLine, renderMarkdown, replaceOlderResults, resultStem } from './report.js';
import { TFJS_ALIASES } from './tfjs-aliases.js';

// --adapter is the browser's (auto, hardware, swiftshader); the other flags are the main bench's (but --poll, which is
// Node's), or with --linear-ce the linear cross-entropy bench's (its --tuning and --max-workgroup-size included).
const argv = process.argv.slice(2);
const linearCe = argv.includes('--linear-ce');
let requested: BrowserAdapterChoice = 'auto';
let rest: string[] = [];
try {
  ({ adapter: requested, rest } = takeAdapterFlag(argv));
} catch (error) {
  console.error((error as Error).message);
  process.exit(2);
}
const usage = 'npm run bench:browser -- [--linear-ce] [options]   (or node bench/dist/browser.mjs, once built)';
const about =
  'The main bench (or with --linear-ce the linear cross-entropy bench) in headless Chrome, on its WebGPU adapter.\n' +
  'Writes <out>/browser-<adapter>-<date>.json and .md, replacing the older files of the same adapter; --linear-ce\n' +
  'prints its table and writes nothing.';
const browserOnly = { adapter: BROWSER_ADAPTER, 'linear-ce': flag('the linear cross-entropy bench instead') };
let options: BenchOptions | undefined;
let linearCeRun: LinearCeOptions | undefined;
if (linearCe) {
  const { adapter: _nodeAdapter, ...spec } = LINEAR_CE_OPTIONS;
  const parsed = commandLine(usage, about, { ...spec, 'linear-ce': browserOnly['linear-ce'] }, {
    argv: rest,
    alsoListed: browserOnly,
  });
  linearCeRun = linearCeOptions(parsed.values);
} else {
  const { adapter: _nodeAdapter, poll: _poll, ...spec } = BENCH_OPTIONS;
  const parsed = commandLine(usage, about, spec, { argv: rest, env: true, alsoListed: browserOnly });
  options = benchOptions(parsed.values, parsed.given);
}
const here = dirname(fileURLToPath(import.meta.url));
// Vite's dependency cache would default to node_modules/.vite; keep it out of the (possibly shared) node_modules.
// The page imports the package by name, resolved to the library source here (as tsconfig.json's paths do for tsc).
// XENTROPY_BENCH_PAGE: the page built beforehand (`npm run bench:build-browser`), served without Vite, as on the GPU
// machine (bench/device.sh), which has no node_modules.
const built = process.env.XENTROPY_BENCH_PAGE;
const { url, server } = built
  ? await serveBuiltPage(built)
  : await servePage(join(here, 'browser'), {
      cacheDir: join(tmpdir(), 'xentropy-bench-vite'),
      resolve: { alias: [{ find: /^xentropy$/, replacement: join(here, '..', 'src', 'index.ts') }, ...TFJS_ALIASES] },
    });
const progress = progressPrinter();

interface BenchPage {
  browser: Browser;
  page: Page;
  finished: Promise<BenchReport | undefined>;
  probe: { info: BrowserAdapterInfo; timestamps: BrowserRun['timestamps'] } | null;
}

/** Chrome with WebGPU on `adapter`, the bench page loaded, and the adapter it offers. */
async function openBench(adapter: 'hardware' | 'swiftshader'): Promise<BenchPage> {
  const browser = await launchChromium(adapter);
  const page = await browser.newPage();
  page.on('pageerror', (error) =>
    console.error(`[page error] ${error instanceof Error ? error.message : String(error)}`),
  );
  page.on('console', (message) => {
    if (message.type() === 'error' || message.type() === 'warn')
      console.error(`[page ${message.type()}] ${message.text()}`);
  });
  const finished = new Promise<BenchReport | undefined>((resolve, reject) => {
    void page.exposeFunction('benchDone', (json: string) =>
      resolve(json ? (JSON.parse(json) as BenchReport) : undefined),
    );
    void page.exposeFunction('benchFailed', (message: string) => reject(new Error(message)));
  });
  await page.exposeFunction('benchProgress', (line: string) => progress.line(line));
  await page.exposeFunction('benchLog', (line: string) => console.log(line));
  await page.goto(url);
  await page.waitForFunction('window.benchReady === true', { timeout: 120_000 });
  const probe = await page.evaluate(() =>
    (window as unknown as { probeAdapter(): Promise<BenchPage['probe']> }).probeAdapter(),
  );
  return { browser, page, finished, probe };
}

const describeAdapter = (info: BrowserAdapterInfo) =>
  [info.vendor, info.architecture, info.description, info.backend].filter(Boolean).join(' · ') || 'unnamed adapter';

let status = 0;
let bench: BenchPage | undefined;
let run: BrowserRun;
try {
  bench = await openBench(requested === 'swiftshader' ? 'swiftshader' : 'hardware');
  if (requested !== 'swiftshader') {
    const probe = bench.probe;
    const missing = !probe
      ? 'Chrome found no GPU adapter'
      : isSoftwareAdapter(probe.info)
        ? `Chrome offered only ${describeAdapter(probe.info)}`
        : undefined;
    if (missing && requested === 'hardware') throw new Error(`--adapter hardware: ${missing}`);
    if (missing) {
      await bench.browser.close();
      bench = await openBench('swiftshader');
      run = {
        requested,
        ran: 'swiftshader',
        fallback: missing,
        timestamps: bench.probe?.timestamps ?? 'not available',
      };
    } else {
      run = { requested, ran: 'hardware', timestamps: probe!.timestamps };
    }
  } else {
    run = { requested, ran: 'swiftshader', timestamps: bench.probe?.timestamps ?? 'not available' };
  }
  if (!bench.probe) throw new Error('Chrome gave no WebGPU adapter, not even SwiftShader');
  const userAgent = await bench.browser.version();
  const line = browserAdapterLine(run, describeAdapter(bench.probe.info));
  console.log(`xentropy ${linearCe ? 'linear cross-entropy ' : ''}bench in headless ${userAgent}: ${line}`);
  if (linearCeRun) {
    // The page runs it (bench/linearCe.ts imports tfjs, which this Node process does not load).
    await bench.page.evaluate(
      (o) => (window as unknown as { startLinearCe(options: unknown): void }).startLinearCe(o),
      linearCeRun as unknown as Record<string, unknown>,
    );
    await bench.finished;
  } else if (options) {
    await bench.page.evaluate(
      (o) => (window as unknown as { startBench(o: unknown): void }).startBench(o),
      options as unknown as Record<string, unknown>,
    );
    const report = (await bench.finished)!;
    progress.done();
    report.meta.runtime = 'browser';
    report.meta.browser = run;
    report.meta.notes.push(`headless ${userAgent}: ${line}`);
    const markdown = renderMarkdown(report);
    mkdirSync(options.outDir, { recursive: true });
    const stem = join(options.outDir, resultStem(report));
    writeFileSync(`${stem}.json`, `${JSON.stringify(report, null, 1)}\n`);
    writeFileSync(`${stem}.md`, `${markdown}\n`);
    const replaced = replaceOlderResults(stem);
    const note = replaced.length ? ` (replacing ${replaced.join(', ')})` : '';
    console.log(`\n${markdown}\n\nwrote ${stem}.json and ${stem}.md${note}`);
    if (report.failures.length > 0) {
      console.error(`\n${report.failures.length} validation failure(s): see the table`);
      status = 1;
    }
  }
} catch (error) {
  progress.done();
  console.error(error instanceof Error ? error.message : error);
  status = 1;
} finally {
  await bench?.browser.close();
  await server.close();
}
process.exit(status);
