// row_stats.wgsl: the running (max, sum of exponentials) shared by the row-wise kernels (log_softmax.wgsl,
// cross_entropy.wgsl); the host prepends it. Math: for values v, m = max v and s = sum exp(v - m), accumulated
// online over blocks of 4: the block's max updates m, the running sum is rescaled once per block by exp(m_old - m_new)
// and the block adds sum exp(v - m_new) (no branch per value, 1.25 exp per value), in two levels (see add_block). -Inf values (masks) add 0, and
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

// True when a block holds a value that makes the whole row NaN, as in PyTorch: NaN, or +Inf (Inf - Inf in x - max).
// Checked from the bits; some implementations (SwiftShader) give exp(NaN) = +Inf instead of NaN.
fn has_nan(v: vec4<f32>) -> bool {
  let bits = bitcast<vec4<u32>>(v);
  return any((bits & vec4<u32>(0x7fffffffu)) > vec4<u32>(0x7f800000u)) || any(bits == vec4<u32>(0x7f800000u));
}

// Merge two (max, sum) pairs (symmetric, so the order of a tree never changes the bits).
fn combine_stats(a: vec2<f32>, b: vec2<f32>) -> vec2<f32> {
  if (is_nan(a.y) || is_nan(b.y)) {
    return vec2<f32>(bitcast<f32>(NAN_BITS), bitcast<f32>(NAN_BITS));
  }
  let m = max(a.x, b.x);
  var s = 0.0;
  if (a.y != 0.0) { s += a.y * select(exp(a.x - m), 1.0, a.x == m); }  // exactly 1 for the larger side
  if (b.y != 0.0) { s += b.y * select(exp(b.x - m), 1.0, b.x == m); }
  return vec2<f32>(m, s);
}

// Blocks added to the inner sum before it is folded into the outer one (see add_block).
const BLOCKS_PER_INNER_SUM: f32 = 64.0;

// Add a block of 4 values to a running state (max, outer sum, inner sum, blocks in the inner sum). A plain f32 chain
// of k terms can err by k ulps in one direction (8000 equal tiny terms added to ~1 missed the 1e-5 tolerance), so the
// sum is kept in two levels: up to 64 blocks go into a small inner sum, which is then added to the outer sum, so no
// chain is longer than 64 + k / 64. (Kahan compensation was tried first: Mesa's GLSL compiler behind llvmpipe folds
// (t - s) - y to 0, even with a 1.0 it cannot prove.) Both sums are rescaled when the max moves; the rescale is exactly
// 1 while it stays (exp(0) is not exactly 1 everywhere). NaNs are tracked by the caller with has_nan.
// Start from (-Inf, 0, 0, 0); finish with block_total.
fn add_block(state: vec4<f32>, v: vec4<f32>) -> vec4<f32> {
  let m = max(state.x, max(max(v.x, v.y), max(v.z, v.w)));
  if (m == bitcast<f32>(NEG_INF_BITS)) { return state; }
  let e = exp(v - vec4<f32>(m));
  let rescale = select(exp(state.x - m), 1.0, m == state.x);  // 0 from the -Inf start
  var outer = state.y * rescale;
  var inner = state.z * rescale + ((e.x + e.y) + (e.z + e.w));
  var count = state.w + 1.0;
  if (count == BLOCKS_PER_INNER_SUM) {
    outer += inner;
    inner = 0.0;
    count = 0.0;
  }
  return vec4<f32>(m, outer, inner, count);
}

// The (max, sum) of a running state from add_block.
fn block_total(state: vec4<f32>) -> vec2<f32> {
  return vec2<f32>(state.x, state.y + state.z);
}
