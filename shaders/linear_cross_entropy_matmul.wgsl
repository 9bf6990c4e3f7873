// linear_cross_entropy_matmul.wgsl: the tiled f32 matrix product of the fused linear cross-entropy
// (host: src/ops/linearCrossEntropy.ts, CPU reference: src/reference/linearCrossEntropy.ts) on CPU adapters (STAGE
// false) and on GPUs whose engine allows fewer than 256 threads per workgroup (STAGE true). GPUs that allow 256 run
// linear_cross_entropy_matmul128.wgsl instead (128 x 128 tiles, 8 x 8 outputs per thread: ~4x the work per
// workgroup-memory read and per storage read of this kernel's 32 x 32 tiles), the same product and bindings.
//
// Math: C[m, n] = (ACCUMULATE ? C[m, n] : 0) + s * sum_{k < K} A(m, k) B(k, n) + (BIAS ? bias[n] : 0), with
//   A(m, k) = a[a_offset + m * lda + k]   or, TRANS_A, a[a_offset + k * lda + m]
//   B(k, n) = b[b_offset + k * ldb + n]   or, TRANS_B, b[b_offset + n * ldb + k]
//   s = 1 / weight_sum[0] when SCALED and weight_sum[0] != 0 (the mean's scale of the gradients; with weight_sum 0
//   every row was ignored and the gradient is 0 already), else 1.
// Its three uses: the logits of a chunk of rows, hidden @ weight^T + bias (TRANS_B); gradHidden = dlogits @ weight;
// gradWeight += dlogits^T @ hidden (TRANS_A), accumulated across row chunks in a fixed order (deterministic).
// Workgroup shape: 64 threads as 8 x 8, a 32 x 32 tile of C per workgroup, 4 x 4 outputs per thread held in registers
// (4 vec4 accumulators). K is walked in slices of 32: each thread stages 16 values of A's and of B's slice in workgroup
// memory (8 KiB in all), one barrier, then 32 (or fewer in the last slice) rank-1 updates of its 4 x 4 block. Out-of-
// range elements are staged as 0, so edge tiles need no special case in the inner loop.
// With STAGE false (tuning 'cpu': SwiftShader, llvmpipe) each thread reads its operands straight from storage with no
// barrier at all (a barrier switches every invocation's context there), the same sums in the same k order; the 64
// threads are TM x TN as the host picks from C's shape (256 x 4 outputs for a thin C such as gradWeight with D = 2).
// Loop counts: a dispatch (or a split-K piece) covers at most 4096 of K (the host splits longer K into accumulating
// dispatches), so a thread takes at most 128 slices x (16 + 16 + 32) loop iterations staged, 4096 unstaged: far below the 65535 at which Mesa llvmpipe silently
// stops a shader's loops (gallivm LP_MAX_TGSI_LOOP_ITERATIONS).
// Split-K (gradHidden, whose K is the vocabulary): the workgroups of one dispatch take K in k_split pieces, each
// writing its partial product to its own slab of c (c_split_stride apart); the host then adds the slabs in order with
// linear_cross_entropy_bias.wgsl. Without it k_split = K and there is one slab.
// Accumulation is f32 in a fixed order (k ascending), so results are bitwise reproducible run to run.
// Workgroups are numbered wid.y * nwg.x + wid.x (the host folds large counts into a 2-D grid): tile row = index /
// tiles_n, tile column = index % tiles_n; surplus workgroups of the fold return at once (a uniform exit).
// Operand types: a, b and bias are read through a_at / b_at / bias_at (element i of the binding as f32), which an
// operand snippet the host prepends defines with the binding (src/shaders.ts): matmul_operand_f32.wgsl (array<f32>),
// matmul_operand_f16.wgsl (array<f16>, shader-f16) or matmul_operand_f16_packed.wgsl (f16 pairs in u32 words, any
// device), one choice per operand (the logits read f16 hidden and weight; gradHidden f32 dlogits and f16 weight;
// gradWeight f32 dlogits and f16 hidden). f16 values are widened exactly; products and sums are f32 in every variant,
// and c is always f32 (gradients of f16 inputs stay f32, gradWeight accumulated in f32 across row chunks).
// Bindings: 0 params, 1 a (read), 2 b (read), 3 bias (read), 4 weight_sum (read), 5 c (read_write).

override WG: u32 = 64u;      // must be 64 (TM x TN threads): the host passes it; named WG as every kernel's size
override TRANS_A: bool = false;
override TRANS_B: bool = false;
override ACCUMULATE: bool = false;
override BIAS: bool = false;
override SCALED: bool = false;
override STAGE: bool = true;  // stage slices in workgroup memory (real GPUs); false: read storage directly (CPU adapters)
override TM: u32 = 8u;        // threads along M (TM * TN = 64; 8 x 8 when STAGE)
override TN: u32 = 8u;

const TILE: u32 = 32u;   // output tile edge
const SLICE: u32 = 32u;  // K per staged slice
const THREADS: u32 = 64u;
const STAGED: u32 = 16u; // (TILE * SLICE) / THREADS values of A (and of B) staged per thread per slice

struct Params {
  m: u32,
  n: u32,
  k: u32,
  lda: u32,
  ldb: u32,
  ldc: u32,
  a_offset: u32,
  b_offset: u32,
  c_offset: u32,
  bias_offset: u32,
  tiles_n: u32,
  tiles: u32,          // tiles of C per split
  k_split: u32,        // K per split (all of K without split-K)
  c_split_stride: u32, // elements between the splits' partial products in c (0 without split-K)
}

@group(0) @binding(0) var<uniform> params: Params;
// Bindings 1 (a), 2 (b) and 3 (bias) and their loads a_at, b_at, bias_at: operand snippets the host prepends
// (matmul_operand_*.wgsl: f32, or f16 widened to f32).
@group(0) @binding(4) var<storage, read> weight_sum: array<f32>;
@group(0) @binding(5) var<storage, read_write> c: array<f32>;

var<workgroup> tile_a: array<f32, 1024>; // [TILE rows m][SLICE k]
var<workgroup> tile_b: array<f32, 1024>; // [SLICE k][TILE cols n]

fn a_index(m: u32, k: u32) -> u32 {
  if (TRANS_A) { return params.a_offset + k * params.lda + m; }
  return params.a_offset + m * params.lda + k;
}

fn b_index(k: u32, n: u32) -> u32 {
  if (TRANS_B) { return params.b_offset + n * params.ldb + k; }
  return params.b_offset + k * params.ldb + n;
}

fn load_a(m: u32, k: u32, k_end: u32) -> f32 {
  if (m >= params.m || k >= k_end) { return 0.0; }
  return a_at(a_index(m, k));
}

fn load_b(k: u32, n: u32, k_end: u32) -> f32 {
  if (k >= k_end || n >= params.n) { return 0.0; }
  return b_at(b_index(k, n));
}

@compute @workgroup_size(WG)
fn main(@builtin(local_invocation_index) lid: u32,
        @builtin(workgroup_id) wid: vec3<u32>,
        @builtin(num_workgroups) nwg: vec3<u32>) {
  let index = wid.y * nwg.x + wid.x;
  if (index >= params.tiles * ((params.k + params.k_split - 1u) / params.k_split)) { return; }
  let split = index / params.tiles;
  let tile = index % params.tiles;
  let k_begin = split * params.k_split;
  let k_end = min(params.k, k_begin + params.k_split);
  // Threads as TM x TN (8 x 8 when staging; the host picks the shape from M and N otherwise), 4 x 4 outputs each.
  let m0 = (tile / params.tiles_n) * 4u * TM;
  let n0 = (tile % params.tiles_n) * 4u * TN;
  let tx = lid % TN;
  let ty = lid / TN;

  var acc0 = vec4<f32>(0.0);
  var acc1 = vec4<f32>(0.0);
  var acc2 = vec4<f32>(0.0);
  var acc3 = vec4<f32>(0.0);
  if (STAGE) {
    for (var k0 = k_begin; k0 < k_end; k0 += SLICE) {
      // Stage the slices. A: element i of the tile row-major [m][k] with k fastest, or with m fastest when A is
      // transposed (then consecutive threads read consecutive addresses either way); B likewise.
      for (var q = 0u; q < STAGED; q++) {
        let i = lid + q * THREADS;
        if (TRANS_A) {
          let mm = i % TILE;
          let kk = i / TILE;
          tile_a[mm * SLICE + kk] = load_a(m0 + mm, k0 + kk, k_end);
        } else {
          let kk = i % SLICE;
          let mm = i / SLICE;
          tile_a[mm * SLICE + kk] = load_a(m0 + mm, k0 + kk, k_end);
        }
        if (TRANS_B) {
          let kk = i % SLICE;
          let nn = i / SLICE;
          tile_b[kk * TILE + nn] = load_b(k0 + kk, n0 + nn, k_end);
        } else {
          let nn = i % TILE;
          let kk = i / TILE;
          tile_b[kk * TILE + nn] = load_b(k0 + kk, n0 + nn, k_end);
        }
      }
      workgroupBarrier();
      let depth = min(SLICE, k_end - k0);
      for (var kk = 0u; kk < depth; kk++) {
        let bv = vec4<f32>(tile_b[kk * TILE + tx * 4u], tile_b[kk * TILE + tx * 4u + 1u], tile_b[kk * TILE + tx * 4u + 2u], tile_b[kk * TILE + tx * 4u + 3u]);
        let r = ty * 4u * SLICE + kk;
        acc0 += tile_a[r] * bv;
        acc1 += tile_a[r + SLICE] * bv;
        acc2 += tile_a[r + 2u * SLICE] * bv;
        acc3 += tile_a[r + 3u * SLICE] * bv;
      }
      workgroupBarrier();
    }
  } else {
    // CPU-emulated adapters: no staging and no barrier (each barrier switches every invocation's context there, and
    // their caches serve repeated reads anyway); the same sums in the same order, read straight from storage.
    let m = m0 + ty * 4u;
    let n = n0 + tx * 4u;
    if (m >= params.m || n >= params.n) { return; } // a block wholly outside C (edge tiles): nothing to compute
    if (m + 3u < params.m && n + 3u < params.n) {
      // The whole 4 x 4 block is inside C: no bounds checks in the loop (they cost as much as the arithmetic on a CPU).
      for (var k = k_begin; k < k_end; k++) {
        let bv = vec4<f32>(b_at(b_index(k, n)), b_at(b_index(k, n + 1u)), b_at(b_index(k, n + 2u)), b_at(b_index(k, n + 3u)));
        acc0 += a_at(a_index(m, k)) * bv;
        acc1 += a_at(a_index(m + 1u, k)) * bv;
        acc2 += a_at(a_index(m + 2u, k)) * bv;
        acc3 += a_at(a_index(m + 3u, k)) * bv;
      }
    } else {
      for (var k = k_begin; k < k_end; k++) {
        let bv = vec4<f32>(load_b(k, n, k_end), load_b(k, n + 1u, k_end), load_b(k, n + 2u, k_end), load_b(k, n + 3u, k_end));
        acc0 += load_a(m, k, k_end) * bv;
        acc1 += load_a(m + 1u, k, k_end) * bv;
        acc2 += load_a(m + 2u, k, k_end) * bv;
        acc3 += load_a(m + 3u, k, k_end) * bv;
      }
    }
  }

  var s = 1.0;
  if (SCALED && weight_sum[0] != 0.0) { s = 1.0 / weight_sum[0]; }
  var rows = array<vec4<f32>, 4>(acc0, acc1, acc2, acc3); // a var: runtime indexing
  for (var i = 0u; i < 4u; i++) {
    let m = m0 + ty * 4u + i;
    if (m >= params.m) { break; }
    for (var j = 0u; j < 4u; j++) {
      let n = n0 + tx * 4u + j;
      if (n >= params.n) { break; }
      var value = rows[i][j] * s;
      if (BIAS) { value += bias_at(params.bias_offset + n); }
      let at = params.c_offset + split * params.c_split_stride + m * params.ldc + n;
      if (ACCUMULATE) { value += c[at]; }
      c[at] = value;
    }
  }
}
