// f16_bits.wgsl: IEEE binary16 <-> f32 on the bits, for the f16 element-I/O snippets (element_io_f16*.wgsl); the host
// prepends it. The same conversions as src/float16.ts, bit for bit: f32 -> f16 rounds to nearest, ties to even (WGSL
// leaves the rounding of f16(v) to the implementation and makes out-of-range values indeterminate, so the bits are
// formed here), 65520 and up become Infinity, NaN stays NaN; f16 -> f32 is exact (subnormals included: the result is a
// normal f32, so no flush-to-zero can touch it).

// The f32 value of the f16 in the low 16 bits of `h` (higher bits are ignored).
fn f16_value(h: u32) -> f32 {
  let sign = (h & 0x8000u) << 16u;
  let e = (h >> 10u) & 0x1fu;
  let m = h & 0x3ffu;
  if (e == 0u) {
    let magnitude = f32(m) * 5.9604644775390625e-8;  // m * 2^-24, exact
    return bitcast<f32>(sign | bitcast<u32>(magnitude));
  }
  if (e == 31u) { return bitcast<f32>(sign | 0x7f800000u | (m << 13u)); }  // +-Inf, NaN
  return bitcast<f32>(sign | ((e + 112u) << 23u) | (m << 13u));
}

// The f16 bits nearest to v (in the low 16 bits).
fn f16_bits(v: f32) -> u32 {
  let b = bitcast<u32>(v);
  let sign = (b >> 16u) & 0x8000u;
  let a = b & 0x7fffffffu;
  if (a > 0x7f800000u) { return sign | 0x7e00u; }  // NaN
  if (a >= 0x477ff000u) { return sign | 0x7c00u; }  // 65520 and up, Infinity
  if (a >= 0x38800000u) {  // normal f16: drop 13 mantissa bits, to nearest even (a carry moves into the exponent)
    let rounded = a + 0xfffu + ((a >> 13u) & 1u);
    return sign | ((rounded >> 13u) - (112u << 10u));
  }
  if (a < 0x33000000u) { return sign; }  // below 2^-25: +-0 (exactly 2^-25 ties to 0)
  // Subnormal f16: m * 2^(e - 126) units of 2^-24, to nearest even.
  let e = a >> 23u;
  let m = (a & 0x7fffffu) | 0x800000u;
  let shift = 126u - e;  // 14..24
  let q = m >> shift;
  let rem = m & ((1u << shift) - 1u);
  let half = 1u << (shift - 1u);
  return sign | select(q, q + 1u, rem > half || (rem == half && (q & 1u) == 1u));
}
