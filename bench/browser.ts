/**
 * `npm run bench:browser`: the same bench (bench/core.ts) in headless Chromium with WebGPU on SwiftShader, through the
 * launcher and page server the browser tests use (bench/chromium.ts). Takes the same flags as `npm run bench`
 * (--adapter and --poll do not apply); writes <out>/browser-<adapter>-<date>.json and .md.
 * `--linear-ce`: the linear cross-entropy bench (bench/linearCe.ts) instead, with the flags of `npm run bench:linear-ce`
 * (--adapter does not apply); its lines and table go to stdout, nothing is written.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { launchChromium, servePage } from './chromium.js';
import type { BenchReport } from './core.js';
import { parseOptions } from './options.js';
import { progressPrinter } from './progress.js';
import { renderMarkdown, resultStem } from './report.js';
import { TFJS_ALIASES } from './tfjs-aliases.js';

const args = process.argv.slice(2);
const linearCe = args.includes('--linear-ce');
const options = linearCe ? undefined : parseOptions(args, process.env);
const here = dirname(fileURLToPath(import.meta.url));
// Vite's dependency cache would default to node_modules/.vite; keep it out of the (possibly shared) node_modules.
// The page imports the package by name, resolved to the library source here (as tsconfig.json's paths do for tsc).
const { url, server } = await servePage(join(here, 'browser'), {
  cacheDir: join(tmpdir(), 'xentropy-bench-vite'),
  resolve: { alias: [{ find: /^xentropy$/, replacement: join(here, '..', 'src', 'index.ts') }, ...TFJS_ALIASES] },
});
const browser = await launchChromium('swiftshader');
const progress = progressPrinter();
let status = 0;
try {
  const page = await browser.newPage();
  page.on('pageerror', (error) => console.error(`[page error] ${error instanceof Error ? error.message : String(error)}`));
  page.on('console', (message) => {
    if (message.type() === 'error' || message.type() === 'warn') console.error(`[page ${message.type()}] ${message.text()}`);
  });
  const finished = new Promise<BenchReport | undefined>((resolve, reject) => {
    void page.exposeFunction('benchDone', (json: string) => resolve(json ? (JSON.parse(json) as BenchReport) : undefined));
    void page.exposeFunction('benchFailed', (message: string) => reject(new Error(message)));
  });
  await page.exposeFunction('benchProgress', (line: string) => progress.line(line));
  await page.exposeFunction('benchLog', (line: string) => console.log(line));
  await page.goto(url);
  await page.waitForFunction('window.benchReady === true', { timeout: 120_000 });
  const userAgent = await browser.version();
  console.log(`xentropy ${linearCe ? 'linear cross-entropy ' : ''}bench in headless Chromium (${userAgent}), WebGPU on SwiftShader`);
  if (!options) {
    // The page parses the flags (bench/linearCe.ts imports tfjs, which this Node process does not load).
    await page.evaluate((a) => (window as unknown as { startLinearCe(args: string[]): void }).startLinearCe(a), args);
    await finished;
  } else {
    await page.evaluate((o) => (window as unknown as { startBench(o: unknown): void }).startBench(o), options as unknown as Record<string, unknown>);
    const report = (await finished)!;
    progress.done();
    report.meta.runtime = 'browser';
    report.meta.notes.push(`headless ${userAgent}`);
    const markdown = renderMarkdown(report);
    mkdirSync(options.outDir, { recursive: true });
    const stem = join(options.outDir, resultStem(report));
    writeFileSync(`${stem}.json`, `${JSON.stringify(report, null, 1)}\n`);
    writeFileSync(`${stem}.md`, `${markdown}\n`);
    console.log(`\n${markdown}\n\nwrote ${stem}.json and ${stem}.md`);
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
  await browser.close();
  await server.close();
}
process.exit(status);
