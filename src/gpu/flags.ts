/**
 * WebGPU's flag constants as plain numbers (the values the WebGPU specification fixes for GPUBufferUsage and
 * GPUMapMode, https://www.w3.org/TR/webgpu/#buffer-usage and #typedefdef-gpumapmodeflags). Browsers define the
 * GPUBufferUsage and GPUMapMode globals, but Dawn's Node bindings only export them (`globals` of the `webgpu`
 * package): the library uses these numbers so that it works on a caller's device without either.
 */
export const BufferUsage = {
  MAP_READ: 0x0001,
  MAP_WRITE: 0x0002,
  COPY_SRC: 0x0004,
  COPY_DST: 0x0008,
  INDEX: 0x0010,
  VERTEX: 0x0020,
  UNIFORM: 0x0040,
  STORAGE: 0x0080,
  INDIRECT: 0x0100,
  QUERY_RESOLVE: 0x0200,
} as const;

export const MapMode = {
  READ: 0x0001,
  WRITE: 0x0002,
} as const;
