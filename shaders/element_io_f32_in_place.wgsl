// element_io_f32_in_place.wgsl: f32 elements, the output written over the input (one read_write binding {{X}}; WebGPU
// forbids binding one buffer both read-only and writable in a dispatch). Contract: element_io_f32.wgsl. The kernel
// reads each element before any thread writes it (io_barrier orders the reads of a row's other threads before the
// writes; without it only the reduction's barrier, which WGSL does not promise orders storage, would).
@group(0) @binding({{X}}) var<storage, read_write> io_x: array<f32>;

// Lanes interleave element by element (row_stats.wgsl, block_cols): coalesced loads and stores.
const IO_CONTIGUOUS_BLOCKS: bool = false;
fn load_x(i: u32) -> f32 { return io_x[i]; }
fn store_out(i: u32, v: f32) { io_x[i] = v; }
fn load_x4(i: u32) -> vec4<f32> { return vec4<f32>(load_x(i), load_x(i + 1u), load_x(i + 2u), load_x(i + 3u)); }
fn store_out4(i: u32, v: vec4<f32>) {
  store_out(i, v.x);
  store_out(i + 1u, v.y);
  store_out(i + 2u, v.z);
  store_out(i + 3u, v.w);
}
fn io_barrier() { if (TPR > 1u) { storageBarrier(); } }
