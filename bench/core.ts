/**
 * The bench itself, the same code in Node (bench/node.ts) and in headless Chromium (bench/browser/page.ts): for each
 * case and op, every contender runs once and is checked against the f64 CPU reference (a wrong result stops the run),
 * then all contenders are timed round-robin on the same device, with the same clock and the same wait:
 *
 *   t0 = now(); launch `inner` calls back to back; submit; await device.queue.onSubmittedWorkDone(); (now() - t0) / inner
 *
 * Contenders: `xentropy` (engine.gpu.*, the GPU-resident API, nothing read back), `roofline` (bench/roofline.ts: a vec4
 * kernel that only moves the op's bytes), `tfjs` (tfjs-backend-webgpu on the engine's own GPUDevice) and `cpu` (the f64
 * reference in src/reference/, single-threaded JS).
 */
// tfjs under aliases (bench/tfjs-modules.d.ts says why). tfjs-core alone has no gradients registered (the umbrella
// @tensorflow/tfjs package imports them); tf.valueAndGrad needs them.
import * as tf from 'bench-tfjs/core';
import 'bench-tfjs/gradients';
import { WebGPUBackend } from 'bench-tfjs/webgpu';
import { reference, roundToFloat16, sumErrorBound, sumPlan, toFloat16Bits, type Engine, type GpuTensor } from 'xentropy';
import { classTargets, normal } from './data.js';
import { elementCount, opsFor, shapeLabel, type BenchOptions, type Contender, type Op, type Shape } from './options.js';
import { Rooflines, type PreparedRoofline } from './roofline.js';

/** One contender's timing on one op and case. */
export interface ContenderResult {
  /** Median wall-clock milliseconds per call. */
  ms: number;
  /** Every sample (ms per call), in the order taken. */
  samples: number[];
  /** Calls launched back to back per sample. */
  inner: number;
  /** Bytes of the op (see `bytesMoved`) / ms. */
  gbps: number;
  /** Median GPU time per call from timestamp queries (roofline and xentropy, when the device has them). */
  gpuMs?: number;
  /** What the validation compared and the worst error seen. */
  validation: string;
  /** E.g. why the CPU reference has a single sample. */
  note?: string;
  /** The result did not match the reference (only recorded with --keep-going; the contender was not timed). */
  invalid?: boolean;
}

export interface CaseResult {
  op: Op;
  shape: string;
  /** Elements of the input (N*C, or n for the sum). */
  elements: number;
  /** Bytes an ideal kernel moves: logits read (+ gradient / output written); the 4N target bytes are not counted. */
  bytes: number;
  results: Partial<Record<Contender, ContenderResult>>;
  /** roofline ms / xentropy ms * 100. */
  percentOfRoofline?: number;
  /** tfjs ms / xentropy ms. */
  speedupVsTfjs?: number;
}

/** The browser bench's adapter: what was asked for (--adapter), what ran, and how precise its GPU timestamps are. */
export interface BrowserRun {
  requested: 'auto' | 'hardware' | 'swiftshader';
  ran: 'hardware' | 'swiftshader';
  /** Why the machine's GPU was not used though 'auto' asked for it. */
  fallback?: string;
  /** Chrome may round timestamp queries (to 100 µs) unless its WebGPU developer features are on: the page checks. */
  timestamps: 'exact' | 'rounded' | 'not available';
}

export interface BenchMeta {
  runtime: string;
  /** Set by the browser bench (bench/browser.ts). */
  browser?: BrowserRun;
  adapter: Engine['adapterInfo'];
  /** The engine's launch shapes ('cpu' or 'gpu', src/engine.ts). */
  tuning: Engine['tuning'];
  /** The engine's largest workgroup (createEngine's maxWorkgroupSize within the device's limits). */
  workgroupSize: number;
  date: string;
  timing: string;
  minSampleMs: number;
  poll: string;
  timestampQuery: boolean;
  options: Omit<BenchOptions, 'cases'> & { cases: string[] };
  notes: string[];
}

export interface BenchReport {
  meta: BenchMeta;
  cases: CaseResult[];
  /** Validation failures (with --keep-going; without it the first one stops the run). */
  failures: string[];
}

/** What the host (Node or the page) provides. */
export interface BenchHost {
  engine: Engine;
  runtime: string;
  /** How dawn.node polls (Node) or 'browser'. */
  poll: string;
  progress(line: string): void;
  /** Called with the results so far after every op and case (the Node bench writes them, so a killed run leaves data). */
  partial?(report: BenchReport): void;
}

/** Bytes an op must move at least: read the input, write the output where there is one (4 bytes a value, f16 2). */
export function bytesMoved(op: Op, elements: number): number {
  return (op === 'log-softmax' || op === 'ce-fwd-bwd' ? 8 : 4) * elements; // ce-fwd-bwd-f16: 2 read + 2 written
}

/** The core issue's tolerance against the f64 reference (the tests' DEFAULT_TOLERANCE). */
const OUR_TOLERANCE = { atol: 1e-6, rtol: 1e-5 };
/**
 * tfjs is a contender, not the product: it is checked against the reference so that a broken comparison can't pass
 * silently, with a tolerance for its f32 math (its logSoftmax is x - max - log(sum), its loss a mean of per-row f32
 * sums).
 */
const TFJS_TOLERANCE = { atol: 1e-5, rtol: 1e-4 };
/**
 * f16 gradients (ce-fwd-bwd-f16) against the reference on the f16-rounded logits: our tolerance plus one f16 rounding
 * of the result (half an ulp, 2^-11 relative; the f16 GPU tests say why). The loss keeps OUR_TOLERANCE.
 */
const F16_TOLERANCE = { atol: 1.1e-6, rtol: 5e-4 };

/** Elementwise |a - e| <= atol + rtol |e| (NaN only where expected); throws with the worst elements otherwise. */
function checkClose(label: string, actual: ArrayLike<number>, expected: ArrayLike<number>, tol: { atol: number; rtol: number }): string {
  if (actual.length !== expected.length) throw new Error(`${label}: length ${actual.length}, expected ${expected.length}`);
  let worst = 0;
  const bad: string[] = [];
  let badCount = 0;
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i]!;
    const e = expected[i]!;
    const err = Math.abs(a - e);
    const ok = Number.isNaN(e) ? Number.isNaN(a) : err <= tol.atol + tol.rtol * Math.abs(e);
    if (!ok) {
      badCount++;
      if (bad.length < 8) bad.push(`  [${i}] got ${a}, expected ${e}, error ${err.toExponential(2)}`);
    } else if (err > worst) worst = err;
  }
  if (badCount > 0) {
    throw new Error(`VALIDATION FAILED ${label}: ${badCount} of ${actual.length} values outside atol ${tol.atol} + rtol ${tol.rtol}:\n${bad.join('\n')}`);
  }
  return `max |err| ${worst.toExponential(1)} (atol ${tol.atol}, rtol ${tol.rtol})`;
}

function checkSum(label: string, got: number, want: number, bound: number): string {
  const err = Math.abs(got - want);
  if (!(err <= bound)) throw new Error(`VALIDATION FAILED ${label}: sum ${got}, expected ${want}, error ${err} > bound ${bound}`);
  return `|err| ${err.toExponential(1)} <= ${bound.toExponential(1)}`;
}

function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** One contender ready to run one op on one case. */
interface Runner {
  name: Contender;
  /** Start one call; resolves (once the work is queued) to a function that frees what the call made. */
  launch(): Promise<() => void>;
  /** Submit anything the contender batches internally (tfjs defers its submits). */
  flush?(): void;
  /** Run once, compare with the reference, free; returns the validation summary (throws when wrong). */
  validate(): Promise<string>;
  /** Bytes of output one call holds until freed (caps `inner`). */
  outputBytes: number;
  /** GPU time per call from timestamps (roofline: its dispatch; xentropy: the pass holding a call's dispatches). */
  gpuMilliseconds?(inner: number): Promise<number | null>;
  /** Already timed (the CPU reference's validation run), with the reason. */
  fixed?: { ms: number; note: string };
}

const now = () => performance.now();

/** Register tfjs-backend-webgpu on `device` (the engine's) as tfjs's 'webgpu' backend and make it current. */
export async function tfjsOn(device: GPUDevice): Promise<WebGPUBackend> {
  // tfjs registers its kernels for the backend *name* 'webgpu'; in a browser its import already registered a
  // 'webgpu' backend that requests its own device, so replace it with one on the engine's device.
  if (tf.findBackendFactory('webgpu')) tf.removeBackend('webgpu');
  const info = (device as GPUDevice & { adapterInfo?: GPUAdapterInfo }).adapterInfo;
  const backend = new WebGPUBackend(device, info);
  tf.registerBackend('webgpu', () => backend);
  if (!(await tf.setBackend('webgpu'))) throw new Error('tfjs: could not set the webgpu backend');
  return backend;
}

export async function runBench(host: BenchHost, options: BenchOptions): Promise<BenchReport> {
  const { engine } = host;
  const device = engine.device;
  if (!device) throw new Error('bench: the engine has no WebGPU device (CPU backend); nothing to compare');
  const cpuAdapter = engine.adapterInfo?.cpuBased ?? false;
  const minSampleMs = options.minSampleMs === 'auto' ? (cpuAdapter ? 0 : 25) : options.minSampleMs;
  const rooflines = new Rooflines(device);
  const tfBackend = options.contenders.includes('tfjs') ? await tfjsOn(device) : null;
  const notes: string[] = [];
  const failures: string[] = [];
  const started = now();
  const cases: CaseResult[] = [];
  const meta = (): BenchMeta => ({
    runtime: host.runtime,
    adapter: engine.adapterInfo,
    tuning: engine.tuning,
    workgroupSize: engine.workgroupSize,
    date: startDate,
    timing: 'wall-clock per call: back-to-back calls, submit, await device.queue.onSubmittedWorkDone(); median of samples; same for every contender',
    minSampleMs,
    poll: host.poll,
    timestampQuery: rooflines.hasTimestamps,
    options: { ...options, cases: options.cases.map(shapeLabel) },
    notes,
  });
  const startDate = new Date().toISOString();
  const work = options.cases.flatMap((shape) => opsFor(shape, options.ops).map((op) => ({ shape, op })));
  let step = 0;

  for (const shape of options.cases) {
    const ops = opsFor(shape, options.ops);
    if (ops.length === 0) continue;
    const n = elementCount(shape);
    const rows = 'n' in shape ? 1 : shape.rows;
    const cols = 'n' in shape ? n : shape.cols;
    host.progress(`${shapeLabel(shape)}: generating ${n} values`);
    const x = normal(n, 'n' in shape ? 1 : 3, options.seed);
    const target = classTargets(rows, cols, options.seed + 1);
    const xGpu = engine.gpu.upload(x);
    const targetGpu = engine.gpu.upload(target);
    // ce-fwd-bwd-f16: the same logits rounded to f16 (the reference runs on the rounded values).
    const withF16 = ops.includes('ce-fwd-bwd-f16');
    const xGpu16 = withF16 ? engine.gpu.upload(x, { dtype: 'f16' }) : null;
    const x16 = withF16 ? roundToFloat16(x) : null;
    const xTf = tfBackend ? ('n' in shape ? tf.tensor1d(x) : tf.tensor2d(x, [rows, cols])) : null;
    const targetTf = tfBackend ? tf.tensor1d(target, 'int32') : null;
    try {
      for (const op of ops) {
        step++;
        const label = `[${step}/${work.length}] ${op} ${shapeLabel(shape)}`;
        const say = (what: string) => host.progress(`${label}: ${what} (${((now() - started) / 1000).toFixed(0)} s)`);
        say('CPU reference');
        const runners = makeRunners({ op, shape, rows, cols, n, x, target, xGpu, targetGpu, xGpu16, x16, xTf, targetTf, engine, rooflines, options, tfBackend });
        try {
          const result: CaseResult = { op, shape: shapeLabel(shape), elements: n, bytes: bytesMoved(op, n), results: {} };
          const calibrated: { runner: Runner; inner: number; samples: number; times: number[]; validation: string }[] = [];
          // A real GPU idles through the CPU reference (seconds) and clocks down: on the H200 the first op of each case
          // (log-softmax) then read 2.5x slower in absolute GPU time, for it and for the roofline alike (2026-11-26,
          // results/node-vulkan-nvidia-20261126-1456.json: the copy took 0.164 ms there and 0.065 ms two ops later).
          // Keep it busy with the roofline first, so the absolute times compare with PyTorch's.
          const roofRunner = runners.find((r) => r.name === 'roofline');
          if (!cpuAdapter && roofRunner) {
            say('warming the GPU up');
            await warmUp(roofRunner, device, GPU_WARM_UP_MS);
          }
          for (const runner of runners) {
            say(`validating ${runner.name}`);
            let validation: string;
            try {
              validation = await runner.validate();
            } catch (error) {
              if (!options.keepGoing) throw error;
              const message = error instanceof Error ? error.message : String(error);
              failures.push(`${op} ${shapeLabel(shape)}: ${message}`);
              host.progress(`${label}: ${message.split('\n')[0]}`);
              result.results[runner.name] = { ms: NaN, samples: [], inner: 0, gbps: NaN, validation: message, invalid: true };
              continue;
            }
            if (runner.fixed) {
              calibrated.push({ runner, inner: 1, samples: 0, times: [runner.fixed.ms], validation });
              continue;
            }
            // Back-to-back calls hold their outputs until the sample ends: at most 1 GiB of them on a CPU adapter, 8 GiB
            // on a GPU (the H200 runs at 1024x32000 were capped at 8 calls of 128 MiB, so a sample was mostly the fixed
            // submit-and-wait latency divided by 8).
            const memoryCap = (engine.adapterInfo?.cpuBased ?? true) ? 2 ** 30 : 2 ** 33;
            const maxInner = Math.max(1, Math.min(200, Math.floor(memoryCap / Math.max(1, runner.outputBytes))));
            // Timed calls to size the samples (the validated run above was the warm-up): 4 back to back on a GPU, where
            // one call alone is mostly that fixed latency and would make `inner` too small.
            const first = await timeSample(runner, (engine.adapterInfo?.cpuBased ?? true) ? 1 : Math.min(4, maxInner), device);
            const inner = minSampleMs > 0 && runner.name !== 'cpu' ? Math.max(1, Math.min(maxInner, Math.ceil(minSampleMs / Math.max(first, 1e-3)))) : 1;
            const perSample = first * inner;
            const samples = Math.max(options.minRepeats, Math.min(options.repeats, Math.floor(options.budgetMs / Math.max(perSample, 1e-3))));
            // With one call per sample the sizing call is a sample like the others (it follows the warm-up).
            calibrated.push({ runner, inner, samples, times: inner === 1 ? [first] : [], validation });
          }
          const rounds = Math.max(0, ...calibrated.map((c) => c.samples));
          for (let round = 0; round < rounds; round++) {
            for (const c of calibrated) {
              if (c.times.length >= c.samples) continue;
              say(`${c.runner.name} sample ${c.times.length + 1}/${c.samples}${c.inner > 1 ? ` (${c.inner} calls)` : ''}`);
              c.times.push(await timeSample(c.runner, c.inner, device));
            }
          }
          for (const c of calibrated) {
            const ms = median(c.times);
            const entry: ContenderResult = { ms, samples: c.times, inner: c.inner, gbps: result.bytes / (ms * 1e6), validation: c.validation };
            if (c.runner.fixed) entry.note = c.runner.fixed.note;
            else if (c.times.length < options.repeats) entry.note = `${c.times.length} sample${c.times.length > 1 ? 's' : ''}: one call takes more than --budget-s / --repeats`;
            if (c.runner.gpuMilliseconds) {
              const gpu: number[] = [];
              for (let i = 0; i < Math.max(1, c.samples); i++) {
                const t = await c.runner.gpuMilliseconds(Math.max(1, c.inner));
                if (t !== null) gpu.push(t);
              }
              if (gpu.length) entry.gpuMs = median(gpu);
            }
            result.results[c.runner.name] = entry;
          }
          for (const name of options.contenders) {
            // Keep the table's order of contenders when one was recorded as invalid above.
            const entry = result.results[name];
            if (entry) {
              delete result.results[name];
              result.results[name] = entry;
            }
          }
          const ours = result.results.xentropy?.ms;
          const roof = result.results.roofline?.ms;
          const tfjsMs = result.results.tfjs?.ms;
          if (ours && roof) result.percentOfRoofline = (roof / ours) * 100;
          if (ours && tfjsMs) result.speedupVsTfjs = tfjsMs / ours;
          cases.push(result);
          host.partial?.({ meta: { ...meta(), notes: [...notes, `partial: ${cases.length} of ${work.length} op/case pairs`] }, cases, failures });
        } finally {
          for (const r of runners) (r as Runner & { dispose?: () => void }).dispose?.();
        }
      }
    } finally {
      xGpu.release();
      targetGpu.release();
      xGpu16?.release();
      xTf?.dispose();
      targetTf?.dispose();
    }
  }
  tfBackend?.dispose();
  const leaked = engine.stats().liveBuffers;
  if (leaked !== 0) notes.push(`engine reports ${leaked} buffers still handed out after the run (a leak)`);
  return { meta: meta(), cases, failures };
}

/** How long the roofline runs before an op is timed on a real GPU (see the warm-up in runBench). */
const GPU_WARM_UP_MS = 300;

/** Run `runner` back to back (8 calls per wait) for at least `ms` milliseconds. */
async function warmUp(runner: Runner, device: GPUDevice, ms: number): Promise<void> {
  const until = now() + ms;
  while (now() < until) {
    const frees = await Promise.all(Array.from({ length: 8 }, () => runner.launch()));
    await device.queue.onSubmittedWorkDone();
    for (const free of frees) free();
  }
}

/** Time `inner` back-to-back calls, ms per call. */
async function timeSample(runner: Runner, inner: number, device: GPUDevice): Promise<number> {
  const start = now();
  const frees: (() => void)[] = [];
  if (inner === 1) frees.push(await runner.launch());
  else frees.push(...(await Promise.all(Array.from({ length: inner }, () => runner.launch()))));
  runner.flush?.();
  await device.queue.onSubmittedWorkDone();
  const ms = (now() - start) / inner;
  for (const free of frees) free();
  return ms;
}

interface RunnerContext {
  op: Op;
  shape: Shape;
  rows: number;
  cols: number;
  n: number;
  x: Float32Array;
  target: Int32Array;
  xGpu: GpuTensor;
  targetGpu: GpuTensor;
  /** The logits as f16, and their values (rounded), for ce-fwd-bwd-f16. */
  xGpu16: GpuTensor | null;
  x16: Float32Array | null;
  xTf: tf.Tensor | null;
  targetTf: tf.Tensor | null;
  engine: Engine;
  rooflines: Rooflines;
  options: BenchOptions;
  tfBackend: WebGPUBackend | null;
}

/** The reference result of an op, computed once (and timed: the CPU contender's first sample). */
interface ReferenceResult {
  ms: number;
  /** log-softmax output, or the CE gradient. */
  values?: Float64Array;
  loss?: number;
  sum?: number;
  sumAbs?: number;
}

function runReference(c: RunnerContext): ReferenceResult {
  const { op, x, target, rows, cols } = c;
  const start = now();
  if (op === 'log-softmax') {
    const values = reference.logSoftmax(x, rows, cols);
    return { ms: now() - start, values };
  }
  if (op === 'sum') {
    const sum = reference.sum(x);
    const ms = now() - start;
    let sumAbs = 0;
    for (let i = 0; i < x.length; i++) sumAbs += Math.abs(x[i]!);
    return { ms, sum, sumAbs };
  }
  const f16 = op === 'ce-fwd-bwd-f16';
  const r = reference.crossEntropy(f16 ? c.x16! : x, target, rows, cols, { reduction: 'mean', ignoreIndex: -100, grad: op !== 'ce-fwd' });
  const ms = now() - start;
  return r.grad ? { ms, loss: r.loss as number, values: r.grad } : { ms, loss: r.loss as number };
}

function makeRunners(c: RunnerContext): (Runner & { dispose?: () => void })[] {
  const { op, rows, cols, n, engine, options } = c;
  const shapeOption = { shape: [rows, cols] };
  const ref = runReference(c);
  const runners: (Runner & { dispose?: () => void })[] = [];
  const f16 = op === 'ce-fwd-bwd-f16';
  const outputBytes = op === 'log-softmax' || op === 'ce-fwd-bwd' ? 4 * n : f16 ? 2 * n + 4 : 16;

  for (const name of options.contenders) {
    if (name === 'xentropy') {
      const launch = async (): Promise<{ free: () => void; read: () => Promise<{ values?: Float32Array; scalar: number }> }> => {
        if (op === 'log-softmax') {
          const out = await engine.gpu.logSoftmax(c.xGpu, shapeOption);
          return { free: () => out.release(), read: async () => ({ values: (await out.read()) as Float32Array, scalar: NaN }) };
        }
        if (op === 'sum') {
          const out = await engine.gpu.sum(c.xGpu);
          return { free: () => out.release(), read: async () => ({ scalar: (await out.read())[0]! }) };
        }
        const r = await engine.gpu.crossEntropy(f16 ? c.xGpu16! : c.xGpu, c.targetGpu, { ...shapeOption, grad: op !== 'ce-fwd' });
        return {
          free: () => [r.loss, r.grad, r.weightSum].forEach((t) => t?.release()),
          read: async () => ({ values: r.grad ? ((await r.grad.read()) as Float32Array) : undefined, scalar: (await r.loss.read())[0]! }),
        };
      };
      runners.push({
        name,
        outputBytes,
        launch: async () => (await launch()).free,
        // GPU time of one call: its compute pass (its dispatches together, as unprofiled) between two timestamps
        // (engine.profile perPass; per-dispatch passes added 30-50 us per tiny dispatch on the H200).
        gpuMilliseconds: c.rooflines.hasTimestamps
          ? async (inner) => {
              const { result: calls, timings } = await engine.profile(() => Promise.all(Array.from({ length: inner }, () => launch())), { perPass: true });
              for (const call of calls) call.free();
              return timings.reduce((total, t) => total + t.ms, 0) / inner;
            }
          : undefined,
        validate: async () => {
          const call = await launch();
          try {
            const got = await call.read();
            const label = f16 ? `xentropy ${op} (${engine.shaderF16 ? 'array<f16>' : 'packed f16 pairs'})` : `xentropy ${op}`;
            return validateAgainst(label, op, got, ref, OUR_TOLERANCE, n, sumErrorBound(n, ref.sumAbs ?? 0, sumPlan(engine.tuning ?? 'gpu', engine.workgroupSize, n)), f16 ? F16_TOLERANCE : OUR_TOLERANCE);
          } finally {
            call.free();
          }
        },
      });
    } else if (name === 'roofline') {
      // f16: a copy of the f16 words (the same bytes as the op reads and writes).
      const prepared: PreparedRoofline = f16 ? c.rooflines.prepare('copy', c.xGpu16!.buffer, Math.ceil(n / 2)) : c.rooflines.prepare(op === 'log-softmax' || op === 'ce-fwd-bwd' ? 'copy' : 'read', c.xGpu.buffer, n);
      const sourceWords = f16 ? new Uint32Array(toFloat16Bits(c.x).buffer, 0, Math.floor(n / 2)) : new Uint32Array(c.x.buffer, c.x.byteOffset, c.x.length);
      runners.push({
        name,
        outputBytes: 0,
        launch: async () => {
          prepared.submit();
          return () => {};
        },
        validate: async () => {
          prepared.submit();
          const out = await prepared.readOutput();
          if (prepared.kind === 'copy') {
            const words = new Uint32Array(out.buffer, out.byteOffset, out.length);
            for (let i = 0; i < prepared.coveredFloats; i++) {
              if (words[i] !== sourceWords[i]) throw new Error(`VALIDATION FAILED roofline copy: word [${i}] ${words[i]} != ${sourceWords[i]}`);
            }
            return `exact copy of ${prepared.coveredFloats} ${f16 ? 'words of f16 pairs' : 'floats'}`;
          }
          let got = 0;
          for (const v of out) got += v;
          let want = 0;
          let sumAbs = 0;
          for (let i = 0; i < prepared.coveredFloats; i++) {
            want += c.x[i]!;
            sumAbs += Math.abs(c.x[i]!);
          }
          // Each value goes through at most maxAdditions f32 roundings (Higham's gamma_k bound, as src/ops/sum.ts).
          const k = prepared.maxAdditions;
          const u = 2 ** -24;
          return checkSum('roofline read', got, want, ((k * u) / (1 - k * u)) * sumAbs + 1e-9 * sumAbs);
        },
        gpuMilliseconds: (inner) => prepared.gpuMilliseconds(inner),
        dispose: () => prepared.destroy(),
      });
    } else if (name === 'tfjs' && c.xTf && c.targetTf && c.tfBackend && !f16) {
      // (tfjs-backend-webgpu has no f16 tensors: no tfjs contender for ce-fwd-bwd-f16.)
      const xTf = c.xTf;
      const targetTf = c.targetTf;
      const backend = c.tfBackend;
      // tfjs has no class-index form: the one-hot labels are built inside the timed call (the cost a tfjs user pays).
      const loss = (logits: tf.Tensor) => tf.losses.softmaxCrossEntropy(tf.oneHot(targetTf, cols, 1, 0, 'float32'), logits);
      const call = (): tf.Tensor[] =>
        tf.tidy(() => {
          if (op === 'log-softmax') return [tf.logSoftmax(xTf)];
          if (op === 'sum') return [tf.sum(xTf)];
          if (op === 'ce-fwd') return [loss(xTf)];
          const { value, grad } = tf.valueAndGrad(loss)(xTf);
          return [value, grad];
        });
      runners.push({
        name,
        outputBytes,
        launch: async () => {
          const out = call();
          return () => tf.dispose(out);
        },
        // tfjs records into one command encoder and submits every 15 dispatches (WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE) or
        // on a read; submit the rest the way its own read path does: end the open pass, then submit.
        flush: () => {
          backend.endComputePassEncoder();
          backend.ensureCommandEncoderReady();
          backend.submitQueue();
        },
        validate: async () => {
          const out = call();
          try {
            const data = await Promise.all(out.map((t) => t.data()));
            const first = data[0] as Float32Array;
            const got =
              op === 'log-softmax' ? { values: first, scalar: NaN } : op === 'ce-fwd-bwd' ? { values: data[1] as Float32Array, scalar: first[0]! } : { scalar: first[0]! };
            // tfjs's sum order is its own; bound it as a sequential f32 sum of log2-depth blocks would be: 1e-6 sum|x|.
            return validateAgainst(`tfjs ${op}`, op, got, ref, TFJS_TOLERANCE, n, 1e-6 * (ref.sumAbs ?? 0));
          } finally {
            tf.dispose(out);
          }
        },
      });
    } else if (name === 'cpu') {
      const big = n > options.cpuTimeMaxElements;
      const runner: Runner = {
        name,
        outputBytes: 0,
        launch: async () => {
          runReference(c);
          return () => {};
        },
        validate: async () => 'is the reference (f64)',
      };
      if (big) runner.fixed = { ms: ref.ms, note: `one run (the validation run): ${n} > --cpu-time-max ${options.cpuTimeMaxElements}` };
      runners.push(runner);
    }
  }
  return runners;
}

function validateAgainst(
  label: string,
  op: Op,
  got: { values?: Float32Array; scalar: number },
  ref: ReferenceResult,
  tol: { atol: number; rtol: number },
  n: number,
  sumBound: number,
  valuesTol = tol,
): string {
  if (op === 'sum') return checkSum(label, got.scalar, ref.sum!, sumBound);
  const parts: string[] = [];
  if (op !== 'log-softmax') parts.push(`loss ${checkClose(`${label} loss`, [got.scalar], [ref.loss!], tol)}`);
  if (op !== 'ce-fwd') {
    if (!got.values || got.values.length !== n) throw new Error(`VALIDATION FAILED ${label}: no output of ${n} values`);
    parts.push(`${op === 'log-softmax' ? 'output' : 'grad'} ${checkClose(`${label} ${op === 'log-softmax' ? 'output' : 'grad'}`, got.values, ref.values!, valuesTol)}`);
  }
  return parts.join('; ');
}
