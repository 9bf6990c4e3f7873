// element_io_f16.wgsl: f16 elements on a device with the shader-f16 feature: array<f16>, widened to f32 on load (exact);
// f32 math in the kernel; stored as the f16 nearest the f32 result (f16_bits.wgsl, ties to even). Contract:
// element_io_f32.wgsl.
enable f16;

@group(0) @binding({{X}}) var<storage, read> io_x: array<f16>;
@group(0) @binding({{OUT}}) var<storage, read_write> io_out: array<f16>;

// Lanes interleave element by element (row_stats.wgsl, block_cols): coalesced loads and stores.
const IO_CONTIGUOUS_BLOCKS: bool = false;
fn load_x(i: u32) -> f32 { return f32(io_x[i]); }
fn store_out(i: u32, v: f32) { io_out[i] = bitcast<vec2<f16>>(f16_bits(v)).x; }
fn load_x4(i: u32) -> vec4<f32> { return vec4<f32>(load_x(i), load_x(i + 1u), load_x(i + 2u), load_x(i + 3u)); }
fn store_out4(i: u32, v: vec4<f32>) {
  store_out(i, v.x);
  store_out(i + 1u, v.y);
  store_out(i + 2u, v.z);
  store_out(i + 3u, v.w);
}
fn io_barrier() {}
