// binary_cross_entropy.wgsl: PyTorch's F.binary_cross_entropy_with_logits (LOGITS) and F.binary_cross_entropy, loss
// and gradient of every element in one pass (CPU reference: src/reference/binaryCrossEntropy.ts, which cites the
// PyTorch source it follows).
//
// Math, per element i with input x, target y, weight w = weight[(first + i) % weight_len] (1 without weights) and
// pos_weight q = pos_weight[(first + i) % cols] (1 without, logits only):
//   LOGITS:  loss = ((1 - y) x + l * (log1p(exp(-|x|)) + max(-x, 0))) * w,   l = (q - 1) y + 1
//            grad = ((q y + 1 - y) sigmoid(x) - q y) * w * grad_scale
//   else:    loss = -(y L(p) + (1 - y) L(1 - p)) * w,   L(v) = max(log v, -100) (L(0) = -100: finite, as PyTorch)
//            grad = (p - y) / max(p (1 - p), 1e-12) * w * grad_scale
// grad_scale = 1 / n for 'mean' (PyTorch's mean is over every element whatever the weights), 1 otherwise. The scalar
// reduction of the element losses is done by sum.wgsl.
// Numerical choices: the logits form never exponentiates a positive number, so +-100, +-1e4 and larger logits give
// exact finite losses and gradients; PyTorch's (1 - y) x + l max(-x, 0) is evaluated as (1 - y) x for x >= 0 and
// -q y x for x < 0 (the same value: l = 1 - y + q y), because in f32 the sum of -x and (1 - y) x cancels and loses
// 2^-24 |x| (5e-4 at x = -1e4) when y is near 0; log1p(e) for e = exp(-|x|) in (0, 1] uses its series below 1e-3 (WGSL has no
// log1p) so tiny losses keep their relative accuracy; sigmoid is formed from exp(-|x|) on the side that cannot overflow.
// A probability outside [0, 1] (GPU-resident input never checked on the host) gives NaN; so does a NaN input or
// target. Infinite logits give the loss's limits (README, Special values).
// Workgroup shape: WG threads, one element each. Bindings: 0 params, 1 x, 2 y, 3 weight, 4 pos_weight, 5 grad, 6 loss.

override WG: u32 = 256u;
override WANT_GRAD: bool = true;
override LOGITS: bool = true;
override WEIGHTED: bool = false;
override POS_WEIGHTED: bool = false;

const LOG_CLAMP: f32 = -100.0;
const PROBABILITY_GRAD_EPSILON: f32 = 1e-12;

struct Params {
  n: u32,            // elements in this dispatch
  first: u32,        // global index of this dispatch's element 0 (for the broadcast weights)
  cols: u32,         // last dimension (pos_weight's length)
  weight_len: u32,   // weight's length (a product of trailing dimensions)
  x_offset: u32,
  y_offset: u32,
  grad_offset: u32,
  loss_offset: u32,
  grad_scale: f32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> y: array<f32>;
@group(0) @binding(3) var<storage, read> weight: array<f32>;
@group(0) @binding(4) var<storage, read> pos_weight: array<f32>;
@group(0) @binding(5) var<storage, read_write> grad: array<f32>;
@group(0) @binding(6) var<storage, read_write> loss: array<f32>;

var<private> NAN_BITS: u32 = 0x7fc00000u;
var<private> POS_INF_BITS: u32 = 0x7f800000u;
var<private> NEG_INF_BITS: u32 = 0xff800000u;

fn is_nan(v: f32) -> bool {
  return (bitcast<u32>(v) & 0x7fffffffu) > 0x7f800000u;
}

// log(1 + e) for e in [0, 1]: the series e - e^2/2 + e^3/3 below 1e-3 (relative error < e^3 / 4), else log(1 + e).
fn log1p_small(e: f32) -> f32 {
  if (e < 1e-3) { return e * (1.0 - e * (0.5 - e / 3.0)); }
  return log(1.0 + e);
}

// A weight the host never checked (a GpuTensor) that is NaN, infinite or negative reads as NaN, so its elements are
// NaN (weight_check.wgsl counts it for the result's weightSum[1]). -0 is a valid weight.
fn checked_weight(w: f32) -> f32 {
  let bits = bitcast<u32>(w);
  return select(bitcast<f32>(NAN_BITS), w, bits <= 0x7f7fffffu || bits == 0x80000000u);
}

fn clamped_log(v: f32) -> f32 {
  if (v <= 0.0) { return LOG_CLAMP; }
  return max(log(v), LOG_CLAMP);
}

@compute @workgroup_size(WG)
fn main(@builtin(local_invocation_index) lid: u32,
        @builtin(workgroup_id) wid: vec3<u32>,
        @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = (wid.y * nwg.x + wid.x) * WG + lid;
  if (i >= params.n) { return; }
  let global = params.first + i;
  let v = x[params.x_offset + i];
  let t = y[params.y_offset + i];
  var w = 1.0;
  if (WEIGHTED) { w = checked_weight(weight[global % params.weight_len]); }
  var l = 0.0;
  var g = 0.0;
  if (LOGITS) {
    var q = 1.0;
    if (POS_WEIGHTED) { q = checked_weight(pos_weight[global % params.cols]); }
    let e = exp(-abs(v));                       // in (0, 1]: never overflows
    let log_weight = (q - 1.0) * t + 1.0;
    var linear = (1.0 - t) * v;
    if (v < 0.0) { linear = -q * t * v; }
    l = (linear + log_weight * log1p_small(e)) * w;
    var sig = 1.0 / (1.0 + e);                  // sigmoid(|x|)
    if (v < 0.0) { sig = e / (1.0 + e); }
    g = ((q * t + 1.0 - t) * sig - q * t) * w;
    let bits = bitcast<u32>(v);
    if ((bits & 0x7fffffffu) == 0x7f800000u) {
      // x = +-Inf: the limits, from the bits (WGSL lets compilers assume no infinities). The loss is c * Inf with
      // c = (1 - y) w at +Inf, q y w at -Inf, and 0 where c = 0 (PyTorch's formula gives 0 * Inf = NaN there);
      // the gradient is sigmoid's limit: (1 - y) w, or -q y w.
      let positive = bits == POS_INF_BITS;
      let c = select(q * t, 1.0 - t, positive) * w;
      l = select(select(0.0, bitcast<f32>(NEG_INF_BITS), c < 0.0), bitcast<f32>(POS_INF_BITS), c > 0.0);
      g = select(-q * t, 1.0 - t, positive) * w;
    }
  } else {
    if (v < 0.0 || v > 1.0 || is_nan(v)) {
      l = bitcast<f32>(NAN_BITS);
      g = l;
    } else {
      l = -(t * clamped_log(v) + (1.0 - t) * clamped_log(1.0 - v)) * w;
      g = (v - t) / max(v * (1.0 - v), PROBABILITY_GRAD_EPSILON) * w;
    }
  }
  if (is_nan(v) || is_nan(t)) {  // NaN in, NaN out for the loss and the gradient (from the bits, never left to the
    l = bitcast<f32>(NAN_BITS);   // compiler: a NaN logit's exp(-|x|) and sigmoid made the gradient 0 on SwiftShader)
    g = l;
  }
  loss[params.loss_offset + i] = l;
  if (WANT_GRAD) { grad[params.grad_offset + i] = g * params.grad_scale; }
}
