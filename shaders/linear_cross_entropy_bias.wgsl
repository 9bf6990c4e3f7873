// linear_cross_entropy_bias.wgsl: the bias gradient of the fused linear cross-entropy, column sums of a chunk of
// dlogits (host: src/ops/linearCrossEntropy.ts, CPU reference: src/reference/linearCrossEntropy.ts).
//
// Math: grad_bias[v] = (ACCUMULATE ? grad_bias[v] : 0) + s * sum_{r < rows} g[r * cols + v], with s the mean's scale
// 1 / weight_sum[0] when SCALED and weight_sum[0] != 0, else 1. Row chunks are added in order by successive
// dispatches, rows within a chunk in order by one thread: f32, deterministic.
// Workgroup shape: WG threads, one class each (consecutive threads read consecutive addresses of a row). A chunk has
// at most 4096 rows (the host's limit), far below llvmpipe's 65535 loop iterations per invocation.
// Bindings: 0 params, 1 g (read), 2 weight_sum (read), 3 grad_bias (read_write).

override WG: u32 = 64u;
override ACCUMULATE: bool = false;
override SCALED: bool = false;

struct Params {
  rows: u32,
  cols: u32,
  g_offset: u32,
  out_offset: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> g: array<f32>;
@group(0) @binding(2) var<storage, read> weight_sum: array<f32>;
@group(0) @binding(3) var<storage, read_write> grad_bias: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(local_invocation_index) lid: u32,
        @builtin(workgroup_id) wid: vec3<u32>,
        @builtin(num_workgroups) nwg: vec3<u32>) {
  let v = (wid.y * nwg.x + wid.x) * WG + lid;
  if (v >= params.cols) { return; }
  var total = 0.0;
  for (var r = 0u; r < params.rows; r++) { total += g[params.g_offset + r * params.cols + v]; }
  var s = 1.0;
  if (SCALED && weight_sum[0] != 0.0) { s = 1.0 / weight_sum[0]; }
  var value = total * s;
  if (ACCUMULATE) { value += grad_bias[params.out_offset + v]; }
  grad_bias[params.out_offset + v] = value;
}
