// element_io_f32.wgsl: f32 elements, the output in its own buffer (the default). An element-I/O snippet gives a row
// kernel (cross_entropy.wgsl, log_softmax.wgsl) its input and output arrays; the host (src/shaders.ts) prepends it,
// putting the kernel's binding numbers for {{X}} and {{OUT}}. The kernel only calls:
//   load_x(i) -> f32       element i of the input (i counts elements from the start of the binding)
//   store_out(i, v: f32)   element i of the output
//   load_x4(i), store_out4(i, v: vec4<f32>)   elements i .. i + 3 (all inside the row's range)
//   IO_CONTIGUOUS_BLOCKS   a const: true when a lane should take 4 consecutive columns per step (row_stats.wgsl)
//   io_barrier()           in uniform control flow, between the reads of a row and the first write of any thread of
//                          the row: a storage barrier where the output is the input (in place), else nothing
// The variants: element_io_f32_in_place.wgsl, element_io_f16[_in_place].wgsl (shader-f16) and
// element_io_f16_packed[_in_place].wgsl (any device).
@group(0) @binding({{X}}) var<storage, read> io_x: array<f32>;
@group(0) @binding({{OUT}}) var<storage, read_write> io_out: array<f32>;

// Lanes interleave element by element (row_stats.wgsl, block_cols): coalesced loads and stores.
const IO_CONTIGUOUS_BLOCKS: bool = false;
fn load_x(i: u32) -> f32 { return io_x[i]; }
fn store_out(i: u32, v: f32) { io_out[i] = v; }
fn load_x4(i: u32) -> vec4<f32> { return vec4<f32>(load_x(i), load_x(i + 1u), load_x(i + 2u), load_x(i + 3u)); }
fn store_out4(i: u32, v: vec4<f32>) {
  store_out(i, v.x);
  store_out(i + 1u, v.y);
  store_out(i + 2u, v.z);
  store_out(i + 3u, v.w);
}
fn io_barrier() {}
