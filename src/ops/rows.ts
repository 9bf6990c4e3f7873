/**
 * Shared host logic of the row-wise kernels (log_softmax.wgsl, cross_entropy.wgsl): the launch plan (threads per row,
 * workgroup size, split rows) and row chunks that fit one storage binding.
 */
import type { GpuContext } from '../gpu/context.js';

/** How a row-wise kernel is launched over `rows` rows of `cols` columns. */
export interface RowPlan {
  /**
   * Pipeline constants: workgroup size and threads per (row, segment) unit; FIXED_COLS (the row length) when one
   * thread walks a whole short row on a CPU adapter (row_stats.wgsl: unrolled blocks), absent otherwise.
   */
  constants: { WG: number; TPR: number; FIXED_COLS?: number };
  /** Segments per row: 1, or more when few long rows would leave the device idle (then two phases). */
  segments: number;
  /** Columns per segment, a multiple of 4. */
  segmentLength: number;
  /** Workgroups to dispatch. */
  groups: number;
}

/** Threads the device should have in flight: enough units for every core of a CPU adapter, or every SM of a GPU. */
const TARGET_THREADS = { cpu: 512, gpu: 1 << 17 } as const;
/**
 * Columns one thread walks per pass, at most. Two reasons: Mesa's llvmpipe silently ends every loop of a shader once
 * 65535 iterations were taken by all its loops together (gallivm, lp_bld_limits.h: LP_MAX_TGSI_LOOP_ITERATIONS,
 * "shared between every loop"), which truncated long rows walked by one thread; and a serial f32 chain of k terms is
 * only good to about sqrt(k) * 2^-24, so longer rows are shared by more threads and combined by a tree.
 */
export const MAX_COLUMNS_PER_THREAD = 8192;

/**
 * Rows of at most this many columns are walked in unrolled blocks on CPU adapters (row_stats.wgsl FIXED_COLS, 4 *
 * FIXED_BLOCKS): one pipeline per row length, straight-line code SwiftShader runs 3-5x faster than the loop.
 */
export const MAX_FIXED_COLS = 32;

/** Below this many columns a row is never split (the combine pass would cost more than it saves). */
const MIN_SPLIT_COLS = 4096;
const MAX_SEGMENTS = 64;

function nextPowerOfTwo(n: number): number {
  return 2 ** Math.ceil(Math.log2(Math.max(1, n)));
}

/**
 * The launch plan. CPU-emulated adapters (SwiftShader, llvmpipe) run a workgroup's invocations in lock step and pay
 * dearly for barriers, so one thread walks a whole row up to MAX_COLUMNS_PER_THREAD columns (TPR 1 was measured
 * 10-20x faster there than 256 threads per row).
 * GPUs get about 32 columns per thread (TPR up to the workgroup size), so a warp's loads are contiguous. Few long rows
 * (64 x 262144) are split into segments so the whole device works, then combined in a second phase; kernels that
 * cannot split pass `split: false` and must cope with at most tpr * MAX_COLUMNS_PER_THREAD columns per unit (checked).
 */
export function planRows(ctx: GpuContext, rows: number, cols: number, options: { split?: boolean } = {}): RowPlan {
  const cpu = ctx.tuning === 'cpu';
  const wgMax = ctx.workgroupSize;
  const tpr = Math.min(wgMax, nextPowerOfTwo(Math.ceil(cols / (cpu ? MAX_COLUMNS_PER_THREAD : 32))));
  const wg = cpu ? Math.max(tpr, Math.min(64, wgMax)) : wgMax;
  let segments = 1;
  if (options.split !== false && cols >= MIN_SPLIT_COLS) {
    const wanted = Math.ceil(TARGET_THREADS[ctx.tuning] / (rows * tpr));
    const longest = Math.floor(cols / (16 * tpr)); // keep at least 4 blocks of 4 per thread in a segment
    segments = Math.max(1, Math.min(wanted, longest, MAX_SEGMENTS));
  }
  segments = Math.max(segments, Math.ceil(cols / (tpr * MAX_COLUMNS_PER_THREAD)));
  if (options.split === false && segments > 1) {
    throw new Error(`a row of ${cols} classes is longer than this kernel handles on this device (${tpr * MAX_COLUMNS_PER_THREAD})`);
  }
  const segmentLength = Math.ceil(cols / segments / 4) * 4;
  segments = Math.ceil(cols / segmentLength);
  const groups = Math.ceil((rows * segments) / (wg / tpr));
  const constants: RowPlan['constants'] = { WG: wg, TPR: tpr };
  if (cpu && tpr === 1 && segments === 1 && cols <= MAX_FIXED_COLS) constants.FIXED_COLS = cols;
  return { constants, segments, segmentLength, groups };
}

/**
 * Split `rows` rows of `cols` elements into chunks that each fit one storage binding
 * (maxStorageBufferBindingSize), calling `visit(firstRow, rowCount)` for each.
 */
export function forEachRowChunk(op: string, ctx: GpuContext, rows: number, cols: number, visit: (firstRow: number, rowCount: number) => void): void {
  const maxRows = Math.floor(ctx.maxBindingElements / cols);
  if (maxRows < 1) {
    throw new Error(`${op}: one row of ${cols} classes (${cols * 4} bytes) exceeds this device's maxStorageBufferBindingSize (${ctx.limits.maxStorageBufferBindingSize} bytes)`);
  }
  for (let first = 0; first < rows; first += maxRows) visit(first, Math.min(maxRows, rows - first));
}
