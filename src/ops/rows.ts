/** Shared host logic of the row-wise kernels (log_softmax.wgsl, cross_entropy.wgsl): threads per row, row chunks. */
import type { GpuContext } from '../gpu/context.js';

/**
 * Threads cooperating on one row: a power of two near cols / 4 (each thread then reads about 4 values per row pass),
 * capped at the workgroup size. Short rows pack several to a workgroup, long rows take a whole workgroup.
 */
export function threadsPerRow(cols: number, workgroupSize: number): number {
  let tpr = 1;
  while (tpr < workgroupSize && tpr * 4 < cols) tpr *= 2;
  return tpr;
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
