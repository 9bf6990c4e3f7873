// target_weight_sum.wgsl: the denominator of cross-entropy's and nll_loss's 'mean', computed on the GPU from the targets.
//
// Math: class-index targets: weight_sum = sum of w[labels[r]] over rows r with labels[r] != ignore_index and in
// [0, cols) (PyTorch's total_weight; w = 1 without class weights, so it is the count of non-ignored rows). Soft
// (probability) targets: weight_sum = rows (PyTorch divides their mean by the number of rows). Also out_of_range =
// #{ r : target not ignored and outside [0, cols) }, so GPU-resident targets never checked on the host can be reported.
// Each workgroup reduces a block of WG * ITEMS rows to one partial of each: partials[group] (weight sum or count) and
// partials[groups + group] (out-of-range count). With one workgroup the partials are the result (weight_sum[0],
// weight_sum[1]); with more, sum.wgsl reduces them (src/ops/crossEntropy.ts). Every thread takes ITEMS rows, so loops
// stay short whatever the row count (llvmpipe stops a shader's loops after 65535 iterations in total) and the whole
// device shares the work (a single workgroup would read 16M targets alone).
// Exactness: counts are u32 per workgroup (at most WG * ITEMS, exact in f32) and f32 sums of those after, exact while
// the total is below 2^24; weighted sums accumulate in f32 in a fixed order (deterministic; relative error at most
// about (ITEMS + log2 WG + the sum's passes) * 2^-24).
// Workgroup shape: WG threads, ITEMS rows each, strided by WG (coalesced). Bindings: 0 params, 1 labels (class-index
// targets, read), 2 class weights (read), 3 partials (write, 2 * groups floats).

override WG: u32 = 256u;
override ITEMS: u32 = 64u;
override WEIGHTED: bool = false;
override SOFT_TARGET: bool = false;

struct Params {
  rows: u32,
  cols: u32,
  target_offset: u32,
  ignore_index: i32,
  groups: u32,         // workgroups in the dispatch (the out-of-range partials start at partials[groups])
  partials_offset: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> labels: array<i32>;
@group(0) @binding(2) var<storage, read> class_weight: array<f32>;
@group(0) @binding(3) var<storage, read_write> partials: array<f32>;

var<workgroup> shared_valid: array<u32, WG>;
var<workgroup> shared_bad: array<u32, WG>;
var<workgroup> shared_weight: array<f32, WG>;

@compute @workgroup_size(WG)
fn main(@builtin(local_invocation_index) lid: u32,
        @builtin(workgroup_id) wid: vec3<u32>,
        @builtin(num_workgroups) nwg: vec3<u32>) {
  let group = wid.y * nwg.x + wid.x;
  let first = group * WG * ITEMS;
  var valid = 0u;
  var bad = 0u;
  var weight = 0.0;
  if (!SOFT_TARGET) {
    // Branch-free (selects; the rows past the end read a clamped, in-bounds label and count nothing): CPU adapters
    // pay for every divergent branch.
    let last = params.target_offset + max(params.rows, 1u) - 1u;
    for (var j = 0u; j < ITEMS; j++) {
      let r = first + j * WG + lid;
      let t = labels[min(params.target_offset + r, last)];
      let counted = r < params.rows && t != params.ignore_index;
      let ok = t >= 0 && u32(t) < params.cols;
      valid += select(0u, 1u, counted && ok);
      bad += select(0u, 1u, counted && !ok);
      if (WEIGHTED) { weight += select(0.0, class_weight[select(0u, u32(t), ok)], counted && ok); }
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
  if (lid == 0u && group < params.groups) {
    var total = f32(shared_valid[0]);
    if (SOFT_TARGET) {
      total = f32(min(params.rows - first, WG * ITEMS));
    } else if (WEIGHTED) {
      total = shared_weight[0];
    }
    partials[params.partials_offset + group] = total;
    partials[params.partials_offset + params.groups + group] = f32(shared_bad[0]);
  }
}
