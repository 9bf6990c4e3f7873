/**
 * What a bench run measures: the cases, ops, contenders and repeat counts (parsed from the command line by
 * bench/cli.ts). Shared by the Node bench, the browser bench and its page. No GPU or Node-only code here.
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
  /** createEngine's `vec4Io` (f32 rows as vec4 where aligned), to compare with the default on a GPU. */
  vec4Io: boolean;
  /** createEngine's `maxWorkgroupSize` (default 256; 1024 keeps rows of up to 32768 classes in registers). */
  maxWorkgroupSize: number | undefined;
}

export function parseCases(value: string): Shape[] {
  return value.split(',').map((s) => s.trim()).filter(Boolean).map((item) => {
    const m = /^(\d+)x(\d+)$/.exec(item);
    if (m) return { rows: Number(m[1]), cols: Number(m[2]) };
    if (/^\d+(e\d+)?$/.test(item)) return { n: Number(item) };
    throw new Error(`--cases: '${item}' is neither ROWSxCOLS nor a length`);
  });
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
