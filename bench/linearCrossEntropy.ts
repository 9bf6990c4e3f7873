/**
 * `npm run bench:linear-ce`: the fused linear cross-entropy bench (bench/linearCe.ts: contenders, validation, timing,
 * the table) in Node on Dawn. Flags: bench/cli.ts (LINEAR_CE_OPTIONS), `--help`. The same bench in headless Chromium:
 * `npm run bench:browser -- --linear-ce`.
 */
import { create, globals } from 'webgpu';
import { createEngine, type Engine } from 'xentropy';
import { commandLine, LINEAR_CE_OPTIONS, linearCeOptions } from './cli.js';
import { runLinearCeBench } from './linearCe.js';

const parsed = commandLine(
  'npm run bench:linear-ce -- [options]   (or node bench/dist/linear-ce.mjs [options], once built)',
  'The fused linear cross-entropy against the unfused path (tfjs matMul + the CE kernel) and tfjs, validated, then\n' +
    'timed on one device; --matmul: its matmuls alone against tfjs matMul.',
  LINEAR_CE_OPTIONS,
);
let options;
try {
  options = linearCeOptions(parsed.values);
} catch (error) {
  console.error((error as Error).message);
  process.exit(2);
}
// WebGPU's globals (GPUBufferUsage, GPUMapMode, ...), which Node lacks: tfjs' WebGPU backend and this bench's own
// buffers use them. The library neither needs nor installs them; the bench process asks for them here.
Object.assign(globalThis, globals);
// Timestamp queries at full resolution: Dawn rounds them to ~65 us by default (its timestamp_quantization toggle),
// which made single dispatches read as 0 or multiples of 65.5 us. Read by the library's Node adapter code.
process.env.XENTROPY_DAWN_OPTIONS ??= 'disable-dawn-features=timestamp_quantization';
const engine: Engine = await createEngine({ backend: 'webgpu', adapter: options.adapter, tuning: options.tuning, maxWorkgroupSize: options.maxWorkgroupSize });
if (engine.adapterInfo!.cpuBased) {
  // As bench/node.ts: dawn.node's setImmediate polling takes a core from a CPU adapter's workers (bench process only).
  (globalThis as { setImmediate: unknown }).setImmediate = (fn: (...a: unknown[]) => void, ...a: unknown[]) => setTimeout(fn, 1, ...a);
}
// tfjs-backend-webgpu refuses to construct without navigator.gpu; Node has none (as bench/node.ts).
const nav = ((globalThis as { navigator?: object }).navigator ??= {}) as { gpu?: GPU };
Object.defineProperty(nav, 'gpu', { value: create([]), configurable: true, writable: true });

let status = 0;
try {
  await runLinearCeBench(engine, options, (line) => console.log(line));
} catch (error) {
  console.error(error instanceof Error ? (error.stack ?? error.message) : error);
  status = 1;
} finally {
  engine.destroy();
}
process.exit(status);
