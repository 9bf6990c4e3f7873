// row_reduce_workgroup.wgsl: combines the (max, sum) states of the TPR threads of a work unit through workgroup
// memory, with a fixed binary tree (deterministic). Prepended by the host to row-wise kernels (log_softmax.wgsl,
// cross_entropy.wgsl) on devices without subgroups; row_reduce_subgroup.wgsl is the other choice. Requires the kernel
// to define WG, TPR and combine(a, b); every invocation of the workgroup must call reduce_unit (it has barriers).

var<workgroup> reduce_scratch: array<vec2<f32>, WG>;

fn reduce_unit(state: vec2<f32>, lid: u32) -> vec2<f32> {
  if (TPR == 1u) { return state; }
  let lane = lid % TPR;
  reduce_scratch[lid] = state;
  workgroupBarrier();
  for (var stride = TPR / 2u; stride > 0u; stride = stride / 2u) {
    if (lane < stride) { reduce_scratch[lid] = combine(reduce_scratch[lid], reduce_scratch[lid + stride]); }
    workgroupBarrier();
  }
  let result = reduce_scratch[lid - lane];
  workgroupBarrier(); // the scratch may be reused by a later call
  return result;
}
