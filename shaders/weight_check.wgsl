// weight_check.wgsl: the checks the host makes on weights given as GpuTensors (class weights, BCE weights and
// pos_weight), made where they live, and the sum of the weights.
//
// Math: over weights[0 .. count): bad = #{ i : w_i is NaN, infinite or < 0 } (the host's rule: finite and >= 0; -0 is
// fine) and total = sum_i w_i. Thread 0 then adds bad to stats[stats_offset] (the result's count of invalid
// targets and weights, written by an earlier dispatch of the batch) and, with WRITE_SUM, stores total at
// stats[stats_offset + 1] (cross_entropy.wgsl's sum_c w_c for label smoothing, when the weights are on the GPU).
// Deterministic: thread i adds elements i, i + WG, ... in order, then a fixed tree combines the threads. The kernels
// that read weights turn a bad one into NaN (so the rows it touches are NaN, as for an out-of-range target).
// Workgroup shape: one workgroup of WG threads. Bindings: 0 params, 1 weights (read), 2 stats (read_write).

override WG: u32 = 256u;
override WRITE_SUM: bool = false;

struct Params {
  count: u32,
  weights_offset: u32,
  stats_offset: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> weights: array<f32>;
@group(0) @binding(2) var<storage, read_write> stats: array<f32>;

var<workgroup> shared_bad: array<u32, WG>;
var<workgroup> shared_total: array<f32, WG>;

@compute @workgroup_size(WG)
fn main(@builtin(local_invocation_index) lid: u32) {
  var bad = 0u;
  var total = 0.0;
  for (var i = lid; i < params.count; i += WG) {
    let w = weights[params.weights_offset + i];
    // On the bits, not by comparison: a compiler may assume floats are never NaN. Valid: +0 .. the largest finite
    // f32 (0x7f7fffff), and -0.
    let bits = bitcast<u32>(w);
    bad += select(1u, 0u, bits <= 0x7f7fffffu || bits == 0x80000000u);
    total += w;
  }
  shared_bad[lid] = bad;
  shared_total[lid] = total;
  workgroupBarrier();
  for (var stride = WG / 2u; stride > 0u; stride = stride / 2u) {
    if (lid < stride) {
      shared_bad[lid] += shared_bad[lid + stride];
      shared_total[lid] += shared_total[lid + stride];
    }
    workgroupBarrier();
  }
  if (lid == 0u) {
    stats[params.stats_offset] += f32(shared_bad[0]);
    if (WRITE_SUM) { stats[params.stats_offset + 1u] = shared_total[0]; }
  }
}
