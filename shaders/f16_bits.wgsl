// f16_bits.wgsl: IEEE binary16 <-> f32 on the bits, for the f16 element-I/O snippets (element_io_f16*.wgsl); the host
// prepends it. The same conversions as src/float16.ts, bit for bit: f32 -> f16 rounds to nearest, ties to even (WGSL
// leaves the rounding of f16(v) to the implementation and makes out-of-range values indeterminate, so the bits are
// formed here), 65520 and up become Infinity, NaN stays NaN; f16 -> f32 is exact (subnormals included: the result is a
// normal f32, so no flush-to-zero can touch it).

// Both are branch-free (every case computed, the right one selected): CPU adapters run a workgroup's invocations as
// SIMD lanes, where an early return per case cost 4x the whole kernel's time (measured on SwiftShader).

// The f32 value of the f16 in the low 16 bits of `h` (higher bits are ignored).
fn f16_value(h: u32) -> f32 {
  let em = (h & 0x7fffu) << 13u;  // exponent and mantissa at their f32 places
  let e = h & 0x7c00u;
  // Normal: rebias the exponent by 127 - 15; +-Inf and NaN (exponent 31): to 255; subnormal (exponent 0):
  // 2^-14 (1 + m / 1024) - 2^-14 = m * 2^-24, exact (and a normal f32: no flush-to-zero can touch it).
  let normal = em + (112u << 23u);
  let subnormal = bitcast<u32>(bitcast<f32>(em + (113u << 23u)) - 6.103515625e-5);
  let magnitude = select(select(normal, normal + (112u << 23u), e == 0x7c00u), subnormal, e == 0u);
  return bitcast<f32>(((h & 0x8000u) << 16u) | magnitude);
}

// The f16 bits nearest to v (in the low 16 bits), ties to even.
fn f16_bits(v: f32) -> u32 {
  let b = bitcast<u32>(v);
  let a = b & 0x7fffffffu;
  // Normal f16 (2^-14 <= |v| < 65520): drop 13 mantissa bits to nearest even; a carry moves into the exponent.
  let normal = ((a + 0xfffu + ((a >> 13u) & 1u)) >> 13u) - (112u << 10u);
  // Below 2^-14: the count of 2^-24 units, |v| * 2^24 (exact) rounded by round(), which rounds half to even.
  let subnormal = u32(round(bitcast<f32>(a) * 16777216.0));
  var bits = select(normal, subnormal, a < 0x38800000u);
  bits = select(bits, 0x7c00u, a >= 0x477ff000u);  // 65520 and up (half-way to 2^16 rounds to even: up), Infinity
  bits = select(bits, 0x7e00u, a > 0x7f800000u);   // NaN
  return ((b >> 16u) & 0x8000u) | bits;
}
