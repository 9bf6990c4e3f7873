// subgroup_probe.wgsl: run once per device by the engine before it uses row_reduce_subgroup.wgsl. Writes 1 for each
// invocation whose subgroup lane is its local index modulo the subgroup size and whose xor-shuffle partner is the
// expected invocation; the subgroup path is used only if every invocation writes 1.
enable subgroups;
diagnostic(off, subgroup_uniformity);

override WG: u32 = 256u;

@group(0) @binding(0) var<storage, read_write> result: array<u32>;

@compute @workgroup_size(WG)
fn main(@builtin(local_invocation_index) lid: u32,
        @builtin(subgroup_invocation_id) lane: u32,
        @builtin(subgroup_size) size: u32) {
  let partner = subgroupShuffleXor(lid, 1u);
  let ok = lane == lid % size && (size == 1u || partner == (lid ^ 1u)) && subgroupAdd(1u) == size;
  result[lid] = select(0u, 1u, ok);
}
