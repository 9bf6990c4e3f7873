/**
 * What a bench run measures: the cases, ops, contenders and repeat counts, from command-line flags or XENT_BENCH_*
 * environment variables (flags win). Shared by the Node bench, the browser bench and bench/device.sh. No GPU code here.
 */

/** ce-fwd-bwd-f16: the fused CE over f16 logits with an f16 gradient (array<f16> with shader-f16, else packed pairs). */
export const OPS = ['log-softmax', 'ce-fwd', 'ce-fwd-bwd', 'ce-fwd-bwd-f16', 'sum'] as const;
export type Op = (typeof OPS)[number];

export const CONTENDERS = ['xentropy', 'roofline', 'tfjs', 'cpu'] as const;
export type Contender = (typeof CONTENDERS)[number];

/** A rowwise case [rows, cols] for the row ops, or a length for the sum. */
export type Shape = { rows: number; cols: number } | { n: number };

/** The cases: a classifier head, LLM vocabularies (32k, 128k, 256k classes), many short rows, and the sum. */
export const DEFAULT_CASES = '4096x1000,1024x32000,256x128256,64x262144,65537x10,16000000';
/** A run that fits in about two minutes on SwiftShader (~1-2 GB/s). */
export const QUICK_CASES = '4096x1000,256x32000,65537x10,4000000';

export interface BenchOptions {
  cases: Shape[];
  ops: Op[];
  contenders: Contender[];
  /** Timed samples per contender (after one warm-up run, which is also the validated run). */
  repeats: number;
  /** Fewest samples for a contender slower than `budgetMs / repeats` per run. */
  minRepeats: number;
  /** Wall-clock budget per contender, op and case; slow contenders take fewer samples (never fewer than minRepeats). */
  budgetMs: number;
  /** Each sample launches enough back-to-back calls to last this long (0: one call per sample). 'auto': 0 on CPU
   * adapters (one call already takes tens of ms), 25 ms on a real GPU (one call takes microseconds). */
  minSampleMs: number | 'auto';
  /** The CPU reference is timed `repeats` times only up to this many elements; above, its one validation run is reported. */
  cpuTimeMaxElements: number;
  /** Node only: how dawn.node waits for GPU events (see bench/README.md): 'auto' = 'timer' on CPU adapters, else 'immediate'. */
  poll: 'auto' | 'timer' | 'immediate';
  /** Node only: the adapter (createEngine's `adapter` option). */
  adapter: 'auto' | 'vulkan' | 'swiftshader' | 'llvmpipe';
  /** Folder for the JSON and markdown results. */
  outDir: string;
  /** Seed of the generated logits and targets. */
  seed: number;
  /** Record a validation failure (the contender is not timed, the exit status is 1) and go on, instead of stopping. */
  keepGoing: boolean;
  /** Node only: createEngine's `vec4Io` (f32 rows as vec4 where aligned), to compare with the default on a GPU. */
  vec4Io: boolean;
  /** Node only: createEngine's `maxWorkgroupSize` (default 256; 1024 keeps rows of up to 32768 classes in registers). */
  maxWorkgroupSize: number | undefined;
}

export const OPTION_HELP = `Flags (or environment variables XENT_BENCH_<NAME>, e.g. XENT_BENCH_CASES):
  --quick                 small cases (${QUICK_CASES}), 3 repeats: about 2 minutes on SwiftShader
  --cases=LIST            RxC for the row ops, N for the sum (default ${DEFAULT_CASES})
  --ops=LIST              ${OPS.join(',')} (default all)
  --contenders=LIST       ${CONTENDERS.join(',')} (default all)
  --repeats=N             timed samples per contender (default 5)
  --min-repeats=N         fewest samples for slow contenders (default 1)
  --budget-s=S            seconds per contender, op and case; slower contenders take fewer samples (default 10, quick 5)
  --min-sample-ms=MS|auto back-to-back calls per sample last at least this long (default auto)
  --cpu-time-max=N        time the CPU reference repeatedly only up to N elements (default 4200000)
  --poll=auto|timer|immediate   Node: dawn.node's event polling (default auto)
  --adapter=auto|vulkan|swiftshader|llvmpipe   Node: the WebGPU adapter (default auto)
  --out=DIR               where the JSON and markdown go (default bench/results)
  --seed=N                data seed (default 1)
  --keep-going            on a validation failure, mark that contender INVALID and go on (exit status still 1)
  --vec4-io               Node: createEngine({ vec4Io: true }), f32 rows read and written as vec4 where aligned
  --max-workgroup-size=N  Node: createEngine({ maxWorkgroupSize: N }) (default 256)`;

function parseList<T extends string>(name: string, value: string, allowed: readonly T[]): T[] {
  const items = value.split(',').map((s) => s.trim()).filter(Boolean);
  for (const item of items) if (!allowed.includes(item as T)) throw new Error(`--${name}: unknown '${item}' (expected ${allowed.join(', ')})`);
  return items as T[];
}

export function parseCases(value: string): Shape[] {
  return value.split(',').map((s) => s.trim()).filter(Boolean).map((item) => {
    const m = /^(\d+)x(\d+)$/.exec(item);
    if (m) return { rows: Number(m[1]), cols: Number(m[2]) };
    if (/^\d+(e\d+)?$/.test(item)) return { n: Number(item) };
    throw new Error(`--cases: '${item}' is neither ROWSxCOLS nor a length`);
  });
}

function positive(name: string, value: string, integer = true): number {
  const v = Number(value);
  if (!(v >= 0) || (integer && !Number.isInteger(v))) throw new Error(`--${name}: expected a non-negative ${integer ? 'integer' : 'number'} (got '${value}')`);
  return v;
}

/** Parse `args` (e.g. process.argv.slice(2)) over `env` (e.g. process.env). Throws on anything unknown. */
export function parseOptions(args: readonly string[], env: Record<string, string | undefined> = {}): BenchOptions {
  const given = new Map<string, string>();
  for (const [key, value] of Object.entries(env)) {
    if (key.startsWith('XENT_BENCH_') && value !== undefined) given.set(key.slice(11).toLowerCase().replace(/_/g, '-'), value);
  }
  for (const arg of args) {
    const m = /^--([a-z0-9-]+)(?:=(.*))?$/.exec(arg);
    if (!m) throw new Error(`unexpected argument '${arg}'\n${OPTION_HELP}`);
    given.set(m[1]!, m[2] ?? 'true');
  }
  const quick = given.get('quick') === 'true' || given.get('quick') === '1';
  given.delete('quick');
  const options: BenchOptions = {
    cases: parseCases(quick ? QUICK_CASES : DEFAULT_CASES),
    ops: [...OPS],
    contenders: [...CONTENDERS],
    repeats: quick ? 3 : 5,
    minRepeats: 1,
    budgetMs: quick ? 5_000 : 10_000,
    minSampleMs: 'auto',
    cpuTimeMaxElements: 4_200_000,
    poll: 'auto',
    adapter: 'auto',
    outDir: 'bench/results',
    seed: 1,
    keepGoing: false,
    vec4Io: false,
    maxWorkgroupSize: undefined,
  };
  for (const [name, value] of given) {
    switch (name) {
      case 'cases': options.cases = parseCases(value); break;
      case 'ops': options.ops = parseList(name, value, OPS); break;
      case 'contenders': options.contenders = parseList(name, value, CONTENDERS); break;
      case 'repeats': options.repeats = Math.max(1, positive(name, value)); break;
      case 'min-repeats': options.minRepeats = Math.max(1, positive(name, value)); break;
      case 'budget-s': options.budgetMs = positive(name, value, false) * 1000; break;
      case 'min-sample-ms': options.minSampleMs = value === 'auto' ? 'auto' : positive(name, value, false); break;
      case 'cpu-time-max': options.cpuTimeMaxElements = positive(name, value); break;
      case 'poll': options.poll = parseList(name, value, ['auto', 'timer', 'immediate'] as const)[0] ?? 'auto'; break;
      case 'adapter': options.adapter = parseList(name, value, ['auto', 'vulkan', 'swiftshader', 'llvmpipe'] as const)[0] ?? 'auto'; break;
      case 'out': options.outDir = value; break;
      case 'seed': options.seed = positive(name, value); break;
      case 'keep-going': options.keepGoing = value !== 'false' && value !== '0'; break;
      case 'vec4-io': options.vec4Io = value !== 'false' && value !== '0'; break;
      case 'max-workgroup-size': options.maxWorkgroupSize = positive(name, value); break;
      case 'help': throw new Error(OPTION_HELP);
      default: throw new Error(`unknown option '--${name}'\n${OPTION_HELP}`);
    }
  }
  options.minRepeats = Math.min(options.minRepeats, options.repeats);
  return options;
}

export function shapeLabel(shape: Shape): string {
  return 'n' in shape ? `n=${shape.n}` : `${shape.rows}x${shape.cols}`;
}

export function elementCount(shape: Shape): number {
  return 'n' in shape ? shape.n : shape.rows * shape.cols;
}

/** The ops that apply to a case: the row ops to RxC cases, the sum to lengths. */
export function opsFor(shape: Shape, ops: readonly Op[]): Op[] {
  return ops.filter((op) => ('n' in shape ? op === 'sum' : op !== 'sum'));
}
