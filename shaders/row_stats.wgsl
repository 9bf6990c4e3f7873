// row_stats.wgsl: the running (max, sum of exponentials) shared by the row-wise kernels (log_softmax.wgsl,
// cross_entropy.wgsl); the host prepends it. Math: for values v, m = max v and s = sum exp(v - m), accumulated
// online over blocks of 4: the block's max updates m, the running sum is rescaled once per block by exp(m_old - m_new)
// and the block adds sum exp(v - m_new) (no branch per value, 1.25 exp per value). -Inf values (masks) add 0, and
// nothing is added while a row has seen only -Inf (avoiding -Inf - -Inf = NaN). A NaN sum marks a row that saw a
// NaN (tracked from the bits: WGSL lets compilers assume NaN never appears in arithmetic) and stays NaN.

// NaN and infinities cannot be WGSL constants (a const-expression must be finite); private variables make them
// run-time values the compiler accepts.
var<private> NAN_BITS: u32 = 0x7fc00000u;
var<private> POS_INF_BITS: u32 = 0x7f800000u;
var<private> NEG_INF_BITS: u32 = 0xff800000u;

fn is_nan(v: f32) -> bool {
  return (bitcast<u32>(v) & 0x7fffffffu) > 0x7f800000u;
}

fn has_nan(v: vec4<f32>) -> bool {
  return any((bitcast<vec4<u32>>(v) & vec4<u32>(0x7fffffffu)) > vec4<u32>(0x7f800000u));
}

// Merge two (max, sum) pairs (symmetric, so the order of a tree never changes the bits).
fn combine_stats(a: vec2<f32>, b: vec2<f32>) -> vec2<f32> {
  if (is_nan(a.y) || is_nan(b.y)) {
    return vec2<f32>(bitcast<f32>(NAN_BITS), bitcast<f32>(NAN_BITS));
  }
  let m = max(a.x, b.x);
  var s = 0.0;
  if (a.y != 0.0) { s += a.y * exp(a.x - m); }
  if (b.y != 0.0) { s += b.y * exp(b.x - m); }
  return vec2<f32>(m, s);
}

// Add a block of 4 values to a running (max, sum); NaNs are tracked by the caller with has_nan.
fn add_block(state: vec2<f32>, v: vec4<f32>) -> vec2<f32> {
  let m = max(state.x, max(max(v.x, v.y), max(v.z, v.w)));
  if (m == bitcast<f32>(NEG_INF_BITS)) { return state; }
  let e = exp(v - vec4<f32>(m));
  return vec2<f32>(m, state.y * exp(state.x - m) + ((e.x + e.y) + (e.z + e.w)));
}
