// log_softmax.wgsl: log-softmax or softmax over the last dimension of a [rows, cols] row-major f32 tensor.
//
// Math (per row r, with m = max_c x[r, c] and s = sum_c exp(x[r, c] - m)):
//   log_softmax: y[r, c] = (x[r, c] - m) - log(s)
//   softmax:     y[r, c] = exp(x[r, c] - m) / s
// Numerical choices:
//   - (m, s) is accumulated online over blocks of 4 values (row_stats.wgsl, prepended by the host: no branch per
//     value, 1.25 exp per value). Partial (m, s) pairs from threads or segments combine with the same rescaling, so
//     any magnitude of logits (1e4 shifts, 1e3 scales) is stable.
//   - x - m is formed before the log is subtracted: for |x| ~ 1e4 this keeps the result exact to f32 rounding of the
//     small difference instead of rounding m + log(s) first.
//   - short rows on CPU adapters (FIXED_COLS, row_stats.wgsl): the row's max first, then each exp once (kept for
//     softmax), a fixed tree sum; straight-line code, no loop.
//   - -Inf entries (masks) contribute exp(-Inf) = 0; while a row has seen only -Inf, nothing is added (avoiding
//     -Inf - -Inf = NaN). A NaN anywhere in a row makes that whole row NaN (as PyTorch), detected from the bits
//     because WGSL lets compilers assume NaN never appears in arithmetic. +Inf makes the row NaN, as in PyTorch.
// Work units: a unit is (row, segment) of `segment_len` columns; TPR threads (a power of two dividing WG) share a
// unit, so one workgroup holds WG / TPR units; their states are combined by reduce_unit, which the host prepends from
// row_reduce_subgroup.wgsl (subgroup shuffles) or row_reduce_workgroup.wgsl (workgroup-memory tree). The host picks TPR per adapter (src/ops/rows.ts): 1 on CPU-emulated
// adapters, where workgroup barriers are expensive; up to WG on GPUs.
//   PHASE 0: one segment per row: statistics, then the output, in one dispatch (the row is read twice; the second
//            read mostly hits cache).
//   PHASE 1: split rows (few rows, many classes): each unit writes its segment's partial (m, s) to `partials`.
//   PHASE 2: each unit combines its row's partials and writes its segment's output.
// Bindings: 0 params (uniform), 1 x (read), 2 y (write), 3 partials ((m, s) per unit; unused in PHASE 0).
// Element offsets in params let the host bind any row range at an aligned byte offset (row chunks beyond
// maxStorageBufferBindingSize, caller buffers with odd offsets). Dispatch: ceil(units / (WG / TPR)) workgroups, folded
// into x and y when more than 65535.

override WG: u32 = 256u;
override TPR: u32 = 256u;
override LOG: bool = true;
override PHASE: u32 = 0u;

struct Params {
  rows: u32,         // rows in this dispatch
  cols: u32,         // classes per row
  x_offset: u32,     // element offset of row 0 within the x binding
  y_offset: u32,     // element offset of row 0 within the y binding
  segments: u32,     // segments per row (1 in PHASE 0)
  segment_len: u32,  // columns per segment (a multiple of 4)
}

@group(0) @binding(0) var<uniform> params: Params;
// Binding 1 (x) and binding 2 (y) come from the element-I/O snippet the host prepends (element_io_*.wgsl): read with
// load_x(i), written with store_out(i, v); f32, or f16 (y then has x's dtype; the math stays f32).
@group(0) @binding(3) var<storage, read_write> partials: array<vec2<f32>>;

// The reduction snippet's hook: states are (max, sum, unused, unused).
fn combine(a: vec4<f32>, b: vec4<f32>, kind: u32) -> vec4<f32> {
  return vec4<f32>(combine_stats(a.xy, b.xy), 0.0, 0.0);
}

// The outputs of 4 values: (x - m) - log(s), or exp(x - m) / s; NaN for a bad row.
fn outputs(v: vec4<f32>, row_max: f32, log_sum: f32, inv_sum: f32, row_nan: bool) -> vec4<f32> {
  let shifted = v - vec4<f32>(row_max);
  var out: vec4<f32>;
  if (LOG) { out = shifted - vec4<f32>(log_sum); } else { out = exp(shifted) * inv_sum; }
  return select(out, vec4<f32>(bitcast<f32>(NAN_BITS)), row_nan);
}

// Block b of a short row (FIXED_COLS, row_stats.wgsl) from its values v and exponentials e = exp(v - row max): the
// outputs of `outputs` (softmax uses the kept exponential).
fn fixed_output(y_base: u32, b: u32, v: vec4<f32>, e: vec4<f32>, row_max: f32, log_sum: f32, inv_sum: f32, row_nan: bool) {
  var out = e * inv_sum;
  if (LOG) { out = (v - vec4<f32>(row_max)) - vec4<f32>(log_sum); }
  fixed_store(y_base, b, select(out, vec4<f32>(bitcast<f32>(NAN_BITS)), row_nan));
}

@compute @workgroup_size(WG)
fn main(@builtin(local_invocation_index) lid: u32,
        @builtin(workgroup_id) wid: vec3<u32>,
        @builtin(num_workgroups) nwg: vec3<u32>) {
  let lane = lid % TPR;
  let unit = (wid.y * nwg.x + wid.x) * (WG / TPR) + lid / TPR;
  // Integer division is slow on CPU adapters (no vector divide): skipped where the divisor is known to be 1.
  var row = unit;
  var start = 0u;
  if (PHASE != 0u) {
    row = unit / params.segments;
    start = (unit % params.segments) * params.segment_len;
  }
  let unit_in_range = row < params.rows;
  let cols = params.cols;
  let end = min(cols, start + params.segment_len);
  let x_base = params.x_offset + row * cols;

  // Short rows (FIXED_COLS): the row's blocks and their exponentials (row_stats.wgsl), computed by every thread (a unit
  // past the end reads whatever robust access gives and returns below) before any branch: the kernel's branches are
  // chosen by constants only, so the loops below are not reachable in this variant (SwiftShader ran the unrolled code
  // 3x slower while a loop stayed reachable beside it).
  var v0: vec4<f32>; var v1: vec4<f32>; var v2: vec4<f32>; var v3: vec4<f32>;
  var v4: vec4<f32>; var v5: vec4<f32>; var v6: vec4<f32>; var v7: vec4<f32>;
  var e0: vec4<f32>; var e1: vec4<f32>; var e2: vec4<f32>; var e3: vec4<f32>;
  var e4: vec4<f32>; var e5: vec4<f32>; var e6: vec4<f32>; var e7: vec4<f32>;
  var fixed_stats = vec2<f32>(0.0);
  if (FIXED_COLS > 0u) {
    v0 = fixed_block(x_base, 0u); v1 = fixed_block(x_base, 1u); v2 = fixed_block(x_base, 2u); v3 = fixed_block(x_base, 3u);
    v4 = fixed_block(x_base, 4u); v5 = fixed_block(x_base, 5u); v6 = fixed_block(x_base, 6u); v7 = fixed_block(x_base, 7u);
    let m = fixed_max(v0, v1, v2, v3, v4, v5, v6, v7);
    e0 = fixed_exp(v0, 0u, m); e1 = fixed_exp(v1, 1u, m); e2 = fixed_exp(v2, 2u, m); e3 = fixed_exp(v3, 3u, m);
    e4 = fixed_exp(v4, 4u, m); e5 = fixed_exp(v5, 5u, m); e6 = fixed_exp(v6, 6u, m); e7 = fixed_exp(v7, 7u, m);
    fixed_stats = vec2<f32>(m, fixed_sum(e0, e1, e2, e3, e4, e5, e6, e7));
  }

  // 1. Statistics of this unit's columns (skipped in PHASE 2, which reads them from `partials`).
  var state = vec2<f32>(bitcast<f32>(NEG_INF_BITS), 0.0);
  if (PHASE != 2u) {
    // Blocks of 4 per lane and step (row_stats.wgsl: block_cols): full steps in groups of BLOCKS_PER_INNER_SUM (no
    // branch inside), then the last, partial step with the columns past the end as -Inf.
    var running = stats_start();
    let step = 4u * TPR;
    var c0 = start;
    if (FIXED_COLS > 0u) {
      running = vec4<f32>(fixed_stats, 0.0, 0.0);
    } else if (unit_in_range) {
      while (c0 + step <= end) {
        let group_end = c0 + step * BLOCKS_PER_INNER_SUM;
        // Two steps per iteration where they fit: both blocks are loaded before the dependent max/exp chain (the same
        // additions in the same order as one step at a time).
        for (; c0 + 2u * step <= end && c0 + step < group_end; c0 += 2u * step) {
          let a = load_block(x_base, c0, lane);
          let b = load_block(x_base, c0 + step, lane);
          running = add_block(add_block(running, a), b);
        }
        for (; c0 + step <= end && c0 < group_end; c0 += step) {
          running = add_block(running, load_block(x_base, c0, lane));
        }
        running = fold_inner(running);
      }
      if (c0 < end) {
        let in_row = block_cols(c0, lane) < vec4<u32>(end);
        running = add_block(running, select(vec4<f32>(bitcast<f32>(NEG_INF_BITS)), tail_block(x_base, c0, lane, end), in_row));
      }
    }
    state = reduce_unit(vec4<f32>(block_total(running), 0.0, 0.0), lid, 0u).xy;
  }
  if (!unit_in_range) { return; }
  if (PHASE == 1u) {
    if (lane == 0u) { partials[unit] = state; }
    return;
  }
  if (PHASE == 2u) {
    let first = row * params.segments;
    for (var k = 0u; k < params.segments; k++) { state = combine_stats(state, partials[first + k]); }
  }

  // 2. Write this unit's columns.
  let row_max = state.x;
  let row_nan = stats_bad(state);  // a NaN/+Inf in the row, or a row of only -Inf (as PyTorch)
  let log_sum = log(state.y);
  let inv_sum = 1.0 / state.y;
  let y_base = params.y_offset + row * cols;
  if (FIXED_COLS > 0u) {
    fixed_output(y_base, 0u, v0, e0, row_max, log_sum, inv_sum, row_nan);
    fixed_output(y_base, 1u, v1, e1, row_max, log_sum, inv_sum, row_nan);
    fixed_output(y_base, 2u, v2, e2, row_max, log_sum, inv_sum, row_nan);
    fixed_output(y_base, 3u, v3, e3, row_max, log_sum, inv_sum, row_nan);
    fixed_output(y_base, 4u, v4, e4, row_max, log_sum, inv_sum, row_nan);
    fixed_output(y_base, 5u, v5, e5, row_max, log_sum, inv_sum, row_nan);
    fixed_output(y_base, 6u, v6, e6, row_max, log_sum, inv_sum, row_nan);
    fixed_output(y_base, 7u, v7, e7, row_max, log_sum, inv_sum, row_nan);
    return;
  }
  // Full steps without a branch, then the last, partial one.
  let step = 4u * TPR;
  var c0 = start;
  for (; c0 + step <= end; c0 += step) {
    store_block(y_base, c0, lane, outputs(load_block(x_base, c0, lane), row_max, log_sum, inv_sum, row_nan));
  }
  if (c0 < end) {
    store_tail(y_base, block_cols(c0, lane), end, outputs(tail_block(x_base, c0, lane, end), row_max, log_sum, inv_sum, row_nan));
  }
}
