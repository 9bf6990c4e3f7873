// roofline_read.wgsl (bench only): the bandwidth roofline for ops that only read N floats (the sum, cross-entropy
// forward without the gradient). Each thread adds its vec4s (grid-stride, coalesced) and writes one float: the least
// work that still consumes every value (so the compiler cannot drop the loads) and that the host can check against
// the reference. No workgroup barriers: on SwiftShader a barrier tree per workgroup cost ~0.4 ms per workgroup
// (measured here), which would make the roofline slower than the kernels it bounds. The partials are written once
// per thread, at least READ_VEC4_PER_THREAD (bench/roofline.ts) vec4s read per float written: < 2% extra traffic.
//
// Work: partial[t] = sum of x over the vec4s i = t + k*stride, i < n4 = floor(n / 4); the host sums the partials in
// f64 and compares with the reference sum of the first 4*n4 values (the <= 3 trailing floats are skipped).
// Bindings: 0 params, 1 x (read), 2 partial (write, one per thread). Workgroup: WG threads in x.

override WG: u32 = 256u;

struct Params {
  n4: u32,     // vec4s to read
  stride: u32, // threads in the whole dispatch (WG * workgroups)
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read_write> partial: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  var acc = vec4<f32>(0.0);
  for (var i = gid.x; i < params.n4; i += params.stride) {
    acc += x[i];
  }
  partial[gid.x] = (acc.x + acc.y) + (acc.z + acc.w);
}
