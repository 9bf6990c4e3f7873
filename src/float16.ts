/**
 * IEEE 754 binary16 (f16) on the host: the conversions behind f16 GpuTensors (`engine.gpu.upload(data, { dtype:
 * 'f16' })` and `read()`). Node 20 has no Float16Array and no Math.f16round, so the conversion is done on the bits:
 * f32 -> f16 rounds to nearest, ties to even (as IEEE and the GPU's own conversion), values from 65520 up become
 * Infinity, NaN stays NaN (quiet, sign kept); f16 -> f32 is exact. shaders/element_io_f16_packed.wgsl does the same on
 * the GPU, bit for bit.
 */

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** The f16 bits nearest to `value` (after rounding `value` to f32), ties to even. */
export function f16Bits(value: number): number {
  f32[0] = value;
  return f16BitsOfF32Bits(u32[0]!);
}

/** f16 bits of the f32 with bits `b` (round to nearest, ties to even). */
function f16BitsOfF32Bits(b: number): number {
  const sign = (b >>> 16) & 0x8000;
  const a = b & 0x7fffffff;
  if (a > 0x7f800000) return sign | 0x7e00; // NaN
  if (a >= 0x477ff000) return sign | 0x7c00; // 65520 and up (half-way to 2^16 rounds to even: up) and Infinity
  if (a >= 0x38800000) {
    // Normal f16 (>= 2^-14): drop 13 mantissa bits, rounding to nearest even; a carry moves into the exponent.
    const rounded = a + 0xfff + ((a >>> 13) & 1);
    return sign | ((rounded >>> 13) - (112 << 10));
  }
  if (a < 0x33000000) return sign; // below 2^-25 (half the smallest subnormal): +-0; exactly 2^-25 ties to 0 too
  // Subnormal f16: the count of 2^-24 units, m * 2^(e - 126) for the 24-bit significand m, rounded to nearest even.
  const e = a >>> 23;
  const m = (a & 0x7fffff) | 0x800000;
  const shift = 126 - e; // 14..24
  const q = m >>> shift;
  const rem = m & ((1 << shift) - 1);
  const half = 1 << (shift - 1);
  return sign | (rem > half || (rem === half && (q & 1) === 1) ? q + 1 : q);
}

/** The value of f16 bits (exact). */
export function f16Value(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const e = (bits >>> 10) & 0x1f;
  const m = bits & 0x3ff;
  if (e === 0) return sign * m * 2 ** -24;
  if (e === 31) return m === 0 ? sign * Infinity : NaN;
  return sign * (1 + m / 1024) * 2 ** (e - 15);
}

/** f16 bits of every value (round to nearest even). */
export function toFloat16Bits(values: Float32Array): Uint16Array<ArrayBuffer> {
  const words = new Uint32Array(values.buffer, values.byteOffset, values.length); // a Float32Array is 4-byte aligned
  const out = new Uint16Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = f16BitsOfF32Bits(words[i]!);
  return out;
}

/** The values of f16 bits, as f32 (exact). */
export function fromFloat16Bits(bits: Uint16Array): Float32Array<ArrayBuffer> {
  const out = new Float32Array(bits.length);
  for (let i = 0; i < bits.length; i++) out[i] = f16Value(bits[i]!);
  return out;
}

/** Each value rounded to the nearest f16 (ties to even), as f32: what an f16 tensor uploaded from `values` holds. */
export function roundToFloat16(values: Float32Array): Float32Array<ArrayBuffer> {
  return fromFloat16Bits(toFloat16Bits(values));
}
