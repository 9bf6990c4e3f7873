// row_reduce_subgroup.wgsl: combines the states of the TPR threads of a work unit with subgroup shuffles (a
// butterfly: no workgroup memory, no barrier while TPR fits in a subgroup), then, for units wider than a subgroup,
// one exchange of per-subgroup results through workgroup memory. Every lane ends with the same bits when combine is
// symmetric, so results are deterministic. Prepended by the host on devices with the `subgroups` feature where the
// engine's probe (subgroup_probe.wgsl) saw invocation i in subgroup lane i % subgroup_size (true of every
// implementation seen, not promised by WGSL; otherwise the host uses row_reduce_workgroup.wgsl). Same contract as
// row_reduce_workgroup.wgsl: vec4 states, the kernel's combine(a, b, kind), every invocation calls reduce_unit.
enable subgroups;
diagnostic(off, subgroup_uniformity);

var<workgroup> reduce_scratch: array<vec4<f32>, WG>;

fn reduce_unit(state: vec4<f32>, lid: u32, kind: u32) -> vec4<f32> {
  if (TPR == 1u) { return state; }
  // All invocations are active here, so this is the subgroup's size.
  let sg = subgroupAdd(1u);
  var result = state;
  for (var mask = 1u; mask < min(TPR, sg); mask = mask * 2u) {
    result = combine(result, subgroupShuffleXor(result, mask), kind);
  }
  // Units wider than a subgroup: one slot per subgroup, then each lane combines its unit's slots in order.
  if (TPR > sg && lid % sg == 0u) { reduce_scratch[lid / sg] = result; }
  workgroupBarrier();
  if (TPR > sg) {
    let first = (lid / TPR) * (TPR / sg);
    result = reduce_scratch[first];
    for (var k = 1u; k < TPR / sg; k++) { result = combine(result, reduce_scratch[first + k], kind); }
  }
  workgroupBarrier(); // the scratch is reused by the next call
  return result;
}
