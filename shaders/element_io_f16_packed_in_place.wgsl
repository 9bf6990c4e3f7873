// element_io_f16_packed_in_place.wgsl: packed f16 pairs (element_io_f16_packed.wgsl) with the output written over the
// input: one read_write binding of atomic words, loads through atomicLoad (a neighbour may be storing the other half
// of the word meanwhile; the half loaded is never written before it is read). Contract: element_io_f32.wgsl.
@group(0) @binding({{X}}) var<storage, read_write> io_x: array<atomic<u32>>;

// Packed pairs: a lane takes 4 consecutive columns per step (row_stats.wgsl, block_cols), so store_out4 fills
// whole words with plain atomic stores; element-interleaved lanes would share every word (two atomics per value).
const IO_CONTIGUOUS_BLOCKS: bool = true;
fn load_x(i: u32) -> f32 { return f16_value(atomicLoad(&io_x[i >> 1u]) >> ((i & 1u) << 4u)); }
fn store_out(i: u32, v: f32) {
  let shift = (i & 1u) << 4u;
  atomicAnd(&io_x[i >> 1u], ~(0xffffu << shift));
  atomicOr(&io_x[i >> 1u], f16_bits(v) << shift);
}
// Elements i .. i + 3 (all in the row): the words they fill alone are loaded once and stored whole, with atomicStore
// (no other thread touches them); only a half-word at either end goes through store_out.
fn load_x4(i: u32) -> vec4<f32> {
  let w = i >> 1u;
  let a = atomicLoad(&io_x[w]);
  let b = atomicLoad(&io_x[w + 1u]);
  if ((i & 1u) == 0u) { return vec4<f32>(f16_value(a), f16_value(a >> 16u), f16_value(b), f16_value(b >> 16u)); }
  return vec4<f32>(f16_value(a >> 16u), f16_value(b), f16_value(b >> 16u), f16_value(atomicLoad(&io_x[w + 2u])));
}
fn store_out4(i: u32, v: vec4<f32>) {
  let w = i >> 1u;
  if ((i & 1u) == 0u) {
    atomicStore(&io_x[w], f16_bits(v.x) | (f16_bits(v.y) << 16u));
    atomicStore(&io_x[w + 1u], f16_bits(v.z) | (f16_bits(v.w) << 16u));
  } else {
    store_out(i, v.x);
    atomicStore(&io_x[w + 1u], f16_bits(v.y) | (f16_bits(v.z) << 16u));
    store_out(i + 3u, v.w);
  }
}
fn io_barrier() { if (TPR > 1u) { storageBarrier(); } }
