// sum.wgsl: one pass of a deterministic parallel sum of f32 values.
//
// Math: workgroup g reduces the block x[g*B .. g*B + B) with B = WG * ITEMS. Thread i adds the values at
// g*B + (4j + k) * WG + i for j < ITEMS / 4, k < 4 into 4 independent running sums acc[k] (a vec4: four short chains
// instead of one long one; every load is contiguous across the workgroup), adds the 4 lanes pairwise, then the WG
// thread sums are combined by a fixed binary tree and written to out[g]. The host repeats passes over the partials
// until one value is left. The order of every addition depends only on n and the launch constants, so the same input
// gives the same bits on every run.
// Error: each value passes through at most (ITEMS / 4 - 1) + 2 + log2(WG) additions per pass, so the result differs
// from the exact sum by at most gamma_k * sum|x| with k = passes * (ITEMS / 4 + 1 + log2(WG)) and u = 2^-24;
// src/ops/sum.ts exports that bound and the tests check against it.
// A mean (DIVIDE, on the first pass only) divides each value by denominator[0] as it is read, before any addition:
// the f32 partial sums of terms up to 3.4e38 then never overflow where the mean itself is finite (dividing the sum
// at the end made two losses of 3.4e38 average to Infinity); a denominator of 0 gives NaN (0/0, as PyTorch's mean
// over no rows). Bindings: 0 params, 1 x (read), 2 out (write), 3 denominator (read).

override WG: u32 = 256u;
override ITEMS: u32 = 16u;  // a multiple of 4
override DIVIDE: bool = false;

struct Params {
  n: u32,          // values to reduce
  x_offset: u32,   // element offset of value 0 in x
  out_offset: u32, // element offset of partial 0 in out
  pad: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
@group(0) @binding(3) var<storage, read> denominator: array<f32>;

var<workgroup> shared_sum: array<f32, WG>;

// NaN cannot be a WGSL constant (const-expressions must be finite); a private variable makes it a run-time value.
var<private> NAN_BITS: u32 = 0x7fc00000u;

@compute @workgroup_size(WG)
fn main(@builtin(local_invocation_index) lid: u32,
        @builtin(workgroup_id) wid: vec3<u32>,
        @builtin(num_workgroups) nwg: vec3<u32>) {
  let group = wid.y * nwg.x + wid.x;
  let block_start = group * WG * ITEMS;
  let n = params.n;
  let base = params.x_offset;
  var acc = vec4<f32>(0.0);
  var d = 1.0;
  if (DIVIDE) { d = denominator[0]; }
  // Steps j whose 4 * WG values are all below n (every step but in the last block): no bounds test inside (a branch
  // per step cost ~30% on SwiftShader); then, with the test, the steps that still hold a value (a power-of-two ITEMS
  // can be twice what the last block needs). The order of the additions is the same either way.
  var full = ITEMS / 4u;
  if (block_start + WG * ITEMS > n) { full = (n - min(n, block_start)) / (4u * WG); }
  var j = 0u;
  for (; j < full; j++) {
    // Four loads, each contiguous across the workgroup's threads (SIMD lanes on CPU adapters, coalesced on GPUs).
    let i = block_start + 4u * j * WG + lid;
    var v = vec4<f32>(x[base + i], x[base + i + WG], x[base + i + 2u * WG], x[base + i + 3u * WG]);
    if (DIVIDE) { v = v / vec4<f32>(d); }
    acc += v;
  }
  for (; j < ITEMS / 4u && block_start + 4u * j * WG < n; j++) {  // steps with a value in range (uniform)
    let i = block_start + 4u * j * WG + lid;
    let in_range = vec4<u32>(i, i + WG, i + 2u * WG, i + 3u * WG) < vec4<u32>(n);
    let last = base + n - 1u;  // a clamped, in-bounds index for the lanes past n (their value is not added)
    var v = vec4<f32>(x[min(base + i, last)], x[min(base + i + WG, last)],
                      x[min(base + i + 2u * WG, last)], x[min(base + i + 3u * WG, last)]);
    if (DIVIDE) { v = v / vec4<f32>(d); }
    acc += select(vec4<f32>(0.0), v, in_range);
  }
  shared_sum[lid] = (acc.x + acc.y) + (acc.z + acc.w);
  workgroupBarrier();
  for (var stride = WG / 2u; stride > 0u; stride = stride / 2u) {
    if (lid < stride) { shared_sum[lid] += shared_sum[lid + stride]; }
    workgroupBarrier();
  }
  if (lid == 0u && block_start < n) {
    var total = shared_sum[0];
    if (DIVIDE && d == 0.0) { total = bitcast<f32>(NAN_BITS); }  // every partial: the later passes add NaN
    out[params.out_offset + group] = total;
  }
}
