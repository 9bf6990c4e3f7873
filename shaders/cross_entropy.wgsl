// cross_entropy.wgsl: cross-entropy with class-index targets, forward and backward fused in one pass over the logits.
//
// Math (per row r with target t = labels[r], m = max_c x[r, c], s = sum_c exp(x[r, c] - m), lse = m + log(s)):
//   row_loss[r]  = lse - x[r, t]                                  (0 when t == ignore_index)
//   grad[r, c]   = (exp(x[r, c] - m) / s - [c == t]) * scale      (0 for the whole row when t == ignore_index)
//   scale        = 1 / weight_sum for reduction 'mean' (weight_sum: the count of non-ignored rows, computed on the GPU
//                  by target_weight_sum.wgsl, so no host round trip), 1 for 'sum' and 'none'.
// The scalar reduction of row_loss is done afterwards by sum.wgsl.
// Numerical choices:
//   - online (max, sum) as in log_softmax.wgsl; the loss is log(s) - (x[t] - m), formed from the small difference so a
//     1e4 shift costs nothing;
//   - the target class's gradient p_t - 1 is formed in f32 from exp(x_t - m) / s, never from a stored rounded value;
//   - a target outside [0, cols) that is not ignore_index makes the row's loss and gradient NaN (never a plausible
//     wrong number); host-side validation rejects such targets before any GPU work when the targets come from the CPU;
//   - a NaN logit makes its own row NaN and leaves other rows untouched.
// Workgroup shape: WG threads, TPR threads per row (see log_softmax.wgsl). Bindings: 0 params, 1 x, 2 labels (class-index targets),
// 3 weight_sum, 4 grad, 5 row_loss. WANT_GRAD = false skips the gradient writes (forward only).

override WG: u32 = 256u;
override TPR: u32 = 256u;
override WANT_GRAD: bool = true;

const REDUCTION_MEAN: u32 = 1u;

struct Params {
  rows: u32,           // rows in this dispatch
  cols: u32,           // classes
  x_offset: u32,       // element offset of this dispatch's row 0 in x
  grad_offset: u32,    // element offset of this dispatch's row 0 in grad
  target_offset: u32,  // element offset of this dispatch's row 0 in target
  loss_offset: u32,    // element offset of this dispatch's row 0 in row_loss
  ignore_index: i32,
  reduction: u32,      // 0 none, 1 mean, 2 sum
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> labels: array<i32>;
@group(0) @binding(3) var<storage, read> weight_sum: array<f32>;
@group(0) @binding(4) var<storage, read_write> grad: array<f32>;
@group(0) @binding(5) var<storage, read_write> row_loss: array<f32>;

var<workgroup> shared_max: array<f32, WG>;
var<workgroup> shared_sum: array<f32, WG>;

// NaN and -Inf cannot be WGSL constants (a const-expression must be finite); private variables make them run-time
// values the compiler accepts.
var<private> NAN_BITS: u32 = 0x7fc00000u;
var<private> NEG_INF_BITS: u32 = 0xff800000u;

fn is_nan(v: f32) -> bool {
  return (bitcast<u32>(v) & 0x7fffffffu) > 0x7f800000u;
}

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

  let t = labels[params.target_offset + row];
  let ignored = t == params.ignore_index;
  let in_range = t >= 0 && u32(t) < cols;
  let row_bad = is_nan(row_sum) || (!ignored && !in_range);

  if (lane == 0u) {
    var loss = 0.0;
    if (row_bad) {
      loss = bitcast<f32>(NAN_BITS);
    } else if (!ignored) {
      loss = log(row_sum) - (x[x_base + u32(t)] - row_max);
    }
    row_loss[params.loss_offset + row] = loss;
  }

  if (WANT_GRAD) {
    var scale = 1.0;
    if (params.reduction == REDUCTION_MEAN) { scale = 1.0 / weight_sum[0]; }
    let inv_sum = 1.0 / row_sum;
    let g_base = params.grad_offset + row * cols;
    for (var c = lane; c < cols; c += TPR) {
      var g = 0.0;
      if (row_bad) {
        g = bitcast<f32>(NAN_BITS);
      } else if (!ignored) {
        var p = exp(x[x_base + c] - row_max) * inv_sum;
        if (i32(c) == t) { p = p - 1.0; }
        g = p * scale;
      }
      grad[g_base + c] = g;
    }
  }
}
