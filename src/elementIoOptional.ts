/**
 * The element-I/O snippets only some engines use, loaded by createEngine when it needs them: the vec4 ones
 * (`createEngine({ vec4Io: true })`) and the array<f16> ones (a device with `shader-f16`), so applications whose
 * engines use neither do not load them. See src/shaders.ts ELEMENT_IO.
 */
import elementIoF16 from '../shaders/element_io_f16.wgsl?raw';
import elementIoF16InPlace from '../shaders/element_io_f16_in_place.wgsl?raw';
import elementIoF32Vec4 from '../shaders/element_io_f32_vec4.wgsl?raw';
import elementIoF32Vec4InPlace from '../shaders/element_io_f32_vec4_in_place.wgsl?raw';
import { registerElementIo } from './shaders.js';

export function registerVec4Io(): void {
  registerElementIo({ 'f32-vec4': elementIoF32Vec4, 'f32-vec4-in-place': elementIoF32Vec4InPlace });
}

export function registerNativeF16Io(): void {
  registerElementIo({ f16: elementIoF16, 'f16-in-place': elementIoF16InPlace });
}
