/**
 * `npm run bench`: the bench in Node on Dawn's bindings (npm `webgpu`), default adapter (a real GPU over Vulkan, else
 * SwiftShader, else llvmpipe; --adapter picks one). Bundled by bench/vite.config.ts into bench/dist/node.mjs with the
 * built package (dist/, imported by name as 'xentropy') and everything else but `webgpu`, so the GPU machine (which has Node's binary and dawn.node, nothing else) can run it.
 * Writes <out>/node-<adapter>-<date>.json and .md (replacing the older ones of that adapter); a validation failure
 * exits with status 1. Flags: bench/cli.ts (BENCH_OPTIONS), `--help`.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { create, globals } from 'webgpu';
import { createEngine } from 'xentropy';
import { BENCH_OPTIONS, benchOptions, commandLine } from './cli.js';
import { runBench, type BenchReport } from './core.js';
import { progressPrinter } from './progress.js';
import { renderMarkdown, replaceOlderResults, resultStem } from './report.js';

const parsed = commandLine(
  'npm run bench -- [options]   (or node bench/dist/node.mjs [options], once built)',
  'The main bench in Node on Dawn: xentropy against the bandwidth roofline, tfjs-backend-webgpu and the CPU ' +
    'reference,\nvalidated, then timed on one device. Writes <out>/node-<adapter>-<date>.json and .md, replacing ' +
    'the older files\nof the same adapter and variant.',
  BENCH_OPTIONS,
  { env: true },
);
const options = benchOptions(parsed.values, parsed.given);

// WebGPU's globals (GPUBufferUsage, GPUMapMode, ...), which Node lacks: tfjs' WebGPU backend and this bench's own
// buffers use them. The library neither needs nor installs them; the bench process asks for them here.
Object.assign(globalThis, globals);
// Timestamp queries at full resolution: Dawn rounds them to ~65 us by default (its timestamp_quantization toggle),
// which made single dispatches read as 0 or multiples of 65.5 us. Read by the library's Node adapter code.
process.env.XENTROPY_DAWN_OPTIONS ??= 'disable-dawn-features=timestamp_quantization';
const engine = await createEngine({ backend: 'webgpu', adapter: options.adapter, vec4Io: options.vec4Io, maxWorkgroupSize: options.maxWorkgroupSize });
const info = engine.adapterInfo!;
const cpuAdapter = info.cpuBased;

// dawn.node waits for GPU events by calling setImmediate in a loop on the main thread while a GPU promise is pending
// (measured here). On a CPU adapter that loop takes a core from SwiftShader's workers; a 1 ms timer gives it
// back. On a real GPU the CPU is idle anyway and the loop answers fastest, so it stays. dawn.node looks setImmediate up
// on every tick, so replacing it after the device exists works. Bench process only: the library leaves it alone.
const poll = options.poll === 'auto' ? (cpuAdapter ? 'timer' : 'immediate') : options.poll;
const pollLabel = poll === 'timer' ? 'dawn.node polls on a 1 ms timer' : 'dawn.node polls with setImmediate';
if (poll === 'timer') {
  (globalThis as { setImmediate: unknown }).setImmediate = (fn: (...args: unknown[]) => void, ...args: unknown[]) => setTimeout(fn, 1, ...args);
}

// tfjs-backend-webgpu refuses to construct without navigator.gpu (webgpu_util.isWebGPUSupported); Node 20 has no
// navigator. Give it a Dawn GPU object (only its presence is checked); tfjs itself runs on engine.device
// (bench/core.ts), so both share one device.
const dawnGpu: GPU = create([]);
const nav = ((globalThis as { navigator?: object }).navigator ??= {}) as { gpu?: GPU };
Object.defineProperty(nav, 'gpu', { value: dawnGpu, configurable: true, writable: true });

const progress = progressPrinter();

let status = 0;
try {
  console.log(`xentropy bench (node ${process.version}): ${info.source} ${info.vendor}/${info.architecture} ${info.description}; dawn.node polling: ${poll}`);
  mkdirSync(options.outDir, { recursive: true });
  let stem = '';
  const write = (report: BenchReport) => {
    stem ||= join(options.outDir, resultStem(report));
    writeFileSync(`${stem}.json`, `${JSON.stringify(report, null, 1)}\n`);
    writeFileSync(`${stem}.md`, `${renderMarkdown(report)}\n`);
  };
  const report = await runBench({ engine, runtime: 'node', poll: pollLabel, progress: progress.line, partial: write }, options);
  progress.done();
  write(report);
  const replaced = replaceOlderResults(stem);
  const note = replaced.length ? ` (replacing ${replaced.join(', ')})` : '';
  console.log(`\n${renderMarkdown(report)}\n\nwrote ${stem}.json and ${stem}.md${note}`);
  if (report.failures.length > 0) {
    console.error(`\n${report.failures.length} validation failure(s): see the table`);
    status = 1;
  }
} catch (error) {
  progress.done();
  console.error(error instanceof Error ? (error.stack ?? error.message) : error);
  status = 1;
} finally {
  engine.destroy();
  Object.defineProperty(nav, 'gpu', { value: undefined });
}
// Dawn's instances keep handles open for a while after the device is destroyed; the results are written, so leave now.
process.exit(status);
