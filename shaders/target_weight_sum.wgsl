// target_weight_sum.wgsl: the denominator of cross-entropy's 'mean', computed on the GPU from the targets.
//
// Math: weight_sum = #{ r : labels[r] != ignore_index } (PyTorch's total_weight for class-index targets without class
// weights). Counted in u32 per thread and converted once, so it is exact (up to 2^24 rows for the f32 result, and the
// u32 counts exact far beyond that). Also writes out_of_range = #{ r : target not ignored and outside [0, cols) } to
// result[1], so GPU-resident targets that were never checked on the host can be reported.
// Workgroup shape: a single workgroup of WG threads strides over all rows and reduces with a fixed tree, so the
// result is deterministic. Bindings: 0 params, 1 labels (class-index targets, read), 2 result (write, 2 floats).

override WG: u32 = 256u;

struct Params {
  rows: u32,
  cols: u32,
  target_offset: u32,
  ignore_index: i32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> labels: array<i32>;
@group(0) @binding(2) var<storage, read_write> result: array<f32>;

var<workgroup> shared_valid: array<u32, WG>;
var<workgroup> shared_bad: array<u32, WG>;

@compute @workgroup_size(WG)
fn main(@builtin(local_invocation_index) lid: u32) {
  var valid = 0u;
  var bad = 0u;
  for (var r = lid; r < params.rows; r += WG) {
    let t = labels[params.target_offset + r];
    if (t != params.ignore_index) {
      if (t >= 0 && u32(t) < params.cols) { valid += 1u; } else { bad += 1u; }
    }
  }
  shared_valid[lid] = valid;
  shared_bad[lid] = bad;
  workgroupBarrier();
  for (var stride = WG / 2u; stride > 0u; stride = stride / 2u) {
    if (lid < stride) {
      shared_valid[lid] += shared_valid[lid + stride];
      shared_bad[lid] += shared_bad[lid + stride];
    }
    workgroupBarrier();
  }
  if (lid == 0u) {
    result[0] = f32(shared_valid[0]);
    result[1] = f32(shared_bad[0]);
  }
}
