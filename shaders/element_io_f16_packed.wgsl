// element_io_f16_packed.wgsl: f16 elements on any device (no shader-f16 needed): pairs of f16 in u32 words, element
// 2k in the low half of word k (the layout of a packed array<f16>). Loads decode the half (f16_bits.wgsl).
// Stores: neighbouring elements belong to different threads wherever a row (or a thread's share of one) starts on an
// odd element, and a plain u32 store would race with the neighbour's, so a single store changes only its own half with
// two atomics: atomicAnd clears it, atomicOr sets it (the other half is never touched; no order between threads
// matters, so the result is deterministic). store_out4 writes the words a thread fills alone with one atomicStore each.
// Cost on SwiftShader: the CE kernel takes 1.5-3x the f32 variant's time (README, f16). Contract: element_io_f32.wgsl.
@group(0) @binding({{X}}) var<storage, read> io_x: array<u32>;
@group(0) @binding({{OUT}}) var<storage, read_write> io_out: array<atomic<u32>>;

// Packed pairs: a lane takes 4 consecutive columns per step (row_stats.wgsl, block_cols), so store_out4 fills
// whole words with plain atomic stores; element-interleaved lanes would share every word (two atomics per value).
const IO_CONTIGUOUS_BLOCKS: bool = true;
fn load_x(i: u32) -> f32 { return f16_value(io_x[i >> 1u] >> ((i & 1u) << 4u)); }
fn store_out(i: u32, v: f32) {
  let shift = (i & 1u) << 4u;
  atomicAnd(&io_out[i >> 1u], ~(0xffffu << shift));
  atomicOr(&io_out[i >> 1u], f16_bits(v) << shift);
}
// Elements i .. i + 3 (all in the row): the words they fill alone are loaded once and stored whole, with atomicStore
// (no other thread touches them); only a half-word at either end goes through store_out.
fn load_x4(i: u32) -> vec4<f32> {
  let w = i >> 1u;
  let a = io_x[w];
  let b = io_x[w + 1u];
  if ((i & 1u) == 0u) { return vec4<f32>(f16_value(a), f16_value(a >> 16u), f16_value(b), f16_value(b >> 16u)); }
  return vec4<f32>(f16_value(a >> 16u), f16_value(b), f16_value(b >> 16u), f16_value(io_x[w + 2u]));
}
fn store_out4(i: u32, v: vec4<f32>) {
  let w = i >> 1u;
  if ((i & 1u) == 0u) {
    atomicStore(&io_out[w], f16_bits(v.x) | (f16_bits(v.y) << 16u));
    atomicStore(&io_out[w + 1u], f16_bits(v.z) | (f16_bits(v.w) << 16u));
  } else {
    store_out(i, v.x);
    atomicStore(&io_out[w + 1u], f16_bits(v.y) | (f16_bits(v.z) << 16u));
    store_out(i + 3u, v.w);
  }
}
fn io_barrier() {}
