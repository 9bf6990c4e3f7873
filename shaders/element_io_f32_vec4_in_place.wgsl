// element_io_f32_vec4_in_place.wgsl: element_io_f32_vec4.wgsl with the output written over the input (one
// read_write binding {{X}}). Contract: element_io_f32_in_place.wgsl (reads of a row before its writes, io_barrier).
@group(0) @binding({{X}}) var<storage, read_write> io_x: array<vec4<f32>>;

const IO_CONTIGUOUS_BLOCKS: bool = true;
fn load_x(i: u32) -> f32 { return io_x[i >> 2u][i & 3u]; }
fn store_out(i: u32, v: f32) { io_x[i >> 2u][i & 3u] = v; }
fn load_x4(i: u32) -> vec4<f32> { return io_x[i >> 2u]; }
fn store_out4(i: u32, v: vec4<f32>) { io_x[i >> 2u] = v; }
fn io_barrier() { if (TPR > 1u) { storageBarrier(); } }
