/**
 * Host side of shaders/log_softmax.wgsl (CPU reference: src/reference/logSoftmax.ts).
 * Records log-softmax or softmax of a [rows, cols] tensor into `output`.
 */
import type { Batch, GpuContext } from '../gpu/context.js';
import type { GpuTensor } from '../gpu/tensor.js';
import { forEachRowChunk, threadsPerRow } from './rows.js';

export function encodeLogSoftmax(ctx: GpuContext, batch: Batch, input: GpuTensor, output: GpuTensor, rows: number, cols: number, log: boolean): void {
  const tpr = threadsPerRow(cols, ctx.workgroupSize);
  const rowsPerGroup = ctx.workgroupSize / tpr;
  forEachRowChunk(log ? 'logSoftmax' : 'softmax', ctx, rows, cols, (first, count) => {
    const x = ctx.bind(input, first * cols, count * cols);
    const y = ctx.bind(output, first * cols, count * cols);
    batch.dispatch('log_softmax', { TPR: tpr, LOG: log }, [count, cols, x.shift, y.shift], [x.binding, y.binding], Math.ceil(count / rowsPerGroup));
  });
}
