// element_io_f16_packed_in_place.wgsl: packed f16 pairs (element_io_f16_packed.wgsl) with the output written over the
// input: one read_write binding of atomic words, loads through atomicLoad (a neighbour may be storing the other half
// of the word meanwhile; the half loaded is never written before it is read). Contract: element_io_f32.wgsl.
@group(0) @binding({{X}}) var<storage, read_write> io_x: array<atomic<u32>>;

fn load_x(i: u32) -> f32 { return f16_value(atomicLoad(&io_x[i >> 1u]) >> ((i & 1u) << 4u)); }
fn store_out(i: u32, v: f32) {
  let shift = (i & 1u) << 4u;
  atomicAnd(&io_x[i >> 1u], ~(0xffffu << shift));
  atomicOr(&io_x[i >> 1u], f16_bits(v) << shift);
}
fn io_barrier() { if (TPR > 1u) { storageBarrier(); } }
