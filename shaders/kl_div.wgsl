// kl_div.wgsl: PyTorch's F.kl_div(input, target) with input holding log-probabilities, loss and gradient of every
// element in one pass (CPU reference: src/reference/klDiv.ts, which cites the PyTorch source it follows).
//
// Math, per element with input x and target y:
//   target probabilities: loss = xlogy(y, y) - y x   (xlogy(0, .) = 0),   grad = -y * grad_scale
//   LOG_TARGET:           loss = exp(y) (y - x),                          grad = -exp(y) * grad_scale
// grad_scale = 1 / n for 'mean', 1 / batch for 'batchmean', 1 otherwise; sum.wgsl reduces the element losses.
// Numerical choices: products with infinities are made explicit (WGSL lets compilers assume there are none):
// x = -Inf gives +Inf where the target probability is positive (even where exp(y) underflows); a target probability
// of exactly 0 (y = 0, or a log target of -Inf) contributes 0 whatever the input, the limit (PyTorch's 0 * -Inf gives
// NaN; README, Special values); a negative probability target gives NaN (its log), as PyTorch. A NaN input or target
// gives NaN.
// Workgroup shape: WG threads, one element each. Bindings: 0 params, 1 x, 2 y, 3 grad, 4 loss.

override WG: u32 = 256u;
override WANT_GRAD: bool = true;
override LOG_TARGET: bool = false;

struct Params {
  n: u32,
  x_offset: u32,
  y_offset: u32,
  grad_offset: u32,
  loss_offset: u32,
  grad_scale: f32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> y: array<f32>;
@group(0) @binding(3) var<storage, read_write> grad: array<f32>;
@group(0) @binding(4) var<storage, read_write> loss: array<f32>;

var<private> NAN_BITS: u32 = 0x7fc00000u;
var<private> POS_INF_BITS: u32 = 0x7f800000u;

fn is_nan(v: f32) -> bool {
  return (bitcast<u32>(v) & 0x7fffffffu) > 0x7f800000u;
}

fn is_neg_inf(v: f32) -> bool {
  return bitcast<u32>(v) == 0xff800000u;
}

@compute @workgroup_size(WG)
fn main(@builtin(local_invocation_index) lid: u32,
        @builtin(workgroup_id) wid: vec3<u32>,
        @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = (wid.y * nwg.x + wid.x) * WG + lid;
  if (i >= params.n) { return; }
  let v = x[params.x_offset + i];
  let t = y[params.y_offset + i];
  var coefficient = t;        // d loss / d x = -coefficient
  var l = 0.0;
  var nan = is_nan(v) || is_nan(t);
  if (LOG_TARGET) {
    if (is_neg_inf(t)) { coefficient = 0.0; } else { coefficient = exp(t); }
  } else if (t < 0.0) {
    nan = true;
  }
  let zero_target = select(t == 0.0, is_neg_inf(t), LOG_TARGET);  // a target probability of exactly 0
  if (nan) {
    l = bitcast<f32>(NAN_BITS);
  } else if (zero_target) {
    l = 0.0;
  } else if (is_neg_inf(v)) {
    l = bitcast<f32>(POS_INF_BITS);
  } else if (LOG_TARGET) {
    l = coefficient * (t - v);
  } else {
    l = t * (log(t) - v);
  }
  loss[params.loss_offset + i] = l;
  if (WANT_GRAD) {
    var g = -coefficient * params.grad_scale;
    if (nan) { g = bitcast<f32>(NAN_BITS); }
    grad[params.grad_offset + i] = g;
  }
}
