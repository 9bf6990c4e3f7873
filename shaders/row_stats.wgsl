// row_stats.wgsl: the running (max, sum of exponentials) shared by the row-wise kernels (log_softmax.wgsl,
// cross_entropy.wgsl); the host prepends it. Math: for values v, m = max v and s = sum exp(v - m), accumulated
// online over blocks of 4: the block's max updates m, the running sum is rescaled once per block by exp(m_old - m_new)
// and the block adds sum exp(v - m_new) (no branch, 1.25 exp per value), in two levels (see add_block). -Inf values
// (masks) add exp(-Inf - m) = 0 against a max that starts at the lowest finite f32 (never -Inf - -Inf = NaN). A NaN or
// +Inf makes the sum NaN or +Inf for good, which stats_bad reads from the bits at the end (WGSL lets compilers assume
// NaN never appears in arithmetic, so nothing is decided by comparing with NaN).

// NaN and infinities cannot be WGSL constants (a const-expression must be finite); private variables make them
// run-time values the compiler accepts.
var<private> NAN_BITS: u32 = 0x7fc00000u;
var<private> POS_INF_BITS: u32 = 0x7f800000u;
var<private> NEG_INF_BITS: u32 = 0xff800000u;

fn is_nan(v: f32) -> bool {
  return (bitcast<u32>(v) & 0x7fffffffu) > 0x7f800000u;
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

// The max and the pairwise sum of a block of 4 (the order every kernel adds a block in).
fn max4(v: vec4<f32>) -> f32 {
  return max(max(v.x, v.y), max(v.z, v.w));
}

fn sum4(e: vec4<f32>) -> f32 {
  return (e.x + e.y) + (e.z + e.w);
}

// Lowest finite f32: the running max starts here rather than at -Inf, so that exp(v - m) is exp(-Inf) = 0 for a masked
// value (never exp(-Inf - -Inf) = NaN) without a branch per block. A row that stays here saw only -Inf: its sum is 0.
const ROW_FLOOR: f32 = -0x1.fffffep+127f;

// Blocks a thread adds to its inner sum before the caller folds it into the outer one (fold_inner).
const BLOCKS_PER_INNER_SUM: u32 = 64u;

// The start of a running state (max, outer sum, inner sum, unused).
fn stats_start() -> vec4<f32> {
  return vec4<f32>(ROW_FLOOR, 0.0, 0.0, 0.0);
}

// Add a block of 4 values (pad with -Inf) to a running state: one exp per value plus one per block to rescale, no
// branch. A plain f32 chain of k terms can err by k ulps in one direction (8000 equal tiny terms added to ~1 missed
// the 1e-5 tolerance), so callers walk a row in groups of BLOCKS_PER_INNER_SUM blocks and fold the group's inner sum
// into the outer one after each (fold_inner): no chain is longer than 64 + k / 64. (Kahan compensation was tried first:
// Mesa's GLSL compiler behind llvmpipe folds (t - s) - y to 0, even with a 1.0 it cannot prove.) Both sums are
// rescaled when the max moves; the rescale is exactly 1 while it stays (exp(0) is not exactly 1 everywhere).
// NaN and +Inf are not tested per block: they make the sum NaN or +Inf for good (exp(NaN) is NaN, or +Inf on
// SwiftShader; +Inf - +Inf is NaN; a NaN or infinite sum times a rescale or plus a term stays NaN or infinite), which
// stats_bad reads from the bits at the end; a finite row's sum is at most its length.
fn add_block(state: vec4<f32>, v: vec4<f32>) -> vec4<f32> {
  let m = max(state.x, max4(v));
  let e = exp(v - vec4<f32>(m));
  let rescale = select(exp(state.x - m), 1.0, m == state.x);
  return vec4<f32>(m, state.y * rescale, state.z * rescale + sum4(e), 0.0);
}

// Fold the inner sum of a running state into the outer one.
fn fold_inner(state: vec4<f32>) -> vec4<f32> {
  return vec4<f32>(state.x, state.y + state.z, 0.0, 0.0);
}

// The (max, sum) of a running state.
fn block_total(state: vec4<f32>) -> vec2<f32> {
  return vec2<f32>(state.x, state.y + state.z);
}

// True when the row of these (max, sum) statistics holds a NaN or +Inf (PyTorch: the row is NaN), or only -Inf
// (sum 0: softmax is 0 / 0, NaN in PyTorch too). Read from the bits: WGSL lets compilers assume no NaN in arithmetic.
fn stats_bad(stats: vec2<f32>) -> bool {
  let bits = bitcast<vec2<u32>>(stats) & vec2<u32>(0x7fffffffu);
  return any(bits >= vec2<u32>(0x7f800000u)) || stats.y == 0.0;
}

// Blocks of a row as the kernels walk them: TPR lanes share a segment of a row; step j covers the 4 * TPR columns
// from c0 = start + 4 * TPR * j, and lane l takes columns c0 + l + k * TPR (k = 0..3). Lanes are interleaved element
// by element, so each of the 4 loads (and stores) of a warp touches consecutive addresses (coalesced on GPUs; with
// lanes interleaved by blocks of 4, each load instruction of a warp spanned 4x the bytes it used). With TPR = 1 (CPU
// adapters), or when the element-I/O snippet sets IO_CONTIGUOUS_BLOCKS (packed f16 pairs, whose whole-word stores
// need a lane's 4 columns together), lane l takes the 4 consecutive columns c0 + 4 l .. c0 + 4 l + 3 instead.
// Uses the kernel's TPR and the element-I/O snippet's load_x/store_out.

// The columns of lane `lane`'s block at step start c0.
fn block_cols(c0: u32, lane: u32) -> vec4<u32> {
  if (TPR == 1u || IO_CONTIGUOUS_BLOCKS) { return vec4<u32>(c0 + 4u * lane) + vec4<u32>(0u, 1u, 2u, 3u); }
  return vec4<u32>(c0 + lane) + vec4<u32>(0u, TPR, 2u * TPR, 3u * TPR);
}

// A full block (every column of the step inside the segment) of the row whose column 0 is element `base`.
fn load_block(base: u32, c0: u32, lane: u32) -> vec4<f32> {
  if (TPR == 1u || IO_CONTIGUOUS_BLOCKS) { return load_x4(base + c0 + 4u * lane); }
  let i = base + c0 + lane;
  return vec4<f32>(load_x(i), load_x(i + TPR), load_x(i + 2u * TPR), load_x(i + 3u * TPR));
}

// A block of the last, partial step (end: the segment's end): columns at or past `end` read column end - 1 (in
// bounds, no branch); callers mask them or skip their stores.
fn tail_block(base: u32, c0: u32, lane: u32, end: u32) -> vec4<f32> {
  let c = min(block_cols(c0, lane), vec4<u32>(end - 1u));
  return vec4<f32>(load_x(base + c.x), load_x(base + c.y), load_x(base + c.z), load_x(base + c.w));
}

// Store a full block.
fn store_block(base: u32, c0: u32, lane: u32, v: vec4<f32>) {
  if (TPR == 1u || IO_CONTIGUOUS_BLOCKS) {
    store_out4(base + c0 + 4u * lane, v);
    return;
  }
  let i = base + c0 + lane;
  store_out(i, v.x);
  store_out(i + TPR, v.y);
  store_out(i + 2u * TPR, v.z);
  store_out(i + 3u * TPR, v.w);
}

// Store the columns of a partial block that are before `end`.
fn store_tail(base: u32, c: vec4<u32>, end: u32, v: vec4<f32>) {
  if (c.x < end) { store_out(base + c.x, v.x); }
  if (c.y < end) { store_out(base + c.y, v.y); }
  if (c.z < end) { store_out(base + c.z, v.z); }
  if (c.w < end) { store_out(base + c.w, v.w); }
}

// Short rows on CPU adapters: FIXED_COLS, a pipeline constant the host sets to the row length when one thread walks a
// whole row of at most 4 * FIXED_BLOCKS columns (src/ops/rows.ts: planRows), else 0. The kernels then hold the row in
// FIXED_BLOCKS blocks of 4 (`let`s, blocks past the row never read), take the max, then the exponentials once, keep
// them for the output, and run no loop: SwiftShader folds every column test of a known row length away and runs
// straight-line code (65537 x 10 on SwiftShader: the loop took 4-6x the vec4 copy's time, this about 2x). The sum is
// a fixed tree over the blocks; a NaN or +Inf makes it NaN or +Inf (exp(NaN - m), exp(Inf - Inf)) and a row of only
// -Inf leaves it 0 against the ROW_FLOOR max, which stats_bad reads, as for the online statistics.
override FIXED_COLS: u32 = 0u;
const FIXED_BLOCKS: u32 = 8u;

// True when block b (columns 4b .. 4b + 3) has a column in the row.
fn fixed_has(b: u32) -> bool {
  return 4u * b < FIXED_COLS;
}

// The columns of block b.
fn fixed_cols(b: u32) -> vec4<u32> {
  return vec4<u32>(4u * b) + vec4<u32>(0u, 1u, 2u, 3u);
}

// Block b of the row whose column 0 is element `base`, with the columns past the end as -Inf (max ignores them,
// exp gives 0); a block past the row is all -Inf and reads nothing.
fn fixed_block(base: u32, b: u32) -> vec4<f32> {
  var v = vec4<f32>(bitcast<f32>(NEG_INF_BITS));
  if (!fixed_has(b)) { return v; }
  if (4u * b + 4u <= FIXED_COLS) { return load_x4(base + 4u * b); }
  let i = base + 4u * b;  // the last, partial block: only its columns in the row are read
  v.x = load_x(i);
  if (4u * b + 1u < FIXED_COLS) { v.y = load_x(i + 1u); }
  if (4u * b + 2u < FIXED_COLS) { v.z = load_x(i + 2u); }
  return v;
}

// The row's max (at least ROW_FLOOR, so a row of only -Inf gives exp(-Inf - ROW_FLOOR) = 0, never NaN).
fn fixed_max(v0: vec4<f32>, v1: vec4<f32>, v2: vec4<f32>, v3: vec4<f32>, v4: vec4<f32>, v5: vec4<f32>, v6: vec4<f32>, v7: vec4<f32>) -> f32 {
  var m = max(ROW_FLOOR, max4(v0));
  if (fixed_has(1u)) { m = max(m, max4(v1)); }
  if (fixed_has(2u)) { m = max(m, max4(v2)); }
  if (fixed_has(3u)) { m = max(m, max4(v3)); }
  if (fixed_has(4u)) { m = max(m, max4(v4)); }
  if (fixed_has(5u)) { m = max(m, max4(v5)); }
  if (fixed_has(6u)) { m = max(m, max4(v6)); }
  if (fixed_has(7u)) { m = max(m, max4(v7)); }
  return m;
}

// exp(v - m) of block b (0 for a block past the row).
fn fixed_exp(v: vec4<f32>, b: u32, m: f32) -> vec4<f32> {
  if (!fixed_has(b)) { return vec4<f32>(0.0); }
  return exp(v - vec4<f32>(m));
}

// The sum of the blocks' exponentials, a fixed tree.
fn fixed_sum(e0: vec4<f32>, e1: vec4<f32>, e2: vec4<f32>, e3: vec4<f32>, e4: vec4<f32>, e5: vec4<f32>, e6: vec4<f32>, e7: vec4<f32>) -> f32 {
  return ((sum4(e0) + sum4(e1)) + (sum4(e2) + sum4(e3))) + ((sum4(e4) + sum4(e5)) + (sum4(e6) + sum4(e7)));
}

// Store block b's columns that are in the row.
fn fixed_store(base: u32, b: u32, v: vec4<f32>) {
  if (!fixed_has(b)) { return; }
  if (4u * b + 4u <= FIXED_COLS) {
    store_out4(base + 4u * b, v);
  } else {
    store_tail(base, fixed_cols(b), FIXED_COLS, v);
  }
}
