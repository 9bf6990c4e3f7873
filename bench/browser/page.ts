/**
 * The bench page for `npm run bench:browser`: served by Vite from localhost (navigator.gpu needs a secure context),
 * it imports the library source and bench/core.ts, runs the bench on the browser's WebGPU adapter, and reports
 * through functions the Node driver (bench/browser.ts) exposed with puppeteer: progress lines, then the report.
 */
import { createEngine, type Engine } from 'xentropy'; // the library source: bench/browser.ts aliases it to src/
import { runBench } from '../core.js';
import { runLinearCeBench, type LinearCeOptions } from '../linearCe.js';
import type { BrowserAdapterInfo } from '../chromium.js';
import type { BrowserRun } from '../core.js';
import type { BenchOptions } from '../options.js';

interface BenchWindow {
  benchProgress(line: string): Promise<void>;
  benchDone(reportJson: string): Promise<void>;
  benchFailed(message: string): Promise<void>;
  startBench(options: BenchOptions): void;
  startLinearCe(options: LinearCeOptions): void;
  probeAdapter(): Promise<{ info: BrowserAdapterInfo; timestamps: BrowserRun['timestamps'] } | null>;
  benchLog(line: string): Promise<void>;
  benchReady: boolean;
}

const page = window as unknown as Window & BenchWindow;

// Returns at once: puppeteer's page.evaluate would time out (protocolTimeout) on a run of several minutes.
page.startBench = (options) => {
  void (async () => {
    let engine: Engine | undefined;
    try {
      const { vec4Io, maxWorkgroupSize } = options;
      engine = await createEngine({ backend: 'webgpu', vec4Io, maxWorkgroupSize });
      const report = await runBench({ engine, runtime: 'browser', poll: "the browser's event loop", progress: (line) => void page.benchProgress(line) }, options);
      await page.benchDone(JSON.stringify(report));
    } catch (error) {
      await page.benchFailed(error instanceof Error ? (error.stack ?? error.message) : String(error));
    } finally {
      engine?.destroy();
    }
  })();
};
// `npm run bench:browser -- --linear-ce`: the linear cross-entropy bench (bench/linearCe.ts) with the command's flags
// (parsed by the Node driver); its lines go to Node's stdout through benchLog, then benchDone with no report.
page.startLinearCe = (options) => {
  void (async () => {
    let engine: Engine | undefined;
    try {
      const { tuning, maxWorkgroupSize } = options;
      engine = await createEngine({ backend: 'webgpu', tuning, maxWorkgroupSize });
      await runLinearCeBench(engine, options, (line) => void page.benchLog(line));
      await page.benchDone('');
    } catch (error) {
      await page.benchFailed(error instanceof Error ? (error.stack ?? error.message) : String(error));
    } finally {
      engine?.destroy();
    }
  })();
};
/**
 * The adapter this browser gives (null: none), on a device of its own, and whether its timestamp queries are exact:
 * Chrome documents rounding them to 100 µs unless its WebGPU developer features are on (Dawn's own quantization
 * clears the low 16 bits, ~65 µs), so 8 timestamps that are all multiples of either were rounded. (Chrome 156 here
 * gave exact ones with and without the developer features, next to --enable-unsafe-webgpu.)
 */
page.probeAdapter = async () => {
  const adapter = await navigator.gpu?.requestAdapter({ powerPreference: 'high-performance' });
  if (!adapter) return null;
  const raw = adapter.info as GPUAdapterInfo & { type?: string; backend?: string; isFallbackAdapter?: boolean };
  const { vendor, architecture, description, type, backend, isFallbackAdapter } = raw;
  const info: BrowserAdapterInfo = { vendor, architecture, description, type, backend, isFallbackAdapter };
  if (!adapter.features.has('timestamp-query')) return { info, timestamps: 'not available' };
  const device = await adapter.requestDevice({ requiredFeatures: ['timestamp-query'] });
  const count = 8;
  const querySet = device.createQuerySet({ type: 'timestamp', count });
  const size = 8 * count;
  const resolved = device.createBuffer({ size, usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC });
  const readback = device.createBuffer({ size, usage: GPUBufferUsage.COPY_DST | GPUBufferUsage.MAP_READ });
  const encoder = device.createCommandEncoder();
  for (let i = 0; i < count; i += 2) {
    const timestampWrites = { querySet, beginningOfPassWriteIndex: i, endOfPassWriteIndex: i + 1 };
    encoder.beginComputePass({ timestampWrites }).end();
  }
  encoder.resolveQuerySet(querySet, 0, count, resolved, 0);
  encoder.copyBufferToBuffer(resolved, 0, readback, 0, size);
  device.queue.submit([encoder.finish()]);
  await readback.mapAsync(GPUMapMode.READ);
  const stamps = [...new BigUint64Array(readback.getMappedRange())];
  readback.unmap();
  for (const resource of [querySet, resolved, readback, device]) resource.destroy();
  return { info, timestamps: stamps.every((t) => t % 100_000n === 0n || t % 65_536n === 0n) ? 'rounded' : 'exact' };
};
page.benchReady = true;
