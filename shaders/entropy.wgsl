// entropy.wgsl: the Shannon entropy of each row of probabilities and its gradient, in one pass over the row
// (CPU reference: src/reference/entropy.ts).
//
// Math (per row r): H[r] = sum_c entr(p[r, c]), entr(p) = -p log p for p > 0, 0 at p = 0, -Inf for p < 0
// (torch.special.entr); grad[r, c] = -(log p + 1) * grad_scale (+Inf at p = 0, NaN for p < 0, as entr's derivative).
// grad_scale = 1 / rows for 'mean', 1 otherwise; sum.wgsl reduces the row entropies.
// Numerical choices: infinities and NaN are tracked as flags and written from bit patterns (WGSL lets compilers assume
// there are none in arithmetic).
// Workgroup shape: WG threads, TPR threads per row (see log_softmax.wgsl). Bindings: 0 params, 1 p, 2 grad, 3 row_entropy.

override WG: u32 = 256u;
override TPR: u32 = 256u;
override WANT_GRAD: bool = true;

const NEG_INF: u32 = 2u;
const IS_NAN: u32 = 4u;

struct Params {
  rows: u32,
  cols: u32,
  p_offset: u32,
  grad_offset: u32,
  out_offset: u32,
  grad_scale: f32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> p: array<f32>;
@group(0) @binding(2) var<storage, read_write> grad: array<f32>;
@group(0) @binding(3) var<storage, read_write> row_entropy: array<f32>;

var<workgroup> shared_sum: array<f32, WG>;
var<workgroup> shared_flags: array<u32, WG>;

var<private> NAN_BITS: u32 = 0x7fc00000u;
var<private> POS_INF_BITS: u32 = 0x7f800000u;
var<private> NEG_INF_BITS: u32 = 0xff800000u;

fn is_nan(v: f32) -> bool {
  return (bitcast<u32>(v) & 0x7fffffffu) > 0x7f800000u;
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

  var acc = 0.0;
  var flags = 0u;
  if (row_in_range) {
    for (var c = lane; c < cols; c += TPR) {
      let v = p[params.p_offset + row * cols + c];
      var g = 0.0;
      if (is_nan(v) || v < 0.0) {
        flags |= select(NEG_INF, IS_NAN, is_nan(v));
        g = bitcast<f32>(NAN_BITS);
      } else if (v == 0.0) {
        g = bitcast<f32>(POS_INF_BITS);
      } else {
        let log_v = log(v);
        acc -= v * log_v;
        g = -(log_v + 1.0) * params.grad_scale;
      }
      if (WANT_GRAD) { grad[params.grad_offset + row * cols + c] = g; }
    }
  }
  shared_sum[lid] = acc;
  shared_flags[lid] = flags;
  workgroupBarrier();
  for (var stride = TPR / 2u; stride > 0u; stride = stride / 2u) {
    if (lane < stride) {
      shared_sum[lid] += shared_sum[lid + stride];
      shared_flags[lid] |= shared_flags[lid + stride];
    }
    workgroupBarrier();
  }
  if (!row_in_range || lane != 0u) { return; }
  var h = shared_sum[lid];
  let f = shared_flags[lid];
  if ((f & IS_NAN) != 0u) { h = bitcast<f32>(NAN_BITS); } else if ((f & NEG_INF) != 0u) { h = bitcast<f32>(NEG_INF_BITS); }
  row_entropy[params.out_offset + row] = h;
}
