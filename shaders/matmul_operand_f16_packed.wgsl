// matmul_operand_f16_packed.wgsl: an f16 operand of the linear cross-entropy matmuls on any device (no shader-f16):
// pairs of f16 in u32 words, element 2k in the low half of word k (an f16 GpuTensor's layout). {{NAME}}_at(i) widens
// element i to f32 with unpack2x16float, exactly (a device may flush f16 subnormals, |x| < 2^-14, to zero: see
// f16_bits.wgsl; SwiftShader and llvmpipe do not). Every product and sum stays f32. Contract: matmul_operand_f32.wgsl.
@group(0) @binding({{BINDING}}) var<storage, read> {{NAME}}: array<u32>;
fn {{NAME}}_at(i: u32) -> f32 { return unpack2x16float({{NAME}}[i >> 1u])[i & 1u]; }
