// log_softmax.wgsl: log-softmax or softmax over the last dimension of a [rows, cols] row-major f32 tensor.
//
// Math (per row r, with m = max_c x[r, c] and s = sum_c exp(x[r, c] - m)):
//   log_softmax: y[r, c] = (x[r, c] - m) - log(s)
//   softmax:     y[r, c] = exp(x[r, c] - m) / s
// Numerical choices:
//   - (m, s) is accumulated online (one exp per element: when a new max arrives the running sum is rescaled), then
//     combined across threads with the same rule, so any magnitude of logits (1e4 shifts, 1e3 scales) is stable.
//   - x - m is formed before the log is subtracted: for |x| ~ 1e4 this keeps the result exact to f32 rounding of the
//     small difference instead of rounding m + log(s) first.
//   - -Inf entries (masks) contribute exp(-Inf) = 0. A NaN anywhere in a row makes that whole row NaN (as PyTorch),
//     detected from the bits because WGSL lets compilers assume NaN never appears in arithmetic.
// Workgroup shape: WG threads; TPR threads cooperate on one row (TPR a power of two dividing WG), so one workgroup
// handles WG / TPR rows: short rows pack many to a workgroup, long rows get the whole workgroup.
// Bindings: 0 params (uniform), 1 x (read), 2 y (write). Element offsets in params let the host bind any row range
// at an aligned byte offset (row chunks beyond maxStorageBufferBindingSize, caller buffers with odd offsets).
// Dispatch: ceil(rows / (WG / TPR)) workgroups, folded into x and y when more than 65535.

override WG: u32 = 256u;
override TPR: u32 = 256u;
override LOG: bool = true;

struct Params {
  rows: u32,       // rows in this dispatch
  cols: u32,       // classes per row
  x_offset: u32,   // element offset of row 0 within the x binding
  y_offset: u32,   // element offset of row 0 within the y binding
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;

var<workgroup> shared_max: array<f32, WG>;
var<workgroup> shared_sum: array<f32, WG>;

// NaN and -Inf cannot be WGSL constants (a const-expression must be finite); private variables make them run-time
// values the compiler accepts.
var<private> NAN_BITS: u32 = 0x7fc00000u;
var<private> NEG_INF_BITS: u32 = 0xff800000u;

fn is_nan(v: f32) -> bool {
  return (bitcast<u32>(v) & 0x7fffffffu) > 0x7f800000u;
}

// Merge two (max, sum-of-exp relative to max) pairs. A NaN sum marks a row that saw a NaN and stays NaN.
fn combine(m_a: f32, s_a: f32, m_b: f32, s_b: f32) -> vec2<f32> {
  if (is_nan(s_a) || is_nan(s_b)) {
    return vec2<f32>(bitcast<f32>(NAN_BITS), bitcast<f32>(NAN_BITS));
  }
  let m = max(m_a, m_b);
  var s = 0.0;
  if (s_a != 0.0) { s += s_a * exp(m_a - m); }
  if (s_b != 0.0) { s += s_b * exp(m_b - m); }
  return vec2<f32>(m, s);
}

@compute @workgroup_size(WG)
fn main(@builtin(local_invocation_index) lid: u32,
        @builtin(workgroup_id) wid: vec3<u32>,
        @builtin(num_workgroups) nwg: vec3<u32>) {
  let rows_per_group = WG / TPR;
  let lane = lid % TPR;
  let row = (wid.y * nwg.x + wid.x) * rows_per_group + lid / TPR;
  let row_in_range = row < params.rows;
  let cols = params.cols;
  let x_base = params.x_offset + row * cols;

  // 1. Per-thread online max and sum over a strided slice of the row.
  let m_floor = bitcast<f32>(NEG_INF_BITS);
  var m = m_floor;
  var s = 0.0;
  if (row_in_range) {
    for (var c = lane; c < cols; c += TPR) {
      let v = x[x_base + c];
      if (is_nan(v)) {
        s = bitcast<f32>(NAN_BITS);
      } else if (v > m) {
        s = s * exp(m - v) + 1.0;
        m = v;
      } else if (v > m_floor) {
        s += exp(v - m);  // -Inf (a mask) adds nothing; skipping it also avoids -Inf - -Inf = NaN while m is -Inf
      }
    }
  }
  shared_max[lid] = m;
  shared_sum[lid] = s;
  workgroupBarrier();

  // 2. Tree over the TPR lanes of each row (uniform loop: TPR is a pipeline constant).
  for (var stride = TPR / 2u; stride > 0u; stride = stride / 2u) {
    if (lane < stride) {
      let merged = combine(shared_max[lid], shared_sum[lid], shared_max[lid + stride], shared_sum[lid + stride]);
      shared_max[lid] = merged.x;
      shared_sum[lid] = merged.y;
    }
    workgroupBarrier();
  }
  if (!row_in_range) { return; }
  let row_max = shared_max[lid - lane];
  let row_sum = shared_sum[lid - lane];

  // 3. Write the normalized row.
  let y_base = params.y_offset + row * cols;
  let row_nan = is_nan(row_sum);
  let log_sum = log(row_sum);
  let inv_sum = 1.0 / row_sum;
  for (var c = lane; c < cols; c += TPR) {
    let shifted = x[x_base + c] - row_max;
    var out: f32;
    if (LOG) { out = shifted - log_sum; } else { out = exp(shifted) * inv_sum; }
    if (row_nan) { out = bitcast<f32>(NAN_BITS); }
    y[y_base + c] = out;
  }
}
