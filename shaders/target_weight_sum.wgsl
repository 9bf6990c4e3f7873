// target_weight_sum.wgsl: the denominator of cross-entropy's and nll_loss's 'mean', computed on the GPU from the targets.
//
// Math: class-index targets: weight_sum = sum of w[labels[r]] over rows r with labels[r] != ignore_index and in
// [0, cols) (PyTorch's total_weight; w = 1 without class weights, so it is the count of non-ignored rows). Soft
// (probability) targets: weight_sum = rows (PyTorch divides their mean by the number of rows). Also out_of_range =
// #{ r : target not ignored and outside [0, cols) }, so GPU-resident targets never checked on the host can be reported.
// Each workgroup reduces a block of WG * ITEMS rows to one partial of each: partials[group] (weight sum or count) and
// partials[groups + group] (out-of-range count). With one workgroup the partials are the result (weight_sum[0],
// weight_sum[1]); with more, a second dispatch of this kernel with COMBINE adds them (one workgroup: thread i adds
// partials i, i + WG, ... of each half, then the same tree), one dispatch where two sums took two. Every thread
// takes ITEMS rows, so loops stay short whatever the row count (llvmpipe stops a shader's loops after 65535
// iterations in total) and the whole device shares the work (a single workgroup would read 16M targets alone).
// Exactness: counts are u32 per workgroup (at most WG * ITEMS, exact in f32) and f32 sums of those after, exact while
// the total is below 2^24; weighted sums accumulate in f32 in a fixed order (deterministic; relative error at most
// about (ITEMS + 2 log2 WG + groups / WG) * 2^-24).
// Workgroup shape: WG threads, ITEMS rows each, strided by WG (coalesced). Bindings: 0 params, 1 labels (class-index
// targets, read; with COMBINE the first dispatch's 2 * groups partials, as f32 bits), 2 class weights (read),
// 3 partials (write: 2 * groups floats; with COMBINE the 2 results).

override WG: u32 = 256u;
override ITEMS: u32 = 64u;
override WEIGHTED: bool = false;
override SOFT_TARGET: bool = false;
// The second dispatch when the first had several workgroups (see above): one workgroup, params.groups is the first
// dispatch's count and params.target_offset where its partials start in binding 1.
override COMBINE: bool = false;

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
  if (COMBINE) {
    for (var i = lid; i < params.groups; i += WG) {
      weight += bitcast<f32>(labels[params.target_offset + i]);
      bad += u32(bitcast<f32>(labels[params.target_offset + params.groups + i]));
    }
  } else if (!SOFT_TARGET) {
    // Branch-free (selects; the rows past the end read a clamped, in-bounds label and count nothing): CPU adapters
    // pay for every divergent branch. Four rows per step (rows j .. j + 3 of this thread, each contiguous across the
    // workgroup), and the loop ends at the last step with a row in range (a condition uniform across the workgroup):
    // CPU adapters pay per loop iteration, and a power-of-two ITEMS can be twice the rows left.
    let last = params.target_offset + max(params.rows, 1u) - 1u;
    var valid4 = vec4<u32>(0u);
    var bad4 = vec4<u32>(0u);
    for (var j = 0u; j < ITEMS && first + j * WG < params.rows; j += 4u) {
      let r = vec4<u32>(first + j * WG + lid) + vec4<u32>(0u, WG, 2u * WG, 3u * WG);
      let at = min(vec4<u32>(params.target_offset) + r, vec4<u32>(last));
      let t = vec4<i32>(labels[at.x], labels[at.y], labels[at.z], labels[at.w]);
      let counted = (r < vec4<u32>(params.rows)) & (t != vec4<i32>(params.ignore_index));
      let ok = (t >= vec4<i32>(0)) & (vec4<u32>(t) < vec4<u32>(params.cols));
      valid4 += select(vec4<u32>(0u), vec4<u32>(1u), counted & ok);
      bad4 += select(vec4<u32>(0u), vec4<u32>(1u), counted & !ok);
      if (WEIGHTED) {
        // One f32 chain in row order (row j, then j + 1, ...), as one row per step would add them.
        let use_w = counted & ok;
        let c = select(vec4<u32>(0u), vec4<u32>(t), ok);
        weight += select(0.0, class_weight[c.x], use_w.x);
        weight += select(0.0, class_weight[c.y], use_w.y);
        weight += select(0.0, class_weight[c.z], use_w.z);
        weight += select(0.0, class_weight[c.w], use_w.w);
      }
    }
    valid = (valid4.x + valid4.y) + (valid4.z + valid4.w);
    bad = (bad4.x + bad4.y) + (bad4.z + bad4.w);
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
  if (COMBINE) {
    if (lid == 0u) {
      partials[params.partials_offset] = shared_weight[0];
      partials[params.partials_offset + 1u] = f32(shared_bad[0]);
    }
  } else if (lid == 0u && group < params.groups) {
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
