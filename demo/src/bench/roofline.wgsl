// The bandwidth roofline for the cross-entropy benchmark: read every float once and write it once, as vec4 (16-byte
// accesses reach the memory system's full width; on SwiftShader the vec4 form is about twice the f32
// form). The fused CE forward+backward moves the same bytes (logits in, gradient out), so
// its GB/s over this kernel's GB/s is the fraction of the achievable bandwidth it reaches.
// One thread per vec4; the grid folds into 2-D beyond the per-dimension workgroup limit.

@group(0) @binding(0) var<storage, read> source: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read_write> destination: array<vec4<f32>>;

const WG: u32 = 256u;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i < arrayLength(&source)) {
    destination[i] = source[i];
  }
}
