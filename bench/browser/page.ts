/**
 * The bench page for `npm run bench:browser`: served by Vite from localhost (navigator.gpu needs a secure context),
 * it imports the library source and bench/core.ts, runs the bench on the browser's WebGPU adapter, and reports
 * through functions the Node driver (bench/browser.ts) exposed with puppeteer: progress lines, then the report.
 */
import { createEngine, type Engine } from 'xentropy'; // the library source: bench/browser.ts aliases it to src/
import { runBench } from '../core.js';
import { parseLinearCeArgs, runLinearCeBench } from '../linearCe.js';
import type { BenchOptions } from '../options.js';

interface BenchWindow {
  benchProgress(line: string): Promise<void>;
  benchDone(reportJson: string): Promise<void>;
  benchFailed(message: string): Promise<void>;
  startBench(options: BenchOptions): void;
  startLinearCe(args: string[]): void;
  benchLog(line: string): Promise<void>;
  benchReady: boolean;
}

const page = window as unknown as Window & BenchWindow;

// Returns at once: puppeteer's page.evaluate would time out (protocolTimeout) on a run of several minutes.
page.startBench = (options) => {
  void (async () => {
    let engine: Engine | undefined;
    try {
      engine = await createEngine({ backend: 'webgpu' });
      const report = await runBench({ engine, runtime: 'browser', poll: "the browser's event loop", progress: (line) => void page.benchProgress(line) }, options);
      await page.benchDone(JSON.stringify(report));
    } catch (error) {
      await page.benchFailed(error instanceof Error ? (error.stack ?? error.message) : String(error));
    } finally {
      engine?.destroy();
    }
  })();
};
// `npm run bench:browser -- --linear-ce`: the linear cross-entropy bench (bench/linearCe.ts) with the command's flags;
// its lines go to Node's stdout through benchLog, then benchDone with no report.
page.startLinearCe = (args) => {
  void (async () => {
    let engine: Engine | undefined;
    try {
      engine = await createEngine({ backend: 'webgpu' });
      await runLinearCeBench(engine, parseLinearCeArgs(args), (line) => void page.benchLog(line));
      await page.benchDone('');
    } catch (error) {
      await page.benchFailed(error instanceof Error ? (error.stack ?? error.message) : String(error));
    } finally {
      engine?.destroy();
    }
  })();
};
page.benchReady = true;
