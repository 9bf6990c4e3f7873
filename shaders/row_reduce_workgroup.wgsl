// row_reduce_workgroup.wgsl: combines the states of the TPR threads of a work unit through workgroup memory, with a
// fixed binary tree (deterministic). Prepended by the host to row-wise kernels (log_softmax.wgsl, cross_entropy.wgsl)
// on devices without usable subgroups; row_reduce_subgroup.wgsl is the other choice. A state is a vec4<f32> whose
// meaning the kernel gives through combine(a, b, kind) (e.g. running max and sum of exponentials); `kind` lets one
// kernel reduce different states. Requires WG, TPR and combine; every invocation of the workgroup must call
// reduce_unit, with the same kind (it has barriers).

var<workgroup> reduce_scratch: array<vec4<f32>, WG>;

fn reduce_unit(state: vec4<f32>, lid: u32, kind: u32) -> vec4<f32> {
  if (TPR == 1u) { return state; }
  let lane = lid % TPR;
  reduce_scratch[lid] = state;
  workgroupBarrier();
  for (var stride = TPR / 2u; stride > 0u; stride = stride / 2u) {
    if (lane < stride) { reduce_scratch[lid] = combine(reduce_scratch[lid], reduce_scratch[lid + stride], kind); }
    workgroupBarrier();
  }
  let result = reduce_scratch[lid - lane];
  workgroupBarrier(); // the scratch is reused by the next call
  return result;
}
