// target_weight_sum.wgsl: the denominator of cross-entropy's and nll_loss's 'mean', computed on the GPU from the targets.
//
// Math: class-index targets: weight_sum = sum of w[labels[r]] over rows r with labels[r] != ignore_index and in
// [0, cols) (PyTorch's total_weight; w = 1 without class weights, so it is the count of non-ignored rows). Soft
// (probability) targets: weight_sum = rows (PyTorch divides their mean by the number of rows).
// Counts are accumulated in u32 and converted once, so an unweighted count is exact (up to 2^24 rows for the f32
// result); weighted sums accumulate in f32 per thread, then a fixed tree, so the result is deterministic (error at most
// (rows / WG + log2 WG) * 2^-24 * weight_sum). Also writes out_of_range = #{ r : target not ignored and outside
// [0, cols) } to result[1], so GPU-resident targets that were never checked on the host can be reported.
// Workgroup shape: a single workgroup of WG threads strides over all rows and reduces with a fixed tree.
// Bindings: 0 params, 1 labels (class-index targets, read), 2 class weights (read), 3 result (write, 2 floats).

override WG: u32 = 256u;
override WEIGHTED: bool = false;
override SOFT_TARGET: bool = false;

struct Params {
  rows: u32,
  cols: u32,
  target_offset: u32,
  ignore_index: i32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> labels: array<i32>;
@group(0) @binding(2) var<storage, read> class_weight: array<f32>;
@group(0) @binding(3) var<storage, read_write> result: array<f32>;

var<workgroup> shared_valid: array<u32, WG>;
var<workgroup> shared_bad: array<u32, WG>;
var<workgroup> shared_weight: array<f32, WG>;

@compute @workgroup_size(WG)
fn main(@builtin(local_invocation_index) lid: u32) {
  var valid = 0u;
  var bad = 0u;
  var weight = 0.0;
  if (!SOFT_TARGET) {
    for (var r = lid; r < params.rows; r += WG) {
      let t = labels[params.target_offset + r];
      if (t != params.ignore_index) {
        if (t >= 0 && u32(t) < params.cols) {
          valid += 1u;
          if (WEIGHTED) { weight += class_weight[t]; }
        } else {
          bad += 1u;
        }
      }
    }
  }
  shared_valid[lid] = valid;
  shared_bad[lid] = bad;
  shared_weight[lid] = weight;
  workgroupBarrier();
  for (var stride = WG / 2u; stride > 0u; stride = stride / 2u) {
    if (lid < stride) {
      shared_valid[lid] += shared_valid[lid + stride];
      shared_bad[lid] += shared_bad[lid + stride];
      shared_weight[lid] += shared_weight[lid + stride];
    }
    workgroupBarrier();
  }
  if (lid == 0u) {
    if (SOFT_TARGET) {
      result[0] = f32(params.rows);
    } else if (WEIGHTED) {
      result[0] = shared_weight[0];
    } else {
      result[0] = f32(shared_valid[0]);
    }
    result[1] = f32(shared_bad[0]);
  }
}
