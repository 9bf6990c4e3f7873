/**
 * Host side of shaders/log_softmax.wgsl (CPU reference: src/reference/logSoftmax.ts).
 * Records log-softmax or softmax of a [rows, cols] tensor into `output`: one dispatch per row chunk, or two (partial
 * statistics, then combine and write) when the plan splits long rows into segments. f16 input: f16 output (same
 * dtype), f32 math.
 */
import type { Batch, GpuContext } from '../gpu/context.js';
import type { GpuTensor } from '../gpu/tensor.js';
import { forEachRowChunk, planRows } from './rows.js';

export function encodeLogSoftmax(ctx: GpuContext, batch: Batch, input: GpuTensor, output: GpuTensor, rows: number, cols: number, log: boolean): void {
  forEachRowChunk(log ? 'logSoftmax' : 'softmax', ctx, rows, cols, (first, count) => {
    const plan = planRows(ctx, count, cols);
    const x = ctx.bind(input, first * cols, count * cols);
    const y = ctx.bind(output, first * cols, count * cols);
    const params = [count, cols, x.shift, y.shift, plan.segments, plan.segmentLength];
    const units = count * plan.segments;
    const partials = plan.segments > 1 ? batch.scratchTensor(2 * units, 'f32', 'log-softmax-partials') : ctx.unused('partials');
    const bindings = [x.binding, y.binding, ctx.bind(partials, 0, partials.length).binding];
    const phases = plan.segments > 1 ? [1, 2] : [0];
    for (const phase of phases) {
      batch.dispatch('log_softmax', { ...plan.constants, LOG: log, PHASE: phase }, params, bindings, plan.groups, true, ctx.elementIo(input.dtype, false, cols, [x, y], true));
    }
  });
}
