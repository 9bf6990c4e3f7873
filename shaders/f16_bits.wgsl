// f16_bits.wgsl: IEEE binary16 <-> f32 for the packed f16 element-I/O snippets (element_io_f16_packed*.wgsl, and
// the stores of element_io_f16*.wgsl); the host prepends it.
// - f16 -> f32: unpack2x16float, exact (an f16 is a normal f32) except that a device may flush f16 subnormals
//   (|x| < 2^-14) to zero, as its own f16 arithmetic may (the tests check all 65536 patterns on SwiftShader and
//   llvmpipe: exact there). A decode on the bits was 1.6x slower for the whole CE kernel on SwiftShader.
// - f32 -> f16: formed on the bits, the same as src/float16.ts bit for bit: to nearest, ties to even (WGSL leaves the
//   rounding of f16(v) and pack2x16float to the implementation, and makes out-of-range values indeterminate), 65520
//   and up become Infinity, NaN stays NaN. Branch-free (every case computed, the right one selected): CPU adapters
//   run a workgroup's invocations as SIMD lanes, where an early return per case cost 4x the whole kernel's time
//   (measured on SwiftShader).

// The f32 value of the f16 in the low 16 bits of `h` (higher bits are ignored).
fn f16_value(h: u32) -> f32 {
  return unpack2x16float(h).x;
}

// The f16 bits nearest to v (in the low 16 bits), ties to even.
fn f16_bits(v: f32) -> u32 {
  let b = bitcast<u32>(v);
  let a = b & 0x7fffffffu;
  // Normal f16 (2^-14 <= |v| < 65520): drop 13 mantissa bits to nearest even; a carry moves into the exponent.
  let normal = ((a + 0xfffu + ((a >> 13u) & 1u)) >> 13u) - (112u << 10u);
  // Below 2^-14: the count of 2^-24 units, rounded half to even by one f32 addition (WGSL's f32 + is correctly
  // rounded): adding 0.5 puts bit 0 of the sum's mantissa at 2^-24, so the sum's mantissa bits are the count (a
  // subnormal input too small to count flushes to 0 either way). round(|v| * 2^24) was 2x slower on SwiftShader.
  let subnormal = bitcast<u32>(bitcast<f32>(a) + 0.5) - 0x3f000000u;
  var bits = select(normal, subnormal, a < 0x38800000u);
  bits = select(bits, 0x7c00u, a >= 0x477ff000u);  // 65520 and up (half-way to 2^16 rounds to even: up), Infinity
  bits = select(bits, 0x7e00u, a > 0x7f800000u);   // NaN
  return ((b >> 16u) & 0x8000u) | bits;
}
