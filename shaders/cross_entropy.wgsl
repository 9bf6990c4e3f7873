// cross_entropy.wgsl: PyTorch's F.cross_entropy and F.nll_loss, forward and backward fused in one kernel (two passes
// over each row: statistics, then loss terms and gradient), plus z-loss and logit soft-capping.
//
// Math (CPU reference: src/reference/crossEntropy.ts, which states the PyTorch source it follows). Per row r with
// log-probabilities l_c and target coefficients a_c:
//   l_c  = (v_c - m) - log(s)            INPUTS = logits: v_c = x_c, or cap * tanh(x_c / cap) with SOFTCAP;
//                                         m = max_c v_c, s = sum_c exp(v_c - m), lse = m + log(s)
//        = max(log(x_c), -100)           INPUTS = probabilities (PyTorch's BCE clamp: p = 0 gives a finite loss)
//        = x_c                           INPUTS = log-probabilities (nll_loss)
//   a_c  = w_c ((1 - eps) [c == t] + eps / C)      class-index target t (ignored rows: loss 0, gradient 0)
//        = w_c ((1 - eps) y_c + eps / C)           SOFT_TARGET: probabilities y of the logits' layout
//   row_loss = -sum_c a_c l_c (+ z lse^2, also written to row_z), computed as PyTorch does:
//        class-index: (1 - eps) (-w_t l_t) + (eps / C) (-sum_c w_c l_c)   (the sum only when eps > 0)
//        soft:        -sum_c a_c l_c
//   grad_c = (p_c A - a_c + 2 z lse p_c) * cap'(x_c) * scale,  p_c = exp(l_c), A = sum_c a_c   (logits)
//          = -a_c / max(p_c, 1e-12) * scale                                                   (probabilities)
//          = -a_c * scale                                                                      (log-probabilities)
//   scale = 1 / weight_sum for reduction 'mean' (weight_sum: computed on the GPU by target_weight_sum.wgsl, so no
//   host round trip), 1 for 'sum' and 'none'. The scalar reduction of row_loss and row_z is done by sum.wgsl.
// Layout: element (r, c) is at (r / inner) * C * inner + c * inner + r % inner: inner = 1 for classes last, and
// PyTorch's [N, C, d1..dk] layout (classDim 1) has inner = d1 * ... * dk, read in place without a transpose.
// Numerical choices:
//   - online (max, sum) in the first pass as in log_softmax.wgsl; log-probabilities are formed from the small
//     difference v - m, so a 1e4 shift costs nothing; the target's gradient is formed in f32 from exp(v - m) / s;
//   - products with infinities are not left to the compiler (WGSL lets it assume there are none): a -Inf
//     log-probability (a masked logit) is tracked in flags, so a positive coefficient gives +Inf loss and a zero one
//     0, the limit as the logit goes to -Inf (PyTorch's IEEE product gives NaN for a masked class whose soft target
//     or class weight is 0; README, Special values);
//   - tanh saturates to +-1 beyond |x / cap| > 9 (f32 rounds tanh(9) to 1), so infinite logits cap to +-cap;
//   - a class-index target outside [0, C) that is not ignore_index makes the row NaN (never a plausible wrong number);
//     a NaN logit, or a row of only -Inf logits, makes its own row NaN.
// Workgroup shape: WG threads, TPR threads per row, chosen by src/ops/crossEntropy.ts lossRowShape: the device's row
// plan while a thread walks at most 256 classes (TPR = 1 for strided class layouts, so neighbouring threads read
// neighbouring addresses), else enough threads per row to keep each one's loops short (llvmpipe stops a shader's loops
// after 65535 iterations in total) and its serial sums accurate. Short rows on CPU adapters (FIXED_COLS > 0, see
// row_stats.wgsl) run fixed_main instead: one thread per row, straight-line code.
// Bindings: 0 params, 1 x, 2 target (class indices as i32 bits, or probabilities as f32 bits), 3 class weights,
// 4 weight_sum, 5 grad, 6 row_loss, 7 row_z, 8 partials.
// Element I/O (x and grad; src/shaders.ts prepends one of shaders/element_io_*.wgsl): f32, or f16 (array<f16> with
// shader-f16, else f16 pairs in u32 words) read as f32, all math and sums in f32, and each gradient value rounded to
// f16 once at the store (the target's -w_t term is subtracted in f32, never from a rounded probability). In place the
// gradient is written over x: every thread reads its elements before any thread of the row writes (io_barrier after
// the statistics; each thread then reads only the elements it writes), and the target's value for the loss is read
// at the start (split rows: kept in `partials` between the phases), since the gradient pass overwrites it.

override WG: u32 = 256u;
override TPR: u32 = 256u;
override WANT_GRAD: bool = true;
override INPUTS: u32 = 0u;         // 0 logits, 1 probabilities, 2 log-probabilities
override SOFT_TARGET: bool = false;
override WEIGHTED: bool = false;
// The class weights are a GpuTensor: their sum is weight_sum[2] (see all_weights).
override WEIGHTS_ON_GPU: bool = false;
override SOFTCAP: bool = false;
override Z_LOSS: bool = false;
override CONTIGUOUS: bool = true;
override DENSE: bool = false;
// Split rows (few long rows, hard labels, contiguous logits): 0 whole rows; 1 each (row, segment) unit writes its partial
// (max, sum) to `partials` (and segment 0 the target's value, after every unit's pair); 2 each unit combines its row's
// partials and writes its segment's gradient (segment 0 the loss).
override PHASE: u32 = 0u;
// The row kept in registers (hard labels, contiguous logits, no soft cap, PHASE 0, gradient wanted): each lane's part
// of the row, at most CACHE_BLOCKS blocks of 4, is read once into `cache` and turned into exp(v - lane max) there; the
// gradient is formed from it with no second read and no second exp. The host sets it on GPUs when the row fits (loops
// of constant trip count, so the array can live in registers); not on CPU adapters, where SwiftShader keeps private
// arrays in memory and the fixed 8 blocks cost more than a second read (measured 2x slower at 65537 x 10).
override CACHED: bool = false;
const CACHE_BLOCKS: u32 = 8u;

const INPUT_LOGITS: u32 = 0u;
const INPUT_PROBABILITIES: u32 = 1u;
const REDUCTION_MEAN: u32 = 1u;
const LOG_CLAMP: f32 = -100.0;
const PROBABILITY_GRAD_EPSILON: f32 = 1e-12;

// Flags of an extended real: the finite part is carried separately.
const POS_INF: u32 = 1u;
const NEG_INF: u32 = 2u;
const IS_NAN: u32 = 4u;

struct Params {
  rows: u32,           // rows in this dispatch
  cols: u32,           // classes
  inner: u32,          // product of the dimensions after the class dimension
  x_offset: u32,       // element offset of this dispatch's first element in x (and in a soft target, grad)
  target_offset: u32,  // element offset of this dispatch's first target
  grad_offset: u32,
  loss_offset: u32,    // element offset of this dispatch's row 0 in row_loss and row_z
  ignore_index: i32,
  reduction: u32,      // 0 none, 1 mean, 2 sum
  smoothing: f32,      // label smoothing eps in [0, 1]
  z_coef: f32,         // z-loss coefficient
  softcap: f32,        // cap > 0 (SOFTCAP)
  all_weights: f32,    // sum_c w_c (C without weights)
  segments: u32,       // segments per row (1 unless PHASE is 1 or 2)
  segment_len: u32,    // classes per segment (a multiple of 4; >= cols when segments is 1)
}

@group(0) @binding(0) var<uniform> params: Params;
// Binding 1 (the input x) and binding 5 (the gradient) come from the element-I/O snippet the host prepends
// (element_io_*.wgsl): elements are read with load_x(i) and written with store_out(i, v), f32 or f16, with the
// gradient in its own buffer or written over x (in place: then binding 5 is not declared).
@group(0) @binding(2) var<storage, read> target_bits: array<u32>;
@group(0) @binding(3) var<storage, read> class_weight: array<f32>;
@group(0) @binding(4) var<storage, read> weight_sum: array<f32>;
@group(0) @binding(6) var<storage, read_write> row_loss: array<f32>;
@group(0) @binding(7) var<storage, read_write> row_z: array<f32>;
@group(0) @binding(8) var<storage, read_write> partials: array<vec2<f32>>;


fn is_neg_inf(v: f32) -> bool {
  return bitcast<u32>(v) == 0xff800000u;
}

// States combined across the threads of a row by reduce_unit (row_reduce_*.wgsl, prepended by the host):
const KIND_STATS: u32 = 0u;  // (max, sum of exponentials, soft-target coefficient total, unused)
const KIND_TERMS: u32 = 1u;  // (sum of loss terms, infinity flags as an exact small float, unused, unused)

fn combine(a: vec4<f32>, b: vec4<f32>, kind: u32) -> vec4<f32> {
  if (kind == KIND_STATS) { return vec4<f32>(combine_stats(a.xy, b.xy), a.z + b.z, 0.0); }
  return vec4<f32>(a.x + b.x, f32(add_flags(u32(a.y), u32(b.y))), 0.0, 0.0);
}

// Flags of k * (an infinity with flags f): the sign flips for k < 0, and a coefficient of 0 gives 0 (the limit: k is
// a target's or weight's coefficient, the infinity a log-probability's). Selects, no branch (CPU adapters run every
// branch of a row-dependent condition): the later selects take precedence.
fn scale_flags(k: f32, f: u32) -> u32 {
  var r = select(((f & POS_INF) << 1u) | ((f & NEG_INF) >> 1u), f, k > 0.0);
  r = select(r, 0u, k == 0.0);
  r = select(r, 0u, f == 0u);
  return select(r, IS_NAN, (f & IS_NAN) != 0u || is_nan(k));
}

// Flags of a sum: +Inf + -Inf is NaN.
fn add_flags(a: u32, b: u32) -> u32 {
  let f = a | b;
  if ((f & POS_INF) != 0u && (f & NEG_INF) != 0u) { return IS_NAN; }
  return f;
}

// The f32 value of an extended real (selects, later ones take precedence: NaN, then +Inf, then -Inf).
fn ext_value(value: f32, f: u32) -> f32 {
  var r = select(value, bitcast<f32>(NEG_INF_BITS), (f & NEG_INF) != 0u);
  r = select(r, bitcast<f32>(POS_INF_BITS), (f & POS_INF) != 0u);
  return select(r, bitcast<f32>(NAN_BITS), (f & IS_NAN) != 0u || is_nan(value));
}

// tanh that saturates instead of overflowing sinh / cosh for large arguments (and maps +-Inf to +-1).
fn saturating_tanh(v: f32) -> f32 {
  if (is_nan(v)) { return v; }
  if (abs(v) > 9.0) { return sign(v); }
  return tanh(v);
}

// Logit after the optional soft cap.
fn capped(v: f32) -> f32 {
  if (SOFTCAP) { return params.softcap * saturating_tanh(v / params.softcap); }
  return v;
}

fn capped4(v: vec4<f32>) -> vec4<f32> {
  return vec4<f32>(capped(v.x), capped(v.y), capped(v.z), capped(v.w));
}

// Class c's weight. A weight the host never checked (a GpuTensor) that is NaN, infinite or negative reads as NaN, so
// the rows it touches are NaN (weight_check.wgsl counts it), as an out-of-range target makes its row NaN.
fn class_w(c: u32) -> f32 {
  if (WEIGHTED) {
    let w = class_weight[c];
    let bits = bitcast<u32>(w);
    return select(bitcast<f32>(NAN_BITS), w, bits <= 0x7f7fffffu || bits == 0x80000000u);
  }
  return 1.0;
}

// sum_c w_c (label smoothing's term): from the host, or, for weights in a GpuTensor (WEIGHTS_ON_GPU), as
// weight_check.wgsl summed them into weight_sum[2] earlier in the batch.
fn all_weights() -> f32 {
  if (WEIGHTS_ON_GPU) { return weight_sum[2]; }
  return params.all_weights;
}

fn soft_target(i: u32) -> f32 {
  return bitcast<f32>(target_bits[i]);
}

// w_c ((1 - eps) y_c + eps / C) for class c of the row at rel_base (contiguous layout), 0 for c at or past `end`.
fn soft_coef(rel_base: u32, c: u32, end: u32, eps: f32, smooth_each: f32) -> f32 {
  if (c >= end) { return 0.0; }
  return class_w(c) * ((1.0 - eps) * soft_target(params.target_offset + rel_base + c) + smooth_each);
}

fn soft_coefs(rel_base: u32, c: vec4<u32>, end: u32, eps: f32, smooth_each: f32) -> f32 {
  return (soft_coef(rel_base, c.x, end, eps, smooth_each) + soft_coef(rel_base, c.y, end, eps, smooth_each))
       + (soft_coef(rel_base, c.z, end, eps, smooth_each) + soft_coef(rel_base, c.w, end, eps, smooth_each));
}

// The hard-label gradient of the 4 classes `c` from their raw logits: (p * k - [c == t] * hit) * cap' * scale with
// k = total (+ the z-loss term). The target is matched without indexing a vector by a run-time value (slow on CPU
// adapters). A masked logit has p = exp(-Inf) = 0.
fn hard_label_grad(raw: vec4<f32>, c: vec4<u32>, t: i32, hit: f32, row_max: f32, inv_sum: f32, k: f32, scale: f32) -> vec4<f32> {
  var v = raw;
  var slope = vec4<f32>(1.0);
  if (SOFTCAP) {
    let th = vec4<f32>(saturating_tanh(raw.x / params.softcap), saturating_tanh(raw.y / params.softcap),
                       saturating_tanh(raw.z / params.softcap), saturating_tanh(raw.w / params.softcap));
    v = params.softcap * th;
    slope = 1.0 - th * th;
  }
  return hard_label_terms(exp(v - vec4<f32>(row_max)) * inv_sum, c, t, hit, k) * slope * scale;
}

// p * k - [c == t] * hit for the probabilities p of the 4 classes `c` (hard_label_grad and fixed_grad).
fn hard_label_terms(p: vec4<f32>, c: vec4<u32>, t: i32, hit: f32, k: f32) -> vec4<f32> {
  return p * k - select(vec4<f32>(0.0), vec4<f32>(hit), c == vec4<u32>(u32(t)));
}

// -w_t l_t for the target's logit v_t, as (finite part, flags as an exact small float): a masked target logit gives
// an infinity (or NaN for w_t = 0) through the flags, as PyTorch's products do.
fn logit_nll(v_t: f32, w_t: f32, row_max: f32, log_sum: f32) -> vec2<f32> {
  let vt = capped(v_t);
  let masked = is_neg_inf(vt);
  return vec2<f32>(select(w_t * (log_sum - (vt - row_max)), 0.0, masked), f32(select(0u, scale_flags(-w_t, NEG_INF), masked)));
}

// Store row `row`'s loss (and z-loss part) from the finite part and flags of -sum_c b_c l_c: NaN for a bad row, 0
// for an ignored one, else the value plus z lse^2 as an extended real.
fn store_row_loss(row: u32, row_bad: bool, skip: bool, value: f32, flags: u32, lse: f32) {
  var loss = 0.0;
  var z_part = 0.0;
  if (row_bad) {
    loss = bitcast<f32>(NAN_BITS);
    z_part = loss;
  } else if (!skip) {
    var total = value;
    if (Z_LOSS) {
      z_part = params.z_coef * lse * lse;
      total += z_part;
    }
    loss = ext_value(total, flags);
  }
  row_loss[params.loss_offset + row] = loss;
  if (Z_LOSS) { row_z[params.loss_offset + row] = z_part; }
}

// Block b of a short row (FIXED_COLS, row_stats.wgsl) from its exponentials e = exp(v - row max): hard_label_grad's
// (p k - [c == t] hit) scale with p = e / s (no soft cap here), stored as (bits & keep) | fill: the row's fill value
// replaces the gradient where keep is 0 (bit operations cost SwiftShader less than a select).
fn fixed_grad(g_base: u32, b: u32, e: vec4<f32>, t: i32, hit: f32, inv_sum: f32, k: f32, scale: f32, keep: u32, fill: u32) {
  if (!fixed_has(b)) { return; }
  let g = hard_label_terms(e * inv_sum, fixed_cols(b), t, hit, k) * scale;
  fixed_store(g_base, b, bitcast<vec4<f32>>((bitcast<vec4<u32>>(g) & vec4<u32>(keep)) | vec4<u32>(fill)));
}

// The whole kernel for a short row on a CPU adapter (FIXED_COLS > 0: one thread per row of at most 4 * FIXED_BLOCKS
// classes, hard labels, contiguous logits, no smoothing, no soft cap; src/ops/crossEntropy.ts decides). main's
// hard-label math as straight-line code, with the statistics of row_stats.wgsl's fixed_* helpers (max, then each
// exponential once, kept for the gradient): every load happens before the first branch that depends on the row (a
// past-the-end row reads the last row's target and whatever robust access gives, then returns), no loop, no reduction
// across threads. SwiftShader ran main's path with unrolled blocks 1.7x slower than this (65537 x 10: loads under
// row-dependent branches run lane by lane, and main's other paths stay reachable), and the online statistics with a
// second exp per value for the gradient 1.25x slower. In place: the whole row is read before its gradient is written,
// by this thread alone.
fn fixed_main(row: u32) {
  let row_in_range = row < params.rows;
  let cols = params.cols;
  let x_base = params.x_offset + row * cols;
  let t = bitcast<i32>(target_bits[params.target_offset + min(row, params.rows - 1u)]);
  let v0 = fixed_block(x_base, 0u); let v1 = fixed_block(x_base, 1u); let v2 = fixed_block(x_base, 2u); let v3 = fixed_block(x_base, 3u);
  let v4 = fixed_block(x_base, 4u); let v5 = fixed_block(x_base, 5u); let v6 = fixed_block(x_base, 6u); let v7 = fixed_block(x_base, 7u);
  let m = fixed_max(v0, v1, v2, v3, v4, v5, v6, v7);
  let e0 = fixed_exp(v0, 0u, m); let e1 = fixed_exp(v1, 1u, m); let e2 = fixed_exp(v2, 2u, m); let e3 = fixed_exp(v3, 3u, m);
  let e4 = fixed_exp(v4, 4u, m); let e5 = fixed_exp(v5, 5u, m); let e6 = fixed_exp(v6, 6u, m); let e7 = fixed_exp(v7, 7u, m);
  let stats = vec2<f32>(m, fixed_sum(e0, e1, e2, e3, e4, e5, e6, e7));
  let v_t = load_x(x_base + min(u32(t), cols - 1u));
  if (!row_in_range) { return; }
  let ignored = t == params.ignore_index;
  let in_range = t >= 0 && u32(t) < cols;
  let row_max = stats.x;
  let row_sum = stats.y;
  let log_sum = log(row_sum);
  let lse = row_max + log_sum;
  var w_t = 0.0;
  if (!ignored && in_range) { w_t = class_w(u32(t)); }
  let total = (1.0 - params.smoothing) * w_t + params.smoothing / f32(cols) * all_weights();
  let row_bad = !ignored && (!in_range || stats_bad(stats));
  var scale = 1.0;
  if (params.reduction == REDUCTION_MEAN) { scale = 1.0 / weight_sum[0]; }
  if (WANT_GRAD) {
    let g_base = params.grad_offset + row * cols;
    let k = total + select(0.0, 2.0 * params.z_coef * lse, Z_LOSS);
    let hit = (1.0 - params.smoothing) * w_t;
    let inv_sum = 1.0 / row_sum;
    let keep = select(0xffffffffu, 0u, ignored || row_bad);
    let fill = select(0u, NAN_BITS, row_bad);  // 0 for an ignored row, NaN for a bad one
    fixed_grad(g_base, 0u, e0, t, hit, inv_sum, k, scale, keep, fill);
    fixed_grad(g_base, 1u, e1, t, hit, inv_sum, k, scale, keep, fill);
    fixed_grad(g_base, 2u, e2, t, hit, inv_sum, k, scale, keep, fill);
    fixed_grad(g_base, 3u, e3, t, hit, inv_sum, k, scale, keep, fill);
    fixed_grad(g_base, 4u, e4, t, hit, inv_sum, k, scale, keep, fill);
    fixed_grad(g_base, 5u, e5, t, hit, inv_sum, k, scale, keep, fill);
    fixed_grad(g_base, 6u, e6, t, hit, inv_sum, k, scale, keep, fill);
    fixed_grad(g_base, 7u, e7, t, hit, inv_sum, k, scale, keep, fill);
  }
  let term = logit_nll(v_t, w_t, row_max, log_sum);
  store_row_loss(row, row_bad, ignored, term.x, u32(term.y), lse);
}

@compute @workgroup_size(WG)
fn main(@builtin(local_invocation_index) lid: u32,
        @builtin(workgroup_id) wid: vec3<u32>,
        @builtin(num_workgroups) nwg: vec3<u32>) {
  if (FIXED_COLS > 0u) {  // a constant: the rest of main is not compiled in this variant
    fixed_main((wid.y * nwg.x + wid.x) * WG + lid);
    return;
  }
  let lane = lid % TPR;
  let unit = (wid.y * nwg.x + wid.x) * (WG / TPR) + lid / TPR;  // (row, segment); one segment per row unless split
  // Integer division is slow on CPU adapters (no vector divide): skipped where the divisor is known to be 1.
  var row = unit;
  var segment = 0u;
  if (PHASE != 0u) {
    row = unit / params.segments;
    segment = unit % params.segments;
  }
  let row_in_range = row < params.rows;
  let cols = params.cols;
  let seg_start = segment * params.segment_len;
  let seg_end = min(cols, seg_start + params.segment_len);
  let inner = params.inner;
  // Element (row, c) is at x_base + c * inner (relative to the dispatch's first element).
  var rel_base = row * cols;
  if (!CONTIGUOUS) { rel_base = (row / inner) * cols * inner + row % inner; }
  let x_base = params.x_offset + rel_base;
  let eps = params.smoothing;
  let smooth_each = eps / f32(cols);
  let dense = DENSE;  // the host sets it to SOFT_TARGET || labelSmoothing > 0

  // Target of the row (class-index form).
  var t = -1;
  var ignored = false;
  var in_range = true;
  if (!SOFT_TARGET && row_in_range) {
    t = bitcast<i32>(target_bits[params.target_offset + row]);
    ignored = t == params.ignore_index;
    in_range = t >= 0 && u32(t) < cols;
  }
  let skip = !row_in_range || ignored;
  // The target's input value, for the NLL term at the end, read before any thread of the row writes (in place the
  // gradient overwrites it). Split rows: PHASE 1 keeps it in `partials` after the units' pairs, for PHASE 2.
  var v_t = 0.0;
  if (!SOFT_TARGET && !skip && in_range && lane == 0u && segment == 0u && PHASE != 2u) { v_t = load_x(x_base + u32(t) * inner); }

  // 1. Logits only (the other inputs are log-probabilities already): online max and sum of exponentials, and for
  //    soft targets A = sum_c a_c, which the logits' gradient needs.
  let m_floor = bitcast<f32>(NEG_INF_BITS);
  var m = m_floor;
  var s = 0.0;
  var coef_total = 0.0;
  var cache: array<vec4<f32>, CACHE_BLOCKS>;
  var lane_max = ROW_FLOOR;
  if (CACHED && !skip) {
    // Read this lane's blocks once (see block_cols; past the segment: -Inf), then exp(v - lane max)
    // in place: its sum is the lane's statistics. Constant trip counts, so a compiler can keep `cache` in registers.
    for (var b = 0u; b < CACHE_BLOCKS; b++) {
      let c0 = seg_start + b * 4u * TPR;
      var v = vec4<f32>(m_floor);
      if (c0 + 4u * TPR <= seg_end) {
        v = load_block(x_base, c0, lane);
      } else if (c0 < seg_end) {
        v = select(v, tail_block(x_base, c0, lane, seg_end), block_cols(c0, lane) < vec4<u32>(seg_end));
      }
      cache[b] = v;
      lane_max = max(lane_max, max4(v));
    }
    var lane_sum = 0.0;
    for (var b = 0u; b < CACHE_BLOCKS; b++) {
      let e = exp(cache[b] - vec4<f32>(lane_max));
      cache[b] = e;
      lane_sum += sum4(e);
    }
    m = lane_max;
    s = lane_sum;
  } else if (!skip && INPUTS == INPUT_LOGITS && CONTIGUOUS && PHASE != 2u) {
    // Blocks of 4 classes per lane and step (row_stats.wgsl: block_cols) over this unit's segment: full steps in groups
    // of BLOCKS_PER_INNER_SUM (no branch inside), then the last, partial step with the columns past the end as -Inf.
    var running = stats_start();
    let step = 4u * TPR;
    var c0 = seg_start;
    while (c0 + step <= seg_end) {
      let group_end = c0 + step * BLOCKS_PER_INNER_SUM;
      // Two steps per iteration where they fit: both blocks are loaded before the dependent max/exp chain, so twice
      // the bytes are in flight per thread (the same additions in the same order as one step at a time).
      for (; c0 + 2u * step <= seg_end && c0 + step < group_end; c0 += 2u * step) {
        let a = capped4(load_block(x_base, c0, lane));
        let b = capped4(load_block(x_base, c0 + step, lane));
        running = add_block(add_block(running, a), b);
        if (SOFT_TARGET) {
          coef_total += soft_coefs(rel_base, block_cols(c0, lane), seg_end, eps, smooth_each);
          coef_total += soft_coefs(rel_base, block_cols(c0 + step, lane), seg_end, eps, smooth_each);
        }
      }
      for (; c0 + step <= seg_end && c0 < group_end; c0 += step) {
        running = add_block(running, capped4(load_block(x_base, c0, lane)));
        if (SOFT_TARGET) { coef_total += soft_coefs(rel_base, block_cols(c0, lane), seg_end, eps, smooth_each); }
      }
      running = fold_inner(running);
    }
    if (c0 < seg_end) {
      let c = block_cols(c0, lane);
      running = add_block(running, select(vec4<f32>(m_floor), capped4(tail_block(x_base, c0, lane, seg_end)), c < vec4<u32>(seg_end)));
      if (SOFT_TARGET) { coef_total += soft_coefs(rel_base, c, seg_end, eps, smooth_each); }
    }
    let state = block_total(running);
    m = state.x;
    s = state.y;
  } else if (!skip && INPUTS == INPUT_LOGITS && PHASE != 2u) {  // (PHASE 2 takes its statistics from `partials`)
    for (var c = lane; c < cols; c += TPR) {
      let v = capped(load_x(x_base + c * inner));
      if (is_nan(v) || bitcast<u32>(v) == 0x7f800000u) {  // NaN or +Inf: the row is NaN, as in PyTorch
        s = bitcast<f32>(NAN_BITS);
      } else if (v > m) {
        s = s * exp(m - v) + 1.0;
        m = v;
      } else if (v > m_floor) {
        s += exp(v - m);  // -Inf (a mask) adds nothing; skipping it also avoids -Inf - -Inf = NaN while m is -Inf
      }
      if (SOFT_TARGET) {
        coef_total += class_w(c) * ((1.0 - eps) * soft_target(params.target_offset + rel_base + c * inner) + smooth_each);
      }
    }
  }
  var stats = reduce_unit(vec4<f32>(m, s, coef_total, 0.0), lid, KIND_STATS);
  io_barrier();  // in place: every read above comes before the writes below
  if (PHASE == 1u) {
    if (row_in_range && lane == 0u) {
      partials[unit] = stats.xy;
      if (segment == 0u) { partials[params.rows * params.segments + row] = vec2<f32>(v_t, 0.0); }
    }
    return;
  }
  if (PHASE == 2u && !skip) {
    var merged = vec2<f32>(m_floor, 0.0);
    for (var k = 0u; k < params.segments; k++) { merged = combine_stats(merged, partials[row * params.segments + k]); }
    stats = vec4<f32>(merged, 0.0, 0.0);
    v_t = partials[params.rows * params.segments + row].x;
  }
  let row_max = stats.x;
  let row_sum = stats.y;
  let log_sum = log(row_sum);
  let lse = row_max + log_sum;
  var w_t = 0.0;
  if (!SOFT_TARGET && !skip && in_range) { w_t = class_w(u32(t)); }
  var total = stats.z;
  if (!SOFT_TARGET) { total = (1.0 - eps) * w_t + smooth_each * all_weights(); }
  var row_bad = !skip && !SOFT_TARGET && !in_range;
  if (INPUTS == INPUT_LOGITS) { row_bad = row_bad || (!skip && stats_bad(vec2<f32>(row_max, row_sum))); }

  var scale = 1.0;
  if (params.reduction == REDUCTION_MEAN) { scale = 1.0 / weight_sum[0]; }
  let inv_sum = 1.0 / row_sum;

  // 2. Per class: the loss terms sum_c b_c l_c (b = a for soft targets, w eps / C for the smoothing term: scaled
  //    before the sum, whose f32 partials would overflow for two log-probabilities near -3.4e38) and the gradient.
  var acc = 0.0;
  var acc_flags = 0u;
  if (CACHED && !skip && !row_bad) {
    // From the cached exp(v - lane max): p = e * exp(lane max - row max) / s (exactly e / s in the lane of the max).
    let z_term = select(0.0, 2.0 * params.z_coef * lse, Z_LOSS);
    let k = select(exp(lane_max - row_max), 1.0, lane_max == row_max) * inv_sum * (total + z_term) * scale;
    let hit = vec4<f32>((1.0 - eps) * w_t * scale);
    let g_base = params.grad_offset + rel_base;
    for (var b = 0u; b < CACHE_BLOCKS; b++) {
      let c0 = seg_start + b * 4u * TPR;
      let c = block_cols(c0, lane);
      let g = cache[b] * k - select(vec4<f32>(0.0), hit, c == vec4<u32>(u32(t)));
      if (c0 + 4u * TPR <= seg_end) {
        store_block(g_base, c0, lane, g);
      } else if (c0 < seg_end) {
        store_tail(g_base, c, seg_end, g);
      }
    }
  } else if (!DENSE && CONTIGUOUS && INPUTS == INPUT_LOGITS && WANT_GRAD && !skip && !row_bad) {
    // The common case (hard labels, no smoothing): only the gradient, 4 classes per step,
    // g = (p * total - [c == t] * w_t + 2 z lse p) * cap' * scale. A masked logit has p = exp(-Inf) = 0.
    let z_term = select(0.0, 2.0 * params.z_coef * lse, Z_LOSS);
    let g_base = params.grad_offset + rel_base;
    let hit = (1.0 - eps) * w_t;
    let step = 4u * TPR;
    // Full steps without a branch, then the last, partial one.
    var c0 = seg_start;
    for (; c0 + step <= seg_end; c0 += step) {
      let g = hard_label_grad(load_block(x_base, c0, lane), block_cols(c0, lane), t, hit, row_max, inv_sum, total + z_term, scale);
      store_block(g_base, c0, lane, g);
    }
    if (c0 < seg_end) {
      let c = block_cols(c0, lane);
      store_tail(g_base, c, seg_end, hard_label_grad(tail_block(x_base, c0, lane, seg_end), c, t, hit, row_max, inv_sum, total + z_term, scale));
    }
  } else if (!skip && !row_bad && (dense || WANT_GRAD)) {
    for (var c = lane; c < cols; c += TPR) {
      let i = rel_base + c * inner;
      let raw = load_x(params.x_offset + i);
      var v = raw;
      var slope = 1.0;
      if (INPUTS == INPUT_LOGITS && SOFTCAP) {
        let th = saturating_tanh(raw / params.softcap);
        v = params.softcap * th;
        slope = 1.0 - th * th;
      }
      // Log-probability (finite part; flags for -Inf) and probability.
      var l = 0.0;
      var l_flags = 0u;
      var p = 0.0;
      if (INPUTS == INPUT_LOGITS) {
        if (is_neg_inf(v)) { l_flags = NEG_INF; } else { l = (v - row_max) - log_sum; p = exp(v - row_max) * inv_sum; }
      } else if (INPUTS == INPUT_PROBABILITIES) {
        p = v;
        if (v < 0.0 || is_nan(v)) { l_flags = IS_NAN; } else if (v == 0.0) { l = LOG_CLAMP; } else { l = max(log(v), LOG_CLAMP); }
      } else {
        if (is_neg_inf(v)) { l_flags = NEG_INF; } else { l = v; }
        if (is_nan(v)) { l_flags = IS_NAN; }
      }
      let w_c = class_w(c);
      var a = 0.0;
      var b = 0.0;
      if (SOFT_TARGET) {
        a = w_c * ((1.0 - eps) * soft_target(params.target_offset + i) + smooth_each);
        b = a;
      } else {
        a = w_c * smooth_each;
        if (i32(c) == t) { a += (1.0 - eps) * w_t; }
        b = w_c * smooth_each;
      }
      if (dense) {
        if (l_flags != 0u) { acc_flags = add_flags(acc_flags, scale_flags(b, l_flags)); } else { acc += b * l; }
      }
      if (WANT_GRAD) {
        var g = 0.0;
        if (INPUTS == INPUT_LOGITS) {
          g = p * total - a;
          if (Z_LOSS) { g += 2.0 * params.z_coef * lse * p; }
          g = g * slope;
        } else if (INPUTS == INPUT_PROBABILITIES) {
          g = -a / max(p, PROBABILITY_GRAD_EPSILON);
        } else {
          g = -a;
        }
        // A NaN probability or log-probability: its own gradient is NaN (-a / p and -a would hide it where a = 0).
        if (INPUTS != INPUT_LOGITS && l_flags == IS_NAN) { g = bitcast<f32>(NAN_BITS); }
        store_out(params.grad_offset + i, g * scale);
      }
    }
  }
  if (WANT_GRAD && row_in_range && (skip || row_bad)) {
    var fill = 0.0;
    if (row_bad) { fill = bitcast<f32>(NAN_BITS); }
    if (CONTIGUOUS) {
      // In the lanes' blocks, as the gradient paths store (each word of packed f16 pairs stays with one lane).
      for (var c0 = seg_start; c0 < seg_end; c0 += 4u * TPR) { store_tail(params.grad_offset + rel_base, block_cols(c0, lane), seg_end, vec4<f32>(fill)); }
    } else {
      for (var c = seg_start + lane; c < seg_end; c += TPR) { store_out(params.grad_offset + rel_base + c * inner, fill); }
    }
  }

  // Reduce the loss terms across the row's lanes (only when the loss needs every class).
  if (dense) {
    let terms = reduce_unit(vec4<f32>(acc, f32(acc_flags), 0.0, 0.0), lid, KIND_TERMS);
    acc = terms.x;
    acc_flags = u32(terms.y);
  }

  if (!row_in_range || lane != 0u || segment != 0u) { return; }
  var value = 0.0;
  var flags = 0u;
  if (!skip && !row_bad) {
    if (SOFT_TARGET) {
      value = -acc;
      flags = scale_flags(-1.0, acc_flags);
    } else {
      // -w_t l_t, the NLL term (v_t read at the start).
      if (INPUTS == INPUT_LOGITS) {
        let term = logit_nll(v_t, w_t, row_max, log_sum);
        value = term.x;
        flags = u32(term.y);
      } else if (INPUTS == INPUT_PROBABILITIES) {
        if (v_t < 0.0 || is_nan(v_t)) { flags = IS_NAN; } else if (v_t == 0.0) { value = -w_t * LOG_CLAMP; } else { value = -w_t * max(log(v_t), LOG_CLAMP); }
      } else {
        if (is_neg_inf(v_t)) { flags = scale_flags(-w_t, NEG_INF); } else { value = -w_t * v_t; }
        if (is_nan(v_t)) { flags = IS_NAN; }
      }
      if (eps > 0.0) {
        value = (1.0 - eps) * value - acc;
        flags = add_flags(scale_flags(1.0 - eps, flags), scale_flags(-1.0, acc_flags));
      }
    }
  }
  store_row_loss(row, row_bad, skip, value, flags, lse);
}
