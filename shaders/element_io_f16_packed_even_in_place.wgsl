// element_io_f16_packed_even_in_place.wgsl: element_io_f16_packed_even.wgsl with the output written over the input
// (one read_write binding of plain words: every word of a row belongs to one lane, which reads it before it writes
// it; the lanes of a row meet at io_barrier between the statistics and the first write, as in every in-place
// variant). Contract: element_io_f32.wgsl.
@group(0) @binding({{X}}) var<storage, read_write> io_x: array<u32>;

const IO_CONTIGUOUS_BLOCKS: bool = true;
fn load_x(i: u32) -> f32 { return f16_value(io_x[i >> 1u] >> ((i & 1u) << 4u)); }
fn store_out(i: u32, v: f32) {
  let shift = (i & 1u) << 4u;
  io_x[i >> 1u] = (io_x[i >> 1u] & ~(0xffffu << shift)) | (f16_bits(v) << shift);
}
fn load_x4(i: u32) -> vec4<f32> {
  let a = io_x[i >> 1u];
  let b = io_x[(i >> 1u) + 1u];
  return vec4<f32>(f16_value(a), f16_value(a >> 16u), f16_value(b), f16_value(b >> 16u));
}
fn store_out4(i: u32, v: vec4<f32>) {
  io_x[i >> 1u] = f16_bits(v.x) | (f16_bits(v.y) << 16u);
  io_x[(i >> 1u) + 1u] = f16_bits(v.z) | (f16_bits(v.w) << 16u);
}
fn io_barrier() { if (TPR > 1u) { storageBarrier(); } }
