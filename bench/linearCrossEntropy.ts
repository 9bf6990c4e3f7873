/**
 * `npm run bench:linear-ce`: the fused linear cross-entropy bench (bench/linearCe.ts: contenders, validation, timing,
 * the table) in Node on Dawn. Flags: --full, --shape N,D,V, --repeats, --adapter auto|swiftshader|llvmpipe|vulkan,
 * --contenders, --matmul, --dtype f32|f16, --tuning auto|cpu|gpu, --max-workgroup-size. The same bench in headless Chromium:
 * `npm run bench:browser -- --linear-ce`.
 */
import { create, globals } from 'webgpu';
import { createEngine, type Engine } from 'xentropy';
import { parseLinearCeArgs, runLinearCeBench } from './linearCe.js';

const options = parseLinearCeArgs(process.argv.slice(2));
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
