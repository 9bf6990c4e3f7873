// roofline_copy.wgsl (bench only): the bandwidth roofline for ops that read N*C floats and write N*C floats
// (log-softmax, cross-entropy forward+backward). It does nothing but move the data, with vec4 loads and stores, so
// no kernel that reads its input once and writes its output once can beat it on the same adapter.
//
// Work: dst[i] = src[i] for i in [0, n4), n4 = floor(n / 4) vec4s (the <= 3 trailing floats of a length that is not a
// multiple of 4 are left alone: they change nothing measurable). Grid-stride loop so that any n fits in a 1-D
// dispatch of at most maxComputeWorkgroupsPerDimension workgroups.
// Bindings: 0 params, 1 src (read), 2 dst (write). Workgroup: WG threads in x.

override WG: u32 = 256u;

struct Params {
  n4: u32,     // vec4s to copy
  stride: u32, // threads in the whole dispatch (WG * workgroups)
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> src: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read_write> dst: array<vec4<f32>>;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  for (var i = gid.x; i < params.n4; i += params.stride) {
    dst[i] = src[i];
  }
}
