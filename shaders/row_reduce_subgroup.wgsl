// row_reduce_subgroup.wgsl: combines the (max, sum) states of the TPR threads of a work unit with subgroup shuffles
// (a butterfly: no workgroup memory, no barrier while TPR fits in a subgroup), then, for units wider than a subgroup,
// one exchange of per-subgroup results through workgroup memory. Every lane ends with the same bits (combine is
// symmetric), so results are deterministic. Prepended by the host on devices with the `subgroups` feature where the
// engine's probe saw invocation i in subgroup lane i % subgroup_size (true of every implementation seen, not
// promised by WGSL; without it the host uses row_reduce_workgroup.wgsl). Requires WG, TPR and combine(a, b); every
// invocation of the workgroup must call reduce_unit.
enable subgroups;
diagnostic(off, subgroup_uniformity);

var<workgroup> reduce_scratch: array<vec2<f32>, WG>;

fn reduce_unit(state: vec2<f32>, lid: u32) -> vec2<f32> {
  if (TPR == 1u) { return state; }
  // All invocations are active here, so these are the subgroup's size and this invocation's lane.
  let sg = subgroupAdd(1u);
  var result = state;
  for (var mask = 1u; mask < min(TPR, sg); mask = mask * 2u) {
    result = combine(result, vec2<f32>(subgroupShuffleXor(result.x, mask), subgroupShuffleXor(result.y, mask)));
  }
  // Units wider than a subgroup: one slot per subgroup, then each lane combines its unit's slots in order.
  if (TPR > sg && lid % sg == 0u) { reduce_scratch[lid / sg] = result; }
  workgroupBarrier();
  if (TPR > sg) {
    let first = (lid / TPR) * (TPR / sg);
    result = reduce_scratch[first];
    for (var k = 1u; k < TPR / sg; k++) { result = combine(result, reduce_scratch[first + k]); }
  }
  workgroupBarrier(); // the scratch may be reused by a later call
  return result;
}
