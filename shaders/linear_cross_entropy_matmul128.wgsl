// linear_cross_entropy_matmul128.wgsl: the fused linear cross-entropy's f32 matrix product on real GPUs (tuning
// 'gpu'): 128 x 128 tiles of C, 256 threads of 8 x 8 outputs each (host: src/ops/linearCrossEntropy.ts, CPU
// reference: src/reference/linearCrossEntropy.ts). linear_cross_entropy_matmul.wgsl is the same product for CPU
// adapters (tuning 'cpu') and for engines whose workgroups are smaller than 256 threads.
//
// Math (as linear_cross_entropy_matmul.wgsl): C[m, n] = (ACCUMULATE ? C[m, n] : 0) + s * sum_{k < K} A(m, k) B(k, n)
// + (BIAS ? bias[n] : 0), with
//   A(m, k) = a[a_offset + m * lda + k]   or, TRANS_A, a[a_offset + k * lda + m]
//   B(k, n) = b[b_offset + k * ldb + n]   or, TRANS_B, b[b_offset + n * ldb + k]
//   s = 1 / weight_sum[0] when SCALED and weight_sum[0] != 0, else 1.
// Its three uses: the logits of a chunk of rows (TRANS_B: both operands have k contiguous); gradHidden = dlogits @
// weight (split-K, below); gradWeight += dlogits^T @ hidden (TRANS_A, ACCUMULATE across row chunks).
//
// Why this shape: 8 x 8 outputs per thread do 64 FMAs per 4 vec4 reads of workgroup memory (the 32 x 32 tile with 4 x 4
// per thread did 16 FMAs per 8 scalar reads, 4-way bank-conflicted, and its transposed staging stores were 32-way
// conflicted), and a 128 x 128 tile reads 1/4 as much of A and B from storage per FMA as a 32 x 32 one.
// Threads are 16 x 16 (tx = lid % 16, ty = lid / 16); thread (tx, ty) owns rows m0 + {0, 64} + 4 ty + {0..3} and
// columns n0 + {0, 64} + 4 tx + {0..3}, so the 16 threads of a half-warp read 16 distinct vec4s of a k row of tile_b
// (256 bytes, no bank conflict) and 2 of tile_a (a broadcast).
// K is walked in slices of 16. tile_a and tile_b hold a slice k-major (16 k rows of 128 m or n, as 32 vec4s): 16 KiB
// in all, the WebGPU default maxComputeWorkgroupStorageSize, so no room for padding; instead vec4 v of k row k is
// stored at slot v ^ (k % 8) (an XOR swizzle; see slot()).
// Staging: each thread loads 8 values of each operand per slice, scalar f32, lanes of a warp along the operand's
// contiguous dimension: 32 consecutive m (or n) of one k row when those are contiguous in storage (A with TRANS_A, B
// without TRANS_B: 128 contiguous bytes per load instruction), else 8 consecutive k of 4 rows (4 runs of 32 bytes).
// With the swizzle the 32 stores of a warp hit 32 different banks in both cases. Scalar loads: with every load
// coalesced, 16 load instructions per 1024 FMAs per thread cost little, and they need no alignment (dlogits' leading
// dimension is V, odd for 50257) nor a second, vec4-typed binding.
// Software pipelining: the next slice is loaded into registers while the current one is multiplied (one tile buffer,
// two barriers per slice; two buffers would exceed 16 KiB).
// Edges: any M, N, K. Elements outside C's rows or columns, or past the end of K (or of this split's K), are staged as
// 0, so every slice does its 16 rank-1 updates with no bounds check in the loop; past-the-end k add 0 * 0 = 0 to every
// output, leaving the sum unchanged (an exact -0 sum reads back as +0). Stores are bounds-checked.
// Accumulation: f32, one output's products added k ascending, so results are bitwise reproducible run to run.
// Loop counts: a dispatch (or a split-K piece) covers at most 4096 of K (the host splits longer K), so a thread takes
// at most 256 slices x 17 loop iterations, far below the 65535 at which Mesa llvmpipe silently stops a shader's
// loops (gallivm LP_MAX_TGSI_LOOP_ITERATIONS). The 8 x 8 block is spelled out (constant indices: registers).
// Split-K (gradHidden, whose K is the vocabulary): the workgroups of one dispatch take K in k_split pieces, each
// writing its partial product to its own slab of c (c_split_stride apart); the host adds the slabs in order with
// linear_cross_entropy_bias.wgsl. Without it k_split = K and there is one slab.
// Workgroups are numbered wid.y * nwg.x + wid.x (the host folds large counts into a 2-D grid): split = index / tiles,
// then tile t = index % tiles runs along the dimension with fewer tiles (tile row = t % tiles_m when tiles_m <
// tiles_n, else tile column = t % tiles_n: see main); surplus workgroups return at once.
// Operand types (as linear_cross_entropy_matmul.wgsl): a, b and bias are read through a_at / b_at / bias_at, from
// operand snippets the host prepends (matmul_operand_*.wgsl): f32, or f16 (array<f16>, or packed pairs in u32 words)
// widened to f32 exactly as it is loaded; staging, products and sums are f32 whatever the operands.
// Bindings (as linear_cross_entropy_matmul.wgsl): 0 params, 1 a, 2 b, 3 bias, 4 weight_sum (read), 5 c (read_write).

override WG: u32 = 256u; // must be 256: the host passes it
override TRANS_A: bool = false;
override TRANS_B: bool = false;
override ACCUMULATE: bool = false;
override BIAS: bool = false;
override SCALED: bool = false;

const TILE: u32 = 128u;  // output tile edge
const SLICE: u32 = 16u;  // K per staged slice
const ROW4: u32 = 32u;   // vec4s per staged k row (TILE / 4)

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

var<workgroup> tile_a: array<vec4<f32>, 512>; // [SLICE k][TILE m], 4 m per vec4
var<workgroup> tile_b: array<vec4<f32>, 512>; // [SLICE k][TILE n], 4 n per vec4

fn load_a(m: u32, k: u32, k_end: u32) -> f32 {
  if (m >= params.m || k >= k_end) { return 0.0; }
  if (TRANS_A) { return a_at(params.a_offset + k * params.lda + m); }
  return a_at(params.a_offset + m * params.lda + k);
}

fn load_b(k: u32, n: u32, k_end: u32) -> f32 {
  if (k >= k_end || n >= params.n) { return 0.0; }
  if (TRANS_B) { return b_at(params.b_offset + n * params.ldb + k); }
  return b_at(params.b_offset + k * params.ldb + n);
}

// One thread's share of a slice of an operand (8 values), held in registers between the load and the staging store.
struct Share {
  lo: vec4<f32>,
  hi: vec4<f32>,
}

// Where element (k, i) of a staged slice lives (i: m for tile_a, n for tile_b): vec4 (i / 4) ^ (k % 8) of k row k,
// component i % 4. The XOR spreads the stores of one warp over all 32 banks (see the header); readers of vec4 v of
// k row k read slot v ^ (k % 8), which permutes slots 0..15 and 16..31 among themselves.
fn slot(k: u32, i: u32) -> u32 {
  return k * ROW4 + ((i / 4u) ^ (k & 7u));
}

// A thread's share when the operand's rows (m of A, n of B) are contiguous in storage (A with TRANS_A, B without
// TRANS_B): element i % 128 of k rows i / 128 + {0, 2, ..., 14}; 32 threads of a warp read 128 contiguous bytes.
// When k is contiguous instead (A without TRANS_A, B with TRANS_B): k = i % 8 and 8 + i % 8 of rows i / 8 + {0, 32,
// 64, 96}; a warp reads 4 runs of 32 bytes.
fn fetch_a(m0: u32, k0: u32, k_end: u32, lid: u32) -> Share {
  if (TRANS_A) {
    let m = m0 + lid % TILE;
    let k = k0 + lid / TILE;
    return Share(vec4<f32>(load_a(m, k, k_end), load_a(m, k + 2u, k_end), load_a(m, k + 4u, k_end), load_a(m, k + 6u, k_end)),
                 vec4<f32>(load_a(m, k + 8u, k_end), load_a(m, k + 10u, k_end), load_a(m, k + 12u, k_end), load_a(m, k + 14u, k_end)));
  }
  let m = m0 + lid / 8u;
  let k = k0 + lid % 8u;
  return Share(vec4<f32>(load_a(m, k, k_end), load_a(m + 32u, k, k_end), load_a(m + 64u, k, k_end), load_a(m + 96u, k, k_end)),
               vec4<f32>(load_a(m, k + 8u, k_end), load_a(m + 32u, k + 8u, k_end), load_a(m + 64u, k + 8u, k_end), load_a(m + 96u, k + 8u, k_end)));
}

fn fetch_b(n0: u32, k0: u32, k_end: u32, lid: u32) -> Share {
  if (!TRANS_B) {
    let n = n0 + lid % TILE;
    let k = k0 + lid / TILE;
    return Share(vec4<f32>(load_b(k, n, k_end), load_b(k + 2u, n, k_end), load_b(k + 4u, n, k_end), load_b(k + 6u, n, k_end)),
                 vec4<f32>(load_b(k + 8u, n, k_end), load_b(k + 10u, n, k_end), load_b(k + 12u, n, k_end), load_b(k + 14u, n, k_end)));
  }
  let n = n0 + lid / 8u;
  let k = k0 + lid % 8u;
  return Share(vec4<f32>(load_b(k, n, k_end), load_b(k, n + 32u, k_end), load_b(k, n + 64u, k_end), load_b(k, n + 96u, k_end)),
               vec4<f32>(load_b(k + 8u, n, k_end), load_b(k + 8u, n + 32u, k_end), load_b(k + 8u, n + 64u, k_end), load_b(k + 8u, n + 96u, k_end)));
}

// Store a share where fetch_a / fetch_b took it from (positions relative to the tile and the slice).
fn stage_a(s: Share, lid: u32) {
  if (TRANS_A) {
    let i = lid % TILE;
    let k = lid / TILE;
    let q = i % 4u;
    tile_a[slot(k, i)][q] = s.lo.x;
    tile_a[slot(k + 2u, i)][q] = s.lo.y;
    tile_a[slot(k + 4u, i)][q] = s.lo.z;
    tile_a[slot(k + 6u, i)][q] = s.lo.w;
    tile_a[slot(k + 8u, i)][q] = s.hi.x;
    tile_a[slot(k + 10u, i)][q] = s.hi.y;
    tile_a[slot(k + 12u, i)][q] = s.hi.z;
    tile_a[slot(k + 14u, i)][q] = s.hi.w;
    return;
  }
  let i = lid / 8u;
  let k = lid % 8u;
  let q = i % 4u;
  tile_a[slot(k, i)][q] = s.lo.x;
  tile_a[slot(k, i + 32u)][q] = s.lo.y;
  tile_a[slot(k, i + 64u)][q] = s.lo.z;
  tile_a[slot(k, i + 96u)][q] = s.lo.w;
  tile_a[slot(k + 8u, i)][q] = s.hi.x;
  tile_a[slot(k + 8u, i + 32u)][q] = s.hi.y;
  tile_a[slot(k + 8u, i + 64u)][q] = s.hi.z;
  tile_a[slot(k + 8u, i + 96u)][q] = s.hi.w;
}

fn stage_b(s: Share, lid: u32) {
  if (!TRANS_B) {
    let i = lid % TILE;
    let k = lid / TILE;
    let q = i % 4u;
    tile_b[slot(k, i)][q] = s.lo.x;
    tile_b[slot(k + 2u, i)][q] = s.lo.y;
    tile_b[slot(k + 4u, i)][q] = s.lo.z;
    tile_b[slot(k + 6u, i)][q] = s.lo.w;
    tile_b[slot(k + 8u, i)][q] = s.hi.x;
    tile_b[slot(k + 10u, i)][q] = s.hi.y;
    tile_b[slot(k + 12u, i)][q] = s.hi.z;
    tile_b[slot(k + 14u, i)][q] = s.hi.w;
    return;
  }
  let i = lid / 8u;
  let k = lid % 8u;
  let q = i % 4u;
  tile_b[slot(k, i)][q] = s.lo.x;
  tile_b[slot(k, i + 32u)][q] = s.lo.y;
  tile_b[slot(k, i + 64u)][q] = s.lo.z;
  tile_b[slot(k, i + 96u)][q] = s.lo.w;
  tile_b[slot(k + 8u, i)][q] = s.hi.x;
  tile_b[slot(k + 8u, i + 32u)][q] = s.hi.y;
  tile_b[slot(k + 8u, i + 64u)][q] = s.hi.z;
  tile_b[slot(k + 8u, i + 96u)][q] = s.hi.w;
}

// Write 4 consecutive outputs of a row, at c[at..] for columns n.. (those inside C), scaled, with bias and accumulation.
fn store4(n: u32, at: u32, v: vec4<f32>, s: f32) {
  for (var j = 0u; j < 4u; j++) {
    if (n + j >= params.n) { return; }
    var value = v[j] * s;
    if (BIAS) { value += bias_at(params.bias_offset + n + j); }
    if (ACCUMULATE) { value += c[at + j]; }
    c[at + j] = value;
  }
}

// Write one of the thread's 8 rows: columns n0 + 4 tx + {0..3} (lo) and n0 + 64 + 4 tx + {0..3} (hi).
fn store_row(base: u32, m: u32, n: u32, lo: vec4<f32>, hi: vec4<f32>, s: f32) {
  if (m >= params.m) { return; }
  let at = base + m * params.ldc + n;
  store4(n, at, lo, s);
  store4(n + 64u, at + 64u, hi, s);
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
  // Consecutive workgroups (those running at once) share the tile of the dimension with more tiles and walk the other:
  // the logits' 5 x 393 tiles (640 rows x 50257 classes) go down the 5 row tiles of each weight tile, so the weight
  // (154 MB, more than a GPU's L2 holds) is read from memory about once per chunk rather than once per row tile.
  let tiles_m = params.tiles / params.tiles_n;
  var m0: u32;
  var n0: u32;
  if (tiles_m < params.tiles_n) {
    m0 = (tile % tiles_m) * TILE;
    n0 = (tile / tiles_m) * TILE;
  } else {
    m0 = (tile / params.tiles_n) * TILE;
    n0 = (tile % params.tiles_n) * TILE;
  }
  let tx = lid % 16u;
  let ty = lid / 16u;

  // acc[2 r + h]: row r of the thread's 8 (r < 4: m0 + 4 ty + r; else m0 + 64 + 4 ty + r - 4), column half h.
  var acc: array<vec4<f32>, 16>;
  var share_a = fetch_a(m0, k_begin, k_end, lid);
  var share_b = fetch_b(n0, k_begin, k_end, lid);
  for (var k0 = k_begin; k0 < k_end; k0 += SLICE) {
    stage_a(share_a, lid);
    stage_b(share_b, lid);
    workgroupBarrier();
    // The next slice's loads are in flight while this one is multiplied (past k_end they are zeros, unused).
    share_a = fetch_a(m0, k0 + SLICE, k_end, lid);
    share_b = fetch_b(n0, k0 + SLICE, k_end, lid);
    for (var kk = 0u; kk < SLICE; kk++) {
      let row = kk * ROW4;
      let ta = ty ^ (kk & 7u); // the swizzle of slot(): vec4 ty of k row kk, and 16 + ty
      let tb = tx ^ (kk & 7u);
      let a0 = tile_a[row + ta];
      let a1 = tile_a[row + 16u + ta];
      let b0 = tile_b[row + tb];
      let b1 = tile_b[row + 16u + tb];
      acc[0] += a0.x * b0;
      acc[1] += a0.x * b1;
      acc[2] += a0.y * b0;
      acc[3] += a0.y * b1;
      acc[4] += a0.z * b0;
      acc[5] += a0.z * b1;
      acc[6] += a0.w * b0;
      acc[7] += a0.w * b1;
      acc[8] += a1.x * b0;
      acc[9] += a1.x * b1;
      acc[10] += a1.y * b0;
      acc[11] += a1.y * b1;
      acc[12] += a1.z * b0;
      acc[13] += a1.z * b1;
      acc[14] += a1.w * b0;
      acc[15] += a1.w * b1;
    }
    workgroupBarrier();
  }

  var s = 1.0;
  if (SCALED && weight_sum[0] != 0.0) { s = 1.0 / weight_sum[0]; }
  let base = params.c_offset + split * params.c_split_stride;
  let m = m0 + ty * 4u;
  let n = n0 + tx * 4u;
  store_row(base, m, n, acc[0], acc[1], s);
  store_row(base, m + 1u, n, acc[2], acc[3], s);
  store_row(base, m + 2u, n, acc[4], acc[5], s);
  store_row(base, m + 3u, n, acc[6], acc[7], s);
  store_row(base, m + 64u, n, acc[8], acc[9], s);
  store_row(base, m + 65u, n, acc[10], acc[11], s);
  store_row(base, m + 66u, n, acc[12], acc[13], s);
  store_row(base, m + 67u, n, acc[14], acc[15], s);
}
