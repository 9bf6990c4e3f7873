// element_io_f32_vec4.wgsl: f32 elements bound as array<vec4<f32>>, the output in its own buffer. For rows whose
// every block of 4 starts on a 16-byte boundary (the host checks: classes a multiple of 4, bindings shifted by a
// multiple of 4 elements), so a lane's 4 consecutive columns are one 16-byte load and store (one LDG.128 per lane
// on NVIDIA instead of four strided 4-byte loads). Chosen with createEngine({ vec4Io: true }) (src/gpu/context.ts
// elementIo). Contract: element_io_f32.wgsl; load_x4 / store_out4 take an index that is a multiple of 4.
@group(0) @binding({{X}}) var<storage, read> io_x: array<vec4<f32>>;
@group(0) @binding({{OUT}}) var<storage, read_write> io_out: array<vec4<f32>>;

// A lane takes 4 consecutive columns per step (row_stats.wgsl, block_cols): one vector per load and store.
const IO_CONTIGUOUS_BLOCKS: bool = true;
fn load_x(i: u32) -> f32 { return io_x[i >> 2u][i & 3u]; }
fn store_out(i: u32, v: f32) { io_out[i >> 2u][i & 3u] = v; }
fn load_x4(i: u32) -> vec4<f32> { return io_x[i >> 2u]; }
fn store_out4(i: u32, v: vec4<f32>) { io_out[i >> 2u] = v; }
fn io_barrier() {}
